"""Incremental builds equal clean builds, byte for byte, whatever changed in between.

One site (30 generated articles) is built clean, rebuilt with every cache
warm, then changed (an edited article, a new one, a deleted one, a retitled
one) and rebuilt; after each step the output tree is compared with a fresh
clean build of the same content into another folder.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import assert_same_site, clean_build

from microsite.bench.corpus import Spec, write_corpus
from microsite.build import OUTPUT_STAMP, build_site, tree_stamp

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "pelicanconf.py"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("incremental")
    content = work / "content"
    write_corpus(content, Spec(30, seed=7))
    output = work / "output"
    first = build_site(content, output, SETTINGS, strict=True, fresh=True)
    assert first.ran
    yield work, content, output
    shutil.rmtree(first.cache, ignore_errors=True)


def articles(content: Path) -> list[Path]:
    return sorted((content / "articles").glob("*.md"))


def test_no_change_rebuild_is_skipped_and_forced_rebuild_equals_clean(site):
    work, content, output = site
    assert not build_site(content, output, SETTINGS, strict=True).ran
    mtimes = {p: p.stat().st_mtime_ns for p in output.rglob("*.html")}
    stats = last_build(build_site(content, output, SETTINGS, strict=True, force=True))
    assert stats["rendered"] == 0 and stats["kept"] > 30, stats  # page digests are stable across builds
    assert stats["articles"] == {"restored": 30, "read": 0}, stats  # articles are not read again
    untouched = [p for p, m in mtimes.items() if p.stat().st_mtime_ns == m]
    assert len(untouched) == len(mtimes), "a warm rebuild with nothing changed rewrote pages"
    assert_same_site(output, clean_build(content, work, "clean-0"))


def last_build(built) -> dict:
    return json.loads((built.cache / "microsite-last-build.json").read_text("utf-8"))


def test_a_text_edit_renders_only_the_pages_that_show_the_text(site):
    work, content, output = site
    edited = articles(content)[5]
    text = edited.read_text("utf-8")
    edited.write_text(text.replace("\n\n", "\n\nA corrected sentence about the CSTO.\n\n", 1), "utf-8")
    stats = last_build(build_site(content, output, SETTINGS, strict=True))
    # its page, its neighbours' and the pages listing it as related; no listing shows the text
    assert 1 <= stats["rendered"] <= 15 and stats["kept"] > 100, stats
    assert stats["articles"] == {"restored": 29, "read": 1}, stats
    assert_same_site(output, clean_build(content, work, "clean-text"))


def test_edited_added_deleted_and_retitled_articles(site):
    work, content, output = site
    files = articles(content)
    edited, deleted, retitled = files[3], files[10], files[20]
    text = edited.read_text("utf-8")
    edited.write_text(text.replace("\n\n", "\n\nAn added sentence about the CSTO.\n\n", 1), "utf-8")
    os.remove(deleted)
    text = retitled.read_text("utf-8")
    start = text.index("title: ")
    end = text.index("\n", start)
    retitled.write_text(text[:start] + "title: A completely new headline" + text[end:], "utf-8")
    (content / "articles" / "hand-written.md").write_text(
        "---\ntitle: A note written by hand\ndate: 2024-02-03\ntags: [CSTO, new tag]\n---\n\nShort *body*.\n",
        "utf-8",
    )
    assert build_site(content, output, SETTINGS, strict=True).ran
    assert_same_site(output, clean_build(content, work, "clean-1"))
    assert not (output / "articles" / f"{deleted.stem}.html").exists()


def test_output_damage_is_repaired(site):
    work, content, output = site
    page = next((output / "articles").glob("*.html"))
    page.write_text("damaged", "utf-8")
    (output / "stray.html").write_text("not part of the site", "utf-8")
    assert build_site(content, output, SETTINGS, strict=True).ran
    assert_same_site(output, clean_build(content, work, "clean-2"))
    assert filecmp.cmp(page, work / "clean-2" / page.relative_to(output), shallow=False)


def test_environment_read_by_the_settings_counts_as_a_change(tmp_path, monkeypatch):
    content = tmp_path / "content"
    write_corpus(content, Spec(3, seed=11))
    output = tmp_path / "output"
    publish = ROOT / "publishconf.py"
    monkeypatch.setenv("SITEURL", "https://one.example/archive")
    build_site(content, output, publish, strict=True)
    monkeypatch.setenv("SITEURL", "https://two.example/archive")
    assert build_site(content, output, publish, strict=True).ran
    sitemap = (output / "sitemap.xml").read_text("utf-8")
    assert "https://two.example/archive/" in sitemap and "one.example" not in sitemap


def test_serial_build_equals_parallel_build(site):
    """Deferred renders and jobs on worker processes write exactly what one process writes."""
    work, content, _output = site
    serial = work / "serial"
    build_site(content, serial, SETTINGS, strict=True, fresh=True, extra={"SPEED_WORKERS": "1"})
    assert_same_site(serial, clean_build(content, work, "clean-parallel"))


def test_warnings_about_a_kept_article_show_on_every_build(tmp_path):
    """An article restored from the cache repeats the warnings its reading raised (strict builds still fail)."""
    from microsite.build import BuildError

    content = tmp_path / "content"
    write_corpus(content, Spec(70, seed=3))  # enough files to be read by the worker processes
    (content / "articles" / "odd.md").write_text(
        "---\ntitle: Odd\ndate: 2024-01-01\nlang: '!!'\n---\n\nText.\n", "utf-8")
    output = tmp_path / "output"
    build_site(content, output, SETTINGS)  # warns about the language code
    with pytest.raises(BuildError):
        build_site(content, output, SETTINGS, strict=True, force=True)


def test_a_clean_rebuild_in_place_keeps_unchanged_files_and_removes_strays(site):
    """``fresh`` renders everything again without wiping the folder: unchanged files keep their
    modification time, a file no build makes is removed, and the folder equals a clean build."""
    work, content, output = site
    stray = output / "articles" / "left-over.html"
    stray.write_text("<p>not from this build</p>", "utf-8")
    old = output / "tags.html"
    os.utime(old, ns=(old.stat().st_atime_ns, old.stat().st_mtime_ns - 10**9))
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*.html") if p != stray}
    (output / "gone" / "deeper").mkdir(parents=True)  # empty folders go too
    (output / "tag" / "old-tag").mkdir(parents=True, exist_ok=True)
    (output / "tag" / "old-tag" / "index.html").write_text("<p>a tag no article has now</p>", "utf-8")
    stats = last_build(build_site(content, output, SETTINGS, strict=True, fresh=True))
    assert stats["rendered"] > 30 and stats["kept"] == 0, stats  # no digests used: everything rendered
    assert not stray.exists()
    assert not (output / "gone").exists() and not (output / "tag" / "old-tag").exists()
    assert (output / "tag").is_dir()
    rewritten = [p for p, m in before.items() if p.stat().st_mtime_ns != m]
    assert not rewritten, f"unchanged files were rewritten, e.g. {rewritten[:3]}"
    assert_same_site(output, clean_build(content, work, "clean-fresh"))


def test_the_output_digest_the_build_leaves_is_that_of_the_output(site):
    """Pelican digests the output while removing stale files; ``build_site`` keeps that digest for
    its next up-to-date check instead of walking the site again."""
    _work, content, output = site
    path = articles(content)[3]
    path.write_text(path.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    built = build_site(content, output, SETTINGS, strict=True)
    assert built.ran and (built.cache / OUTPUT_STAMP).is_file()
    state = json.loads((built.cache / "build-state.json").read_text("utf-8"))
    assert state["output"] == tree_stamp(output)
    assert not build_site(content, output, SETTINGS, strict=True).ran


def test_a_file_produced_after_the_output_digest_drops_it(tmp_path):
    from microsite.plugins import speed_jobs, speed_write

    stamp = tmp_path / OUTPUT_STAMP
    speed_jobs.reset(enabled=True)
    try:
        stamp.write_text("{}", "utf-8")
        speed_write._STAMPED[:] = [stamp, frozenset(speed_jobs.produced())]
        speed_write.confirm_stamp()
        assert stamp.exists()
        speed_write._STAMPED[:] = [stamp, frozenset(speed_jobs.produced())]
        speed_jobs.write_if_changed(tmp_path / "late.xml", "written by a receiver that ran later")
        speed_write.confirm_stamp()
        assert not stamp.exists()  # ``build_site`` walks the output itself
    finally:
        speed_jobs.reset(enabled=False)


def _tagged(slug: str, tag: str, day: str) -> str:
    return (f"---\ntitle: Notes on {slug}\ndate: '{day}T09:00:00+00:00'\nsource: BelTA\n"
            f"tags:\n- {tag}\nlang: en\nslug: {slug}\n---\n\nA note about {slug} and {tag}.\n")


def test_a_tag_renamed_by_other_articles_reaches_every_kept_article(tmp_path):
    """A free tag is shown under its most used spelling: new articles can rename it in articles
    that did not change (their citations, exports and search entries too)."""
    content = tmp_path / "content"
    (content / "articles").mkdir(parents=True)
    for i, tag in enumerate(["quokka census", "quokka-censuses", "quokka-censuses"]):
        (content / "articles" / f"n{i}.md").write_text(_tagged(f"n{i}", tag, f"2021-03-0{i + 1}"), "utf-8")
    output = tmp_path / "output"
    build_site(content, output, SETTINGS, strict=True, fresh=True)
    assert "quokka-censuses" in (output / "corpus.csv").read_text("utf-8")
    for i in (3, 4):  # now "quokka census" is the most used spelling
        (content / "articles" / f"n{i}.md").write_text(_tagged(f"n{i}", "quokka census", f"2021-03-0{i + 1}"),
                                                       "utf-8")
    assert build_site(content, output, SETTINGS, strict=True).ran
    assert "quokka-censuses" not in (output / "corpus.csv").read_text("utf-8")
    assert_same_site(output, clean_build(content, tmp_path, "clean"))
