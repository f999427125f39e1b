"""Web archives: HTML responses become articles, everything else a crawler records is skipped."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from microsite.errors import ImportProblem
from microsite.pipeline import import_dir, normalise
from microsite.read import reader_for, warc

FIXTURES = Path(__file__).parent / "fixtures" / "warc"
EN_URL = "https://eurasia-monitor.example/security/2024/05/14/csto-cyber-centre"
RU_URL = "https://novosti-evrazii.example/2024/03/31/odkb-ucheniya"


@pytest.mark.parametrize("name", ["crawl.warc", "crawl.warc.gz"])
def test_html_responses_become_articles(name):
    assert reader_for(name) is warc.read
    items = warc.read((FIXTURES / name).read_bytes(), name)
    assert not [i for i in items if isinstance(i, ImportProblem)]
    en, ru = (normalise(a, ()) for a in items)  # image, CSS, redirect, 404, request, metadata: skipped
    assert (en.record, ru.record) == ("record 3", "record 7")
    assert en.source_url == EN_URL
    assert en.accessed == dt.date(2024, 5, 15)  # WARC-Date, not the publication date
    assert en.date.date() == dt.date(2024, 5, 14)
    assert "The centre will be based in Minsk" in en.body
    assert "Related stories" not in en.body
    # windows-1251 with the charset only in the HTTP header
    assert ru.source_url == RU_URL
    assert ru.title == "ОДКБ проведёт учения по информационной безопасности"
    assert "Организации Договора о коллективной безопасности" in ru.body


def test_damaged_archives():
    data = (FIXTURES / "crawl.warc.gz").read_bytes()
    items = warc.read(data[: len(data) * 2 // 3], "cut.warc.gz")
    assert items[0].title == "CSTO ministers agree joint cyber-incident centre"
    assert isinstance(items[-1], ImportProblem) and items[-1].record.startswith("record ")
    with pytest.raises(ImportProblem, match="not a WARC file"):
        warc.read(b"hello world\n", "notes.warc")
    with pytest.raises(ImportProblem, match="no HTML pages"):
        warc.read(data[:200], "tiny.warc.gz")


def test_import_numbers_records(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(FIXTURES / "crawl.warc.gz", src / "crawl.warc.gz")
    report = import_dir(src, tmp_path / "content", workers=1)
    assert len(report.new) == 2 and not report.skipped
    found = {}
    for md in (tmp_path / "content" / "articles").glob("*.md"):
        meta = yaml.safe_load(md.read_text("utf-8").split("---\n", 2)[1])
        found[meta["source_record"]] = meta
    assert found["record 3"]["source_url"] == EN_URL
    assert str(found["record 3"]["accessed"]) == "2024-05-15"
    assert found["record 7"]["source_file"] == "crawl.warc.gz"
