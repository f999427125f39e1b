"""Paths and writing: one slug policy, nothing outside --content, atomic writes, hand-edit digests."""

from __future__ import annotations

import os
import re

import pytest

from microsite.write import frontmatter, paths, writer

PORTABLE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Совет безопасности ОДКБ", "sovet-bezopasnosti-odkb"),
        ("Café à Genève: talks", "cafe-a-geneve-talks"),
        ("../../../etc/passwd", "etc-passwd"),
        ("/tmp/evil", "tmp-evil"),
        ("C:\\Windows\\System32", "c-windows-system32"),
        ("CON", "con-article"),
        ("lpt1", "lpt1-article"),
        ("Com¹", "com1-article"),
        ("nul", "nul-article"),
        ("a/b\\c:d*e?f\"g<h>i|j", "a-b-c-d-e-f-g-h-i-j"),
        ("Minister: 'Talks go on' 🚀", "minister-talks-go-on"),
    ],
)
def test_slugs_are_portable(title, slug):
    assert paths.slugify(title, "origin.txt") == slug


@pytest.mark.parametrize("title", ["🚀🔥💥", "", "   ", "---", "…", "!!!", "\u200b"])
def test_titles_without_letters_get_a_stable_name_from_their_origin(title):
    first = paths.slugify(title, "news/a.txt")
    assert re.fullmatch(r"article-[0-9a-f]{12}", first)
    assert paths.slugify(title, "news/a.txt") == first
    assert paths.slugify(title, "news/b.txt") != first


def test_long_titles_are_cut_at_a_word():
    slug = paths.slugify(" ".join(["Extraordinarily"] * 60))
    assert PORTABLE.fullmatch(slug) and len(slug) <= paths.MAX_SLUG
    assert not slug.endswith("-")


def test_every_slug_is_portable_whatever_the_title():
    titles = ["CON.txt", "aux.", "x" * 500, "..", ".", "-leading", "trailing-", "Ünïcödé", "中文标题", "العربية", "\x00nul"]
    for title in titles:
        slug = paths.slugify(title, title)
        assert PORTABLE.fullmatch(slug), (title, slug)
        assert slug not in WINDOWS_RESERVED


def test_colliding_slugs_get_distinct_stable_names():
    taken = {"council-meets"}
    a = paths.unique_slug("council-meets", taken, "a.txt")
    b = paths.unique_slug("council-meets", taken | {a}, "b.txt")
    assert len({"council-meets", a, b}) == 3
    assert paths.unique_slug("council-meets", taken, "a.txt") == a
    assert all(PORTABLE.fullmatch(s) for s in (a, b))


@pytest.mark.parametrize("part", ["../../x.md", "../../etc/passwd", "/etc/passwd", "a/../../../x.md"])
def test_inside_refuses_to_leave_its_root(tmp_path, part):
    with pytest.raises(ValueError, match="outside"):
        paths.inside(tmp_path / "content", "articles", part)


def test_inside_refuses_a_symlinked_folder_leading_out(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "content" / "articles").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError):
        paths.inside(tmp_path / "content", "articles", "x.md")


def test_write_if_changed_leaves_identical_files_alone(tmp_path):
    path = tmp_path / "a.md"
    assert writer.write_if_changed(path, "text\n")
    os.utime(path, (1_000_000, 1_000_000))
    assert not writer.write_if_changed(path, "text\n")
    assert path.stat().st_mtime == 1_000_000
    assert writer.write_if_changed(path, "new\n")
    assert path.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]  # no temporary files left behind


def test_write_replaces_a_symlink_instead_of_writing_through_it(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    link = tmp_path / "content" / "a.md"
    link.parent.mkdir()
    link.symlink_to(outside)
    writer.write_if_changed(link, "article\n")
    assert outside.read_text() == "precious"
    assert link.read_text() == "article\n" and not link.is_symlink()


def test_seal_detects_any_change():
    text = writer.seal(frontmatter.dump({"title": "t", "source_file": "a.txt"}, "Body."))
    assert not writer.is_hand_edited(text)
    assert writer.is_hand_edited(text.replace("Body.", "Body!"))
    assert writer.is_hand_edited(text.replace("title: t", "title: u"))
    assert writer.is_hand_edited(re.sub(r"import_digest: .*\n", "", text))


def test_scan_keeps_an_imported_file_whose_yaml_was_broken_by_hand(tmp_path):
    good = writer.seal(frontmatter.dump({"title": "t", "source_file": "a.txt", "sha256": "ab", "slug": "t"}, "Body."))
    broken = good.replace("title: t", "title: [unclosed")
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "t.md").write_text(broken)
    found, slugs, problems = writer.scan(tmp_path)
    assert found[("a.txt", "")].hand_edited
    assert "t" in slugs
    assert len(problems) == 1 and "treated as edited by hand" in problems[0]
