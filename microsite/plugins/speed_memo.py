"""Per-article results kept from one build to the next.

Much of a build is work done for each article that depends on that article
alone: its words for related articles, its search tokens, its citation and
export records.  ``memo(settings, name).get(article, compute)`` returns the
value computed for this article's source file in an earlier build, or
computes it now.  The key is the source file's path, size and modification
time, as Pelican's own content cache uses.

Values must depend on the article's source file only (and on settings, code
and library versions: ``microsite.build`` drops the whole cache folder when
any of those change).  An article whose text links to other content
(``{filename}`` and the like, resolved against the whole site) is never
memoised.  Each memo is a pickle in Pelican's ``CACHE_PATH``; it holds only the
articles used in the last build, so deleted articles drop out.  Nothing is
read when ``LOAD_CONTENT_CACHE`` is off (``--ignore-cache``, a clean build) and
nothing is kept when ``CACHE_CONTENT`` is off.

A memo is filled in one process: the main one, or the worker running a
deferred job (``speed_jobs``), which saves it when the job ends.
"""

from __future__ import annotations

import contextlib
import gc
import glob
import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
VERSION = 2

_DEFAULT_LINK_REGEX = "[{|](?P<what>.*?)[|}]"  # Pelican's
_MEMOS: dict[tuple[str, str], ArticleMemo] = {}
_STAMPS: dict[str, tuple | None] = {}
_LINKED: dict[int, tuple[object, bool]] = {}


def source_stamp(path: str) -> tuple | None:
    """(path, size, mtime in ns) of a source file, once per build; None when it cannot be read."""
    if path not in _STAMPS:
        try:
            st = os.stat(path)
            _STAMPS[path] = (path, st.st_size, st.st_mtime_ns)
        except (OSError, TypeError):
            _STAMPS[path] = None
    return _STAMPS[path]


def links_elsewhere(article) -> bool:
    """Whether the article's text holds intrasite links (its output then depends on other content)."""
    hit = _LINKED.get(id(article))
    if hit is not None and hit[0] is article:
        return hit[1]
    settings = getattr(article, "settings", {})
    texts = [t for t in (getattr(article, "_content", "") or "", str(getattr(article, "_summary", "") or ""))
             if might_link(t, settings)]
    # (Pelican formats the pattern on every call: asked only for a text that may link)
    pattern = (article._get_intrasite_link_regex() if texts and hasattr(article, "_get_intrasite_link_regex")
               else None)
    linked = pattern is not None and any(pattern.search(t) for t in texts)
    _LINKED[id(article)] = (article, linked)
    return linked


def seed_links(article, linked: bool) -> None:
    """What ``links_elsewhere`` found where ``article`` was read (its text is the one read)."""
    _LINKED[id(article)] = (article, linked)


def might_link(text: str, settings: dict) -> bool:
    """False when ``text`` cannot hold an intrasite link: Pelican's default pattern needs a "{" or
    "|" (``{filename}``, ``|static|``), and most texts have neither (a scan, not a regex)."""
    if settings.get("INTRASITE_LINK_REGEX") != _DEFAULT_LINK_REGEX:
        return True
    return "{" in text or "|" in text


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """No cyclic garbage collection while making or loading many small objects that all stay alive.

    With 10,000 articles in memory every full collection walks millions of
    objects, and allocating hundreds of thousands triggers many of them:
    loading a memo or assembling a corpus file took three to four times as
    long with the collector on.  Such steps make no cycles worth collecting.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class KeptDict:
    """A dict kept in a pickle from one build to the next, rewritten whole only when much of it changed.

    At 10,000 articles a memo or the article store is tens of MB; after a
    one-article edit, rewriting it all costs more than the edit.  So the
    changed entries (and the keys dropped) go to a small ``.delta`` file next
    to the base, read over it on load; once the delta holds a tenth of the
    entries, the base is rewritten and the delta removed.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._base_id: str | None = None
        self._base_keys: set = set()
        self._delta_keys: set = set()

    @property
    def _delta(self) -> Path:
        return self.path.with_name(self.path.name + ".delta")

    def load(self) -> dict:
        if self.path is None:
            return {}
        with no_gc():
            base = _read(self.path)
            if base is None:
                return {}
            entries = base["entries"]
            self._base_id, self._base_keys = base["id"], set(entries)
            delta = _read(self._delta)
            if delta is not None and delta.get("base") == self._base_id:
                entries.update(delta["entries"])
                for key in delta["dropped"]:
                    entries.pop(key, None)
                self._delta_keys = set(delta["entries"])
            return entries

    def save(self, entries: dict, changed: set) -> None:
        """Keep ``entries``; ``changed`` are the keys whose values are new since the last save."""
        if self.path is None:
            return
        dropped = self._base_keys - entries.keys()
        delta_keys = (self._delta_keys | changed) & entries.keys()
        if self._base_id is not None and len(delta_keys) + len(dropped) <= max(50, len(entries) // 10):
            write_pickle(self._delta, {"version": VERSION, "base": self._base_id,
                                 "entries": {k: entries[k] for k in delta_keys}, "dropped": dropped})
            self._delta_keys = delta_keys
            return
        self._base_id = os.urandom(8).hex()
        write_pickle(self.path, {"version": VERSION, "id": self._base_id, "entries": entries})
        self._base_keys, self._delta_keys = set(entries), set()
        with contextlib.suppress(OSError):
            os.remove(self._delta)


def read_kept(path: Path) -> dict | None:
    """A dict ``write_kept`` wrote (None when missing, unreadable or of another version)."""
    return _read(path)


def write_kept(path: Path, data: dict) -> None:
    """Pickle ``data`` (a dict) to ``path`` atomically, stamped with this module's version."""
    write_pickle(path, {**data, "version": VERSION})


def _read(path: Path) -> dict | None:
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, ImportError, TypeError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def write_pickle(path: Path, data: object) -> None:
    """Pickle ``data`` to ``path`` atomically (a build killed midway leaves the old file), making its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _clear_leftovers(path)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def _clear_leftovers(path: Path) -> None:
    """Remove what processes that died while writing ``path`` left (``path.<pid>.tmp``): a stopped
    ``Ahead`` saving a state, a killed build.  States are tens of MB; they must not pile up."""
    for tmp in path.parent.glob(glob.escape(path.name) + ".*.tmp"):
        pid = tmp.name[len(path.name) + 1:-len(".tmp")]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: alive
        pass
    return True


def memo_key(article) -> tuple | None:
    """What memos keep an article's values by: its source file's path, size and mtime, and its
    language (translations share nothing); None for an article whose text links to other content
    (it then depends on more than its file) or that has no readable file."""
    key = source_stamp(getattr(article, "source_path", None))
    if key is None or links_elsewhere(article):
        return None
    return (*key, getattr(article, "lang", None))


class ArticleMemo:
    """One named memo: article -> value, across builds."""

    def __init__(self, path: Path | None, load: bool) -> None:
        self._kept = KeptDict(path)
        self.path = path
        self._old: dict[tuple, Any] = self._kept.load() if (path is not None and load) else {}
        self._new: dict[tuple, Any] = {}
        self._missed: set = set()
        self.hits = self.misses = 0

    def get(self, article, compute: Callable[[], T], key: tuple | bool | None = False) -> T:
        """The value for ``article``'s current source file, computed by ``compute()`` when not known
        (``key``: its ``memo_key``, when the caller has it)."""
        key = memo_key(article) if key is False else key
        if key is None:
            return compute()
        if key in self._new:
            return self._new[key]
        if key in self._old:
            value = self._old.pop(key)
            self.hits += 1
        else:
            value = compute()
            self.misses += 1
            self._missed.add(key)
        self._new[key] = value
        return value

    def replace(self, article, value: T, key: tuple | bool | None = False) -> T:
        """Keep ``value`` for ``article`` instead of what ``get`` gave (worked out again by the caller)."""
        key = memo_key(article) if key is False else key
        if key is not None:
            self._new[key] = value
            self._missed.add(key)
        return value

    @property
    def used(self) -> bool:
        return bool(self._new)

    def save(self) -> None:
        """Keep this build's entries; nothing when the memo was not used here, or nothing changed
        (every entry reused, none dropped).

        A value changed in place (rather than through ``compute``) is kept only when its entry is
        written anyway; otherwise it is worked out again next time.
        """
        if self.path is None or not self._new or (self.misses == 0 and not self._old):
            self._new = {}
            return
        self._kept.save(self._new, self._missed)
        self._new, self._missed = {}, set()


def memo(settings: dict, name: str) -> ArticleMemo:
    """The memo called ``name`` for this build (one object per build and name)."""
    cache = settings.get("CACHE_PATH") if settings.get("CACHE_CONTENT") else None
    key = (str(cache), name)
    if key not in _MEMOS:
        path = Path(cache) / f"microsite-memo-{name}.pickle" if cache else None
        _MEMOS[key] = ArticleMemo(path, load=bool(settings.get("LOAD_CONTENT_CACHE")))
    return _MEMOS[key]


def save_all() -> None:
    """Save every memo used in this process (``finalized``, and the end of a deferred job)."""
    for m in _MEMOS.values():
        m.save()


def reset() -> None:
    """Start of a build: forget memos and file stamps of a previous build in this process."""
    _MEMOS.clear()
    _STAMPS.clear()
    _LINKED.clear()
