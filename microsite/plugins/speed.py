"""Speed at research scale: the Pelican plugin that wires the fast paths in.

* ``speed_generator``: the articles generator without quadratic scans, reading
  Markdown on every core, and period archives that survive mixed UTC offsets;
* ``speed_write``: a writer that skips pages whose inputs did not change and
  writes only changed bytes, then removes what the build no longer produces
  (so ``DELETE_OUTPUT_DIRECTORY`` stays off and the output is still exactly a
  clean build's).

The content cache itself is Pelican's (``CACHE_CONTENT``); ``microsite.build``
gives each output folder its own cache and drops it whenever settings, theme,
code or library versions change.
"""

from __future__ import annotations

import gc
import os

from jinja2 import FileSystemBytecodeCache
from pelican import signals

from microsite.plugins import speed_dates, speed_digest, speed_jobs, speed_memo, speed_urls
from microsite.plugins.speed_generator import use_fast_generator
from microsite.plugins.speed_write import PAGES_JOB, MemoWriter, digest_ahead, mark_start, note_static, remove_stale


def _writer(pelican) -> type:
    return MemoWriter


def _start(pelican) -> None:
    # No cyclic garbage collection while the context is built: each full collection walks every
    # object of the build (10,000 articles and their fields), for next to no garbage.  Once the
    # context is complete it is frozen (never scanned again, and forked workers do not touch its
    # pages) and collection resumes for what the output phase allocates.
    gc.disable()
    speed_dates.install()
    speed_urls.install()
    speed_urls.thaw()
    speed_jobs.reset()
    speed_memo.reset()
    speed_digest.reset()
    mark_start(pelican)


def _bytecode(generator) -> None:
    """``generator_init``: compiled templates kept in Pelican's cache folder (Jinja's bytecode cache,
    keyed by each template's source): a rebuild loads them instead of compiling a dozen templates."""
    settings = generator.settings
    env = getattr(generator, "env", None)
    if env is not None and settings.get("CACHE_CONTENT") and settings.get("CACHE_PATH") and env.bytecode_cache is None:
        folder = os.path.join(settings["CACHE_PATH"], "microsite-templates")
        os.makedirs(folder, exist_ok=True)
        env.bytecode_cache = FileSystemBytecodeCache(folder)


def _context_done(generators) -> None:
    """Every generator has read its content: URLs are final; jobs deferred so far start now."""
    speed_urls.freeze()
    gc.freeze()
    gc.enable()
    if generators:
        digest_ahead(generators)
        speed_jobs.start_early(generators[0].settings)


def _finish(pelican) -> None:
    """Run the deferred output work on every core, save the memos, then remove stale files."""
    speed_jobs.release_early()
    if MemoWriter.active is not None:
        MemoWriter.active.flush()
        # What does not wait for the page digests (citation files, feeds) runs first, while the
        # process working the digests out ahead goes on; ``prime`` then takes what it has not done.
        speed_jobs.run_serial_first(pelican.settings, lambda job: job.name != PAGES_JOB)
        MemoWriter.active.prime()
    gc.freeze()  # what the output phase added (recorded renders): the workers about to fork never scan it
    speed_jobs.run_all(pelican.settings)
    speed_memo.save_all()
    remove_stale(pelican)


def register() -> None:
    """Pelican plugin entry point."""
    signals.initialized.connect(_start)
    signals.article_generator_init.connect(use_fast_generator)
    signals.generator_init.connect(_bytecode)
    signals.get_writer.connect(_writer)
    signals.all_generators_finalized.connect(_context_done)
    signals.static_generator_finalized.connect(note_static)
    signals.finalized.connect(_finish)
