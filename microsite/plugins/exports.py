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
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path
from xml.sax.saxutils import escape

from pelican import signals
from pelican.generators import Generator

from microsite.cite import formats
from microsite.plugins import citations
from microsite.plugins.siteurl import absolute_base

COLUMNS = [
    "key", "slug", "title", "date", "modified", "accessed", "source", "source_url", "canonical_url",
    "authors", "category", "tags", "lang", "dateline", "summary", "words", "url", "source_file",
    "source_record", "sha256", "also_scraped_as",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BLOCK_END = re.compile(r"</(?:p|h[1-6]|li|blockquote|pre|tr|table|dd|dt|figure|div)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(markup: str) -> str:
    """Plain text of sanitised article HTML, paragraphs separated by a blank line."""
    text = html.unescape(_TAG.sub("", _BLOCK_END.sub("\n\n", markup or "")))
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\s*\n\s*\n\s*", "\n\n", text).strip()


def _iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def record(article) -> dict:
    """Metadata of one article as JSON-ready values (what the front matter said)."""
    meta = citations.metadata_of(article)
    cite = getattr(article, "cite", None)
    text = html_to_text(getattr(article, "_content", ""))
    return {
        "key": cite.ref.key if cite else "",
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


def _cell(value) -> str:
    if isinstance(value, list):
        value = "; ".join(v.get("source_file", "") if isinstance(v, dict) else str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def corpus_csv(records: list[dict]) -> str:
    """CSV text, header first; lists joined with "; "."""
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


DOWNLOADS = [
    ("corpus.csv", "CSV", "one row per article"),
    ("corpus.jsonl", "JSON Lines", "metadata and full text"),
    ("corpus.bib", "BibTeX", "the whole collection"),
    ("corpus.ris", "RIS", "the whole collection"),
    ("corpus.csl.json", "CSL-JSON", "the whole collection"),
]


class ExportsGenerator(Generator):
    """Writes the corpus files at the site root."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.context["CORPUS_DOWNLOADS"] = DOWNLOADS  # the templates link only what is written

    def generate_output(self, writer) -> None:
        articles = published(self.context)
        records = [record(a) for a in articles]
        refs = [a.cite.ref for a in articles if getattr(a, "cite", None)]
        site = str(self.settings.get("SITENAME", ""))
        files = {
            "corpus.csv": corpus_csv(records),
            "corpus.jsonl": corpus_jsonl(records),
            "corpus.bib": formats.bibtex_collection(refs, comment=f"{site}: {len(refs)} articles"),
            "corpus.ris": formats.ris_collection(refs),
            "corpus.csl.json": formats.csl_json(refs),
        }
        out = Path(self.output_path)
        for name, text in files.items():
            (out / name).write_text(text, "utf-8", newline="")


# -- sitemap --------------------------------------------------------------

_written: dict[str, str] = {}


def reset(pelican) -> None:
    _written.clear()


def remember(path: str, context=None) -> None:
    """Note each HTML file Pelican writes, with the date it last changed."""
    if not str(path).endswith(".html") or context is None:
        return
    output = context.get("OUTPUT_PATH", "")
    try:
        rel = Path(path).resolve().relative_to(Path(output).resolve()).as_posix()
    except ValueError:
        return
    if rel.startswith("drafts/"):
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
    """After every generator ran: ``sitemap.xml`` at the site root."""
    out = Path(pelican.settings["OUTPUT_PATH"])
    (out / "sitemap.xml").write_text(sitemap_xml(_written, absolute_base(pelican.settings)), "utf-8")


def get_generators(pelican):
    """Register the generator."""
    return ExportsGenerator


def register() -> None:
    """Pelican plugin entry point."""
    signals.get_generators.connect(get_generators)
    signals.initialized.connect(reset)
    signals.content_written.connect(remember)
    signals.finalized.connect(write_sitemap)
