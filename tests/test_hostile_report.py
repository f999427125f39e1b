"""The import report: one summary line, a JSON file for machines, ``--strict`` fails on any skip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BODY = (
    "The regional security council met on Friday to discuss cooperation on information security, "
    "data exchange between agencies and joint exercises planned for the autumn in the capital."
)


def invoke(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def corpus(tmp_path: Path, broken: bool) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_text(f"Title: A good article\nPublished: 1 March 2021\n\n{BODY}\n")
    (src / "copy.txt").write_text(f"Title: A good article\nPublished: 1 March 2021\n\n{BODY}\n\n")
    if broken:
        (src / "empty.html").write_text("")
        (src / "image.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    return src


def test_strict_fails_on_a_skip_with_one_line_per_file(tmp_path):
    src = corpus(tmp_path, broken=True)
    result = invoke("import", "--strict", "--src", str(src), "--content", str(tmp_path / "content"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    skipped = [ln for ln in result.stderr.splitlines() if ln.startswith("skipped ")]
    assert skipped == ["skipped empty.html: empty file", "skipped image.html: binary file (PNG image), not a scrape"]
    assert "--strict: 2 input(s) skipped" in result.stderr
    summary = [ln for ln in result.stdout.splitlines() if ln.startswith("Imported:")]
    assert len(summary) == 1
    assert summary[0].startswith("Imported: 1 new, 0 updated, 0 unchanged, 0 kept hand edits, 1 duplicates, 2 skipped")


def test_strict_passes_without_skips_and_the_json_report_says_what_happened(tmp_path):
    src = corpus(tmp_path, broken=False)
    result = invoke("import", "--strict", "--src", str(src), "--content", str(tmp_path / "content"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["counts"] == {
        "new": 1, "updated": 0, "unchanged": 0, "kept_hand_edits": 0, "duplicates": 1, "skipped": 0,
        "ignored": 0, "missing_sources": 0, "notes": 0,
    }
    assert report["new"] == ["articles/a-good-article.md"]
    assert report["duplicates"] == [{"file": "good.txt", "same_as": "copy.txt"}]  # input order: copy.txt first
    assert report["summary"].startswith("Imported: 1 new")


def test_build_strict_fails_on_a_skipped_input(tmp_path):
    src = corpus(tmp_path, broken=True)
    result = invoke("build", "--strict", "--src", str(src), "--content", str(tmp_path / "c"), "--output", str(tmp_path / "o"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o" / "index.html").exists()


def test_a_missing_source_folder_is_one_line(tmp_path):
    result = invoke("import", "--src", str(tmp_path / "nope"), "--content", str(tmp_path / "content"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [f"import failed: source folder not found: {tmp_path / 'nope'}"]


def test_content_inside_src_is_refused(tmp_path):
    src = corpus(tmp_path, broken=False)
    result = invoke("import", "--src", str(src), "--content", str(src / "content"))
    assert result.returncode != 0 and "separate folders" in result.stderr
    assert not (src / "content").exists()
