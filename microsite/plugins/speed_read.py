"""Articles read on every core, and kept read from one build to the next.

Pelican reads content files one by one in ``generate_context``: for each,
its reader (Markdown, YAML, sanitising), then metadata processing and the
``Article`` constructor.  Here that whole step, up to the finished
``Article``, is done once per file version:

* files not read before are read in forked worker processes, each by the
  *same* ``Readers.read_file`` Pelican calls (so the article is exactly what a
  serial read gives);
* each article's state right after reading (its fields, minus the shared
  context) is kept in ``microsite-articles.pickle`` in Pelican's
  ``CACHE_PATH``, keyed by the file's path, size and modification time, and
  restored on later builds instead of being read again.

What crosses a process boundary or goes to disk is pickled with the settings
dict replaced by a reference (every Tag/Category/Author holds it), so the
restored objects share the main process's settings, as a serial read would.
Log records raised while reading are kept with the state and re-emitted
whenever it is used, so warnings about a file show on every build (and
``--fatal warnings`` sees them).  A file whose read fails in a worker is left
to Pelican's serial loop, which reports it as usual.  Pelican sends
``article_generator_preread``/``article_generator_context`` and
``content_object_init`` while reading; when any plugin listens to those, the
articles are read Pelican's way.
"""

from __future__ import annotations

import gc
import io
import logging
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.contents import Article
from pelican.urlwrappers import URLWrapper

from microsite.plugins import speed_urls
from microsite.plugins.speed_digest import frozen, read_digests
from microsite.plugins.speed_jobs import Collect, replay, workers
from microsite.plugins.speed_memo import KeptDict, links_elsewhere, seed_links, source_stamp

logger = logging.getLogger(__name__)

MIN_PARALLEL = 64  # below this, forking costs more than it saves
STORE_FILE = "microsite-articles.pickle"
_SETTINGS_REF = "pelican-settings"

LAST: dict[str, int] = {}  # articles restored and read in the last build (for the build stats)

# Work a plugin asks to have done on each article where it is read (on the workers), by name.
_HOOKS: dict[str, Callable[[Article], Any]] = {}
_EXTRAS: dict[str, dict[str, Any]] = {}  # source path -> hook name -> value, for this build

# Set in the parent just before forking; the children inherit them.
_READERS = None
_BASE = ""


class _Pickler(pickle.Pickler):
    def __init__(self, file, settings: dict) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._settings = settings

    def persistent_id(self, obj):
        return _SETTINGS_REF if obj is self._settings else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, settings: dict) -> None:
        super().__init__(io.BytesIO(data))
        self._settings = settings

    def persistent_load(self, pid):
        if pid == _SETTINGS_REF:
            return self._settings
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")


def _dumps(value: object, settings: dict) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, settings).dump(value)
    return buffer.getvalue()


def snapshot(article, settings: dict, records: list) -> bytes | None:
    """An article's state as read (its class, fields but the shared context, log records, field digests);
    None if it won't pickle."""
    fields = {k: v for k, v in vars(article).items() if k != "_context"}
    try:
        for value in _wrappers(fields):
            value.slug  # noqa: B018 - slugify once here, not on every build (it caches in ``_slug``)
        digests = read_digests(fields, settings)
        urls = speed_urls.known_urls(article)
        linked = links_elsewhere(article)  # (a scan of the text: once, where it is read)
        return _dumps((type(article), fields, records, digests, urls, linked), settings)
    except Exception:  # an unpicklable field (or worse): the article is simply read again next time
        return None


def _wrappers(fields: dict):
    """The tags, category and authors among an article's fields and metadata."""
    for value in (*fields.values(), *(fields.get("metadata") or {}).values()):
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, URLWrapper):
                yield item


_KEPT: dict[int, tuple[Article, dict, dict, tuple]] = {}


def origin(article) -> tuple[dict, dict, tuple] | None:
    """For ``speed_digest``: (the fields as restored, what their containers held, the digests kept
    with them); None when the article was not restored from the store."""
    hit = _KEPT.get(id(article))
    return hit[1:] if hit is not None and hit[0] is article else None


def _stamp(path: str) -> tuple[int, int] | None:
    """(size, mtime) of a source file, once per build (``speed_memo.source_stamp``: the memos ask too)."""
    found = source_stamp(path)
    return None if found is None else found[1:]


def precompute(name: str, hook: Callable[[Article], Any]) -> None:
    """Have ``hook(article)`` worked out on the reading workers for every article they read.

    For a plugin's per-article work that depends only on the article as read
    (its text, title, metadata): a clean build then does it on every core.
    The value must pickle; it is there for this build only (``precomputed``).
    """
    _HOOKS[name] = hook


def reset_extras() -> None:
    """Start of a build's reading: forget the last build's precomputed values and kept digests."""
    _EXTRAS.clear()
    _KEPT.clear()


def precomputed(article, name: str) -> Any:
    """The value ``precompute``'s hook gave for ``article`` in this build, or None."""
    return _EXTRAS.get(getattr(article, "source_path", None) or "", {}).get(name)


def _extras(article) -> dict[str, Any]:
    out = {}
    for name, hook in _HOOKS.items():
        try:
            out[name] = hook(article)
        except Exception:  # the plugin works it out itself, and reports what goes wrong
            continue
    return out


def _read_chunk(paths: list[str]) -> bytes:
    """In a worker: read each file into an Article; [(path, state or None, extras)]."""
    gc.enable()  # the main process reads with collection off; a worker reading thousands of files needs it
    root = logging.getLogger()
    collect = Collect()
    root.handlers, root.filters = [collect], []
    out = []
    for path in paths:
        collect.records = []
        try:
            article = _READERS.read_file(base_path=_BASE, path=path, content_class=Article, context=None)
        except Exception:  # the serial loop reads it again and reports the error itself
            out.append((path, None, {}))
            continue
        if not isinstance(article, Article):  # SkipStub and the like: Pelican's loop handles them
            out.append((path, None, {}))
            continue
        out.append((path, snapshot(article, _READERS.settings, collect.records), _extras(article)))
    return pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)


class ArticleStore:
    """Article states by source file, for one build; loaded from and saved to ``CACHE_PATH``."""

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        cache = settings.get("CACHE_PATH") if settings.get("CACHE_CONTENT") else None
        self.path = os.path.join(cache, STORE_FILE) if cache else None
        self._kept = KeptDict(Path(self.path) if self.path else None)
        self._old: dict[str, tuple[tuple[int, int], bytes]] = (
            self._kept.load() if settings.get("LOAD_CONTENT_CACHE") else {})
        self._new: dict[str, tuple[tuple[int, int], bytes]] = {}
        self._changed: set[str] = set()
        self.restored = self.read = 0

    def _old_left(self) -> bool:
        """Whether some article of the last build was not restored (deleted, or changed)."""
        return any(path not in self._new for path in self._old)

    def has(self, path: str) -> bool:
        entry = self._new.get(path) or self._old.get(path)
        return entry is not None and entry[0] == _stamp(path)

    def put(self, path: str, state: bytes | None, stamp: tuple[int, int] | None = None) -> None:
        stamp = stamp or _stamp(path)
        if state is not None and stamp is not None:
            self._new[path] = (stamp, state)
            self._changed.add(path)

    def restore(self, path: str, context: dict, log: bool = True):
        """The article read from ``path`` (its log records re-emitted unless ``log`` is false), or None
        when not kept for this version."""
        stamp = _stamp(path)
        entry = self._new.get(path)
        kept = False
        if entry is None or entry[0] != stamp:
            entry = self._old.get(path)
            if entry is None or entry[0] != stamp:
                return None
            self._new[path] = entry
            kept = True
        try:
            cls, fields, records, digests, urls, linked = _Unpickler(entry[1], self.settings).load()
        except Exception:
            self._new.pop(path, None)
            return None
        if log:
            replay(records)
        article = cls.__new__(cls)
        article.__dict__.update(fields)
        article._context = context
        if digests is not None:
            _KEPT[id(article)] = (article, fields, frozen(fields), digests)
        speed_urls.seed(article, urls)
        seed_links(article, linked)
        self.restored += kept
        return article

    def save(self) -> None:
        """Keep the states of this build's articles (deleted files drop out); nothing to do when none changed."""
        if self.path is None or (not self._changed and not self._old_left()):
            return
        self._kept.save(self._new, self._changed)
        self._changed = set()


def available() -> bool:
    """Whether articles may be read outside Pelican's loop (no plugin listens to the reading signals)."""
    watched = (signals.article_generator_preread, signals.article_generator_context, signals.content_object_init)
    return not any(signal.receivers for signal in watched)


def prefetch(readers, store: ArticleStore, base_path: str, paths: Iterable[str]) -> int:
    """Read the ``paths`` (relative to ``base_path``) the store lacks, in parallel, into the store."""
    global _READERS, _BASE
    todo = [p for p in paths if not store.has(os.path.abspath(os.path.join(base_path, p)))]
    procs = min(workers(readers.settings), len(todo) // 16)
    if procs < 2 or len(todo) < MIN_PARALLEL or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    size = max(8, len(todo) // (procs * 8))
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    _READERS, _BASE = readers, base_path
    done = 0
    try:
        with multiprocessing.get_context("fork").Pool(procs) as pool:
            for data in pool.imap_unordered(_read_chunk, chunks):
                for path, state, extras in pickle.loads(data):
                    if state is not None:
                        full = os.path.abspath(os.path.join(base_path, path))
                        store.put(full, state)
                        if extras:
                            _EXTRAS[full] = extras
                        done += 1
    finally:
        _READERS, _BASE = None, ""
    store.read += done
    logger.debug("read %d files on %d processes", done, procs)
    return done


def reading_through(readers, store: ArticleStore):
    """A ``read_file`` for ``readers`` that restores kept articles and keeps the others it reads."""
    original = readers.read_file

    def read_file(base_path, path, content_class=Article, fmt=None, context=None, preread_signal=None,
                  preread_sender=None, context_signal=None, context_sender=None):
        full = os.path.abspath(os.path.join(base_path, path))
        if content_class is Article and fmt is None:
            article = store.restore(full, context)
            if article is not None:
                return article
        collect = Collect()
        logging.getLogger().addHandler(collect)
        try:
            article = original(base_path, path, content_class=content_class, fmt=fmt, context=context,
                               preread_signal=preread_signal, preread_sender=preread_sender,
                               context_signal=context_signal, context_sender=context_sender)
        finally:
            logging.getLogger().removeHandler(collect)
        if isinstance(article, Article) and content_class is Article and fmt is None:
            store.put(full, snapshot(article, readers.settings, collect.records))
            store.read += 1
            # the article as kept (what later builds restore), so that its page digests match theirs
            article = store.restore(full, context, log=False) or article
        return article

    return read_file
