"""Pelican glue for search: index the articles, write the payload, ship lunr.js.

The work lives in ``microsite.search`` (no Pelican there); this module only
turns Pelican articles into ``SearchDocument``s and writes files.  It is a
generator (``get_generators``) so that it runs after the articles are read
and writes through Pelican's normal output phase.

lunr.js and lunr-languages come from ``node_modules`` (``npm ci``, pinned in
``package.json``); they are copied next to the payload, never committed and
never loaded from a CDN.  lunr.js must be the version lunr.py serialises for
(``lunr.__TARGET_JS_VERSION__``), or scores could silently differ.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path

import lunr
from pelican import signals

from microsite.search.builder import build_index, from_lunr_index, reference_index
from microsite.search.documents import SearchDocument, clean_text, html_to_text, is_safe_url
from microsite.search.payload import SHARD_BYTES, write_payload

logger = logging.getLogger(__name__)

SEARCH_DIR = "search"
# (package, file inside it, name in output/search/lib/), in the order search.html loads them.
LIBRARIES = (
    ("lunr", "lunr.min.js", "lunr.min.js"),
    ("lunr-languages", "min/lunr.stemmer.support.min.js", "lunr.stemmer.support.min.js"),
    ("lunr-languages", "min/lunr.ru.min.js", "lunr.ru.min.js"),
    ("lunr-languages", "min/lunr.multi.min.js", "lunr.multi.min.js"),
)


class SearchError(RuntimeError):
    """Search cannot be built (front-end libraries missing or of the wrong version)."""


def node_modules(settings: dict) -> Path:
    """``SEARCH_NODE_MODULES`` if set, else ``node_modules`` in the working folder or beside the package."""
    if settings.get("SEARCH_NODE_MODULES"):
        candidates = [Path(settings["SEARCH_NODE_MODULES"])]
    else:
        candidates = [Path.cwd() / "node_modules", Path(__file__).resolve().parents[2] / "node_modules"]
    for candidate in candidates:
        if (candidate / "lunr" / "package.json").is_file():
            return candidate
    raise SearchError(
        f"search: lunr.js not found in {candidates[0]} (no lunr/package.json); run "
        "`npm ci --no-audit --no-fund` in the project folder (see README, Quick start)"
    )


def copy_libraries(modules: Path, target: Path) -> None:
    """Copy lunr.js + lunr-languages into ``target``, checking lunr.js is the version lunr.py targets."""
    version = json.loads((modules / "lunr" / "package.json").read_text("utf-8")).get("version")
    if version != lunr.__TARGET_JS_VERSION__:
        raise SearchError(
            f"search: node_modules has lunr.js {version}, but lunr.py {lunr.__VERSION__} serialises for "
            f"lunr.js {lunr.__TARGET_JS_VERSION__}; run `npm ci` (package.json pins it)"
        )
    target.mkdir(parents=True, exist_ok=True)
    for package, rel, name in LIBRARIES:
        source = modules / package / rel
        if not source.is_file():
            raise SearchError(f"search: {source} is missing; run `npm ci --no-audit --no-fund`")
        shutil.copyfile(source, target / name)


def to_document(article) -> SearchDocument | None:
    """A Pelican article as search sees it (None, with a warning, if its URL is not a plain relative path)."""
    url = str(article.url)
    if not is_safe_url(url):
        logger.warning("%s: not in search, its URL %r is not a relative path", article.source_path, url)
        return None
    meta = article.metadata
    has_date = bool(meta.get("date")) and hasattr(article.date, "date")
    return SearchDocument(
        url=url,
        title=clean_text(article.title),
        body=html_to_text(article.content),
        summary=clean_text(meta.get("summary", "")),
        source=clean_text(meta.get("source", "")),
        tags=[str(t) for t in getattr(article, "tags", None) or []],
        tag_urls=[str(getattr(t, "url", "")) for t in getattr(article, "tags", None) or []],
        lang=str(meta.get("lang") or getattr(article, "lang", "") or ""),
        date=article.date.date().isoformat() if has_date else "",
        date_text=str(getattr(article, "locale_date", "")) if has_date else "",
    )


class SearchGenerator:
    """Writes ``output/search/``: the split index, the document store and the libraries."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs) -> None:
        self.context = context
        self.settings = settings
        self.output_path = Path(output_path)

    def generate_output(self, writer) -> None:
        started = time.perf_counter()
        folder = self.output_path / SEARCH_DIR
        modules = node_modules(self.settings)  # fail before any work when lunr.js is missing
        articles = list(self.context.get("articles", []))
        articles += [t for a in self.context.get("articles", []) for t in getattr(a, "translations", [])]
        documents = [d for d in map(to_document, articles) if d is not None]
        shard_bytes = int(self.settings.get("SEARCH_SHARD_BYTES") or SHARD_BYTES)
        if self.settings.get("SEARCH_LUNR_BUILDER"):  # lunr.py's own Builder: same files, several times slower
            index = from_lunr_index(reference_index(documents), len(documents))
        else:
            index = build_index(documents)
        stats = write_payload(index, documents, folder, shard_bytes)
        copy_libraries(modules, folder / "lib")
        logger.info(
            "search: %d articles, %d terms in %d shards, %d files, %.1f MB, in %.1f s",
            len(documents), stats.terms, stats.shards, stats.files, stats.bytes / 1e6,
            time.perf_counter() - started,
        )


def get_generators(pelican_object):
    """Pelican hook: add the search generator (runs after articles and pages)."""
    return SearchGenerator


def register() -> None:
    """Pelican plugin entry point."""
    signals.get_generators.connect(get_generators)
