"""Pelican glue for ``microsite.cite``: "Cite this article" and its files.

After the articles are read, each one gets ``article.cite`` (formatted APA
and Chicago references, the embedded metadata for its ``<head>``, the links
to its ``.bib``/``.ris``/``.csl.json`` files); once the articles are written
those files are written next to them.  Citation keys are assigned over the
whole collection in date order, so the per-article files and the corpus
BibTeX (``exports`` plugin) agree.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from markupsafe import Markup
from pelican import signals

from microsite.cite import Reference, assign_keys, embedded, formats, from_metadata, styles
from microsite.plugins.siteurl import absolute_base

FORMATS = {"bib": ".bib", "ris": ".ris", "csl": ".csl.json"}


@dataclass
class Citation:
    """What the templates (and the exports plugin) read from ``article.cite``."""

    ref: Reference
    apa: Markup
    apa_text: str
    chicago: Markup
    chicago_text: str
    files: dict[str, str]
    highwire: list[tuple[str, str]] = field(default_factory=list)
    opengraph: list[tuple[str, str]] = field(default_factory=list)
    jsonld: Markup = field(default_factory=Markup)


def _mtime(article) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(os.stat(article.source_path).st_mtime)
    except (OSError, TypeError):
        return None


def declared(article) -> dict[str, object]:
    """``date``, ``modified`` and ``category`` as the file declared them, else None.

    With ``DEFAULT_DATE = "fs"`` Pelican fills a missing date (and always
    ``modified``) from the file's mtime, and a missing category from the
    folder name or ``DEFAULT_CATEGORY``; a citation must not present those as
    the publisher's.  Pelican's values are naive datetimes equal to the mtime
    to the microsecond, which no front-matter date is.
    """
    meta = article.metadata
    mtime = _mtime(article)
    out: dict[str, object] = {}
    for key in ("date", "modified"):
        value = meta.get(key)
        is_fs = isinstance(value, dt.datetime) and value.tzinfo is None and value == mtime
        out[key] = None if is_fs else value
    category = str(meta.get("category") or "")
    folder = os.path.basename(os.path.dirname(getattr(article, "source_path", "") or ""))
    defaults = {str(article.settings.get("DEFAULT_CATEGORY", "")), folder}
    out["category"] = "" if category in defaults else category
    return out


def last_changed(article) -> dt.datetime:
    """The declared update time, else the publication time (feeds, sitemap)."""
    own = getattr(article, "declared", None) or declared(article)
    return own["modified"] or article.date


def metadata_of(article) -> dict[str, object]:
    """Front-matter values of a Pelican article as plain Python values.

    Only what the file said: no default author, no "misc" category, no date
    Pelican took from the file's mtime (see ``declared``).
    """
    meta = article.metadata
    own = getattr(article, "declared", None) or declared(article)
    return {
        "title": article.title,
        "date": own["date"],
        "modified": own["modified"],
        "authors": [str(a) for a in meta.get("authors", [])],
        "source": getattr(article, "source", ""),
        "source_url": getattr(article, "source_url", ""),
        "canonical_url": getattr(article, "canonical_url", ""),
        "accessed": getattr(article, "accessed", ""),
        "lang": meta.get("lang", ""),
        "category": own["category"],
        "tags": [str(t) for t in meta.get("tags", [])],
        "summary": meta.get("summary", ""),
        "dateline": getattr(article, "dateline", ""),
        "slug": article.slug,
    }


def all_articles(generator) -> list:
    """Every article Pelican will write, drafts and hidden ones included."""
    return list(chain(
        generator.articles, generator.translations, generator.hidden_articles,
        generator.hidden_translations, generator.drafts, generator.drafts_translations,
    ))


def _file_paths(save_as: str) -> dict[str, str]:
    stem = save_as[: -len(".html")] if save_as.endswith(".html") else save_as
    return {name: stem + ext for name, ext in FORMATS.items()}


def attach(generator) -> None:
    """Give every article its ``cite`` attribute (idempotent)."""
    for article in all_articles(generator):
        article.declared = declared(article)
    articles = sorted(all_articles(generator), key=lambda a: (a.date.timestamp(), a.slug, a.lang or ""))
    refs = assign_keys(from_metadata(metadata_of(a)) for a in articles)
    base = absolute_base(generator.settings)
    site_name = str(generator.settings.get("SITENAME", ""))
    for article, ref in zip(articles, refs, strict=True):
        article.has_date = ref.issued is not None
        article.has_modified = ref.modified is not None
        article.has_category = bool(ref.section)
        page_url = f"{base}/{article.url}" if base else posixpath.basename(article.url)
        apa, chicago = styles.apa(ref), styles.chicago(ref)
        article.cite = Citation(
            ref=ref,
            apa=Markup(styles.to_html(apa)),
            apa_text=styles.to_text(apa),
            chicago=Markup(styles.to_html(chicago)),
            chicago_text=styles.to_text(chicago),
            files=_file_paths(article.save_as),
            highwire=embedded.highwire(ref, page_url),
            opengraph=embedded.opengraph(ref, site_name, page_url),
            jsonld=Markup(embedded.script_json(embedded.news_article(ref, page_url))),
        )


def write_files(generator, writer=None) -> None:
    """Write each article's BibTeX, RIS and CSL-JSON next to its page."""
    out = Path(generator.output_path)
    for article in all_articles(generator):
        cite = getattr(article, "cite", None)
        if cite is None:
            continue
        texts = {"bib": formats.bibtex(cite.ref), "ris": formats.ris(cite.ref), "csl": formats.csl_json([cite.ref])}
        for name, rel in cite.files.items():
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(texts[name], "utf-8")


def register() -> None:
    """Pelican plugin entry point."""
    signals.article_generator_finalized.connect(attach)
    signals.article_writer_finalized.connect(write_files)
