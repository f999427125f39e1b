"""Front matter: every value round-trips through the emitter and the safe loader, and no value
can change another key, the article's status or where Pelican writes it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from microsite.pipeline import import_dir
from microsite.write import frontmatter

NASTY = [
    "yes", "no", "null", "~", "true", "False", "a: b", "#x", "- y", "---", "...", "? q", "! tag", "&anchor", "*alias",
    "%directive", "@at", "`tick", "|", ">", "'quoted'", '"double"', "1e3", "0x1F", "0o17", ".inf", "NaN",
    "2021-03-31", "12:30", "status: draft", "title: other", "!!python/object/apply:os.system ['touch /tmp/pwned']",
    "line one\nline two", "line\n---\nstatus: draft", "trailing space ", " leading", "tab\there",
    "unicode: Совет безопасности 🚀", "\u2028separator", "{{ 7*7 }}", "{% raw %}", "<script>alert(1)</script>",
    "back\\slash", "key:\n  nested: value", "",
]
BODY = (
    "The regional security council met on Friday to discuss cooperation on information security, "
    "data exchange between agencies and joint exercises planned for the autumn in the capital."
)


@pytest.mark.parametrize("value", NASTY)
def test_every_value_round_trips(value):
    meta = {"title": value, "summary": value, "authors": [value, "Jane Roe"], "status": "published", "slug": "s"}
    text = frontmatter.dump(meta, "Body text.")
    loaded, body = frontmatter.load(text)
    assert loaded.get("title", "") == value
    assert loaded.get("summary", "") == value
    assert loaded["authors"] == [value, "Jane Roe"]
    assert loaded["status"] == "published"
    assert loaded["slug"] == "s"
    assert body.strip() == "Body text."


def test_dates_keep_their_offset():
    date = dt.datetime(2021, 3, 31, 10, 38, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    loaded, _ = frontmatter.load(frontmatter.dump({"title": "t", "date": date}, "b"))
    assert loaded["date"] == "2021-03-31T10:38:00+03:00"


def test_python_tags_build_nothing_and_leave_other_keys_alone():
    text = (
        "---\n"
        "title: !!python/object/apply:os.system ['touch /tmp/pwned-by-yaml']\n"
        "status: published\n"
        "extra: !!python/name:os.system\n"
        "date: 2021-03-31\n"
        "---\n\nBody\n"
    )
    meta, body = frontmatter.load(text)
    assert meta["title"] == ["touch /tmp/pwned-by-yaml"]
    assert meta["extra"] == "" and meta["status"] == "published"
    assert meta["date"] == dt.date(2021, 3, 31)
    assert not Path("/tmp/pwned-by-yaml").exists()
    assert body.strip() == "Body"


def test_a_body_line_of_dashes_does_not_end_or_start_front_matter():
    text = frontmatter.dump({"title": "t"}, "para\n\n---\n\nstatus: draft\n")
    meta, body = frontmatter.load(text)
    assert meta == {"title": "t"}
    assert "status: draft" in body


def test_invalid_yaml_is_an_error_with_a_line():
    with pytest.raises(frontmatter.FrontMatterError, match="line"):
        frontmatter.load("---\ntitle: [unclosed\n---\nbody\n")


@pytest.mark.parametrize(
    "title",
    ["yes", "null", "a: b", "#x", "- y", "---", "status: draft", "!!python/object/apply:os.system ['id']", "~", "True"],
)
def test_imported_titles_come_back_exactly(tmp_path, title):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(f"Title: {title}\nPublished: 1 February 2021\n\n{BODY}\n", "utf-8")
    import_dir(src, tmp_path / "content")
    (md,) = (tmp_path / "content" / "articles").glob("*.md")
    meta, _ = frontmatter.load(md.read_text("utf-8"))
    assert meta["title"] == title
    assert "status" not in meta
    assert meta["source_file"] == "a.txt"
    assert meta["date"] == "2021-02-01"


def test_a_newline_in_a_scraped_title_is_folded_not_a_new_key(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    record = '{"url": "https://news.example.com/2021/02/03/x", "title": "First\\n---\\nstatus: draft\\nslug: ../../x", "text": "%s", "date": "2021-02-03"}'
    (src / "r.json").write_text(record % BODY, "utf-8")
    import_dir(src, tmp_path / "content")
    (md,) = (tmp_path / "content" / "articles").glob("*.md")
    meta, _ = frontmatter.load(md.read_text("utf-8"))
    assert meta["title"] == "First --- status: draft slug: ../../x"
    assert "status" not in meta
    assert meta["slug"] == md.stem == "first-status-draft-slug-x"
