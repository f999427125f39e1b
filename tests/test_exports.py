"""Corpus exports (CSV, JSON Lines, BibTeX, RIS, CSL-JSON), Atom feeds and the sitemap."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import bibtexparser
import feedparser
import rispy
from conftest import RESEARCH, ROOT

from microsite.build import build_site
from microsite.pipeline import import_dir

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _article_pages(site: Path) -> list[Path]:
    return sorted((site / "articles").glob("*.html"))


def _csv_rows(site: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((site / "corpus.csv").read_text("utf-8"), newline="")))


def test_csv_has_one_row_per_article(research_site):
    rows = _csv_rows(research_site)
    assert len(rows) == len(_article_pages(research_site)) == 30
    assert {(research_site / r["url"]).is_file() for r in rows} == {True}
    seed = next(r for r in rows if r["source_file"] == "000_2434bbe934104fab.txt")
    assert seed["source"] == "BelTA" and seed["date"].startswith("2021-03-31T10:38") and seed["lang"] == "en"
    assert seed["sha256"] == "152bed293b7f7330c7ef949961183e1821265ee626595b73aa67c354c707c5d3"
    assert "information security" in seed["tags"].split("; ")
    assert int(seed["words"]) > 400
    undated = next(r for r in rows if r["slug"] == "undated-note")
    assert undated["date"] == "" and undated["modified"] == ""


def test_csv_cells_never_start_a_formula(research_site):
    rows = _csv_rows(research_site)
    formula = next(r for r in rows if r["slug"] == "formula-title")
    assert formula["title"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_jsonl_has_metadata_and_full_text(research_site):
    lines = (research_site / "corpus.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == len(_article_pages(research_site))
    by_slug = {r["slug"]: r for r in records}
    seed = by_slug["csto-countries-discuss-information-security-measures"]
    assert seed["text"].startswith("MOSCOW, 31 March (BelTA) - A meeting of the heads")
    assert "\n\n" in seed["text"] and "<p>" not in seed["text"]
    assert isinstance(seed["tags"], list) and seed["key"] == "belta2021csto"
    # JSON keeps the title exactly (the CSV guard is for spreadsheets only)
    assert by_slug["formula-title"]["title"] == '=HYPERLINK("http://evil.example","click")'
    dated = [datetime.fromisoformat(r["date"]) for r in records if r["date"]]
    assert dated == sorted(dated) and records[-1]["slug"] == "undated-note"  # oldest first


def test_collection_reference_files(research_site):
    lib = bibtexparser.parse_string((research_site / "corpus.bib").read_text("utf-8"))
    assert not lib.failed_blocks
    keys = [e.key for e in lib.entries]
    assert len(keys) == len(set(keys)) == 30
    per_article = bibtexparser.parse_string((research_site / "articles" / "hostile-title.bib").read_text("utf-8"))
    assert per_article.entries[0].key in keys
    ris = rispy.loads((research_site / "corpus.ris").read_text("utf-8"))
    assert len(ris) == 30 and {r["type_of_reference"] for r in ris} == {"NEWS"}
    csl = json.loads((research_site / "corpus.csl.json").read_text("utf-8"))
    assert len(csl) == 30 and sorted(i["id"] for i in csl) == sorted(keys)


def test_site_and_tag_feeds_parse(research_site):
    feed = feedparser.parse((research_site / "feeds" / "all.atom.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert len(feed.entries) == 30
    assert feed.entries[0].published.startswith("2022-12")  # newest first
    assert feed.entries[-1].title == "Undated note on the CSTO secretariat" and "published" not in feed.entries[-1]
    for entry in feed.entries:
        assert (research_site / "feeds" / entry.link).resolve().is_file(), entry.link
        assert entry.id.startswith("urn:uuid:")
    tag = feedparser.parse((research_site / "feeds" / "tag" / "border-security.atom.xml").read_bytes())
    assert not tag.bozo and len(tag.entries) == 22
    assert {t.term for e in tag.entries for t in e.tags} == {"border security"}


def test_sitemap_lists_every_page(research_site):
    root = ET.parse(research_site / "sitemap.xml").getroot()
    locs = {u.findtext("sm:loc", namespaces=SITEMAP_NS) for u in root.findall("sm:url", SITEMAP_NS)}
    pages = {p.relative_to(research_site).as_posix() for p in research_site.rglob("*.html")}
    assert locs == pages
    lastmod = {u.findtext("sm:loc", namespaces=SITEMAP_NS): u.findtext("sm:lastmod", namespaces=SITEMAP_NS)
               for u in root.findall("sm:url", SITEMAP_NS)}
    assert lastmod["articles/csto-countries-discuss-information-security-measures.html"] == "2021-03-31"


def test_absolute_site_url_gives_absolute_feed_and_sitemap_urls(tmp_path):
    """Published with SITEURL (publishconf): feeds, sitemap and og:url become absolute; the build stays strict."""
    content, output = tmp_path / "content", tmp_path / "output"
    import_dir(RESEARCH, content, ROOT / "taxonomy.yml")
    build_site(content, output, ROOT / "publishconf.py", strict=True, extra={"SITEURL": '"https://example.org/press"'})
    feed = feedparser.parse((output / "feeds" / "all.atom.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == 5
    assert all(e.link.startswith("https://example.org/press/articles/") for e in feed.entries)
    root = ET.parse(output / "sitemap.xml").getroot()
    assert all(u.findtext("sm:loc", namespaces=SITEMAP_NS).startswith("https://example.org/press/")
               for u in root.findall("sm:url", SITEMAP_NS))
    html = (output / "articles" / "csto-countries-discuss-information-security-measures.html").read_text("utf-8")
    assert 'property="og:url" content="https://example.org/press/articles/csto-countries' in html
    assert 'href="../theme/css/main.css"' in html  # the site's own links stay relative
