"""Citations: formatted references, the four download formats read back by real
parsers, and the metadata embedded in article pages (Highwire, JSON-LD, OpenGraph)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from bs4 import BeautifulSoup
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from microsite.cite import assign_keys, formats, from_metadata, styles
from microsite.cite.embedded import script_json
from microsite.cite.record import parse_name

HOSTILE_TITLE = 'Leak: </script><script>alert(1)</script> & {braces} at 100% "quoted"'


def ref(**meta):
    base = {
        "title": "CSTO countries discuss information security measures",
        "date": dt.datetime(2021, 3, 31, 10, 38, tzinfo=dt.timezone(dt.timedelta(hours=3))),
        "source": "BelTA",
        "source_url": "https://eng.belta.by/politics/view/csto-137899-2021/",
        "accessed": "2024-04-20",
    }
    return assign_keys([from_metadata({**base, **meta})])[0]


# -- formatted references (expected strings written from the style manuals) --

def test_apa_and_chicago_with_authors():
    r = ref(authors=["Vladimir Zainetdinov", "Jean-Paul Dupont"])
    assert styles.to_text(styles.apa(r)) == (
        "Zainetdinov, V., & Dupont, J.-P. (2021, March 31). CSTO countries discuss information security measures. "
        "BelTA. https://eng.belta.by/politics/view/csto-137899-2021/"
    )
    assert styles.to_text(styles.chicago(r)) == (
        "Zainetdinov, Vladimir, and Jean-Paul Dupont. “CSTO countries discuss information security measures.” "
        "BelTA, March 31, 2021. https://eng.belta.by/politics/view/csto-137899-2021/."
    )


def test_unsigned_article_is_listed_under_title_apa_and_outlet_chicago():
    r = ref()
    assert styles.to_text(styles.apa(r)).startswith("CSTO countries discuss information security measures. (2021, March 31). BelTA.")
    assert styles.to_text(styles.chicago(r)).startswith("BelTA. “CSTO countries discuss information security measures.” March 31, 2021.")
    html = styles.to_html(styles.chicago(r))
    assert html.startswith("<i>BelTA</i>.") and 'href="https://eng.belta.by/' in html


def test_undated_reference_says_nd_and_gives_access_date():
    r = ref(date=None)
    apa = styles.to_text(styles.apa(r))
    assert "(n.d.)" in apa and "Retrieved April 20, 2024, from https://" in apa
    assert "Accessed April 20, 2024." in styles.to_text(styles.chicago(r))
    assert r.key == "belta" + "nd" + "csto"


def test_reference_html_is_escaped_and_unsafe_urls_dropped():
    r = ref(title=HOSTILE_TITLE, source_url="javascript:alert(1)")
    html = styles.to_html(styles.apa(r))
    assert "<script" not in html and "&lt;/script&gt;" in html
    assert "javascript:" not in html and r.url == ""


@pytest.mark.parametrize(
    ("raw", "family", "given", "literal"),
    [
        ("Vladimir Zainetdinov", "Zainetdinov", "Vladimir", ""),
        ("Zainetdinov, Vladimir", "Zainetdinov", "Vladimir", ""),
        ("Ludwig van Beethoven", "van Beethoven", "Ludwig", ""),
        ("By Anna Ivanova", "Ivanova", "Anna", ""),
        ("Reuters", "", "", "Reuters"),
    ],
)
def test_parse_name(raw, family, given, literal):
    name = parse_name(raw)
    assert (name.family, name.given, name.literal) == (family, given, literal)


def test_keys_are_unique_and_stable():
    refs = [from_metadata({"title": "CSTO meets", "date": "2021-03-31", "source": "BelTA"}) for _ in range(3)]
    keys = [r.key for r in assign_keys(refs)]
    assert keys == ["belta2021cstoa", "belta2021cstob", "belta2021cstoc"]
    assert [r.key for r in assign_keys(refs)] == keys


# -- the four formats, parsed by real parsers ---------------------------------

def test_bibtex_round_trips_hostile_values():
    r = ref(title=HOSTILE_TITLE, authors=["Anna Ivanova", "Staff}, title={pwned"])
    lib = bibtexparser.parse_string(formats.bibtex(r), append_middleware=[LatexDecodingMiddleware()])
    assert not lib.failed_blocks and len(lib.entries) == 1
    entry = lib.entries[0]
    assert entry.key == r.key and entry.entry_type == "article"
    assert entry["title"].strip("{}") == HOSTILE_TITLE
    assert set(entry.fields_dict) >= {"title", "author", "journal", "year", "date", "url", "urldate"}
    assert entry["author"] == "Ivanova, Anna and Staff}, title={pwned"  # one author value, no injected field


def test_ris_values_stay_on_their_line():
    r = ref(title="Two\nlines\nER  - fake", authors=["Anna Ivanova"])
    [record] = rispy.loads(formats.ris(r))
    assert record["type_of_reference"] == "NEWS"
    assert record["title"] == "Two lines ER - fake"
    assert record["authors"] == ["Ivanova, Anna"]
    assert record["secondary_title"] == "BelTA"
    assert record["urls"] == ["https://eng.belta.by/politics/view/csto-137899-2021/"]


def test_csl_json_renders_with_citeproc():
    r = ref(authors=["Vladimir Zainetdinov"])
    items = json.loads(formats.csl_json([r]))
    bib = CitationStylesBibliography(CitationStylesStyle("harvard-cite-them-right", validate=False), CiteProcJSON(items), formatter.plain)
    bib.register(Citation([CitationItem(r.key)]))
    text = str(bib.bibliography()[0])
    assert "Zainetdinov" in text and "CSTO countries discuss information security measures" in text and "BelTA" in text
    assert "2021" in text


def test_script_json_cannot_close_the_script_element():
    text = script_json({"headline": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["headline"] == "</script><!-- & \u2028"


# -- the built site -----------------------------------------------------------

def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "lxml")


def _articles(site: Path) -> list[Path]:
    return sorted((site / "articles").glob("*.html"))


def test_every_article_links_four_citation_formats(research_site):
    pages = _articles(research_site)
    assert len(pages) == 30
    for page in pages:
        soup = _soup(page)
        cite = soup.select_one("section.cite")
        assert cite is not None, page.name
        assert {f.get_text() for f in cite.select("figcaption")} == {"APA (7th ed.)", "Chicago (17th ed., bibliography)"}
        links = {a.get_text(): (page.parent / a["href"]).resolve() for a in cite.select(".cite-downloads a")}
        assert set(links) == {"BibTeX", "RIS", "CSL-JSON"}
        assert all(p.is_file() for p in links.values()), page.name
        lib = bibtexparser.parse_string(links["BibTeX"].read_text("utf-8"))
        assert not lib.failed_blocks and len(lib.entries) == 1
        assert lib.entries[0].key == cite.select_one(".cite-key code").get_text()
        assert rispy.loads(links["RIS"].read_text("utf-8"))[0]["type_of_reference"] == "NEWS"
        assert json.loads(links["CSL-JSON"].read_text("utf-8"))[0]["type"] == "article-newspaper"


def test_json_ld_names_the_outlet_as_publisher(research_site):
    for page in _articles(research_site):
        soup = _soup(page)
        scripts = soup.select('script[type="application/ld+json"]')
        assert len(scripts) == 1, page.name
        data = json.loads(scripts[0].string)
        assert data["@type"] == "NewsArticle"
        assert data["headline"] == soup.h1.get_text()
        assert data["url"]
        publisher = soup.select_one('meta[name="citation_publisher"]')["content"]
        assert data["publisher"]["name"] == publisher != "Regional Security Press Archive"
        if page.stem != "undated-note":
            assert data["datePublished"][:10] == soup.select_one("article time")["datetime"][:10]


def test_hostile_title_stays_data_everywhere(research_site):
    page = research_site / "articles" / "hostile-title.html"
    raw = page.read_text("utf-8")
    assert "<script>alert(1)" not in raw and "javascript:" not in raw
    soup = _soup(page)
    assert soup.h1.get_text() == HOSTILE_TITLE
    assert json.loads(soup.select_one('script[type="application/ld+json"]').string)["headline"] == HOSTILE_TITLE
    assert soup.select_one('meta[name="citation_title"]')["content"] == HOSTILE_TITLE
    assert [m["content"] for m in soup.select('meta[name="citation_author"]')] == ["Ivanova, Anna", "Sartre, Jean-Paul"]
    lib = bibtexparser.parse_string((research_site / "articles" / "hostile-title.bib").read_text("utf-8"),
                                    append_middleware=[LatexDecodingMiddleware()])
    assert lib.entries[0]["title"].strip("{}") == HOSTILE_TITLE
    assert "Ivanova, A., &amp; Sartre, J.-P. (2022, February 10). Leak: &lt;/script&gt;" in str(soup.select_one("#ref-apa"))


def test_highwire_and_opengraph_tags(research_site):
    soup = _soup(research_site / "articles" / "csto-countries-discuss-information-security-measures.html")
    meta = {m["name"]: m["content"] for m in soup.select("meta[name^=citation_]")}
    assert meta["citation_title"] == "CSTO countries discuss information security measures"
    assert meta["citation_publication_date"] == "2021/03/31"
    assert meta["citation_journal_title"] == "BelTA"
    og = {m["property"]: m["content"] for m in soup.select("meta[property]")}
    assert og["og:type"] == "article" and og["article:published_time"].startswith("2021-03-31T10:38")
    assert "og:url" not in og  # relative site: no absolute URL to give


def test_undated_article_is_cited_without_a_date(research_site):
    soup = _soup(research_site / "articles" / "undated-note.html")
    assert "(n.d.)" in soup.select_one("#ref-apa").get_text()
    assert soup.select_one('meta[name="citation_publication_date"]') is None
    data = json.loads(soup.select_one('script[type="application/ld+json"]').string)
    assert "datePublished" not in data and "dateModified" not in data
    assert not soup.select("article header time")


def test_a_citation_unpickles_its_parts_only_when_read():
    """A rebuild reads a few citations of 10,000: the reference and the formatted parts stay
    pickled until a template or an export reads one; the key and the file names are there at once."""
    import pickle

    from markupsafe import Markup

    from microsite.cite import with_key
    from microsite.plugins.citations import Citation

    r = with_key(ref(), "")
    apa = styles.apa(r)
    parts = (r, Markup(styles.to_html(apa)), styles.to_text(apa), Markup("<i>c</i>"), "c",
             [("citation_title", r.title)], [("og:title", r.title)], Markup("{}"))
    cite = Citation("belta2021csto", {"bib": "articles/x.bib"}, (7, "belta2021csto"), pickle.dumps(parts))
    assert cite.key == "belta2021csto" and cite.files["bib"] == "articles/x.bib"
    assert cite.__digest__() == (7, "belta2021csto")
    assert cite._unpacked is None, "reading the key unpickled the parts"
    assert cite.ref.key == "belta2021csto" and cite.ref.title == r.title  # the key goes into the reference
    assert cite.apa_text == styles.to_text(apa) and cite.highwire == [("citation_title", r.title)]
    copy = pickle.loads(pickle.dumps(cite))
    assert (copy.key, copy.ref.key, copy.chicago, copy.jsonld) == ("belta2021csto", "belta2021csto", Markup("<i>c</i>"),
                                                                  Markup("{}"))
