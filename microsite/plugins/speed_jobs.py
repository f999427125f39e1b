"""The output work of a build, run on every core once the context is complete.

Pelican writes its output one generator after another on one core.  Here,
work that only *reads* the finished context and *writes files* is deferred
(``defer``) and run at ``finalized`` in forked worker processes, alongside the
page renders the writer defers (``speed_write``): the search index, the
corpus exports, the citation files and the pages share both cores.

Rules for a job:

* it writes files only through ``write_if_changed`` (or declares with ``keep``
  a file it left as it is), so that the build knows them as produced and never
  removes them as stale;
* it must not change objects the parent uses afterwards: it runs in a child
  process, and only its return value (which must pickle) comes back, to the
  job's ``done`` callback in the parent;
* its log records are re-emitted in the parent (``--fatal warnings`` and the
  console see them), and an exception fails the build with its traceback.

With one CPU, without ``fork``, or with ``SPEED_WORKERS = 1`` the jobs run in
the main process, in order; the files are the same either way.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from operator import is_
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class Job:
    """One piece of deferred output work."""

    name: str
    run: Callable[[], Any]
    done: Callable[[Any], None] | None
    cost: float
    saves_memos: bool = True  # a job that fills a memo saves it itself (in its worker)


_JOBS: list[Job] = []
_PRODUCED: set[str] = set()  # files this process wrote or kept in this build
_ACTIVE: list[Job] | None = None  # the jobs being run (inherited by forked workers)
_ENABLED = False  # the speed plugin is loaded: jobs wait for ``finalized``


class JobError(RuntimeError):
    """A deferred job raised; the message carries its traceback."""


def reset(enabled: bool = True) -> None:
    """Forget jobs and produced files (start of a build, by the speed plugin)."""
    global _ENABLED, _EARLY
    _ENABLED = enabled
    _EARLY = None
    _AHEADS.clear()
    _JOBS.clear()
    _PRODUCED.clear()
    _SEEN.clear()


def defer(run: Callable[[], Any], done: Callable[[Any], None] | None = None, cost: float = 1.0,
          name: str = "") -> None:
    """Run ``run()`` at the end of the build, possibly in a worker; ``done(result)`` then runs here.

    ``cost`` is a rough estimate of the job's CPU time in seconds; bigger jobs
    are started first, so the cores finish together.  Without the speed
    plugin (``microsite.plugins.speed``) the job runs at once.
    """
    if not _ENABLED:
        result = run()
        if done is not None:
            done(result)
        return
    _JOBS.append(Job(name or getattr(run, "__qualname__", "job"), run, done, float(cost)))


def same_objects(started: list | None, now: list) -> bool:
    """Whether ``now`` holds the very objects ``started`` held, in order (the context an ``Ahead``
    was started with is the one the build ended with)."""
    return started is not None and len(started) == len(now) and all(map(is_, started, now))


def tags_of(articles: list) -> list[tuple]:
    """Each article's tags as they stand, for ``same_tags`` later: a plugin may change them after an
    ``Ahead`` that reads them started, by replacing the list or in place."""
    return [tuple(getattr(a, "tags", None) or ()) for a in articles]


def same_tags(started: list[tuple] | None, now: list[tuple]) -> bool:
    """Whether each article holds the very tag objects it held (both from ``tags_of``)."""
    return started is not None and len(started) == len(now) and all(map(same_objects, started, now))


def keep(path: str | os.PathLike) -> None:
    """The file at ``path`` belongs to this build, though it was not rewritten."""
    _PRODUCED.add(os.path.abspath(path))


def write_if_changed(path: str | os.PathLike, data: str | bytes | list, encoding: str = "utf-8") -> bool:
    """Write ``data`` to ``path`` unless the file already holds exactly it; True when written.

    Unchanged files keep their modification time (cheap rsync, git and
    ``speed_write``'s checks); either way the file counts as produced.
    ``data`` may be a list of bytes-like parts (written one after another: a
    100 MB corpus file is not joined first unless its size is the old one's).
    """
    parts = data if isinstance(data, list) else [data.encode(encoding) if isinstance(data, str) else data]
    path = os.path.abspath(path)
    _PRODUCED.add(path)
    _SEEN.pop(path, None)
    try:
        if os.path.getsize(path) == sum(map(len, parts)):
            with open(path, "rb") as f:
                if f.read() == (parts[0] if len(parts) == 1 else b"".join(parts)):
                    return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.writelines(parts)
    return True


def replay(records: list[tuple[str, int, str]]) -> None:
    """Emit records a ``Collect`` kept, here (the console and ``--fatal warnings`` see them)."""
    for name, level, message in records:
        logging.getLogger(name).log(level, "%s", message)


def files_intact(files: list[tuple[str, int, int]]) -> bool:
    """Every ``(path, size, mtime_ns)`` still describes the file on disk: nobody touched it since.

    Files found intact are noted (``seen``), for the walk at the end of the build (``remove_stale``)
    not to ``stat`` them again."""
    for path, size, mtime in files:
        try:
            st = os.stat(path)
        except OSError:
            return False
        if st.st_size != size or st.st_mtime_ns != mtime:
            return False
    for path, size, mtime in files:
        _SEEN[path] = (size, mtime)
    return True


_SEEN: dict[str, tuple[int, int]] = {}  # path -> (size, mtime_ns) of files this process found intact


def seen() -> dict[str, tuple[int, int]]:
    """``(size, mtime_ns)`` by absolute path of the files ``files_intact`` found intact in this
    process and this build (and nobody here wrote since)."""
    return _SEEN


def produced() -> set[str]:
    """Absolute paths of the files jobs (and ``write_if_changed`` callers) produced this build."""
    return _PRODUCED


class Collect(logging.Handler):
    """Keeps log records as (logger, level, message), to re-emit them in another process or build."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _in_worker(index: int) -> bytes:
    """In a forked worker: run job ``index``; pickled (index, result, produced, log records, error)."""
    root = logging.getLogger()
    collect = Collect()
    root.handlers, root.filters = [collect], []  # the level stays the parent's
    _PRODUCED.clear()
    from microsite.plugins import speed_memo

    try:
        result, error = _ACTIVE[index].run(), None
        if _ACTIVE[index].saves_memos:
            speed_memo.save_all()  # a memo a job filled lives in the worker: it saves it itself
    except BaseException:  # reported in the parent, which fails the build
        result, error = None, traceback.format_exc()
    try:
        return pickle.dumps((index, result, sorted(_PRODUCED), collect.records, error), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an unpicklable result is reported as an error
        return pickle.dumps((index, None, sorted(_PRODUCED), collect.records, traceback.format_exc()))


def workers(settings: dict) -> int:
    """Processes to use: ``SPEED_WORKERS`` or the CPUs this process may run on."""
    wanted = settings.get("SPEED_WORKERS")
    if wanted:
        return max(1, int(wanted))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def parallel(settings: dict) -> bool:
    """Whether deferred work will be spread over worker processes in this build."""
    return _ENABLED and workers(settings) > 1 and "fork" in multiprocessing.get_all_start_methods()


class _Early:
    """The jobs deferred before the output phase, running in one forked process meanwhile.

    The process takes them in order (``Claims.front``); the main process, once it has run its own
    jobs, takes the last ones not started yet (``steal``) rather than wait for it."""

    def __init__(self, jobs: list[Job], gated: bool = False, after: tuple = ()) -> None:
        global _ACTIVE
        self.jobs = jobs
        self.results: list[bytes] = []
        self.stolen: set[int] = set()
        ctx = multiprocessing.get_context("fork")
        self._receive, send = ctx.Pipe(duplex=False)
        self.gate = ctx.Event() if gated else None
        self.finished = ctx.Event()  # set by the process once its jobs are done
        self.claims = Claims(len(jobs), 1)
        _ACTIVE = jobs
        try:
            self.process = ctx.Process(target=self._run, daemon=True,
                                       args=(send, (self.gate, *after), self.claims, self.finished,
                                             os.getpid()))
            self.process.start()
        finally:
            _ACTIVE = None
        send.close()
        self._first = threading.Event()
        self._reader = threading.Thread(target=self._drain, daemon=True)  # a full pipe must never block it
        self._reader.start()

    @staticmethod
    def _run(send, waits: tuple, claims: Claims, finished, parent: int) -> None:
        # ``parent`` is taken before the fork: read here, it could already be the reaper's pid if
        # the build failed at once, and the process would then wait forever.
        for event in waits:  # its gate, and the processes it starts after
            while event is not None and not event.wait(0.5):
                if os.getppid() != parent:  # the build ended without releasing it (it failed)
                    os._exit(0)
        while (run := claims.front()) is not None:
            send.send_bytes(_in_worker(run[0]))
        send.close()
        finished.set()

    def steal(self) -> int | None:
        """In the main process: the index of a job the process has not started (now the main
        process's to run), None when none is left."""
        run = self.claims.back()
        if run is None:
            return None
        self.stolen.add(run[0])
        return run[0]

    def _drain(self) -> None:
        try:
            while True:
                self.results.append(self._receive.recv_bytes())
                self._first.set()
        except EOFError:
            pass
        finally:
            self._first.set()

    def first(self) -> bytes:
        """The first job's result, as soon as it is there (the process may go on with the others)."""
        self._first.wait()
        if self.results:
            return self.results[0]
        return pickle.dumps((0, None, [], [], "the worker died"))

    def release(self) -> None:
        """Let a gated process start its jobs."""
        if self.gate is not None:
            self.gate.set()

    def wait(self) -> list[bytes]:
        """The results of the jobs the process ran; a job it took but did not finish is reported."""
        self.release()
        self._reader.join()
        self.process.join()
        if len(self.results) + len(self.stolen) != len(self.jobs):
            done = {pickle.loads(data)[0] for data in self.results} | self.stolen
            return self.results + [pickle.dumps((i, None, [], [], "the worker died"))
                                   for i in range(len(self.jobs)) if i not in done]
        return self.results


_EARLY: _Early | None = None
# The early jobs (search index, exports) are needed only at the end of the build.  When they are short
# (a rebuild: their estimated cost is under ``EARLY_SHORT`` CPU seconds), Pelican's bookkeeping and the
# page digests are the critical path and have both cores: the early process is forked with the context
# (it sees it as it stands) but starts at ``release_early``, once the output phase is done.  In a
# clean build the search index is the longest job of all: the early process starts it at once.  Either
# way the main process, done with its own jobs, takes those the early process has not started.
EARLY_SHORT = 4.0


def start_early(settings: dict) -> None:
    """Start the jobs deferred so far in a background process (``all_generators_finalized``).

    Jobs that only need the finished context (the search index, the exports)
    then run while the main process does Pelican's output bookkeeping.
    """
    global _EARLY
    if not _JOBS or not parallel(settings) or _EARLY is not None:
        return
    jobs = sorted(_JOBS, key=lambda j: -j.cost)
    _JOBS.clear()
    _EARLY = _Early(jobs, gated=sum(j.cost for j in jobs) < EARLY_SHORT)


def release_early() -> None:
    """The output phase is done (``finalized``): the early jobs may run now, if they were waiting."""
    if _EARLY is not None:
        _EARLY.release()


class Claims:
    """Runs of ``n`` items shared by two processes: one takes them from the front (``front``), the
    other from the back (``back``) once it has nothing better to do, until they meet.  Made before
    the fork; each claim is a few integers in shared memory, under a lock."""

    def __init__(self, n: int, run: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self._bounds = ctx.RawArray("q", [0, n])
        self._lock = ctx.Lock()
        self._run = run

    def front(self) -> tuple[int, int] | None:
        with self._lock:
            start, end = self._bounds[0], self._bounds[1]
            if start >= end:
                return None
            self._bounds[0] = stop = min(start + self._run, end)
            return start, stop

    def back(self) -> tuple[int, int] | None:
        with self._lock:
            begin, stop = self._bounds[0], self._bounds[1]
            if stop <= begin:
                return None
            self._bounds[1] = start = max(stop - self._run, begin)
            return start, stop


class Ahead:
    """``run()`` started now in a forked process, for a result the build wants later (``result``).

    For work that reads the context as it stands and is needed later in the
    build (related articles, page digests): it then runs while the main
    process goes on.  ``then()``, if given, runs after it in the same process
    (it sees what ``run`` left there, e.g. to save a state) while the main
    process already has the result; the build waits for it at the end
    (``run_all``).  Without parallel work, ``run`` runs in ``result``, in this
    process, and ``then`` is deferred.  Neither may fill memos (that process
    does not save them).
    """

    def __init__(self, run: Callable[[], Any], settings: dict, name: str,
                 then: Callable[[], Any] | None = None, after_others: bool = False) -> None:
        self._run, self._then, self.name = run, then, name
        self._early: _Early | None = None
        self._taken = False
        if parallel(settings):
            jobs = [Job(name, run, None, 0.0, saves_memos=False)]
            if then is not None:
                jobs.append(Job(f"{name}, then", then, None, 0.0, saves_memos=False))
            # ``after_others``: work for a core the others leave idle, not beside them
            after = tuple(a._early.finished for a in _AHEADS if a._early is not None) if after_others else ()
            self._early = _Early(jobs, after=after)
            _AHEADS.append(self)

    def cancel(self) -> None:
        """Stop the process (what it was given is stale); nothing of it comes back."""
        if self._early is not None:
            self._early.process.kill()
            self._early.process.join()
            self._early.finished.set()  # an Ahead started after this one waits for it
            _AHEADS.remove(self)
            self._early = None

    @property
    def started(self) -> bool:
        """Whether ``run`` runs in another process (else it runs in ``result``)."""
        return self._early is not None

    def result(self) -> Any:
        """The result (waiting for it); an exception in ``run`` is raised here as a ``JobError``."""
        if self._early is None:
            value = self._run()
            if self._then is not None:
                defer(self._then, name=f"{self.name}, then")
            return value
        self._taken = True
        _index, result, paths, records, error = pickle.loads(self._early.first())
        replay(records)
        _PRODUCED.update(paths)
        if error:
            raise JobError(f"{self.name}: {error}")
        return result

    def finish(self, errors: list[str]) -> None:
        """Wait for ``then`` (its log records, files and errors come back here), and for ``run`` when
        ``result`` was never asked for."""
        if self._early is not None:
            for data in self._early.wait()[1 if self._taken else 0:]:
                _receive(self._early.jobs, data, errors)


_AHEADS: list[Ahead] = []


def _receive(jobs: list[Job], data: bytes, errors: list[str]) -> None:
    index, result, paths, records, error = pickle.loads(data)
    replay(records)
    _PRODUCED.update(paths)
    if error:
        errors.append(f"{jobs[index].name}: {error}")
    elif jobs[index].done is not None:
        jobs[index].done(result)


def _free_workers(settings: dict) -> int:
    """Workers to fork now: one fewer while the early jobs' process still runs (it has a core, and
    every forked copy of a 10,000-article build costs memory as it touches its pages)."""
    busy = _EARLY is not None and _EARLY.process.is_alive()
    return workers(settings) - (1 if busy else 0)


def _run_here(job: Job) -> None:
    """Run ``job`` in this process, then its ``done``."""
    result = job.run()
    if job.done is not None:
        job.done(result)


def run_serial_first(settings: dict, chosen: Callable[[Job], bool]) -> None:
    """While the other core is busy (the early process runs): run the ``chosen`` deferred jobs here
    now, before work that waits for another process (``MemoWriter.prime``)."""
    if not (_EARLY is not None and _EARLY.process.is_alive() and _free_workers(settings) < 2):
        return
    now = [job for job in _JOBS if chosen(job)]
    _JOBS[:] = [job for job in _JOBS if not chosen(job)]
    for job in sorted(now, key=lambda j: -j.cost):
        _run_here(job)


def run_all(settings: dict) -> None:
    """Run every deferred job (jobs may defer more); ``done`` callbacks run here, in order of completion."""
    global _ACTIVE, _EARLY
    errors: list[str] = []
    while _JOBS:
        jobs = sorted(_JOBS, key=lambda j: -j.cost)
        _JOBS.clear()
        procs = min(_free_workers(settings), len(jobs))
        if procs < 2 or "fork" not in multiprocessing.get_all_start_methods():
            for job in jobs:
                _run_here(job)
            continue
        _ACTIVE = jobs
        try:
            with multiprocessing.get_context("fork").Pool(procs) as pool:
                for data in pool.imap_unordered(_in_worker, range(len(jobs))):
                    _receive(jobs, data, errors)
        finally:
            _ACTIVE = None
    if _EARLY is not None:
        early, _EARLY = _EARLY, None
        while (index := early.steal()) is not None:  # rather than wait for the early process
            _run_here(early.jobs[index])
        for data in early.wait():
            _receive(early.jobs, data, errors)
    while _AHEADS:
        _AHEADS.pop().finish(errors)
    if errors:
        raise JobError("\n".join(errors))


def is_produced(path: str | Path) -> bool:
    """Whether a job or ``write_if_changed`` produced ``path`` in this build."""
    return os.path.abspath(path) in _PRODUCED
