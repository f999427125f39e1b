"""A per-page time limit for extraction steps that can be slow on odd pages.

A limit that is hit costs that step's result, never the page and never the
run: callers catch TimeoutError and fall back.  It uses SIGALRM, so it works
in the main thread of a process (the import's worker processes, or the
single process of a small import) and is simply no limit elsewhere.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (main thread on Unix only; else no limit)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def _expired(signum, frame):
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
