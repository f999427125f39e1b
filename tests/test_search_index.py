"""Search index, Python side: the builder equals lunr.py's, the split payload answers like the unsplit index.

The corpus is the benchmark's seeded generator (English and Russian, Zipf
vocabulary) plus hand-written articles, so that the comparisons cover common
and rare terms, both languages and every query form lunr has.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lunr.index import Index
from lunr.token_set_builder import TokenSetBuilder
from lunr.vector import Vector
from markdown import Markdown

from microsite.bench.search_bench import corpus_pages, to_documents
from microsite.normalise.sanitize import clean_html
from microsite.plugins import search as plugin
from microsite.search import porter
from microsite.search.builder import build_index, from_lunr_builder, reference_builder, reference_index
from microsite.search.documents import SearchDocument, html_to_text, is_safe_url, needs_parser, parsed_text
from microsite.search.payload import read_script, script, write_payload
from microsite.search.pipeline import SEARCH_LABELS, index_terms, lunr_pipeline
from microsite.search.split import SplitIndex
from microsite.search.stopwords import RUSSIAN

ROOT = Path(__file__).resolve().parent.parent

HAND_WRITTEN = [
    SearchDocument(
        url="articles/odkb.html", title="ОДКБ обсудила информационную безопасность", lang="ru", source="ТАСС",
        tags=["ОДКБ", "информационная безопасность"], date="2023-09-05",
        body="Главной темой встречи стала информационная безопасность и защита инфраструктуры от кибератак.",
    ),
    SearchDocument(
        url="articles/climate.html", title="Ministers agree a regional climate policy", lang="en", source="Kazinform",
        tags=["climate-policy"], date="2022-06-14", summary="A joint statement on climate policy.",
        body="Environment ministers signed a joint statement on climate policy; water security is the priority.",
    ),
    SearchDocument(
        url="articles/energy.html", title="Parliament debates energy and the climate", lang="en", source="Reuters",
        tags=["energy"], body="The climate committee asked for a new policy review \u2028 before winter — “quoted”.",
    ),
]
QUERIES = [
    "security", "information security cooperation", "безопасности", "информационной безопасности", "secur*",
    "inf*", "*ity", "sekurity~1", "безопаснсть~2", "+security -drug", "-security", "title:security",
    "tags:climate", "climate-policy", "CSTO^10 drug", "security^3 cooperation", "nothingmatchesthis", "the",
    "ransomware", "Anna", "2021",
]


@pytest.fixture(scope="module")
def documents() -> list[SearchDocument]:
    return to_documents(corpus_pages(60, seed=7)) + HAND_WRITTEN


@pytest.fixture(scope="module")
def reference(documents) -> Index:
    return reference_index(documents)


@pytest.fixture(scope="module")
def payload(documents, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("search") / "search"
    # Small shards, so that queries cross shard boundaries as they do at 10,000 articles.
    stats = write_payload(documents, folder, shard_bytes=3000)
    assert stats.shards > 20
    return folder


def test_builder_gives_lunr_py_numbers(documents, reference):
    """Same terms, term order, postings and field-vector scores as lunr.py's own Builder."""
    built = build_index(documents)
    serial = reference.serialize()
    inverted = dict(serial["invertedIndex"])
    vectors = {ref: dict(zip(el[0::2], el[1::2], strict=True)) for ref, el in serial["fieldVectors"]}
    assert built.lunr_order() == sorted(inverted, key=lambda t: inverted[t]["_index"])
    scores = built.field_scores()
    assert sorted(scores) == sorted(inverted)
    for term, entries in scores.items():
        tid = inverted[term]["_index"]
        for f, name in enumerate(built.fields):
            docs, tfs = built.postings(built.ids[term], f)
            assert [str(d) for d in docs] == sorted(inverted[term][name], key=int), term
            assert all(tf > 0 for tf in tfs)
        assert entries == {ref: vectors[ref][tid] for ref in entries}, term
        assert len(entries) == sum(len(inverted[term][name]) for name in built.fields)


def test_payload_from_lunr_py_builder_is_byte_identical(documents, payload, tmp_path):
    """SEARCH_LUNR_BUILDER = True (lunr.py's Builder) writes exactly the files the fast builder writes."""
    other = tmp_path / "search"
    write_payload(documents, other, shard_bytes=3000, index=from_lunr_builder(reference_builder(documents)))
    ours = sorted(p.relative_to(payload) for p in payload.rglob("*.js"))
    assert ours == sorted(p.relative_to(other) for p in other.rglob("*.js"))
    assert all((payload / rel).read_bytes() == (other / rel).read_bytes() for rel in ours)


@pytest.mark.parametrize("query", QUERIES)
def test_split_index_answers_like_unsplit(query, payload, reference):
    split = SplitIndex(payload).search(query)
    unsplit = reference.search(query)
    assert [(r["ref"], r["score"]) for r in split] == [(r["ref"], r["score"]) for r in unsplit]
    assert [sorted(r["match_data"].metadata) for r in split] == [sorted(r["match_data"].metadata) for r in unsplit]


def test_queries_find_something(payload):
    """The comparison above is only worth something if the queries match documents."""
    split = SplitIndex(payload)
    assert len(split.search("security")) > 10
    assert len(split.search("secur*")) == len(split.search("security"))
    assert split.search("climate-policy")


def test_one_word_query_reads_one_shard(payload):
    split = SplitIndex(payload)
    split.search("security")
    assert [p.name for p in split.files_read] == ["meta.js", f"{split.shard_of('secur')}.js"]


def test_russian_inflection_finds_other_form(payload, documents):
    """"безопасности" finds the article that only says "безопасность" (and "информационную")."""
    odkb = str(len(documents) - 3)
    assert "безопасности" not in documents[int(odkb)].body
    assert odkb in [r["ref"] for r in SplitIndex(payload).search("безопасности")]
    assert odkb in [r["ref"] for r in SplitIndex(payload).search("информационной")]


def test_serialised_unsplit_index_loads_in_lunr_py(reference):
    """The unsplit index survives serialise → JSON → load with lunr.py classes and our pipeline."""
    data = json.loads(json.dumps(reference.serialize()))
    assert data["version"] == "2.3.9" and data["pipeline"] == list(SEARCH_LABELS)
    tokens = TokenSetBuilder()
    for term, _ in data["invertedIndex"]:
        tokens.insert(term)
    tokens.finish()
    loaded = Index(
        inverted_index=dict(data["invertedIndex"]),
        field_vectors={ref: Vector(el) for ref, el in data["fieldVectors"]},
        token_set=tokens.root,
        fields=data["fields"],
        pipeline=lunr_pipeline(tuple(data["pipeline"])),
    )
    for q in ("security", "безопасности", "secur*"):
        assert [(r["ref"], r["score"]) for r in loaded.search(q)] == [(r["ref"], r["score"]) for r in reference.search(q)]


def test_hyphenated_tag_is_kept_whole_for_filters(payload):
    """lunr splits "climate-policy" as text; filters work on the tag ids in meta.js instead."""
    meta = read_script(payload / "meta.js")
    tag = meta["values"]["tags"].index("climate-policy")
    tagged = [n for n, tags in enumerate(meta["docs"]["tags"]) if tag in tags]
    assert len(tagged) == 1
    assert len(SplitIndex(payload).search("climate-policy")) > len(tagged)
    assert meta["docs"]["date"][tagged[0]] == 20220614


def test_script_round_trip_keeps_awkward_text(tmp_path):
    data = {"q": "it's a \\ back'slash\\' </script> \u2028 «ёлка» \"quoted\"", "n": [1, 2]}
    path = tmp_path / "x.js"
    path.write_text(script("d1", data), "utf-8")
    assert read_script(path) == data
    assert path.read_text("utf-8").startswith('(__micrositeSearch=self.__micrositeSearch||{})["d1"]=JSON.parse(\'')


def test_english_stemmer_is_lunr_js_not_lunr_py():
    """lunr.py's own Porter stemmer gives "lai" for "lay"; lunr.js (and ours) "lay"."""
    assert porter.stem("lay") == "lay"
    assert porter.stem("try") == "tri"
    assert porter.stem("security") == "secur"
    assert porter.stem("yelling") == "yell"


def test_pipeline_stems_both_languages_and_drops_stop_words():
    assert index_terms("The Security of «безопасности», и ёлка — 2021!") == ["secur", "безопасн", "ёлка", "", "2021"]


def test_russian_stop_words_are_lunr_languages_list():
    js = (ROOT / "node_modules" / "lunr-languages" / "lunr.ru.js").read_text("utf-8")
    listed = re.search(r"generateStopWordFilter\('([^']*)'", js).group(1).split(" ")
    assert set(listed) == RUSSIAN


TRICKY_HTML = (
    '<h2 id="x">Head &amp; shoulders</h2><p title="a > b" class=\'q\'>One&nbsp;two <a href="/x?a=1&amp;b=2">link</a>'
    "<br>three<br/>four</p><ul><li>a<li>b</ul><table><tr><th>k</th><td>1</td></tr></table>"
    "<pre><code>x = 1 &lt; 2;\n  y</code></pre><figure><img alt=\"pic\" src=\"p.png\"><figcaption>Cap</figcaption>"
    "</figure><p><em>a</em> <strong>b</strong><sup>1</sup> <sub>2</sub> &quot;q&quot; «ёлка» — co-operation</p>"
)


def test_sanitised_html_gives_the_parsers_text_without_parsing():
    """Sanitised HTML (every article) skips lxml; the text is the one lxml gives."""
    md = Markdown(extensions=["markdown.extensions.extra"], output_format="html5")
    pages = [clean_html(html) for _, _, html in corpus_pages(40, seed=7)]
    pages += [clean_html(md.reset().convert(p.read_text("utf-8"))) for p in sorted(ROOT.glob("tests/fixtures/**/*.md"))]
    pages += [clean_html(TRICKY_HTML), TRICKY_HTML]
    for html in pages:
        assert html_to_text(html) == parsed_text(html)
    assert not any(needs_parser(html) for html in pages[:-1])
    assert needs_parser("<p>a<!-- b --></p>") and needs_parser("<p>&copy;</p>") and needs_parser("<Script>")
    assert html_to_text(clean_html(TRICKY_HTML)).startswith("Head & shoulders One two link three four a b k 1 x = 1 < 2;")


def test_markup_the_sanitiser_never_writes_is_parsed():
    html = "<p>a<!-- b --></p><SCRIPT>alert(1)</SCRIPT><p>&copy; c&amp;d &#169;</p><style>p{}</style>"
    assert html_to_text(html) == parsed_text(html) == "a © c&d ©"


def test_html_to_text_separates_blocks_and_drops_scripts():
    html = "<h2>Head</h2><p>One<br>two &amp; <b>three</b></p><script>alert(1)</script><ul><li>a</li><li>b</li></ul>"
    assert html_to_text(html) == "Head One two & three a b"


@pytest.mark.parametrize(
    ("url", "ok"),
    [("articles/a-b.html", True), ("javascript:alert(1)", False), ("/abs.html", False),
     ("../up.html", False), ("https://x.org/a.html", False), ("a/../../b.html", False)],
)
def test_only_relative_urls_are_linked(url, ok):
    assert is_safe_url(url) is ok


def test_missing_node_modules_fails_clearly(tmp_path):
    with pytest.raises(plugin.SearchError, match=r"npm ci"):
        plugin.node_modules({"SEARCH_NODE_MODULES": str(tmp_path)})


def test_wrong_lunr_js_version_fails_clearly(tmp_path):
    (tmp_path / "lunr").mkdir()
    (tmp_path / "lunr" / "package.json").write_text('{"version": "2.3.8"}', "utf-8")
    with pytest.raises(plugin.SearchError, match=r"lunr\.js 2\.3\.8.*2\.3\.9"):
        plugin.copy_libraries(tmp_path, tmp_path / "out")


def test_empty_site_gets_a_working_payload(tmp_path):
    stats = write_payload([], tmp_path / "search")
    assert stats.shards == 0 and read_script(tmp_path / "search" / "meta.js")["count"] == 0
    assert SplitIndex(tmp_path / "search").search("security") == []


def test_build_without_node_modules_stops_with_instructions(tmp_path, capfd):
    from microsite.build import BuildError, build_site

    content = tmp_path / "content" / "articles"
    content.mkdir(parents=True)
    (content / "a.md").write_text("---\ntitle: A\ndate: '2021-01-01'\n---\n\nText.\n", "utf-8")
    with pytest.raises(BuildError):
        build_site(content.parent, tmp_path / "out", ROOT / "pelicanconf.py",
                   extra={"SEARCH_NODE_MODULES": json.dumps(str(tmp_path / "nowhere"))})
    captured = capfd.readouterr()
    assert "SearchError: search: lunr.js not found" in " ".join((captured.out + captured.err).split())
