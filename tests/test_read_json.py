"""Scraper JSON and JSON Lines: field-name variants, record numbering, broken records."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml

from microsite.errors import ImportProblem
from microsite.pipeline import import_dir, normalise
from microsite.read import scraper_json

FIXTURES = Path(__file__).parent / "fixtures" / "json"


def _read(name: str) -> list:
    return scraper_json.read((FIXTURES / name).read_bytes(), name)


def _articles(items: list) -> list:
    return [normalise(a, ()) for a in items if not isinstance(a, ImportProblem)]


def test_news_please_record():
    [article] = _articles(_read("news_please.json"))
    assert article.record == ""  # one record per file: nothing to number
    assert article.title == "CSTO ministers agree joint cyber-incident centre"
    assert article.date == dt.datetime(2024, 5, 14, 9, 30)
    assert article.accessed == dt.date(2024, 5, 15)
    assert article.authors == ["Anna Petrova"]
    assert article.source == "eurasia-monitor.example"
    assert article.source_url == "https://eurasia-monitor.example/security/csto-cyber-centre"
    assert article.lang == "en"
    # maintext is text: "1." stays a paragraph, "<b>" stays visible characters
    assert "1\\. Finland was mentioned only in passing" in article.body
    assert "&lt;b&gt;bold&lt;/b&gt;" in article.body


def test_list_under_a_container_key_with_other_field_names():
    first, second = _articles(_read("export_articles.json"))
    assert (first.record, second.record) == ("record 1", "record 2")
    assert first.title == "SCO summit opens in Astana"
    assert first.date == dt.datetime(2024, 7, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    assert first.authors == ["Dana Akhmetova"]
    assert first.source == "Kazinform"  # publisher object's name
    assert first.keywords == ["SCO", "terrorism", "extremism"]
    assert first.category == "Politics"
    assert first.source_url == "https://www.inform.kz/en/sco-summit-opens"
    assert "Leaders of the Shanghai Cooperation Organisation" in first.body
    # "Body_HTML", "Published-At" (epoch seconds), "Authors" joined with "and"
    assert second.title == "Kazakhstan adopts personal data law"
    assert second.date == dt.datetime.fromtimestamp(1720000000, tz=dt.UTC)
    assert second.authors == ["Dana Akhmetova", "Ruslan Ospanov"]
    assert "-   Fines rise" in second.body and "alert" not in second.body
    assert second.keywords == ["personal data", "Kazakhstan"]


def test_jsonl_broken_lines_are_reported_with_their_line_numbers():
    items = _read("scrapy_items.jsonl")
    problems = {p.record: p.reason for p in items if isinstance(p, ImportProblem)}
    assert set(problems) == {"line 3", "line 5", "line 7"}
    assert "not valid JSON" in problems["line 3"]
    assert "no text or html" in problems["line 5"]
    assert "JSON object" in problems["line 7"]
    articles = {a.record: a for a in _articles(items)}
    assert set(articles) == {"line 1", "line 2", "line 6"}

    page = articles["line 1"]  # a whole page in "html": extracted like a saved page
    assert page.title == "CSTO ministers agree joint cyber-incident centre"
    assert page.accessed == dt.date(2024, 5, 15)
    assert "The centre will be based in Minsk" in page.body
    assert "Related stories" not in page.body and "cookies" not in page.body

    text = articles["line 2"]
    assert text.authors == ["Gor Hakobyan"] and text.source == "Armenpress"
    assert "Armenia joined a regional exercise" in text.body and "The exercise runs for five days." in text.body

    fragment = articles["line 6"]  # "content" holding an HTML fragment, epoch "timestamp", "By" byline
    assert fragment.authors == ["Olga Ivanova"]
    assert fragment.source == "BelTA"
    assert "[cyber drill](https://www.belta.by/drill)" in fragment.body
    assert fragment.date == dt.datetime.fromtimestamp(1711886280, tz=dt.UTC)


def test_json_lines_saved_as_json_and_broken_json():
    lines = "\n".join(json.dumps({"title": f"Story {i}", "text": f"Text number {i} of the story."}) for i in (1, 2))
    items = scraper_json.read(lines.encode(), "export.json")
    assert [a.record for a in items] == ["line 1", "line 2"]
    with pytest.raises(ImportProblem, match=r"not valid JSON: .* \(line 1, column \d+\)"):
        scraper_json.read(b'{"title": "x", "text": ', "cut.json")
    with pytest.raises(ImportProblem, match="no records"):
        scraper_json.read(b"[]", "empty.json")
    with pytest.raises(ImportProblem, match="neither a record nor a list"):
        scraper_json.read(b'"just a string"', "string.json")


def test_every_record_gets_its_own_file_and_source_record(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(FIXTURES / "scrapy_items.jsonl", src / "items.jsonl")
    report = import_dir(src, tmp_path / "content", workers=1)
    assert sorted(s["file"] for s in report.skipped) == ["items.jsonl#line 3", "items.jsonl#line 5",
                                                          "items.jsonl#line 7"]
    records = set()
    for md in (tmp_path / "content" / "articles").glob("*.md"):
        meta = yaml.safe_load(md.read_text("utf-8").split("---\n", 2)[1])
        assert meta["source_file"] == "items.jsonl"
        records.add(meta["source_record"])
    assert records == {"line 1", "line 2", "line 6"}
