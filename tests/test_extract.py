"""Main-content choice, page cleaning and metadata rules, on small pages written for each rule."""

from __future__ import annotations

import datetime as dt
import random
import time

import lxml.html
import pytest

from microsite.extract import content, htmlparse, metadata, timeout

PROSE = ("The ministers met in the capital on Tuesday and agreed on a plan for the coming year, "
         "officials said after the talks ended late in the evening. ")


WORDS = [
    "minister", "agency", "border", "treaty", "summit", "drill", "budget", "court", "river", "harbour", "vote",
    "council", "grain", "energy", "pipeline", "rail", "tariff", "census", "militia", "bank", "archive", "museum",
]


def _prose(i: int, n: int = 30) -> str:
    """A distinct sentence-like paragraph (seeded by ``i``), so paragraphs share no 4-word runs."""
    rng = random.Random(i)
    return " ".join(f"{rng.choice(WORDS)}{rng.randint(0, 999)}" for _ in range(n)).capitalize() + "."


def _blocks_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


# --- choosing between extractors -----------------------------------------------------------


def test_choose_keeps_readability_when_both_agree():
    same = _blocks_html([PROSE * 2, PROSE + "More."])
    assert content.choose({"readability": same, "trafilatura": same}) == "readability"


def test_choose_takes_trafilatura_when_readability_missed_paragraphs():
    article = [_prose(i) for i in range(6)]
    candidates = {"readability": _blocks_html(article[:2]), "trafilatura": _blocks_html(article)}
    assert content.choose(candidates) == "trafilatura"


def test_choose_rejects_extra_link_lists():
    article = [_prose(i) for i in range(4)]
    teasers = "<ul>" + "".join(f"<li><a href='/s{i}'>Other story number {i}</a></li>" for i in range(15)) + "</ul>"
    candidates = {"readability": _blocks_html(article), "trafilatura": _blocks_html(article) + teasers}
    assert content.choose(candidates) == "readability"
    candidates = {"readability": _blocks_html(article) + teasers, "trafilatura": _blocks_html(article)}
    assert content.choose(candidates) == "trafilatura"


def test_choose_rejects_an_extractor_that_swallowed_the_neighbours():
    article = [_prose(i) for i in range(8)]
    others = [_prose(100 + i, 60) for i in range(12)]
    candidates = {"readability": _blocks_html(article), "trafilatura": _blocks_html(article + others)}
    assert content.choose(candidates) == "readability"


def test_json_ld_article_body_referees():
    article = [_prose(i) for i in range(4)]
    wrong = [_prose(200 + i) for i in range(4)]
    candidates = {"readability": _blocks_html(wrong), "trafilatura": _blocks_html(article)}
    assert content.choose(candidates, " ".join(article)) == "trafilatura"


def test_json_ld_article_body_stands_in_for_a_page_rendered_by_script():
    body = " ".join(_prose(i) for i in range(8))
    page = f"""<html><head><title>T</title><script type="application/ld+json">
    {{"@type": "NewsArticle", "headline": "T", "articleBody": "{body}"}}</script></head>
    <body><div id="app"><nav><a href="/">Home</a> <a href="/news">News</a></nav><p>Loading…</p></div></body></html>"""
    tree = content.parse_html(page)
    ld_body = content.article_body(content.json_ld(tree))
    extraction = content.extract_content(content.clean_tree(tree), ld_body=ld_body)
    assert extraction.method == "json-ld"
    assert _prose(3) in extraction.html and "Loading" not in extraction.html


def test_empty_candidates():
    assert content.choose({"readability": "", "trafilatura": "<p>x</p>"}) == "trafilatura"
    assert content.choose({"readability": "<p>x</p>", "trafilatura": ""}) == "readability"


# --- cleaning ------------------------------------------------------------------------------


def test_clean_tree_removes_hidden_and_boilerplate_but_not_the_article():
    page = f"""<html><body>
    <div class="share-wrapper"><article><p>{PROSE * 3}</p></article></div>
    <div class="related"><a href="/x">Related link</a></div>
    <p hidden>hidden attr</p><p aria-hidden="true">aria hidden</p><p style="visibility: hidden">invisible</p>
    <form><p>Inside an ASP.NET form: kept.</p><input value="x"></form>
    <script>var tracking = 1;</script></body></html>"""
    tree = content.clean_tree(content.parse_html(page))
    text = tree.text_content()
    assert PROSE.strip() in text  # the wrapper's class says "share", but it holds the article
    assert "Inside an ASP.NET form: kept." in text
    for gone in ("Related link", "hidden attr", "aria hidden", "invisible", "tracking"):
        assert gone not in text


def test_json_ld_in_cdata_and_graph():
    page = """<html><head><script type="application/ld+json">//<![CDATA[
    {"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "Site"},
     {"@type": "NewsArticle", "headline": "H", "articleBody": "Body text."}]}
    //]]></script><script type="application/ld+json">{broken</script></head><body></body></html>"""
    ld = content.json_ld(content.parse_html(page))
    assert content.article_body(ld) == "Body text."


def test_markup_flattening_keeps_text():
    html = "<div>" * 400 + "<b>deep</b>" + "</div>" * 400 + "<p> after</p>"
    root = htmlparse.parse_fragment(html)
    assert htmlparse.tree_depth(root) <= htmlparse.MAX_DEPTH + 1
    assert root.text_content().split() == ["deep", "after"]


def test_huge_page_uses_the_densest_block():
    para = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 4 + "</p>"
    page = "<html><body><nav><a href='/'>Home</a></nav><div id='story'>" + para * 8000 + "</div></body></html>"
    tree = content.clean_tree(content.parse_html(page))
    extraction = content.extract_content(tree)
    assert extraction.method == "densest"
    assert extraction.html.startswith('<div id="story">')


# --- metadata ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ok"),
    [("Anna Petrova", True), ("JOE HILDEBRAND", True), ("Michiel de Jong", True), ("Иван Смирнов", True),
     ("肖春芳", True), ("Username", False), ("admin", False), ("Your name", False), ("Authority control", False),
     ("J J", False), ("john_doe", False), ("https://x.example/author", False), ("Posted 12 May 2024", False),
     ("Eurasia Monitor", False)],
)
def test_is_person(name, ok):
    assert metadata.is_person(name, sitename="Eurasia Monitor") is ok


def test_clean_author():
    assert metadata.clean_author("By Jane Doe, Staff Writer") == "Jane Doe"
    assert metadata.clean_author("Автор: Иван Смирнов") == "Иван Смирнов"
    assert metadata.clean_author("Written by Rob Ewaschuk Edited by Betsy Beyer") == "Rob Ewaschuk"
    assert metadata.names_from_bylines(["Anna Petrova and Marat Sultanov"], "") == ["Anna Petrova", "Marat Sultanov"]


@pytest.mark.parametrize(
    ("raw", "h1s", "expected"),
    [
        ("CSTO agrees cyber centre | Eurasia Monitor", [], "CSTO agrees cyber centre"),
        ("Eurasia Monitor - CSTO agrees cyber centre", [], "CSTO agrees cyber centre"),
        ("CSTO agrees cyber centre - Eurasia Monitor", ["CSTO agrees cyber centre"], "CSTO agrees cyber centre"),
        ("Short", [], "Short"),
        ("Q&A: what the new law means", [], "Q&A: what the new law means"),
    ],
)
def test_clean_title(raw, h1s, expected):
    assert metadata.clean_title(raw, "Eurasia Monitor", h1s) == expected


def test_parse_datetime():
    plus3 = dt.timezone(dt.timedelta(hours=3))
    assert metadata.parse_datetime("2024-05-14T09:30:00+03:00") == dt.datetime(2024, 5, 14, 9, 30, tzinfo=plus3)
    assert metadata.parse_datetime("2024-05-14T09:30:00.123+0300") == dt.datetime(2024, 5, 14, 9, 30, tzinfo=plus3)
    assert metadata.parse_datetime("2024-05-14T06:30:00Z") == dt.datetime(2024, 5, 14, 6, 30, tzinfo=dt.UTC)
    assert metadata.parse_datetime("2024-05-14 09:30:00") == dt.datetime(2024, 5, 14, 9, 30)
    assert metadata.parse_datetime("14 мая 2024, 09:30") == dt.datetime(2024, 5, 14, 9, 30)
    assert metadata.parse_datetime("None") is None
    assert metadata.parse_datetime("1887-01-01") is None


def test_metadata_priorities():
    page = """<html lang="ru-RU"><head><title>Заголовок страницы — Сайт</title>
    <meta property="og:title" content="Заголовок статьи"><meta property="og:site_name" content="Сайт">
    <meta property="dc:creator twitter:creator" content="Мария Иванова">
    <meta name="news_keywords" content="ОДКБ, безопасность"><link rel="canonical" href="/news/1">
    </head><body><h1>Заголовок статьи</h1><time itemprop="datePublished" datetime="2024-03-31T10:38:00+03:00">
    31 марта</time></body></html>"""
    md = metadata.extract_metadata(content.parse_html(page), "https://site.example/news/1?utm_source=x")
    assert md.title == "Заголовок статьи"
    assert md.sitename == "Сайт"
    assert md.authors == ["Мария Иванова"]
    assert md.keywords == ["ОДКБ", "безопасность"]
    assert md.canonical_url == "https://site.example/news/1"
    assert md.lang == "ru"
    assert md.date == dt.datetime(2024, 3, 31, 10, 38, tzinfo=dt.timezone(dt.timedelta(hours=3)))


def test_time_limit_interrupts_a_slow_step():
    start = time.perf_counter()
    with pytest.raises(TimeoutError), timeout.time_limit(0.2):
        while True:
            time.sleep(0.01)
    assert time.perf_counter() - start < 2


def test_slow_fallback_metadata_is_skipped_not_waited_for(monkeypatch):
    import trafilatura.metadata

    def slow(*args, **kwargs):
        time.sleep(30)

    monkeypatch.setattr(trafilatura.metadata, "extract_metadata", slow)
    tree = lxml.html.fromstring("<html><head><title>No date here</title></head><body><p>text</p></body></html>")
    start = time.perf_counter()
    md = metadata.extract_metadata(tree, seconds=0.3)
    assert time.perf_counter() - start < 3
    assert md.title == "No date here" and md.date is None


def test_slow_extractor_falls_back_to_the_densest_block(monkeypatch):
    monkeypatch.setattr(content, "_readability", lambda html, url: time.sleep(30) or "")
    monkeypatch.setattr(content, "EXTRACT_SECONDS", 0.3)
    page = f"<html><body><nav><a href='/'>Home</a></nav><div id='story'><p>{PROSE}</p><p>{PROSE}</p></div></body></html>"
    start = time.perf_counter()
    extraction = content.extract_content(content.clean_tree(content.parse_html(page)))
    assert time.perf_counter() - start < 3
    assert extraction.method == "densest" and PROSE.strip() in extraction.html


def test_a_page_saved_with_a_modal_open_keeps_its_article():
    page = (f"<html><body><div id='page' aria-hidden='true'><article><p>{PROSE * 3}</p></article></div>"
            "<div role='dialog'><p>Subscribe now</p></div></body></html>")
    text = content.clean_tree(content.parse_html(page)).text_content()
    assert PROSE.strip() in text and "Subscribe now" not in text


def test_inline_teasers_and_ad_labels_are_dropped():
    fragment = (f"<p>{PROSE}</p><p>Read more: <a href='/x'>Another story about the summit</a></p><p>Advertisement</p>"
                "<p>Related experts said the talks went well and more meetings were planned for the spring.</p>"
                "<p>Читайте также: <a href='/y'>Другая новость о саммите</a></p>")
    out = content.drop_inline_teasers(fragment)
    assert PROSE.strip() in out and "Related experts said" in out
    for gone in ("Read more", "Another story", "Advertisement", "Читайте также"):
        assert gone not in out
