"""Search page in headless Chromium over file://: URL queries, typing, highlighting, filters,
Russian, hostile queries, and the split index scoring exactly like one unsplit lunr index."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import make_site

from microsite.bench.search_bench import corpus_pages, to_documents
from microsite.search.builder import build_index, idf, reference_index
from microsite.search.documents import SearchDocument
from microsite.search.payload import read_script, write_payload
from microsite.search.pipeline import index_terms, normalise_space

pytestmark = pytest.mark.browser
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "search"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    extra = {f"articles/{p.name}": p.read_text("utf-8") for p in sorted((FIXTURES / "content").glob("*.md"))}
    return make_site(FIXTURES / "scraped", tmp_path_factory.mktemp("search-site"), extra_content=extra)


@pytest.fixture(scope="module")
def big_site(site, tmp_path_factory) -> tuple[Path, list[SearchDocument]]:
    """The same shell with a 150-article synthetic payload cut into many small shards."""
    out = tmp_path_factory.mktemp("search-big") / "output"
    shutil.copytree(site, out)
    documents = to_documents(corpus_pages(150, seed=11))
    write_payload(documents, out / "search", shard_bytes=4000)
    return out, documents


def test_payload_covers_every_article(site):
    """One document per article page, each linking to a page that exists; lunr.js shipped beside it."""
    meta = read_script(site / "search" / "meta.js")
    pages = sorted((site / "articles").glob("*.html"))
    assert meta["count"] == len(pages) == 6
    urls = {read_script(site / "search" / "d" / f"{n}.js")["url"] for n in range(meta["count"])}
    assert urls == {f"articles/{p.name}" for p in pages}
    assert {p.name for p in (site / "search" / "lib").iterdir()} == {
        "lunr.min.js", "lunr.stemmer.support.min.js", "lunr.ru.min.js", "lunr.multi.min.js"}


def open_search(page, site: Path, query: str | None = None, **params):
    url = (site / "search.html").as_uri()
    parts = ([f"q={quote(query)}"] if query is not None else []) + [f"{k}={quote(v)}" for k, v in params.items()]
    page.goto(url + ("?" + "&".join(parts) if parts else ""))
    page.wait_for_function("window.micrositeSearch !== undefined")
    page.evaluate("window.micrositeSearch.ready")
    page.wait_for_function("document.getElementById('search-status').textContent !== 'Searching…'")


def titles(page) -> list[str]:
    return page.locator("#search-results .search-result h2").all_inner_texts()


def test_query_in_url_runs_on_load(page, site):
    open_search(page, site, "security")
    assert "CSTO countries discuss information security measures" in titles(page)
    status = page.locator("#search-status").inner_text()
    assert status.endswith("for “security”") and status.split()[0].isdigit()
    first = page.locator("#search-results .search-result").first
    assert first.locator("h2 a").get_attribute("href").startswith("./articles/")
    assert first.locator(".meta time").count() == 1 and first.locator(".meta-source").inner_text()
    tag_href = first.locator(".tag-list a[rel=tag]").first.get_attribute("href")
    assert tag_href.startswith("./") and (site / tag_href).is_file()
    assert (site / first.locator("h2 a").get_attribute("href")).is_file()


def test_matched_words_are_marked_in_title_and_snippet(page, site):
    open_search(page, site, "hackers")
    result = page.locator("#search-results .search-result", has_text="Hackers arrested")
    marks = result.locator("mark").all_inner_texts()
    assert "Hackers" in marks  # in the title, stemmed match, original case kept
    open_search(page, site, "attacking")  # only in the body: the snippet is cut around it
    snippet = page.locator("#search-results .search-result .snippet").first
    assert [m.lower() for m in snippet.locator("mark").all_inner_texts()] == ["attacking"]


def test_typing_updates_results_without_reload(page, site):
    open_search(page, site)
    page.evaluate("window.__sameDocument = true")
    box = page.locator("#site-search-q")
    status = page.locator("#search-status")
    box.type("zzq")
    page.wait_for_function("document.getElementById('search-status').textContent.includes('zzq')")
    assert titles(page) == []
    box.fill("")
    box.type("climate")
    page.wait_for_function("document.getElementById('search-status').textContent.includes('“climate”')")
    assert len(titles(page)) == 2 and status.inner_text().startswith("2 results")
    assert page.evaluate("window.__sameDocument") is True
    assert page.url.endswith("search.html?q=climate")


def test_tag_filter_uses_tags_not_text_and_lives_in_url(page, site):
    open_search(page, site, "climate policy")
    assert len(titles(page)) == 2  # the tagged article and one that only says the words
    facet = page.locator("fieldset[data-facet=tag] label", has_text="climate-policy")
    assert facet.inner_text().strip().endswith("(1)")
    facet.locator("input").check()
    page.wait_for_function("document.querySelectorAll('#search-results .search-result').length === 1")
    assert titles(page) == ["Central Asian ministers agree a regional climate policy"]
    assert "tag=climate-policy" in page.url
    assert "1 of 2 results" in page.locator("#search-status").inner_text()
    shared = page.url
    page.goto("about:blank")
    page.goto(shared)  # a bookmarked filtered search comes back the same
    page.wait_for_function("document.querySelectorAll('#search-results .search-result').length === 1")
    assert page.locator("fieldset[data-facet=tag] input[value='climate-policy']").is_checked()


def test_language_year_and_date_filters(page, site):
    open_search(page, site, "climate", lang="en", year="2023")
    assert titles(page) == ["Parliament debates energy prices and the climate"]
    open_search(page, site, "climate", **{"from": "2022-01-01", "to": "2022-12-31"})
    assert titles(page) == ["Central Asian ministers agree a regional climate policy"]
    open_search(page, site, "", source="Интерфакс")  # filters alone list the matching articles
    assert titles(page) == ["Саммит ШОС прошёл в Астане"]


def test_russian_query_finds_other_inflection(page, site):
    open_search(page, site, "безопасности")
    result = page.locator("#search-results .search-result", has_text="ОДКБ обсудила")
    assert result.count() == 1
    assert "безопасность" in [m.lower() for m in result.locator("mark").all_inner_texts()]


@pytest.mark.parametrize(
    "payload", ['<img src=x onerror=alert(1)>', '"><script>alert(1)</script>', "javascript:alert(1)", "onerror"]
)
def test_hostile_query_is_shown_as_text_never_run(page, site, payload):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_search(page, site, payload)
    page.wait_for_timeout(200)
    assert dialogs == []
    assert page.locator("#search-results img, #search-results script, #search-status *").count() == 0


def test_scraped_markup_in_snippets_stays_text(page, site):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_search(page, site, "quoted")
    snippet = page.locator("#search-results .snippet").first
    assert "<img src=x onerror=\"alert('xss')\">" in snippet.inner_text()
    assert page.locator("#search-results img").count() == 0 and dialogs == []


def test_syntax_error_gives_friendly_message(page, site):
    open_search(page, site, "title:")
    status = page.locator("#search-status")
    assert "could not be read" in status.inner_text() and "title:security" in status.inner_text()
    open_search(page, site, "+title:")
    assert "could not be read" in status.inner_text()


def test_punctuation_typed_around_words_is_tidied(page, site):
    """Quotes, commas and an unknown "word:" prefix do not defeat a search; lunr operators stay."""
    open_search(page, site)
    tidy = "q => window.micrositeSearch.tidy(q)"
    assert page.evaluate(tidy, '"information security", (CSTO)') == "information security CSTO"
    assert page.evaluate(tidy, "Note: +title:hackers -drug secur* sekurity~1 cyber^2") == (
        "Note +title:hackers -drug secur* sekurity~1 cyber^2")
    assert page.evaluate(tidy, "title:") == "title:"
    open_search(page, site, '"hackers"')
    assert "Hackers arrested after attacks on banking networks" in titles(page)


def test_no_results_suggests_what_to_try(page, site):
    open_search(page, site, "zzyzxquux")
    assert "No articles match “zzyzxquux”" in page.locator("#search-status").inner_text()
    assert "secur*" in page.locator("#search-results .search-tips").inner_text()


def test_python_tokens_equal_lunr_languages_tokens(page, site, big_site):
    open_search(page, site)
    texts = [d.read_text("utf-8") for d in sorted((FIXTURES / "content").glob("*.md"))]
    texts += [d.body for d in big_site[1][:20]]
    texts.append("Ёлка, ёлки; «БЕЗОПАСНОСТЬ»—lay try yelling café 3-D co-operation 2021… (CSTO) Операция «Прокси»")
    for text in texts:
        assert page.evaluate("t => window.micrositeSearch.indexTerms(t)", text) == index_terms(normalise_space(text))


QUERIES = [
    "security", "information security cooperation", "безопасности", "secur*", "*ity", "sekurity~1",
    "+security -drug", "-security", "title:security", "security^3 cooperation", "Ransomware", "nothingmatches",
]


def test_split_results_equal_unsplit_lunr_js(page, big_site):
    """lunr.js on the one unsplit index (built by lunr.py) and search.js on the shards agree exactly."""
    site, documents = big_site
    open_search(page, site)
    assert len(read_script(site / "search" / "meta.js")["shards"]) > 20
    page.evaluate("data => { window.__unsplit = lunr.Index.load(data); }", json.loads(
        json.dumps(reference_index(documents).serialize())))
    for q in QUERIES:
        unsplit = page.evaluate("q => window.__unsplit.search(q).map(r => [r.ref, r.score])", q)
        split = page.evaluate("q => window.micrositeSearch.search(q).then(rs => rs.map(r => [r.ref, r.score]))", q)
        assert split == unsplit, q
    assert len(page.evaluate("q => window.__unsplit.search(q)", "security")) > 10


def test_browser_scores_every_posting_as_lunr_py(page, big_site):
    """search.js computes each field-vector entry from the stored frequencies exactly as lunr.py's Builder does."""
    site, documents = big_site
    open_search(page, site)
    built = build_index(documents)
    serial = reference_index(documents).serialize()
    inverted = dict(serial["invertedIndex"])
    vectors = {ref: dict(zip(el[0::2], el[1::2], strict=True)) for ref, el in serial["fieldVectors"]}
    average = built.average_lengths()
    starts = built.starts()
    frequencies = built.document_frequencies(starts)
    rows, want = [], []
    for tid, term in enumerate(built.terms):
        term_idf = idf(int(frequencies[tid]), built.document_count)
        for f, name in enumerate(built.fields):
            docs, tfs = built.postings(tid, f, starts)
            for doc, tf in zip(docs, tfs, strict=True):
                rows.append([term_idf, tf, int(built.lengths[doc, f]), average[f], built.boosts[f]])
                want.append(vectors[f"{name}/{doc}"][inverted[term]["_index"]])
    assert len(rows) > 10_000
    got = page.evaluate("rows => rows.map(r => window.micrositeSearch.score(...r))", rows)
    assert got == want


def test_browser_rounds_like_python(page, site):
    """Three decimals the way Python's round() does: nearest, ties (odd sixteenths) to the even digit."""
    open_search(page, site)
    values = [m / 16 for m in range(400)] + [0.0005, 1.0005, 2.0625, 2.1875, 12.3456789, 7.9999999, 0.1 + 0.2]
    values += [math.nextafter(m / 16, 0) for m in range(1, 200, 2)] + [math.nextafter(m / 16, 99) for m in range(1, 200, 2)]
    got = page.evaluate("xs => xs.map(x => window.micrositeSearch.round3(x))", values)
    assert got == [round(x, 3) for x in values]
