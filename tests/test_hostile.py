"""The hostile corpus through ``invoke import``: every file imports correctly or is skipped with one line.

``tests/fixtures/hostile/`` holds the text-shaped cases (XSS payloads in every format, front
matter traps, path traps, charsets, dates, duplicates); binary, compressed, UTF-16, linked,
special and huge files are generated here.  The import runs once, as a user runs it (the
``invoke`` CLI in a child process), and each file gets its own assertions.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from microsite import intake
from microsite.pipeline import process_file
from microsite.write import frontmatter

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
BODY = (
    "The regional security council met on Friday to discuss cooperation on information security, "
    "data exchange between agencies and joint exercises planned for the autumn in the capital."
)
PAGE = (
    "<!DOCTYPE html><html><head><meta charset='{charset}'><title>{title}</title></head><body><article>"
    "<h1>{title}</h1><p>{body}</p><p>{body2}</p></article></body></html>"
)
RU = "Министры иностранных дел обсудили вопросы информационной безопасности и сотрудничества на заседании совета в Москве."


def page(title: str, charset: str = "utf-8", body: str = BODY) -> str:
    return PAGE.format(title=title, charset=charset, body=body, body2=body.replace("Friday", "Monday"))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """``invoke import ...`` as a user types it."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", "import", *args], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def write_warc(path: Path, url: str, html: bytes) -> None:
    """A one-response web archive, as a crawler writes it."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html), http_headers=headers))


def generate(src: Path, outside: Path) -> None:
    """The cases that cannot live in a fixture folder: binary, compressed, special, linked."""
    gen = src / "generated"
    gen.mkdir()
    rng = random.Random(7)
    (gen / "empty.html").write_bytes(b"")
    (gen / "blank.txt").write_bytes(b"  \n\t\r\n   \n")
    (gen / "bom-only.html").write_bytes(b"\xef\xbb\xbf  \n \xe2\x80\x8b ")
    (gen / "png.html").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.randbytes(3000))
    (gen / "random.html").write_bytes(rng.randbytes(5000))
    (gen / "gzipped.html").write_bytes(gzip.compress(page("Gzip body saved by wget").encode()))
    (gen / "page.html.gz").write_bytes(gzip.compress(page("Compressed file name").encode()))
    (gen / "corrupt-gzip.html").write_bytes(b"\x1f\x8b\x08\x00" + rng.randbytes(400))
    (gen / "nul-bytes.txt").write_bytes(f"Title: Stray NUL bytes\nPublished: 2 March 2021\n\n{BODY}".replace("council", "coun\x00cil").encode())
    (gen / "utf16.html").write_bytes(page("Заседание в Минске", "utf-16", RU).encode("utf-16"))
    (gen / "utf16-nobom.txt").write_bytes(f"Title: Без метки порядка байтов\nДата: 31 марта 2021\n\n{RU}\n".encode("utf-16-le"))
    (gen / "deep.html").write_text(
        "<html><head><title>Deeply nested page</title></head><body>" + "<div>" * 5000
        + f"<p>{BODY}</p><p>{BODY.replace('Friday', 'Sunday')}</p>" + "</div>" * 5000 + "</body></html>"
    )
    archived = (src / "xss" / "page-payloads.html").read_bytes().replace(b"Border talks continue", b"Archived border talks")
    write_warc(gen / "payload.warc.gz", "https://news.example.com/2021/03/31/border-talks", archived.replace(b"Friday", b"Thursday"))
    os.mkfifo(gen / "fifo.txt")
    (gen / "new\nline.txt").write_text("")  # a newline in a file name must not split its skip line
    (gen / os.fsdecode(b"caf\xe9-latin1-name.txt")).write_text(f"Title: Latin-1 file name\nPublished: 3 March 2021\n\n{BODY}\n")
    (outside / "secret.txt").write_text(f"Title: Secret outside the source folder\n\n{BODY} OUTSIDE-MARKER\n")
    (outside / "folder").mkdir()
    (outside / "folder" / "inner.txt").write_text(f"Title: Inner outside file\n\n{BODY} OUTSIDE-FOLDER-MARKER\n")
    (gen / "outside-link.txt").symlink_to(outside / "secret.txt")
    (gen / "outside-folder").symlink_to(outside / "folder")
    (gen / "inside-link.txt").symlink_to(src / "dates" / "russian.txt")
    (gen / "dangling.txt").symlink_to(src / "does-not-exist.txt")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The hostile corpus imported once through the CLI."""
    base = tmp_path_factory.mktemp("hostile")
    src, outside = base / "src", base / "outside"
    shutil.copytree(HOSTILE, src, symlinks=True)
    outside.mkdir()
    generate(src, outside)
    result = run_cli("--src", str(src), "--content", str(base / "content"), "--report", str(base / "report.json"))
    report = json.loads((base / "report.json").read_text("utf-8"))
    articles = {}
    for md in (base / "content" / "articles").glob("*.md"):
        meta, body = frontmatter.load(md.read_text("utf-8"))
        origin = meta["source_file"] + (f"#{meta['source_record']}" if meta.get("source_record") else "")
        articles[origin] = (meta, body, md)
    return {"base": base, "src": src, "result": result, "report": report, "articles": articles}


def article(corpus, origin: str):
    assert origin in corpus["articles"], f"{origin} was not imported; skipped: {corpus['report']['skipped']}"
    return corpus["articles"][origin]


def skip_reason(corpus, origin: str) -> str:
    reasons = [s["reason"] for s in corpus["report"]["skipped"] if s["file"] == origin]
    assert len(reasons) == 1, f"{origin} should be skipped once, report: {corpus['report']['skipped']}"
    return reasons[0]


def assert_no_raw_html(body: str) -> None:
    """The Markdown holds no tag a renderer would pass through and no unsafe link target."""
    prose = re.sub(r"`[^`]*`", "", body)
    assert not re.search(r"<\s*/?\s*[A-Za-z!?]", prose), body
    assert not re.search(r"(?<!\\)\]\(\s*<?\s*(?:javascript|vbscript|data):", prose, re.I), body
    assert not re.search(r"^\s*\[[^\]]+\]:\s*(?:javascript|vbscript|data):", prose, re.I | re.M), body


# --- the run as a whole ---------------------------------------------------------------------------------------


def test_the_import_succeeds_without_a_traceback(corpus):
    result = corpus["result"]
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert re.search(r"^Imported: \d+ new, 0 updated, 0 unchanged, 0 kept hand edits, \d+ duplicates, \d+ skipped", result.stdout, re.M)


def test_each_skip_is_exactly_one_line_naming_the_file(corpus):
    lines = [ln for ln in corpus["result"].stderr.splitlines() if ln.startswith("skipped ")]
    assert len(lines) == len(corpus["report"]["skipped"]) > 0
    for entry in corpus["report"]["skipped"]:
        assert sum(ln.startswith(f"skipped {intake.shown(entry['file'])}: ") for ln in lines) == 1, entry
        assert entry["reason"] and "\n" not in entry["reason"]


def test_nothing_is_lost_silently(corpus):
    """Every input with a reader is an article, a duplicate or a skip (refused links included)."""
    src: Path = corpus["src"]
    inputs = {
        intake.relative_name(p, src)
        for p in src.rglob("*")
        if intake.has_reader(p) and not p.is_dir() and not any(part.startswith(".") for part in p.parts)
    }
    accounted = {o.split("#")[0] for o in corpus["articles"]}
    accounted |= {d["file"].split("#")[0] for d in corpus["report"]["duplicates"]}
    accounted |= {s["file"].split("#")[0] for s in corpus["report"]["skipped"]}
    assert inputs - accounted == set()


def test_nothing_is_written_outside_content(corpus):
    base: Path = corpus["base"]
    made = {p.relative_to(base).parts[0] for p in base.rglob("*")}
    assert made == {"src", "outside", "content", "report.json"}
    assert {p.parent.name for p in (base / "content").rglob("*.md")} == {"articles"}
    assert not [p for p in base.rglob("*pwned*") if p.parent.name != "articles"]
    assert not Path("/tmp/pwned").exists()


# --- sanitising ---------------------------------------------------------------------------------------


def test_text_scrape_payloads_become_text(corpus):
    meta, body, _ = article(corpus, "xss/text-payloads.txt")
    assert meta["title"] == "Ministers meet on cyber security"
    assert "source_url" not in meta
    assert meta["source"] == "Example News"
    assert meta["authors"] == ["Jane Roe"]
    assert all("<" not in t and "onload" not in t for t in meta.get("tags", []))
    assert_no_raw_html(body)
    assert "&lt;script&gt;" in body  # shown as text, not dropped: the scrape said it


CODE_SAMPLE = "`<script>window.__xss=1</script>`"


def test_html_page_payloads_are_removed(corpus):
    meta, body, _ = article(corpus, "xss/page-payloads.html")
    assert meta["title"] == "Border talks continue"
    assert meta["authors"] == ["Ivan Petrov"]
    assert "[the report](https://example.org/report)" in body
    assert_no_raw_html(body)
    assert CODE_SAMPLE in body  # the page shows this as text; it must stay text (a code span)
    for word in ("window.__xss", "frame text", "object text", "svg link", "ontoggle", "onerror"):
        assert word not in body.replace(CODE_SAMPLE, "")
    assert "<" not in meta.get("summary", "") and "onerror" not in meta.get("summary", "")


def test_warc_payloads_are_removed(corpus):
    (origin,) = [o for o in corpus["articles"] if o.startswith("generated/payload.warc.gz#")]
    meta, body, _ = article(corpus, origin)
    assert meta["title"] == "Archived border talks"
    assert meta["source_url"] == "https://news.example.com/2021/03/31/border-talks"
    assert_no_raw_html(body)
    assert "window.__xss" not in body.replace(CODE_SAMPLE, "") and "frame text" not in body


def test_json_record_fields_are_plain_text_and_urls_http(corpus):
    meta, body, _ = article(corpus, "xss/records.json#record 1")
    assert meta["title"] == "Summit ends with joint statement"
    assert "source_url" not in meta
    assert "Bob Jones" in meta["authors"] and all("<" not in a and "onerror" not in a for a in meta["authors"])
    assert meta["source"] == "Daily Wire Service"
    assert all("<" not in t for t in meta.get("tags", []))
    assert_no_raw_html(body)
    meta, body, _ = article(corpus, "xss/records.json#record 2")
    assert meta["source_url"] == "https://news.example.com/2021/04/03/drills"
    assert "canonical_url" not in meta
    assert not {"status", "save_as", "template"} & set(meta) and meta["slug"] == "joint-drills-announced"
    assert meta.get("lang", "en") == "en"
    assert meta["category"] == "World"
    assert_no_raw_html(body)
    meta, body, _ = article(corpus, "xss/records.jsonl#line 1")
    assert meta["title"] == "Talks resume"  # bidi override and <svg onload> gone
    assert_no_raw_html(body)


def test_broken_json_records_are_skipped_one_by_one(corpus):
    assert "JSON object" in skip_reason(corpus, "xss/records.jsonl#line 2")
    assert skip_reason(corpus, "xss/records.jsonl#line 3")
    assert "JSON" in skip_reason(corpus, "xss/records.jsonl#line 4")


# --- front matter -----------------------------------------------------------------------------------------

TITLES = {
    "yes": "yes", "null": "null", "colon": "a: b", "hash": "#x", "dash": "- y", "dashes": "---",
    "status-draft": "status: draft", "python-tag": "!!python/object/apply:os.system ['touch /tmp/pwned']",
    "jinja": "{{ 7*7 }} and {% if true %}x{% endif %}", "quotes": "'single' and \"double\" quotes",
    "true": "True", "tilde": "~", "number": "1e3", "date-like": "2021-03-31", "anchor": "&anchor *alias",
}


@pytest.mark.parametrize(("name", "title"), TITLES.items())
def test_tricky_titles_round_trip(corpus, name, title):
    meta, _, md = article(corpus, f"frontmatter/{name}.txt")
    assert meta["title"] == title
    assert "status" not in meta
    assert meta["date"] == "2021-02-01"
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", md.stem)


def test_front_matter_inside_a_scrape_is_never_our_metadata(corpus):
    meta, _, md = article(corpus, "frontmatter/smuggled.txt")
    assert not {"status", "save_as", "url", "template"} & set(meta)
    assert meta.get("lang", "en") == "en"
    assert meta["slug"] == md.stem and re.fullmatch(r"[a-z0-9-]+", md.stem)
    assert "source_url" not in meta


# --- paths ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "slug"),
    [
        ("paths/cyrillic.txt", "sovet-bezopasnosti-odkb-obsudil-informatsionnuiu-bezopasnost"),
        ("paths/reserved-con.txt", "con-article"),
        ("paths/reserved-lpt1.txt", "lpt1-article"),
        ("paths/traversal.txt", "etc-passwd"),
        ("paths/absolute.txt", "tmp-evil"),
        ("paths/windows.txt", "c-windows-system32-evil"),
    ],
)
def test_slugs_from_hostile_titles(corpus, origin, slug):
    meta, _, md = article(corpus, origin)
    assert md.stem == meta["slug"] == slug


def test_emoji_and_long_titles_get_portable_names(corpus):
    _, _, md = article(corpus, "paths/emoji.txt")
    assert re.fullmatch(r"article-[0-9a-f]{12}", md.stem)
    _, _, md = article(corpus, "paths/long.txt")
    assert len(md.stem) <= 80 and re.fullmatch(r"[a-z-]+", md.stem)


def test_same_title_different_articles_both_survive(corpus):
    (_, body_a, a), (_, body_b, b) = article(corpus, "paths/same-title-a.txt"), article(corpus, "paths/same-title-b.txt")
    assert a != b and body_a != body_b
    assert a.stem == "council-meets" and b.stem.startswith("council-meets-")


def test_unicode_file_names_are_recorded_exactly(corpus):
    meta, _, _ = article(corpus, "paths/новость 1 (копия).txt")
    assert meta["title"] == "Unicode file name"


def test_file_names_that_are_not_utf8_or_hold_newlines(corpus):
    meta, _, _ = article(corpus, "generated/caf\ufffd-latin1-name.txt")
    assert meta["title"] == "Latin-1 file name"
    assert "skipped generated/new\\nline.txt: empty file" in corpus["result"].stderr.splitlines()


def test_symlinks_out_of_src_are_not_followed(corpus):
    assert "outside" in skip_reason(corpus, "generated/outside-link.txt")
    assert "outside" in skip_reason(corpus, "generated/outside-folder")
    assert "broken" in skip_reason(corpus, "generated/dangling.txt")
    text = "".join(p.read_text("utf-8") for p in (corpus["base"] / "content").rglob("*.md"))
    assert "OUTSIDE-MARKER" not in text and "OUTSIDE-FOLDER-MARKER" not in text


def test_a_symlink_inside_src_is_read_as_a_duplicate(corpus):
    assert {"file": "generated/inside-link.txt", "same_as": "dates/russian.txt"} in corpus["report"]["duplicates"]


# --- broken input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "reason"),
    [
        ("generated/empty.html", "empty"),
        ("generated/blank.txt", "empty"),
        ("generated/bom-only.html", "empty"),
        ("generated/png.html", "binary"),
        ("generated/random.html", "binary"),
        ("generated/corrupt-gzip.html", "gzip"),
        ("generated/fifo.txt", "not a regular file"),
        ("broken/navigation.html", "navigation"),
        ("broken/frameset.html", ""),
    ],
)
def test_broken_files_are_skipped_with_a_reason(corpus, origin, reason):
    assert reason in skip_reason(corpus, origin)


@pytest.mark.parametrize(
    ("origin", "title"),
    [
        ("generated/gzipped.html", "Gzip body saved by wget"),
        ("generated/page.html.gz", "Compressed file name"),
        ("generated/nul-bytes.txt", "Stray NUL bytes"),
        ("generated/utf16.html", "Заседание в Минске"),
        ("generated/utf16-nobom.txt", "Без метки порядка байтов"),
        ("generated/deep.html", "Deeply nested page"),
        ("broken/latin1.html", "Café à Genève"),
        ("broken/mislabelled.html", "Заседание совета"),
        ("broken/mojibake.txt", "Café talks in Genève"),
    ],
)
def test_awkward_files_import_correctly(corpus, origin, title):
    meta, body, md = article(corpus, origin)
    assert meta["title"] == title
    text = md.read_text("utf-8")
    assert "\x00" not in text and "\ufffd" not in text and "Ã" not in text
    assert len(body.split()) >= 12


def test_deep_nesting_keeps_the_text(corpus):
    _, body, _ = article(corpus, "generated/deep.html")
    assert "Sunday" in body and "Friday" in body


def test_unreadable_file_is_one_problem(tmp_path, monkeypatch):
    """Tests run as root, where chmod 000 does not stop reading: the failure is simulated."""
    (tmp_path / "locked.txt").write_text(f"Title: Locked\n\n{BODY}\n")
    real = Path.read_bytes

    def deny(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    (problem,) = process_file(tmp_path / "locked.txt", tmp_path, None)
    assert problem.reason == "cannot read file: Permission denied"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads chmod-000 files; see the simulated test")
def test_chmod_000_file_is_one_problem(tmp_path):
    locked = tmp_path / "locked.txt"
    locked.write_text(f"Title: Locked\n\n{BODY}\n")
    locked.chmod(0)
    (problem,) = process_file(locked, tmp_path, None)
    assert "Permission denied" in problem.reason


def test_a_20_mb_page_imports(tmp_path):
    """Generated, never committed: a 20 MB saved page is one long article, not a crash or a skip."""
    para = f"<p>{BODY}</p>\n"
    n = 20 * 1024 * 1024 // len(para)
    (tmp_path / "huge.html").write_text(page("A very long report").replace(f"<p>{BODY}</p>", para * n))
    (result,) = process_file(tmp_path / "huge.html", tmp_path, None)
    assert result.title == "A very long report", getattr(result, "reason", "")
    assert len(result.body) > 15 * 1024 * 1024


# --- dates -----------------------------------------------------------------------------------------------


def notes_for(corpus, origin: str) -> str:
    return " ".join(n for n in corpus["report"]["notes"] if n.startswith(origin + ":"))


def test_missing_date_imports_without_inventing_one(corpus):
    meta, _, _ = article(corpus, "dates/missing.txt")
    assert "date" not in meta
    assert "no publication date" in notes_for(corpus, "dates/missing.txt")


def test_ambiguous_date_is_read_and_reported(corpus):
    meta, _, _ = article(corpus, "dates/ambiguous.txt")
    assert meta["date"] in ("2021-03-04", "2021-04-03")
    assert "ambiguous" in notes_for(corpus, "dates/ambiguous.txt")


def test_future_date_is_left_out_and_reported(corpus):
    meta, _, _ = article(corpus, "dates/future.txt")
    assert "date" not in meta
    assert "future" in notes_for(corpus, "dates/future.txt")


def test_date_only_in_the_url(corpus):
    meta, _, _ = article(corpus, "dates/url-only.txt")
    assert meta["date"] == "2021-03-31"
    assert "URL" in notes_for(corpus, "dates/url-only.txt")


def test_russian_date(corpus):
    meta, _, _ = article(corpus, "dates/russian.txt")
    assert meta["date"].startswith("2021-03-31")


# --- duplicates ------------------------------------------------------------------------------------------


def test_duplicates_are_merged_into_the_first_articles_provenance(corpus):
    meta, _, _ = article(corpus, "duplicates/original.txt")
    also = {d["source_file"] for d in meta["also_scraped_as"]}
    assert also == {"duplicates/tracking.txt", "duplicates/whitespace.txt"}
    tracked = next(d for d in meta["also_scraped_as"] if d["source_file"] == "duplicates/tracking.txt")
    assert "fbclid" in tracked["source_url"] and len(tracked["sha256"]) == 64
    assert "duplicates/tracking.txt" not in corpus["articles"]
    assert "duplicates/whitespace.txt" not in corpus["articles"]


def test_files_no_reader_takes_are_listed_as_ignored(tmp_path):
    from microsite.pipeline import import_dir

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "src" / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "src" / "a.txt").write_text(f"Title: Kept\nPublished: 1 March 2021\n\n{BODY}\n")
    report = import_dir(tmp_path / "src", tmp_path / "content", workers=1)
    assert report.ignored == ["notes.pdf"] and len(report.new) == 1 and not report.skipped


def _crash_on_marked_files(path, src, taxonomy_path):
    """Stands in for a reader whose C library kills the process on one file."""
    if path.name.startswith("crash"):
        os._exit(3)
    return _REAL_PROCESS_FILE(path, src, taxonomy_path)


_REAL_PROCESS_FILE = process_file


@pytest.mark.skipif(__import__("multiprocessing").get_start_method() != "fork", reason="needs fork to inherit the stand-in")
def test_a_worker_that_dies_costs_only_its_own_file(tmp_path, monkeypatch):
    from microsite import pipeline

    src = tmp_path / "src"
    src.mkdir()
    for i in range(20):
        (src / f"a{i:02}.txt").write_text(f"Title: Story number {i}\nPublished: 1 March 2021\n\n{BODY} Story {i}.\n")
    (src / "crash.txt").write_text(f"Title: Crashes the reader\n\n{BODY}\n")
    monkeypatch.setattr(pipeline, "process_file", _crash_on_marked_files)
    report = pipeline.import_dir(src, tmp_path / "content", workers=2)
    assert report.skipped == [{"file": "crash.txt", "reason": "the reader crashed on this file (its worker process died)"}]
    assert len(report.new) == 20


def test_text_after_an_embed_is_kept(corpus):
    _, body, _ = article(corpus, "xss/page-payloads.html")
    assert "The talks will continue next week" in body
    assert "stays visible as text" in body
