"""Per-article citation files: written once, then kept until their article, key or bytes on disk change.

``write_citation_files`` is the deferred job of the citations plugin; it is
run here directly on references, as a build would run it after the first.
"""

from __future__ import annotations

import json
import os

import pytest

from microsite.cite import assign_keys, formats, from_metadata, with_key
from microsite.plugins import speed_jobs
from microsite.plugins.citations import write_citation_files


@pytest.fixture
def setup(tmp_path):
    speed_jobs.reset(enabled=False)
    out = tmp_path / "output"
    refs = assign_keys(from_metadata({"title": f"Summit number {i}", "source": "BelTA", "date": f"2021-03-{i + 1:02d}"})
                       for i in range(4))
    entries = [((f"articles/a{i}.md", 100, i, None), ref, [str(out / f"articles/a{i}{ext}") for ext in (".bib", ".ris", ".csl.json")])
               for i, ref in enumerate(refs)]
    return out, tmp_path / "cache" / "record.pickle", entries


def mtimes(out) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (out / "articles").iterdir()}


def test_files_are_written_then_kept(setup):
    out, record, entries = setup
    assert write_citation_files(entries, str(out), record, load=True) == 4
    ref = entries[2][1]
    assert (out / "articles/a2.bib").read_text("utf-8") == formats.bibtex(ref)
    assert (out / "articles/a2.ris").read_text("utf-8") == formats.ris(ref)
    assert (out / "articles/a2.csl.json").read_text("utf-8") == formats.csl_json([ref])
    before = mtimes(out)
    speed_jobs.reset()
    assert write_citation_files(entries, str(out), record, load=True) == 0
    assert mtimes(out) == before
    assert all(speed_jobs.is_produced(path) for _stamp, _ref, paths in entries for path in paths)


def test_changed_article_key_or_file_is_redone(setup):
    out, record, entries = setup
    write_citation_files(entries, str(out), record, load=True)
    stamp, ref, paths = entries[0]
    entries[0] = ((stamp[0], 200, *stamp[2:]), ref, paths)  # the article's file changed (same reference)
    stamp, ref, paths = entries[1]
    entries[1] = (stamp, with_key(ref, "other2021"), paths)  # its key changed
    os.remove(entries[2][2][1])  # a deleted .ris
    (out / "articles/a3.bib").write_text("damaged", "utf-8")
    assert write_citation_files(entries, str(out), record, load=True) == 4
    assert "other2021" in (out / "articles/a1.bib").read_text("utf-8")
    assert (out / "articles/a3.bib").read_text("utf-8") == formats.bibtex(entries[3][1])
    assert (out / "articles/a2.ris").is_file()
    assert write_citation_files(entries, str(out), record, load=True) == 0


def test_record_is_ignored_without_cache_or_for_another_output(setup, tmp_path):
    out, record, entries = setup
    write_citation_files(entries, str(out), record, load=True)
    assert write_citation_files(entries, str(out), record, load=False) == 4  # --ignore-cache
    other = tmp_path / "elsewhere"
    moved = [(stamp, ref, [p.replace(str(out), str(other)) for p in paths]) for stamp, ref, paths in entries]
    assert write_citation_files(moved, str(other), record, load=True) == 4
    assert write_citation_files(entries, str(out), None, load=True) == 4  # no cache folder: no record


def test_csl_json_is_what_the_json_module_writes():
    hostile = {"title": 'Quote " backslash \\ </script> \u2028 tab\t \x00 émoji 🙂', "source": "BelTA",
               "authors": ["Ivan Ivanov", "Staff reporter"], "date": "2021-03-31T10:38:00+03:00",
               "tags": ["CSTO", "cyber, threats"], "summary": "Line\nbreak", "source_url": "https://x.example/a?b=1&c=2"}
    refs = assign_keys([from_metadata(hostile), from_metadata({"title": "Bare"})])
    items = [formats.csl(r) for r in refs]
    assert formats.csl_json(refs) == json.dumps(items, ensure_ascii=False, indent=2) + "\n"
    assert formats.csl_json([]) == json.dumps([], indent=2) + "\n"
    odd = [{}, [], [[]], {"a": {}}, {1: "int key"}, {"n": [1, 2.5, True, None, float("inf")]}, ("t", 1)]
    assert formats._indented(odd, "\n") == json.dumps(odd, ensure_ascii=False, indent=2)
