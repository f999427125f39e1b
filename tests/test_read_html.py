"""Saved web pages: charsets, main content, metadata, MHTML, and the import end to end."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from microsite.errors import ImportProblem
from microsite.normalise.markdown import html_to_markdown
from microsite.pipeline import import_dir, normalise
from microsite.read import html as html_reader
from microsite.read import mhtml, reader_for
from microsite.read.encoding import declared_charset, decode_html

FIXTURES = Path(__file__).parent / "fixtures" / "html"
RU_PAGES = [
    "ru_cp1251_declared.html",
    "ru_cp1251_undeclared.html",
    "ru_utf8_undeclared.html",
    "ru_utf8_bom.html",
    "ru_utf8_mislabelled.html",
    "ru_koi8r_declared.html",
    "ru_utf16_bom.html",
]


def _read(name: str):
    article = html_reader.read((FIXTURES / name).read_bytes(), name)[0]
    return normalise(article, ())


@pytest.fixture(scope="module")
def news_en():
    return _read("news_en.html")


# --- charsets ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", RU_PAGES)
def test_russian_page_decodes_in_every_encoding(name):
    article = _read(name)
    assert article.title == "ОДКБ проведёт учения по информационной безопасности"
    assert "Организации Договора о коллективной безопасности" in article.body
    assert "сотрудничество в сфере информационной безопасности" in article.body
    assert "Ð" not in article.body and "Ã" not in article.body and "\ufffd" not in article.body
    assert article.lang == "ru"
    assert article.source == "Новости Евразии"
    assert article.authors == ["Иван Смирнов"]


def test_declared_charset_is_found_in_meta_and_http_equiv():
    assert declared_charset(b'<html><head><meta charset="windows-1251">') == "cp1251"
    assert declared_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R">') == "koi8-r"
    assert declared_charset(b"<meta charset=latin1>") == "cp1252"  # WHATWG: latin1 means windows-1252
    assert declared_charset(b'<meta charset="no-such-charset">') == ""


def test_decoding_rules():
    ru = "Привет, мир: безопасность".encode("cp1251")
    assert decode_html(b"<meta charset=windows-1251><p>" + ru)[0].endswith("Привет, мир: безопасность")
    # A UTF-8 page mislabelled as windows-1251 (a scraper re-encoded it) is read as UTF-8.
    utf8 = "Привет".encode()
    assert decode_html(b"<meta charset=windows-1251><p>" + utf8)[0].endswith("Привет")
    # A page that says UTF-8 but is windows-1251 is detected, not turned into replacement characters.
    long_ru = ("Государства члены организации проведут совместные учения. " * 20).encode("cp1251")
    text, codec = decode_html(b'<meta charset="utf-8"><p>' + long_ru)
    assert "Государства члены" in text and codec == "cp1251"
    # The transport's charset (a WARC's HTTP header) wins over detection.
    assert decode_html("Привет".encode("koi8-r"), "koi8-r")[0] == "Привет"
    assert decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9")[0] == "<p>café"
    with pytest.raises(ImportProblem, match="binary"):
        decode_html(b"\x00\x01\x02\x00" * 300)


# --- main content --------------------------------------------------------------------------

KEPT = [
    "Defence ministers of the Collective Security Treaty Organization agreed on Tuesday",
    "The centre will be based in Minsk",
    "## Exercises planned for autumn",
    "1.  Protecting power grids",
    "3.  Training national response teams",
    "1\\. Finland and Sweden were mentioned only in passing",
    "> Information security is now part of collective security.",
    "| Armenia | 12 |",
    "*Defence ministers met in Moscow on Tuesday.*",
    "![Ministers at the table in Moscow](https://eurasia-monitor.example/media/2024/ministers.jpg)",
    "threats &amp; vulnerabilities",
    "used &lt;script&gt; injection",
    "[full text of the agreement](https://eurasia-monitor.example/documents/agreement.pdf)",
    "and in this statement.",
]
DROPPED = [
    "cookies", "Accept", "Politics", "Opinion", "Search", "Share on Twitter", "Share this article", "Telegram",
    "Related stories", "SCO summit opens", "Comments (2)", "very long comment", "guest123", "Most read",
    "Subscribe to our newsletter", "All rights reserved", "Privacy policy", "Hidden text", "tracking",
    "javascript:", "<script", "By Anna Petrova", "14 May 2024, 09:30", "Home",
]


@pytest.mark.parametrize("snippet", KEPT)
def test_article_text_is_kept(news_en, snippet):
    assert snippet in news_en.body


@pytest.mark.parametrize("snippet", DROPPED)
def test_boilerplate_is_dropped(news_en, snippet):
    assert snippet not in news_en.body


def test_title_is_not_repeated_in_the_body(news_en):
    assert news_en.title not in news_en.body


def test_metadata(news_en):
    assert news_en.title == "CSTO ministers agree joint cyber-incident centre"  # not "... | Eurasia Monitor"
    assert news_en.date == dt.datetime(2024, 5, 14, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert news_en.modified == dt.datetime(2024, 5, 14, 12, 5, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert news_en.authors == ["Anna Petrova", "Marat Sultanov"]  # JSON-LD people, not meta "Username"
    assert news_en.source == "Eurasia Monitor"
    assert news_en.source_url == "https://eurasia-monitor.example/security/2024/05/14/csto-cyber-centre"
    assert news_en.category == "Security"
    assert news_en.keywords == ["CSTO", "cybersecurity", "information security"]
    assert news_en.description.startswith("Defence ministers of the CSTO agreed")
    assert news_en.lang == "en"


def test_page_without_declared_metadata_falls_back_to_what_is_printed():
    page = """<html><head><title>Belarus hosts drills - Minsk Herald</title></head><body>
    <div class="menu"><a href="/">Home</a></div>
    <h1>Belarus hosts drills</h1><p class="byline">By Olga Ivanova | 3 June 2024</p>
    <p>Belarus hosted a cyber-defence drill on Monday with teams from five countries taking part in the exercise.</p>
    <p>The organisers said the drill would be repeated every year from now on, with more countries invited.</p>
    </body></html>"""
    article = html_reader.article_from_html(page)
    assert article.title == "Belarus hosts drills"
    assert article.authors == ["Olga Ivanova"]
    assert article.date is not None and article.date.date() == dt.date(2024, 6, 3)


def test_form_labels_and_handles_are_not_authors():
    page = """<html><head><title>Drills</title><meta name="author" content="admin"></head><body><article>
    <h1>Drills</h1><span class="author">Username</span><p>A long enough paragraph about the drills that took
    place on Monday in the capital, with several teams taking part and observers from abroad.</p></article>
    </body></html>"""
    assert html_reader.article_from_html(page).authors == []


def test_saved_from_comment_gives_the_page_url_for_links():
    page = ("<!-- saved from url=(0041)https://news.example/world/2024/story.html -->\n<html><head><title>Story"
            "</title></head><body><article><h1>Story</h1><p>Text with a <a href='../photos/1.html'>relative link"
            "</a> inside a paragraph long enough to count as the article body of this page.</p></article></body></html>")
    article = normalise(html_reader.article_from_html(page), ())
    assert "[relative link](https://news.example/world/photos/1.html)" in article.body


# --- hostile and broken pages --------------------------------------------------------------


def test_deep_nesting_keeps_its_text_without_recursion_error():
    page = "<html><head><title>Deep</title></head><body>" + "<div>" * 5000 + "<p>Deep text survives here, all of it, in one piece.</p>" \
        + "</div>" * 5000 + "</body></html>"
    article = normalise(html_reader.article_from_html(page), ())
    assert "Deep text survives here, all of it, in one piece." in article.body


def test_page_without_text_is_one_clear_problem():
    with pytest.raises(ImportProblem, match="no article text"):
        page = "<html><head><title>Empty</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
        normalise(html_reader.article_from_html(page), ())
    with pytest.raises(ImportProblem):
        html_reader.read(b"   <!-- nothing -->  ", "empty.html")


@pytest.mark.parametrize(
    "data",
    [bytes(range(256)) * 50, b"<html><frameset><frame src='a.html'></frameset></html>", b"<!-- nothing -->",
     b"<p>\x01\x02 control \x07 characters in a paragraph long enough to be the body of a small article</p>"],
)
def test_odd_bytes_give_an_article_or_one_problem(data):
    try:
        normalise(html_reader.read(data, "odd.html")[0], ())
    except ImportProblem as problem:
        assert problem.reason and "\n" not in problem.reason


def test_page_with_a_huge_inline_script_still_imports():
    page = ("<html><head><title>Scripted</title><script>" + "var x = 1;" * 1_200_000 + "</script></head><body><p>"
            + "Real article text here. " * 20 + "</p></body></html>")
    article = html_reader.article_from_html(page)
    assert "Real article text here." in html_to_markdown(article.html)


# --- MHTML ---------------------------------------------------------------------------------


def test_mhtml_single_file_page():
    article = mhtml.read((FIXTURES / "ru_saved_page.mhtml").read_bytes(), "ru_saved_page.mhtml")[0]
    article = normalise(article, ())
    assert article.title == "ОДКБ проведёт учения по информационной безопасности"
    assert article.source_url == "https://novosti-evrazii.example/2024/03/31/odkb-ucheniya"
    assert article.accessed == dt.date(2024, 4, 2)
    assert "Организации Договора о коллективной безопасности" in article.body
    with pytest.raises(ImportProblem):
        mhtml.read(b"just some text, not an archive", "x.mhtml")


# --- through the pipeline ------------------------------------------------------------------


def test_suffixes_are_registered():
    for name in ("a.html", "b.HTM", "c.json", "d.jsonl", "e.warc", "f.warc.gz", "g.mhtml"):
        assert reader_for(name) is not None, name


def test_import_writes_front_matter_and_safe_markdown(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("news_en.html", "ru_cp1251_undeclared.html", "ru_saved_page.mhtml"):
        shutil.copy(FIXTURES / name, src / name)
    (src / "broken.html").write_bytes(b"\x00\x01\x02\x03" * 500)
    report = import_dir(src, tmp_path / "content", workers=1)
    assert len(report.new) == 2
    # The MHTML holds the same Russian article as the windows-1251 page: one file, the other recorded in it.
    assert [d["file"] for d in report.duplicates] == ["ru_saved_page.mhtml"]
    assert [s["file"] for s in report.skipped] == ["broken.html"]
    metas = {}
    for md in (tmp_path / "content" / "articles").glob("*.md"):
        _, head, body = md.read_text("utf-8").split("---\n", 2)
        meta = yaml.safe_load(head)
        metas[meta["source_file"]] = (meta, body)
        assert "<script" not in body and "javascript:" not in body
    meta, body = metas["news_en.html"]
    assert meta["title"] == "CSTO ministers agree joint cyber-incident centre"
    assert meta["authors"] == ["Anna Petrova", "Marat Sultanov"]
    assert meta["source"] == "Eurasia Monitor"
    assert "1\\. Finland" in body
    assert metas["ru_cp1251_undeclared.html"][0]["lang"] == "ru"


def test_site_built_from_every_format(tmp_path):
    from conftest import make_site

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(FIXTURES / "news_en.html", src / "news_en.html")
    shutil.copy(FIXTURES / "ru_cp1251_declared.html", src / "ru.html")
    shutil.copy(FIXTURES.parent / "json" / "export_articles.json", src / "export.json")
    shutil.copy(FIXTURES.parent / "warc" / "crawl.warc.gz", src / "crawl.warc.gz")
    output = make_site(src, tmp_path / "site")
    page = (output / "articles" / "csto-ministers-agree-joint-cyber-incident-centre.html").read_text("utf-8")
    assert "The centre will be based in Minsk" in page
    assert "<li>Protecting power grids</li>" in page
    assert "<p>1. Finland and Sweden" in page
    assert "&lt;script&gt; injection" in page
    assert "javascript:alert" not in page and "Related stories" not in page and "Accept all cookies" not in page
    pages = "".join(p.read_text("utf-8") for p in (output / "articles").glob("*.html"))
    assert "SCO summit opens in Astana" in pages and "Kazakhstan adopts personal data law" in pages
    assert "ОДКБ проведёт учения по информационной безопасности" in pages


def test_a_short_note_outside_the_navigation_is_an_article():
    page = (
        "<html><head><title>Test</title></head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        "<article><h1>Test</h1><p>abc def ghi</p></article></body></html>"
    )
    article = normalise(html_reader.article_from_html(page), ())
    assert "abc def ghi" in article.body
