"""Corpus exports in the built site, for taking the collection away to analyse.

- ``corpus.csv``: one row per article, metadata columns (spreadsheet-safe:
  a cell that would start a formula gets a leading apostrophe);
- ``corpus.jsonl``: one JSON object per line, metadata plus the full text;
- ``corpus.bib``, ``corpus.ris``, ``corpus.csl.json``: the whole collection
  for reference managers, with the citation keys the article pages use;
- ``sitemap.xml``: every HTML page written (collected from Pelican's
  ``content_written`` signal, so pages from other plugins are included).

Published articles only (no drafts, no hidden ones), oldest first, so a
diff between two builds reads as additions.

Speed at research scale: each article's piece of each file (its CSV row, its
JSON line, its BibTeX/RIS/CSL-JSON entry) depends on that article alone,
except for its citation key, which is assigned over the whole collection.  The
pieces are kept from one build to the next (``speed_memo``) without the key,
which is spliced in when the files are put together; reference entries are
kept with the key they were made with and redone when the key changed.  The files are assembled from the pieces and written, only when
their bytes change, in deferred jobs (``speed_jobs``) that run beside the page
renders.  A clean build computes every piece with the same code, so the files
are the same bytes whichever way the site was built.
"""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import os
import re
from pathlib import Path
from xml.sax.saxutils import escape

from pelican import signals
from pelican.generators import Generator

from microsite.cite import formats
from microsite.plugins import citations, speed_jobs, speed_memo
from microsite.plugins.siteurl import absolute_base

logger = logging.getLogger(__name__)

COLUMNS = [
    "key", "slug", "title", "date", "modified", "accessed", "source", "source_url", "canonical_url",
    "authors", "category", "tags", "lang", "dateline", "summary", "words", "url", "source_file",
    "source_record", "sha256", "also_scraped_as",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|pre|tr|table|dd|dt|figure|div)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile("  +")
_BREAK = re.compile(r"\n\s*\n\s*")


def _paragraph_breaks(text: str) -> str:
    """Every run of white space holding two or more newlines becomes one blank line.

    The same as ``re.sub(r"\\s*\\n\\s*\\n\\s*", "\\n\\n", text)``, several times
    faster: a pattern that may start with ``\\s*`` is tried at every
    character, this one only where a newline stands (``str.isspace`` is the
    ``\\s`` of ``re``).
    """
    out, pos = [], 0
    for m in _BREAK.finditer(text):
        start = m.start()
        while start > pos and text[start - 1].isspace():
            start -= 1
        out += (text[pos:start], "\n\n")
        pos = m.end()
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def html_to_text(markup: str) -> str:
    """Plain text of sanitised article HTML, paragraphs separated by a blank line.

    Runs of spaces, tabs and no-break spaces become one space; white space
    holding a paragraph break becomes one blank line.  The spaces are first
    looked for with ``in`` (most articles have no run to fold), since a regular
    expression scanning every character is most of the cost at 10,000 articles.
    """
    text = html.unescape(_TAG.sub("", _BLOCK_END.sub("\n\n", markup or "")))
    if "\t" in text or "\u00a0" in text:
        text = text.replace("\t", " ").replace("\u00a0", " ")
    if "  " in text:
        text = _SPACES.sub(" ", text)
    return _paragraph_breaks(text).strip()


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def _key(article) -> str:
    cite = getattr(article, "cite", None)
    return cite.key if cite else ""


def _fields(article) -> dict:
    """Every column of ``record`` but the citation key: what depends on the article alone."""
    meta = citations.metadata_of(article)
    text = html_to_text(getattr(article, "_content", ""))
    return {
        "slug": article.slug,
        "title": article.title,
        "date": _iso(meta["date"]),
        "modified": _iso(meta["modified"]),
        "accessed": _iso(meta["accessed"]),
        "source": str(meta["source"] or ""),
        "source_url": str(meta["source_url"] or ""),
        "canonical_url": str(meta["canonical_url"] or ""),
        "authors": meta["authors"],
        "category": meta["category"],
        "tags": meta["tags"],
        "lang": str(meta["lang"] or ""),
        "dateline": str(meta["dateline"] or ""),
        "summary": str(meta["summary"] or ""),
        "words": len(text.split()),
        "url": article.url,
        "source_file": str(getattr(article, "source_file", "") or ""),
        "source_record": str(getattr(article, "source_record", "") or ""),
        "sha256": str(getattr(article, "sha256", "") or ""),
        "also_scraped_as": list(getattr(article, "also_scraped_as", []) or []),
        "text": text,
    }


def record(article) -> dict:
    """Metadata of one article as JSON-ready values (what the front matter said)."""
    return {"key": _key(article), **_fields(article)}


def _cell(value) -> str:
    if isinstance(value, list):
        value = "; ".join(v.get("source_file", "") if isinstance(v, dict) else str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_row(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()


def corpus_csv(records: list[dict]) -> str:
    """CSV text, header first; lists joined with "; " (the whole file at once; see ``_assemble_records``)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for rec in records:
        writer.writerow([_cell(rec[c]) for c in COLUMNS])
    return buf.getvalue()


def corpus_jsonl(records: list[dict]) -> str:
    """One JSON object per line (newlines inside strings are escaped by JSON)."""
    return "".join(json.dumps(rec, ensure_ascii=False, sort_keys=False) + "\n" for rec in records)


def published(context) -> list:
    """The published articles, oldest first."""
    return sorted(context.get("articles", []), key=lambda a: (a.date.timestamp(), a.slug))


# -- per-article pieces, kept across builds --------------------------------

_JSON_KEY = b'{"key": '


def record_pieces(article) -> tuple[bytes, bytes]:
    """The article's CSV row and JSON line without the key column (UTF-8).

    ``csv_key_cell(key) + b"," + row`` is the article's row in ``corpus.csv``
    and ``b'{"key": ' + json(key) + b", " + line`` its line in ``corpus.jsonl``:
    a CSV row is its cells joined by commas, each quoted on its own; a JSON
    object's members are joined by ", " (``json.dumps``' default separators).
    """
    return pieces_of(_fields(article))


def pieces_of(fields: dict) -> tuple[bytes, bytes]:
    """``record_pieces`` of a record without its key (``record(article)`` less ``"key"``)."""
    row = _csv_row([_cell(fields[c]) for c in COLUMNS[1:]])
    line = json.dumps(fields, ensure_ascii=False)[1:] + "\n"  # '"slug": ..., "text": ...}\n'
    return row.encode("utf-8"), line.encode("utf-8")


def _is_plain(key: str) -> bool:
    return key.isascii() and key.isalnum()  # assign_keys' keys: never quoted or escaped, never a formula


def csv_key_cell(key: str) -> bytes:
    """The key column's cell as the csv module writes it inside a row."""
    if _is_plain(key):
        return key.encode("ascii")
    cell = _cell(key)
    return _csv_row([cell])[:-2].encode("utf-8") if cell else b""  # a lone empty cell would be written '""'


def json_key(key: str) -> bytes:
    """The key as a JSON string (``json.dumps``, non-ASCII kept)."""
    return b'"' + key.encode("ascii") + b'"' if _is_plain(key) else json.dumps(key, ensure_ascii=False).encode("utf-8")


def _assemble_records(articles, memo, kept: tuple[bytes, dict] | None = None, joined: bool = True) -> tuple:
    """``corpus.csv`` and ``corpus.jsonl`` of ``articles`` (in order), and where each article's JSON
    line (without its key) is in the latter, by ``speed_memo.memo_key``.

    CSV rows come from ``memo`` (kept with the tags they show: made again when another article
    renamed one); JSON lines, which hold each article's whole text, from the last build's file
    (``kept``: its bytes and that build's positions), not from a memo: loading 100 MB of lines
    at every build cost more than putting the file together.  With ``joined`` false the two files
    come as lists of parts (lines as views of the last file: nothing copied).
    """
    text, spans = kept if kept is not None else (b"", {})
    view = memoryview(text)
    csv_parts = [_csv_row(COLUMNS).encode("utf-8")]
    jsonl_parts = []
    where: dict = {}
    position = 0
    for article in articles:
        tags = citations.shown_tags(article)
        made: list[tuple[bytes, bytes]] = []

        def make(a=article, t=tags, into=made) -> tuple:
            into.append(record_pieces(a))
            return t, into[-1][0]

        mkey = speed_memo.memo_key(article)
        got = memo.get(article, make, key=mkey)
        if got[0] != tags:
            got = memo.replace(article, make(), key=mkey)
        row = got[1]
        span = spans.get(mkey) if mkey is not None and not made else None
        line = view[span[0]:span[1]] if span is not None else (made[-1] if made else record_pieces(article))[1]
        key = _key(article)
        prefix = _JSON_KEY + json_key(key) + b", "
        csv_parts += (csv_key_cell(key), b",", row)
        jsonl_parts += (prefix, line)
        position += len(prefix)
        if mkey is not None:
            where[mkey] = (position, position + len(line))
        position += len(line)
    if not joined:
        return csv_parts, jsonl_parts, where
    return b"".join(csv_parts), b"".join(jsonl_parts), where


LINES_RECORD = "microsite-corpus-lines.pickle"


def _lines_record(settings: dict) -> Path | None:
    cache = settings.get("CACHE_PATH")
    return Path(cache) / LINES_RECORD if cache and settings.get("CACHE_CONTENT") else None


def _file_stamp(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return str(path), st.st_size, st.st_mtime_ns


def kept_lines(settings: dict, path: Path) -> tuple[bytes, dict] | None:
    """The last build's ``corpus.jsonl`` and where its lines are, when the file is as it left it."""
    record = _lines_record(settings)
    if record is None or not settings.get("LOAD_CONTENT_CACHE"):
        return None
    data = speed_memo.read_kept(record)
    stamp = _file_stamp(path)
    if not data or stamp is None or data.get("file") != stamp or not isinstance(data.get("spans"), dict):
        return None
    try:
        return path.read_bytes(), data["spans"]
    except OSError:
        return None


def keep_lines(settings: dict, path: Path, spans: dict) -> None:
    """Record where each article's line is in the ``corpus.jsonl`` just written (for ``kept_lines``)."""
    record, stamp = _lines_record(settings), _file_stamp(path)
    if record is not None and stamp is not None:
        speed_memo.write_kept(record, {"file": stamp, "spans": spans})


def reference_pieces(ref) -> tuple[bytes, bytes, bytes | None]:
    """One reference's BibTeX entry, RIS record and CSL-JSON array item as in the collection files.

    The CSL-JSON item is cut out of ``formats.csl_json([ref])`` (indented as
    inside the array); None when that text does not have the array's shape.
    """
    csl = formats.csl_json([ref])
    item = csl[2:-3] if csl.startswith("[\n") and csl.endswith("\n]\n") else None
    return (formats.bibtex(ref).encode("utf-8"), formats.ris(ref).encode("utf-8"),
            item.encode("utf-8") if item is not None else None)


def _join_references(head: bytes, bibs: list[bytes], riss: list[bytes], csls: list[bytes]) -> tuple[bytes, ...]:
    csl = b"[\n" + b",\n".join(csls) + b"\n]\n" if csls else formats.csl_json([]).encode("utf-8")
    return head + b"\n".join(bibs), b"\n".join(riss), csl


def _assemble_references(articles, memo, comment: str) -> tuple[bytes, bytes, bytes]:
    """``corpus.bib``, ``corpus.ris`` and ``corpus.csl.json`` from memoised entries.

    A reference is made from its article's front matter and tags, and its key
    depends on the collection: each memo entry is ``[made_from, bib, ris, csl]``
    (the citation's ``made_from``: its pieces' digest and key) and is made
    again, and kept for the next build, when the citation is another now.  The
    joined files equal ``formats``' own collection functions; this is checked
    on the first two references each build, and should the formats ever
    disagree with the joining, the collection functions make the files.
    """
    cited = [a for a in articles if getattr(a, "cite", None)]
    bibs, riss, csls = [], [], []
    for article in cited:
        cite = article.cite  # (its reference is unpickled only when its entry is made again)
        entry = memo.get(article, lambda: [None, b"", b"", None])
        if entry[0] != cite.made_from:  # another key, or another reference (a tag renamed)
            entry = memo.replace(article, [cite.made_from, *reference_pieces(cite.ref)])
        bibs.append(entry[1])
        riss.append(entry[2])
        csls.append(entry[3])
    head = formats.bibtex_collection([], comment=comment).encode("utf-8")
    sample = [a.cite.ref for a in cited[:2]]
    expected = (formats.bibtex_collection(sample, comment=comment), formats.ris_collection(sample),
                formats.csl_json(sample))
    joined = _join_references(head, bibs[:2], riss[:2], csls[:2]) if None not in csls[:2] else None
    if None in csls or joined != tuple(t.encode("utf-8") for t in expected):
        logger.debug("exports: reference pieces do not join into the collection formats; formatting whole")
        refs = [a.cite.ref for a in cited]
        return (formats.bibtex_collection(refs, comment=comment).encode("utf-8"),
                formats.ris_collection(refs).encode("utf-8"), formats.csl_json(refs).encode("utf-8"))
    return _join_references(head, bibs, riss, csls)


DOWNLOADS = [
    ("corpus.csv", "CSV", "one row per article"),
    ("corpus.jsonl", "JSON Lines", "metadata and full text"),
    ("corpus.bib", "BibTeX", "the whole collection"),
    ("corpus.ris", "RIS", "the whole collection"),
    ("corpus.csl.json", "CSL-JSON", "the whole collection"),
]


class ExportsGenerator(Generator):
    """Writes the corpus files at the site root (in deferred jobs, see the module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.context["CORPUS_DOWNLOADS"] = DOWNLOADS  # the templates link only what is written

    def generate_context(self) -> None:
        # Deferred while contexts are built (after the articles'), so the jobs start as soon as every
        # generator has read its content and run beside Pelican's output phase (speed_jobs.start_early).
        articles = published(self.context)
        for article in articles:  # memo keys worked out here once, for every job forked later (feeds too)
            speed_memo.source_stamp(getattr(article, "source_path", None))
            speed_memo.links_elsewhere(article)
        settings, out = self.settings, Path(self.output_path)
        site = str(settings.get("SITENAME", ""))
        n_refs = sum(1 for a in articles if getattr(a, "cite", None))
        comment = f"{site}: {n_refs} articles"

        def records() -> None:
            with speed_memo.no_gc():
                kept = kept_lines(settings, out / "corpus.jsonl")
                csv_parts, jsonl_parts, spans = _assemble_records(
                    articles, speed_memo.memo(settings, "exports-rows"), kept, joined=False)
            speed_jobs.write_if_changed(out / "corpus.csv", csv_parts)
            if speed_jobs.write_if_changed(out / "corpus.jsonl", jsonl_parts) or kept is None or spans != kept[1]:
                keep_lines(settings, out / "corpus.jsonl", spans)

        def references() -> None:
            with speed_memo.no_gc():
                memo = speed_memo.memo(settings, "exports-references")
                bib, ris, csl = _assemble_references(articles, memo, comment)
            speed_jobs.write_if_changed(out / "corpus.bib", bib)
            speed_jobs.write_if_changed(out / "corpus.ris", ris)
            speed_jobs.write_if_changed(out / "corpus.csl.json", csl)

        # Costs (CPU seconds) are rough: a clean build computes every piece, a rebuild joins them.
        warm = bool(settings.get("LOAD_CONTENT_CACHE") and settings.get("CACHE_CONTENT"))
        speed_jobs.defer(records, cost=(3e-5 if warm else 2e-4) * len(articles), name="exports-records")
        speed_jobs.defer(references, cost=(2e-5 if warm else 1e-4) * len(articles), name="exports-references")


# -- sitemap --------------------------------------------------------------

_written: dict[str, str] = {}
_roots: dict[str, str] = {}


def reset(pelican) -> None:
    _written.clear()
    _roots.clear()


def _relative(path: str, output: str) -> str | None:
    """``path`` relative to the output folder (posix), None outside it.

    Pelican hands out ``abspath(join(OUTPUT_PATH, name))``, so a prefix test
    settles almost every page; anything else is resolved on disk.
    """
    root = _roots.get(output)
    if root is None:
        root = _roots[output] = os.path.join(os.path.abspath(output), "")
    if path.startswith(root) and os.sep == "/":
        return path[len(root):]
    try:
        return Path(path).resolve().relative_to(Path(output).resolve()).as_posix()
    except ValueError:
        return None


def remember(path: str, context=None) -> None:
    """Note each HTML file Pelican writes, with the date it last changed."""
    path = str(path)
    if not path.endswith(".html") or context is None:
        return
    rel = _relative(path, str(context.get("OUTPUT_PATH", "")))
    if rel is None or rel.startswith("drafts/"):
        return
    article = context.get("article")
    _written[rel] = citations.last_changed(article).date().isoformat() if article is not None else ""


def sitemap_xml(entries: dict[str, str], base: str) -> str:
    """A sitemaps.org urlset; ``loc`` is absolute when the site URL is known."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for rel in sorted(entries):
        loc = f"{base}/{rel}" if base else rel
        lastmod = f"<lastmod>{entries[rel]}</lastmod>" if entries[rel] else ""
        lines.append(f"  <url><loc>{escape(loc)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def write_sitemap(pelican) -> None:
    """After every generator ran: ``sitemap.xml`` at the site root (rewritten only when it changed)."""
    out = Path(pelican.settings["OUTPUT_PATH"])
    speed_jobs.write_if_changed(out / "sitemap.xml", sitemap_xml(_written, absolute_base(pelican.settings)))


def get_generators(pelican):
    """Register the generator."""
    return ExportsGenerator


def register() -> None:
    """Pelican plugin entry point."""
    signals.get_generators.connect(get_generators)
    signals.initialized.connect(reset)
    signals.content_written.connect(remember)
    signals.finalized.connect(write_sitemap)
