"""Re-importing: unchanged inputs change no byte and no mtime; changes update; hand edits are never lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from microsite.pipeline import import_dir
from microsite.write import frontmatter

ROOT = Path(__file__).resolve().parent.parent
OLD = 1_000_000_000  # an mtime far in the past: any write shows


def text_scrape(title: str, extra: str = "") -> str:
    return (
        f"Title: {title}\nURL: https://news.example.com/2021/03/01/{abs(hash(title)) % 10_000}\nPublished: 1 March 2021\n\n"
        f"The council discussed {title.lower()} at length on Friday, with ministers from seven states agreeing on next steps. {extra}\n"
        f"Officials said the talks on {title.lower()} would continue in the capital next week, according to a statement.\n"
    )


@pytest.fixture
def site(tmp_path):
    src, content = tmp_path / "src", tmp_path / "content"
    src.mkdir()
    (src / "a.txt").write_text(text_scrape("Alpha talks"))
    (src / "b.txt").write_text(text_scrape("Bravo summit"))
    (src / "c.txt").write_text(text_scrape("Charlie accord"))
    records = [
        {"url": "https://news.example.com/2021/03/02/delta", "title": "Delta drills", "text": text_scrape("Delta drills").split("\n\n", 1)[1], "date": "2021-03-02"},
        {"url": "https://news.example.com/2021/03/03/echo", "title": "Echo exercise", "text": text_scrape("Echo exercise").split("\n\n", 1)[1], "date": "2021-03-03"},
    ]
    (src / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    first = import_dir(src, content, workers=1)
    assert len(first.new) == 5
    return src, content


def snapshot(content: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under content (hidden ones too), with its bytes and mtime, after ageing the mtimes."""
    files = {}
    for p in sorted(content.rglob("*")):
        if p.is_file():
            os.utime(p, (OLD, OLD))
            files[p.relative_to(content).as_posix()] = (p.read_bytes(), p.stat().st_mtime_ns)
    return files


def state(content: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(content).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(content.rglob("*")) if p.is_file()}


def hand_edit(content: Path, name: str, old: str, new: str) -> tuple[Path, str]:
    """Edit ``articles/<name>.md`` as a person would; returns the file and its new text."""
    md = content / "articles" / f"{name}.md"
    edited = md.read_text().replace(old, new)
    assert edited != md.read_text()
    md.write_text(edited)
    return md, edited


def test_second_import_changes_no_file(site):
    src, content = site
    before = snapshot(content)
    report = import_dir(src, content, workers=1)
    assert (len(report.new), len(report.updated), len(report.unchanged)) == (0, 0, 5)
    assert state(content) == before


def test_the_report_lives_outside_content(site):
    _, content = site
    report = json.loads((content.parent / "import-report.json").read_text())
    assert report["counts"]["new"] == 5 and "summary" in report
    assert not [p for p in content.rglob("*") if "report" in p.name]


def test_changed_input_updates_only_its_article_and_keeps_its_name(site):
    src, content = site
    before = snapshot(content)
    (src / "a.txt").write_text(text_scrape("Alpha talks").replace("Title: Alpha talks", "Title: Alpha talks resumed") + "\nA new closing paragraph was added by the publisher after the talks ended on Friday.\n")
    report = import_dir(src, content, workers=1)
    assert report.updated == ["articles/alpha-talks.md"] and not report.new
    after = state(content)
    assert after["articles/alpha-talks.md"] != before["articles/alpha-talks.md"]
    meta, body = frontmatter.load((content / "articles" / "alpha-talks.md").read_text())
    assert meta["title"] == "Alpha talks resumed" and "closing paragraph" in body
    assert {k: v for k, v in after.items() if k != "articles/alpha-talks.md"} == {
        k: v for k, v in before.items() if k != "articles/alpha-talks.md"
    }


def test_hand_edit_is_kept_and_the_changed_scrape_reported(site):
    src, content = site
    md, edited = hand_edit(content, "bravo-summit", "The council discussed", "The council (corrected by hand) discussed")
    (src / "b.txt").write_text(text_scrape("Bravo summit", "The publisher changed this sentence."))
    report = import_dir(src, content, workers=1)
    assert md.read_text() == edited
    assert report.kept_hand_edits == [{"file": "articles/bravo-summit.md", "source_file": "b.txt", "scrape_changed": True}]
    assert any("b.txt" in n and "edited by hand" in n for n in report.notes)
    # Next time still kept, and still reported: the article rests on an older scrape.
    again = import_dir(src, content, workers=1)
    assert md.read_text() == edited
    assert again.kept_hand_edits == report.kept_hand_edits


def test_hand_edit_with_an_unchanged_scrape_is_kept_quietly(site):
    src, content = site
    md, edited = hand_edit(content, "echo-exercise", "title: Echo exercise", "title: Echo exercise (edited)")
    report = import_dir(src, content, workers=1)
    assert md.read_text() == edited
    assert report.kept_hand_edits == [{"file": "articles/echo-exercise.md", "source_file": "records.jsonl#line 2", "scrape_changed": False}]
    assert not any("edited by hand" in n for n in report.notes)


def test_hand_edit_that_breaks_the_yaml_is_kept_without_a_second_copy(site):
    src, content = site
    md, broken = hand_edit(content, "bravo-summit", "title: Bravo summit", "title: [Bravo summit")
    report = import_dir(src, content, workers=1)
    assert md.read_text() == broken
    assert len(list((content / "articles").glob("bravo*.md"))) == 1
    assert [k["file"] for k in report.kept_hand_edits] == ["articles/bravo-summit.md"]


def test_deleted_input_leaves_its_article_and_is_reported(site):
    src, content = site
    before = snapshot(content)
    (src / "c.txt").unlink()
    report = import_dir(src, content, workers=1)
    assert report.missing_sources == [{"file": "articles/charlie-accord.md", "source_file": "c.txt"}]
    assert "1 sources gone" in report.summary()
    assert state(content) == before


def test_hand_written_articles_are_never_touched_and_keep_their_slug(site):
    src, content = site
    mine = content / "articles" / "my-notes.md"
    mine.write_text("---\ntitle: Foxtrot findings\ndate: 2021-04-01\n---\n\nMy own notes.\n")
    before = snapshot(content)
    (src / "f.txt").write_text(text_scrape("Foxtrot findings"))
    report = import_dir(src, content, workers=1)
    assert report.new == ["articles/foxtrot-findings-" + report.new[0].split("-")[-1]]
    assert state(content)["articles/my-notes.md"] == before["articles/my-notes.md"]


def test_a_new_duplicate_never_displaces_the_existing_article(site):
    src, content = site
    before = snapshot(content)
    # Sorts before a.txt and holds the same article with tracking parameters in its URL.
    url_line = next(ln for ln in (src / "a.txt").read_text().splitlines() if ln.startswith("URL:"))
    (src / "0-copy.txt").write_text((src / "a.txt").read_text().replace(url_line, url_line + "?utm_source=x&fbclid=y"))
    report = import_dir(src, content, workers=1)
    assert not report.new and report.updated == ["articles/alpha-talks.md"]
    assert report.duplicates == [{"file": "0-copy.txt", "same_as": "a.txt"}]
    meta, _ = frontmatter.load((content / "articles" / "alpha-talks.md").read_text())
    assert [d["source_file"] for d in meta["also_scraped_as"]] == ["0-copy.txt"]
    assert set(state(content)) == set(before)


def test_cli_reports_everything_on_one_line_each(site):
    src, content = site
    md = content / "articles" / "bravo-summit.md"
    md.write_text(md.read_text() + "\nAdded by hand.\n")
    (src / "b.txt").write_text(text_scrape("Bravo summit", "Changed."))
    (src / "c.txt").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "import", "--src", str(src), "--content", str(content)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.strip().splitlines()
    assert out[-1].startswith("Imported: 0 new, 0 updated, 3 unchanged, 1 kept hand edits, 0 duplicates, 0 skipped, 1 sources gone")
    assert "kept articles/charlie-accord.md: its source c.txt is gone" in result.stderr
    assert "b.txt: the scrape changed but articles/bravo-summit.md was edited by hand; kept the edit" in result.stderr
