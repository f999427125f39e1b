"""Read articles on every core before Pelican's (serial) loop asks for them.

Pelican reads content files one by one in ``generate_context``; converting
Markdown is most of a cold build.  Here the files Pelican's reader cache does
not already hold are read in forked worker processes by the *same* reader
objects (so the result is exactly what a serial read gives), and the results
are put into that cache; Pelican's loop then finds every file cached.

What crosses the process boundary is ``(content, metadata)`` pickled with the
settings dict replaced by a reference (every Tag/Category/Author holds it), so
the main process gets objects that share its own settings, as a serial read
would.  Log records raised while reading are sent back and re-emitted in the
main process, so ``--fatal warnings`` and the console see them as usual.  A
file whose read fails in a worker is left to the serial loop, which reports
it the way Pelican always does.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import pickle
from collections.abc import Iterable

from pelican.readers import _filter_discardable_metadata
from pelican.utils import file_suffix

logger = logging.getLogger(__name__)

MIN_PARALLEL = 64  # below this, forking costs more than it saves

# Set in the parent just before forking; the children inherit them.
_READERS = None
_SETTINGS_REF = "pelican-settings"


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return _SETTINGS_REF if _READERS is not None and obj is _READERS.settings else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, settings: dict) -> None:
        super().__init__(io.BytesIO(data))
        self._settings = settings

    def persistent_load(self, pid):
        if pid == _SETTINGS_REF:
            return self._settings
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _read_chunk(paths: list[str]) -> bytes:
    """In a worker: read each file, return pickled [(path, result or None, log records)]."""
    root = logging.getLogger()
    collect = _Collect()
    root.handlers, root.filters = [collect], []
    out = []
    for path in paths:
        collect.records = []
        try:
            content, metadata = _READERS.readers[file_suffix(path)].read(path)
            result = (content, _filter_discardable_metadata(metadata))
        except Exception:  # the serial loop reads it again and reports the error itself
            out.append((path, None, []))
            continue
        out.append((path, result, collect.records))
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(out)
    return buffer.getvalue()


def workers(settings: dict) -> int:
    """Worker processes to use: ``SPEED_WORKERS`` or the CPUs this process may run on."""
    wanted = settings.get("SPEED_WORKERS")
    if wanted:
        return max(1, int(wanted))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def prefetch(readers, paths: Iterable[str]) -> int:
    """Read the uncached ``paths`` (absolute) in parallel into ``readers``' cache; returns how many."""
    global _READERS
    if not readers._cache_data_policy or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    todo = [p for p in paths if file_suffix(p) in readers.readers and readers.get_cached_data(p, None) is None]
    procs = min(workers(readers.settings), len(todo) // 16)
    if procs < 2 or len(todo) < MIN_PARALLEL:
        return 0
    size = max(8, len(todo) // (procs * 8))
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    _READERS = readers
    try:
        with multiprocessing.get_context("fork").Pool(procs) as pool:
            done = 0
            for data in pool.imap_unordered(_read_chunk, chunks):
                for path, result, records in _Unpickler(data, readers.settings).load():
                    for name, level, message in records:
                        logging.getLogger(name).log(level, "%s", message)
                    if result is not None:
                        readers.cache_data(path, result)
                        done += 1
    finally:
        _READERS = None
    logger.debug("read %d files on %d processes", done, procs)
    return done
