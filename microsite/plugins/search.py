"""Pelican glue for search: index the articles, write the payload, ship lunr.js.

The work lives in ``microsite.search`` (no Pelican there); this module only
turns Pelican articles into ``SearchDocument``s and writes files.  It is a
generator (``get_generators``) so that it runs once the articles are read;
the work itself is one deferred job (``speed_jobs.defer``) that runs on
another core while the pages render.

Rebuilds are incremental: each article's text digest is memoised
(``speed_memo``, keyed by its source file), so an unchanged article costs a
lookup and is never converted to text again; and the payload's state (the
columnar index, what every file was made from) is kept in Pelican's cache
folder, so that the next build analyses only the changed articles and
regenerates only the files whose content changed (see ``search.payload``).
A clean build (``--ignore-cache``) starts from nothing; both give the same
bytes.

lunr.js and lunr-languages come from ``node_modules`` (``npm ci``, pinned in
``package.json``); they are copied next to the payload, never committed and
never loaded from a CDN.  lunr.js must be the version lunr.py serialises for
(``lunr.__TARGET_JS_VERSION__``), or scores could silently differ.
"""

from __future__ import annotations

import gc
import json
import logging
import pickle
import time
from operator import is_
from pathlib import Path
from typing import TYPE_CHECKING

from pelican import signals

from microsite.plugins import speed_jobs, speed_memo
from microsite.plugins.speed_generator import articles_tagged
from microsite.search.documents import SearchDocument, body_digest, html_to_text, is_safe_url

if TYPE_CHECKING:
    from microsite.search.payload import PayloadState, PayloadStats

# lunr.py and the index builder (numpy) are imported by the job that needs them: a rebuild makes
# its index in another process, and the main process never needs them (70 ms less before reading).

logger = logging.getLogger(__name__)

SEARCH_DIR = "search"
STATE_FILE = "microsite-search-state.pickle"
MEMO = "search-documents"
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
    import lunr

    version = json.loads((modules / "lunr" / "package.json").read_text("utf-8")).get("version")
    if version != lunr.__TARGET_JS_VERSION__:
        raise SearchError(
            f"search: node_modules has lunr.js {version}, but lunr.py {lunr.__VERSION__} serialises for "
            f"lunr.js {lunr.__TARGET_JS_VERSION__}; run `npm ci` (package.json pins it)"
        )
    for package, rel, _name in LIBRARIES:
        if not (modules / package / rel).is_file():
            raise SearchError(f"search: {modules / package / rel} is missing; run `npm ci --no-audit --no-fund`")
    for package, rel, name in LIBRARIES:
        speed_jobs.write_if_changed(target / name, (modules / package / rel).read_bytes())


def article_text(article) -> str:
    """The article's visible text.

    From the HTML as read (``_content``): Pelican's ``content`` only rewrites
    link targets in attributes (``{filename}`` and the like), which carry no
    text, and costs a pass over every article.
    """
    html = getattr(article, "_content", None)
    return html_to_text(html if isinstance(html, str) else article.content)


def to_document(article, memo=None, texts: dict | None = None) -> SearchDocument | None:
    """A Pelican article as search sees it (None, with a warning, if its URL is not a plain relative path).

    The body text is not extracted here: the document carries the text's
    digest and extracts the text only if the payload needs it (a new or
    changed article).  With ``memo`` (``speed_memo``, by source file) an
    article whose inputs are those of the last build gets the document made
    then: nothing is cleaned or extracted again.
    """
    url = str(article.url)
    if not is_safe_url(url):
        logger.warning("%s: not in search, its URL %r is not a relative path", article.source_path, url)
        return None
    texts = {} if texts is None else texts
    meta = article.metadata
    has_date = bool(meta.get("date")) and hasattr(article, "date") and hasattr(article.date, "date")
    tags = getattr(article, "tags", None) or []
    inputs = (  # what the document is made from
        url, article.title, meta.get("summary", ""), meta.get("source", ""), [str(t) for t in tags],
        [str(getattr(t, "url", "")) for t in tags], str(meta.get("lang") or getattr(article, "lang", "") or ""),
        article.date.date().isoformat() if has_date else "",
        str(getattr(article, "locale_date", "")) if has_date else "",
    )

    def load() -> str:
        text = texts.pop(id(article), None)
        return article_text(article) if text is None else text

    def make() -> tuple[tuple, tuple]:
        text = texts[id(article)] = article_text(article)
        doc = SearchDocument(
            url=url, title=inputs[1], body=None, summary=inputs[2], source=inputs[3], tags=inputs[4],
            tag_urls=inputs[5], lang=inputs[6], date=inputs[7], date_text=inputs[8], digest=body_digest(text),
        )  # SearchDocument cleans every field
        return inputs, doc.kept()

    if memo is None:
        return SearchDocument.restored(make()[1], load)
    kept = memo.get(article, make)
    if kept[0] != inputs:  # same file, but a tag or the URL changed (the site's other articles did)
        kept = memo.replace(article, make())
    return SearchDocument.restored(kept[1], load)


def state_path(settings: dict) -> Path | None:
    """Where the payload state lives (Pelican's cache folder), None when caching is off."""
    cache = settings.get("CACHE_PATH")
    return Path(cache) / STATE_FILE if cache and settings.get("CACHE_CONTENT") else None


def load_state(settings: dict) -> PayloadState | None:
    """The previous build's payload state, unless this build ignores caches or there is none."""
    from microsite.search.payload import PayloadState

    path = state_path(settings)
    if path is None or not settings.get("LOAD_CONTENT_CACHE"):
        return None
    try:
        with open(path, "rb") as f:
            state = pickle.load(f)
    except Exception:  # unreadable, or written by other code: build from nothing
        return None
    return state if isinstance(state, PayloadState) else None


def save_state(settings: dict, state: PayloadState) -> None:
    """Keep ``state`` for the next build (written atomically: a build killed midway leaves the old one)."""
    path = state_path(settings)
    if path is None:
        return
    speed_memo.write_pickle(path, state)


def write_search(articles: list, settings: dict, folder: Path, modules: Path) -> None:
    """The whole search output (runs as one deferred job, or ahead: ``start``).

    Nothing is returned: what comes back from a worker is unpickled in the main process, which
    would import the index builder (numpy) only for that."""
    collecting = gc.isenabled()
    gc.disable()  # the job makes no cycles; a collection would walk (and copy, in a fork) Pelican's whole heap
    try:
        _write_search(articles, settings, folder, modules)
        speed_memo.memo(settings, MEMO).save()  # (an ahead process saves no memo of its own accord)
    finally:
        if collecting:
            gc.enable()


def _write_search(articles: list, settings: dict, folder: Path, modules: Path) -> PayloadStats:
    from microsite.search.builder import from_lunr_builder, reference_builder
    from microsite.search.payload import SHARD_BYTES, update_payload

    started, cpu = time.perf_counter(), time.process_time()
    texts: dict[int, str] = {}
    memo = speed_memo.memo(settings, MEMO)
    documents = [d for d in (to_document(a, memo, texts) for a in articles) if d is not None]
    shard_bytes = int(settings.get("SEARCH_SHARD_BYTES") or SHARD_BYTES)
    phases = {"articles": time.process_time() - cpu}
    if settings.get("SEARCH_LUNR_BUILDER"):  # lunr.py's own Builder: same files, several times slower
        previous, index = None, from_lunr_builder(reference_builder(documents))
    else:
        previous, index = load_state(settings), None
    phases["state"] = time.process_time() - cpu - phases["articles"]
    unchanged = previous is not None and (previous.key, previous.index_prints, previous.doc_prints)
    state, stats = update_payload(documents, folder, shard_bytes, previous, index=index)
    if stats.written or unchanged != (state.key, state.index_prints, state.doc_prints):
        mark = time.process_time()
        save_state(settings, state)  # (a build that changed nothing leaves the saved state as it is)
        phases["state"] += time.process_time() - mark
    copy_libraries(modules, folder / "lib")
    phases.update(stats.cpu)
    logger.info(
        "search: %d articles, %d terms in %d shards, %d files (%d written), %.1f MB, in %.1f s (%.1f s CPU: %s)",
        len(documents), stats.terms, stats.shards, stats.files, stats.written, stats.bytes / 1e6,
        time.perf_counter() - started, time.process_time() - cpu,
        ", ".join(f"{name} {seconds:.2f}" for name, seconds in phases.items()),
    )
    return stats


def _shown(article) -> tuple:
    """What search shows of an article besides its tags (``speed_jobs.same_tags``), as objects: a
    plugin that changes a field replaces it (see ``speed_digest``), so a field changed since this
    was taken is not the same object."""
    meta = getattr(article, "metadata", None) or {}
    get = article.__dict__.get
    return (get("title"), get("_content"), get("slug"), get("date"), get("lang"), get("locale_date"),
            get("status"), get("override_url"), meta.get("summary"), meta.get("source"), meta.get("lang"),
            meta.get("date"))


def _unchanged(before: list[tuple], articles: list) -> bool:
    """Whether every article still shows search the objects it showed when ``before`` was taken."""
    return all(all(map(is_, was, _shown(article))) for was, article in zip(before, articles, strict=True))


def _indexed(articles: list) -> list:
    """The articles search indexes: the published ones and their translations."""
    return [*articles, *(t for a in articles for t in getattr(a, "translations", []))]


_AHEAD: dict[str, tuple[list, list, list, speed_jobs.Ahead]] = {}  # folder -> (articles, _shown, tags, job)


def start(generator) -> None:
    """``articles_tagged``: what search shows of an article (title, URL, tags, text) is final once
    its tags are canonical, so the index is built from here on, in another process, once the
    processes started before it (related articles) are done: while Pelican and the other plugins
    finish the context on this core, the other would be idle.  Only for a rebuild, whose index
    changes little."""
    _AHEAD.clear()
    settings = generator.settings
    path = state_path(settings)
    if not (speed_jobs.parallel(settings) and settings.get("LOAD_CONTENT_CACHE") and path is not None
            and path.is_file()) or settings.get("SEARCH_LUNR_BUILDER"):
        return  # (a clean build's index is the longest job of all: it starts with the output phase)
    try:
        modules = node_modules(settings)
    except SearchError:  # reported by the generator
        return
    folder = Path(generator.output_path) / SEARCH_DIR
    articles = _indexed(list(generator.articles))
    shown = [_shown(a) for a in articles]
    ahead = speed_jobs.Ahead(lambda: write_search(articles, settings, folder, modules), settings, "search",
                             after_others=True)
    _AHEAD[str(folder)] = (articles, shown, speed_jobs.tags_of(articles), ahead)


class SearchGenerator:
    """Writes ``output/search/``: the split index, the document store and the libraries."""

    def __init__(self, context, settings, path, theme, output_path, *args, **kwargs) -> None:
        self.context = context
        self.settings = settings
        self.output_path = Path(output_path)

    def generate_context(self) -> None:
        # Deferred while contexts are built (after the articles'), so the job starts as soon as every
        # generator has read its content and runs beside Pelican's output phase (speed_jobs.start_early),
        # unless it started already (``start``) with these very articles.
        modules = node_modules(self.settings)  # fail before any work when lunr.js is missing
        articles = _indexed(list(self.context.get("articles", [])))
        settings, folder = self.settings, self.output_path / SEARCH_DIR
        started, shown, tags, ahead = _AHEAD.pop(str(folder), (None, None, None, None))
        if ahead is not None and ahead.started and speed_jobs.same_objects(started, articles) and _unchanged(
                shown, articles) and speed_jobs.same_tags(tags, speed_jobs.tags_of(articles)):
            return
        if ahead is not None:  # a plugin changed the articles since: the files are made again below
            ahead.cancel()
        warm = state_path(settings) is not None and settings.get("LOAD_CONTENT_CACHE")
        speed_jobs.defer(
            lambda: write_search(articles, settings, folder, modules),
            cost=(0.0002 if warm else 0.0005) * len(articles),
            name="search",
        )


def get_generators(pelican_object):
    """Pelican hook: add the search generator (runs after articles and pages)."""
    return SearchGenerator


def register() -> None:
    """Pelican plugin entry point."""
    signals.get_generators.connect(get_generators)
    articles_tagged.connect(start)
