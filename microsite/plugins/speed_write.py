"""A Pelican writer that renders only pages whose inputs changed and writes only changed bytes.

For every ``write_file`` call the writer digests its inputs (see
``speed_digest``): the template and everything it pulls in, the context names
those templates use, the keyword arguments.  When the digest and the files the
call produced last time are unchanged (same size and mtime on disk), the call
is skipped: nothing is rendered.  Otherwise Pelican renders as usual and each
file is written only if its bytes differ, so unchanged files keep their mtime
(cheap rsync/git, and the check above stays valid).

The record of digests lives in Pelican's ``CACHE_PATH``; ``--ignore-cache``
(``LOAD_CONTENT_CACHE = False``) renders everything.  Because the output
directory is no longer wiped, ``remove_stale`` deletes at the end of the
build every file this build neither wrote nor kept: the site equals a clean
build (``tests/test_incremental.py``).  Plugins that write files themselves
must write them on every build (as they would with a wiped directory).
``content_written`` is still sent for every page, kept or rendered, with the
page's real context (pagination included), so sitemaps and the like see
the whole site.
"""

from __future__ import annotations

import heapq
import io
import json
import logging
import os
import pickle
import time
from inspect import iscoroutinefunction
from pathlib import Path

from pelican import signals
from pelican.contents import Content
from pelican.utils import get_relative_path, path_to_url, sanitised_join
from pelican.writers import FileOverwriteFailedError, Writer

from microsite.build import OUTPUT_STAMP, tree_stamp
from microsite.plugins import speed_digest, speed_jobs, speed_memo, speed_read
from microsite.plugins.speed_digest import Digester, _sha, own_views, take_own_views, view_variant

logger = logging.getLogger(__name__)
_pelican_log = logging.getLogger("pelican.writers")  # Pelican's "Writing ..." lines, under Pelican's name

MEMO_FILE = "microsite-render-memo.pickle"
VIEWS_FILE = "microsite-views.pickle"
TEMPLATES_FILE = "microsite-templates.pickle"
STATS_FILE = "microsite-last-build.json"
START_MARK = ".microsite-build-start"  # in the output folder: same file system, same mtime granularity
MEMO_VERSION = 1
PAGES_JOB = "pages"  # the deferred page renders (they need every article's own digests: ``prime``)
# Settings that change how a build runs, not what it renders: a clean build (``--ignore-cache
# --delete-output-directory``) leaves digests that the next incremental build can use.
BUILD_ONLY_SETTINGS = frozenset({
    "LOAD_CONTENT_CACHE", "DELETE_OUTPUT_DIRECTORY", "CACHE_PATH", "WRITE_SELECTED", "OUTPUT_RETENTION",
    "SPEED_WORKERS",
})


class _ChangedOnly(io.StringIO):
    """A text file that, on close, writes its bytes only when they differ from the file on disk."""

    def __init__(self, path: str, encoding: str, done) -> None:
        super().__init__()
        self._path, self._encoding, self._done = path, encoding, done

    def close(self) -> None:
        if not self.closed:
            data = self.getvalue().encode(self._encoding)
            try:
                with open(self._path, "rb") as old:
                    same = old.read() == data
            except OSError:
                same = False
            if not same:
                speed_jobs.seen().pop(os.path.abspath(self._path), None)
                with open(self._path, "wb") as f:
                    f.write(data)
            self._done(self._path)
        super().close()


class MemoWriter(Writer):
    """Pelican's Writer, skipping calls whose inputs are unchanged since the last build."""

    active: MemoWriter | None = None

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        self._memo_path = Path(self.settings.get("CACHE_PATH", "cache")) / MEMO_FILE
        self._enabled = bool(self.settings.get("CACHE_CONTENT"))
        self._old = self._load() if self._enabled and self.settings.get("LOAD_CONTENT_CACHE") else {}
        self._templates_path = self._memo_path.with_name(TEMPLATES_FILE) if self._enabled else None
        speed_digest.load_templates(
            self._templates_path if self.settings.get("LOAD_CONTENT_CACHE") else None)
        self._new: dict[str, tuple[str | None, list[tuple[str, int, int]]]] = {}
        self._files: list[tuple[str, int, int]] | None = None
        self._replay = False
        self._digester: Digester | None = None
        self._variants: dict[tuple, Digester] = {}
        self._own_shared: dict = {}
        self._summarised: bool | None = None
        self._templates_used: set[str] = set()
        self._context: dict | None = None
        self._context_digests: dict[str, str | None] = {}
        self._shared_parts: dict[tuple, str | None] = {}
        self.kept: set[str] = set()
        self.skipped = self.rendered = 0
        self.digest_seconds = 0.0
        # Calls waiting for ``flush``: (name, write_file arguments, [[template, context, localcontext, path], ...]).
        self._defer = speed_jobs.parallel(self.settings)
        self._pending: list[tuple[str, tuple, list[list]]] = []
        self._current: list[list] | None = None
        MemoWriter.active = self
        _quick_send(signals.content_written)

    def _load(self) -> dict:
        try:
            with open(self._memo_path, "rb") as f:
                data = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError):
            return {}
        if data.get("version") != MEMO_VERSION or data.get("output") != os.path.abspath(self.output_path):
            return {}
        return data["entries"]

    def save(self) -> None:
        """Store this build's digests (atomically) for the next build (unless they are the last build's)."""
        speed_digest.save_templates(self._templates_path)
        if not self._enabled or (self.rendered == 0 and self._new == self._old):
            return
        speed_memo.write_pickle(self._memo_path, {
            "version": MEMO_VERSION, "output": os.path.abspath(self.output_path), "entries": self._new})

    def write_file(self, name, template, context, relative_urls=False, paginated=None, template_name=None,
                   override_output=False, url=None, **kwargs):
        if not name:
            return super().write_file(name, template, context, relative_urls, paginated, template_name,
                                      override_output, url, **kwargs)
        if self._defer:
            return self._write_deferred(name, template, context, relative_urls, paginated, template_name,
                                        override_output, url, kwargs)
        started = time.perf_counter()
        key = self._key(name, template, context, relative_urls, paginated, template_name, override_output, url, kwargs)
        self.digest_seconds += time.perf_counter() - started
        old = self._old.get(name)
        replay = key is not None and old is not None and old[0] == key and speed_jobs.files_intact(old[1])
        self._files, self._replay = [], replay
        try:
            # When replaying, Pelican still paginates, claims each path and sends ``content_written``
            # with the page's real context; only the rendering and the writing are skipped.
            super().write_file(name, _NoRender() if replay else template, context, relative_urls, paginated,
                               template_name, override_output, url, **kwargs)
            self._new[name] = old if replay else (key, self._files)
        finally:
            self._files, self._replay = None, False
        if replay:
            self.skipped += 1
        else:
            self.rendered += 1

    def _write_deferred(self, name, template, context, relative_urls, paginated, template_name, override_output,
                        url, kwargs) -> None:
        """Pelican's bookkeeping now (paths claimed, ``content_written`` sent); digest and render later.

        Each render is recorded with its context; a worker digests the call,
        and renders it only when the digest or the files on disk changed.
        """
        if self._enabled:  # analysed once here, the workers inherit it instead of each parsing every template
            if self._digester is None:
                self._digester = Digester(template.environment)
            self._digester.template(template.name)
            self._templates_used.add(template.name)
            self._context = context
        self._current = []
        try:
            pages = paginated  # what Pelican's write_file paginates (when not told: these lists)
            if pages is None:
                pages = {key: val for key, val in kwargs.items() if key in {"articles", "dates"}}
            if pages and template_name in self.settings["PAGINATED_TEMPLATES"]:
                super().write_file(name, _Capture(template, context, self._current), context, relative_urls,
                                   paginated, template_name, override_output, url, **kwargs)
            else:
                self._write_single(name, template, context, relative_urls, override_output, kwargs)
            call = (template, context, relative_urls, paginated, template_name, override_output, url, kwargs)
            self._pending.append((name, call, self._current))
        finally:
            self._current = None
        if len(self._pending) >= BATCH:
            self.flush()

    def _write_single(self, name, template, context, relative_urls, override_output, kwargs) -> None:
        """Pelican's ``write_file`` for one page (no pagination), as far as a deferred render needs it:
        the same local context, the path claimed, ``content_written`` sent.  The folder is made
        when the page is rendered (most pages are kept, and their folder is there)."""
        localcontext = context.copy()
        localcontext["localsiteurl"] = localcontext.get("localsiteurl", None)
        if relative_urls:
            relative_url = _relative_url(name)
            localcontext["SITEURL"] = relative_url
            localcontext["localsiteurl"] = relative_url
        localcontext["output_file"] = name
        localcontext.update(kwargs)
        if localcontext["localsiteurl"]:
            context["localsiteurl"] = localcontext["localsiteurl"]
        path = _joined(self.output_path, name)
        self._current.append([template, context, localcontext, None])
        self._open_w(path, "utf-8", override=override_output)  # claims the path, notes where the render goes
        _pelican_log.info('Writing "%s"', path)
        signals.content_written.send(path, context=localcontext)

    def _key(self, name, template, context, relative_urls, paginated, template_name, override_output, url, kwargs):
        if not self._enabled:
            return None
        if self._digester is None:
            self._digester = Digester(template.environment)
        if self._digester.context_aware:  # a filter or global reads the whole context: cannot know the inputs
            return None
        inputs = self._digester.template(template.name)
        if inputs is None:
            return None
        # the article fields this page can show (when no summary is cut from a text: one view, not two)
        variant = view_variant(self._digester, inputs, self._all_summarised(context))
        if variant not in self._variants:
            self._variants[variant] = Digester(template.environment, *variant, shared=self._own_shared)
        digester = self._variants[variant]
        # What every page of this template and view shares (its sources, the settings, the context
        # names it reads), digested once: the pages of one template differ only in their arguments.
        shared_key = (template.name, variant, tuple(kwargs), len(context))
        shared = self._shared_parts.get(shared_key, False)
        if shared is False:
            shared = self._shared_parts[shared_key] = self._shared_digest(digester, inputs, variant, context,
                                                                          kwargs)
        arguments = digester.arguments(kwargs)  # (a fresh dict per page: not memoised)
        pages = digester.digest(paginated) if paginated is not None else "-"
        if shared is None or arguments is None or pages is None:
            return None
        return _sha("\0".join((shared, name, repr((relative_urls, template_name, override_output, url)), pages,
                               arguments)))

    def _shared_digest(self, digester, inputs, variant, context, kwargs) -> str | None:
        """Digest of a template's sources, the settings and the context names the template reads."""
        if "settings" not in self._context_digests:  # pagination and URLs follow the settings
            self._context_digests["settings"] = digester.digest(
                {k: v for k, v in self.settings.items() if k not in BUILD_ONLY_SETTINGS})
        parts = [inputs.digest, f"settings={self._context_digests['settings']}"]
        for var in sorted(inputs.names - kwargs.keys()):
            if var not in context:
                continue
            if (var, variant) not in self._context_digests:
                self._context_digests[var, variant] = digester.digest(context[var])
            parts.append(f"{var}={self._context_digests[var, variant]}")
        if any(p.endswith("=None") for p in parts):
            return None
        return digester.digest(parts)

    def prime(self) -> None:
        """Have every article's own-field digests (in each view the pages use) before the page jobs
        fork; otherwise each page worker digests every article (listings hold them all).  Another
        process, started at ``digest_ahead``, works them out from the first article on; here the
        last ones are worked out meanwhile (``speed_jobs.Claims``), then what it did not cover (a
        view it did not foresee)."""
        if not (self._enabled and self._defer and self._digester and self._context is not None) or \
                self._digester.context_aware:
            _take_ahead()
            return
        summarised = self._all_summarised(self._context)
        for name in self._templates_used:
            inputs = self._digester.template(name)
            if inputs is not None:
                variant = view_variant(self._digester, inputs, summarised)
                if variant not in self._variants:
                    self._variants[variant] = Digester(self._digester.env, *variant, shared=self._own_shared)
        contents = _contents(self._context)
        claims = None
        if _AHEAD is not None and speed_jobs.same_objects(_AHEAD[0], contents):
            claims = _AHEAD[2]
        with speed_memo.no_gc():
            while claims is not None and (run := claims.back()) is not None:
                # the process working the digests out ahead is not done: take runs of articles from
                # the back meanwhile, rather than wait
                for digester in self._variants.values():
                    for content in contents[run[0]:run[1]]:
                        digester.own_digest(content)
        ahead = _take_ahead()
        if ahead is not None:
            take_own_views(self._variants, *ahead)
        _keep_views(self.settings, set(self._variants))
        if len(contents) < PRIME_MIN:
            return
        for digester in self._variants.values():
            for content in contents:
                digester.own_digest(content)

    def _all_summarised(self, context) -> bool:
        """Whether every article and page of the site has a summary of its own (then none reads its text)."""
        if self._summarised is None:
            self._summarised = all("summary" in getattr(c, "metadata", {}) for c in _contents(context))
        return self._summarised

    def _claim(self, filename: str, override: bool) -> str:
        """Pelican's bookkeeping of written files (a second write to one path is an error)."""
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(f'Failed to overwrite "{filename}" a second time')
            return os.devnull
        if filename in self._written_files and not override:
            raise FileOverwriteFailedError(
                f'Failed to overwrite "{filename}" as Pelican has already written to it previously'
            )
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return filename

    def flush(self) -> None:
        """Hand the calls recorded so far to ``speed_jobs`` as one job."""
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        # a page the last build made is mostly kept (its digest only); a new one is rendered
        cost = sum((0.00005 if name in self._old else 0.001) * len(renders) for name, _call, renders in batch)
        speed_jobs.defer(lambda: self._run_batch(batch), self._batch_done, cost=cost, name=PAGES_JOB)

    def _run_batch(self, batch) -> tuple[list, int, int, float]:
        """In a worker: digest each call; render and write it unless it is unchanged on disk."""
        done, rendered, kept, digesting = [], 0, 0, 0.0
        for name, call, renders in batch:
            started = time.perf_counter()
            key = self._key(name, *call)
            digesting += time.perf_counter() - started
            old = self._old.get(name)
            if key is not None and old is not None and old[0] == key and speed_jobs.files_intact(old[1]):
                for path, _size, _mtime in old[1]:
                    speed_jobs.keep(path)
                done.append((name, old))
                kept += 1
                continue
            files = []
            for template, context, localcontext, path in renders:
                if path is None:
                    continue
                if localcontext["localsiteurl"]:  # what Pelican's _write_file does before each render
                    context["localsiteurl"] = localcontext["localsiteurl"]
                speed_jobs.write_if_changed(path, template.render(localcontext))
                st = os.stat(path)
                files.append((path, st.st_size, st.st_mtime_ns))
            done.append((name, (key, files)))
            rendered += 1
        return done, rendered, kept, digesting

    def _batch_done(self, result: tuple[list, int, int, float]) -> None:
        done, rendered, kept, digesting = result
        for name, entry in done:
            self._new[name] = entry
            self.kept.update(path for path, _size, _mtime in entry[1])
        self.rendered += rendered
        self.skipped += kept
        self.digest_seconds += digesting

    def _open_w(self, filename, encoding, override=False):
        target = self._claim(filename, override)
        if self._current is not None:  # deferred: remember where this render goes
            self._current[-1][3] = None if target == os.devnull else target
            return io.StringIO()
        if target == os.devnull:
            return open(os.devnull, "w", encoding=encoding)
        if self._replay:
            self.kept.add(target)
            return io.StringIO()
        return _ChangedOnly(target, encoding, self._wrote)

    def _wrote(self, path: str) -> None:
        self.kept.add(path)
        if self._files is not None:
            st = os.stat(path)
            self._files.append((path, st.st_size, st.st_mtime_ns))


_SITEURLS: dict[str, str] = {}  # folder -> relative SITEURL


def _relative_url(name: str) -> str:
    """Pelican's ``SITEURL`` for a page at ``name`` with relative URLs ("..", "../.."): the same for
    every page of one folder, worked out once per folder."""
    folder = os.path.dirname(name)
    found = _SITEURLS.get(folder)
    if found is None:
        found = _SITEURLS[folder] = path_to_url(get_relative_path(name))
    return found


BATCH = 200  # write_file calls per deferred job
PRIME_MIN = 20  # articles from which every article's digests are worked out before the page jobs fork


def _contents(context) -> list:
    """Every article and page of the site (translations included), once each."""
    contents = [v for key in ("articles", "drafts", "hidden_articles", "pages", "hidden_pages", "draft_pages")
                for v in context.get(key) or ()]
    contents += [t for c in contents for t in getattr(c, "translations", None) or ()]
    seen: set[int] = set()
    return [c for c in contents if isinstance(c, Content) and not (id(c) in seen or seen.add(id(c)))]


_AHEAD: tuple[list, speed_jobs.Ahead, speed_jobs.Claims] | None = None
CLAIM_RUN = 100  # articles per claim (``speed_jobs.Claims``) while the digests are worked out ahead


def digest_ahead(generators) -> None:
    """``all_generators_finalized``: start working out every article's own digests (``own_views``)
    in another process, while Pelican does its output bookkeeping.  That process takes the articles
    from the front; the main process, done with the bookkeeping, takes them from the back (``prime``)."""
    global _AHEAD
    _AHEAD = None
    env = next((g.env for g in generators if getattr(g, "env", None) is not None), None)
    if env is None:
        return
    settings, context = generators[0].settings, generators[0].context
    if not (settings.get("CACHE_CONTENT") and speed_jobs.parallel(settings)):
        return
    contents = _contents(context)
    if len(contents) >= PRIME_MIN:
        summarised = all("summary" in getattr(c, "metadata", {}) for c in contents)
        views = _last_views(settings)
        claims = speed_jobs.Claims(len(contents), CLAIM_RUN)
        _AHEAD = (contents, speed_jobs.Ahead(lambda: own_views(env, contents, summarised, views, claims.front),
                                             settings, "page digests"), claims)


def _views_path(settings: dict) -> Path | None:
    cache = settings.get("CACHE_PATH")
    return Path(cache) / VIEWS_FILE if cache and settings.get("CACHE_CONTENT") else None


def _last_views(settings: dict) -> set | None:
    """The views (``Digester`` variants) the last build's pages used, None when unknown."""
    path = _views_path(settings)
    data = speed_memo.read_kept(path) if path is not None and settings.get("LOAD_CONTENT_CACHE") else None
    views = (data or {}).get("views")
    return views if isinstance(views, set) else None


def _keep_views(settings: dict, views: set) -> None:
    """Record the views this build's pages used (for the next build's ``digest_ahead``)."""
    path = _views_path(settings)
    if path is not None and views and views != _last_views(settings):
        speed_memo.write_kept(path, {"views": views})


def _take_ahead() -> tuple[list, dict] | None:
    """(articles, their own digests by view) from ``digest_ahead``, once; None when it did not run."""
    global _AHEAD
    if _AHEAD is None:
        return None
    (contents, ahead, _claims), _AHEAD = _AHEAD, None
    return contents, ahead.result()


class _QuickSend:
    """``signal.send`` for a signal sent for every page (``content_written``): blinker copies its
    set of receivers on each send, 0.2 s over 14,000 pages.  The receivers are looked up again
    when the connections change; blinker's own ``send`` runs when a receiver waits for one
    sender only, or is a coroutine."""

    def __init__(self, signal) -> None:
        self.signal = signal
        self._seen: tuple | None = None
        self._receivers: list | None = None

    def __call__(self, sender=None, /, **kwargs):
        signal = self.signal
        seen = (tuple(signal.receivers), tuple(signal._by_sender), signal.is_muted)
        if seen != self._seen:
            self._seen, receivers = seen, list(signal.receivers_for(sender))
            plain = len(signal._by_sender) <= 1 and not any(iscoroutinefunction(r) for r in receivers)
            self._receivers = receivers if plain and not signal.is_muted else None
        if self._receivers is None:
            return type(signal).send(signal, sender, **kwargs)
        return [(receiver, receiver(sender, **kwargs)) for receiver in self._receivers]


_BASES: dict[str, str] = {}


def _joined(base: str, name: str) -> str:
    """Pelican's ``sanitised_join(base, name)``: for a plain relative path (no ``.`` or ``..`` part,
    no empty part, no trailing slash, as every page's is) the joined string at once, else
    Pelican's own (``abspath``, twice, for each of 14,000 pages)."""
    root = _BASES.get(base)
    if root is None:
        root = _BASES[base] = sanitised_join(base, "x")[:-1]  # the folder as Pelican spells it, and "/"
    if os.sep == "/" and name and name[0] != "/" and name[-1] != "/" and "//" not in name and "/." not in "/" + name:
        return root + name
    return sanitised_join(base, name)


def _quick_send(signal) -> None:
    """Use ``_QuickSend`` for ``signal`` until ``_plain_send`` (the end of the build)."""
    signal.send = _QuickSend(signal)


def _plain_send(signal) -> None:
    vars(signal).pop("send", None)


class _Capture:
    """Stands in for a template while deferring: records the render's context for later."""

    def __init__(self, template, context: dict, renders: list[list]) -> None:
        self._template, self._context, self._renders = template, context, renders

    def render(self, localcontext: dict) -> str:
        self._renders.append([self._template, self._context, localcontext, None])
        return ""


class _NoRender:
    """Stands in for the template of a page that is kept as it is on disk."""

    def render(self, *args, **kwargs) -> str:
        return ""


# --- the output directory is not wiped any more: remove what this build did not produce ---

_static_outputs: set[str] = set()


def mark_start(pelican) -> None:
    """``initialized``: touch a marker; files older than it were not written by this build."""
    _static_outputs.clear()
    mark = Path(pelican.output_path) / START_MARK
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text("")


def note_static(generator) -> None:
    """``static_generator_finalized``: static files Pelican leaves in place when unchanged."""
    for sf in generator.staticfiles:
        _static_outputs.add(os.path.abspath(sanitised_join(generator.output_path, sf.save_as)))


_STAMPED: list = []  # [the output digest's file, the files produced when it was made]


def confirm_stamp() -> None:
    """Once Pelican is done (``microsite.run_pelican``): drop the output digest ``remove_stale`` left
    when a file was produced after it (a ``finalized`` receiver that ran after it), so that
    ``microsite.build`` walks the site itself."""
    if _STAMPED and speed_jobs.produced() - _STAMPED[1]:
        _STAMPED[0].unlink(missing_ok=True)
    _STAMPED.clear()


def _remove_empty_folders(output: str, folders: list[str], retention: set[str]) -> None:
    """Remove each of ``folders`` (and then its parents) that is empty, up to ``output``, but the
    folders kept whatever their content (``OUTPUT_RETENTION``)."""
    queued = set(folders)
    pending = [(-f.count(os.sep), f) for f in queued]  # deepest first: a parent after its children
    heapq.heapify(pending)
    while pending:
        folder = heapq.heappop(pending)[1]
        rel = os.path.relpath(folder, output)
        if rel == "." or rel.startswith("..") or rel.split(os.sep)[0] in retention:
            continue
        try:
            if os.listdir(folder):
                continue
            os.rmdir(folder)
        except OSError:
            continue
        parent = os.path.dirname(folder)
        if parent not in queued:
            queued.add(parent)
            heapq.heappush(pending, (-parent.count(os.sep), parent))


def remove_stale(pelican) -> None:
    """``finalized``: save the digests, delete every file this build neither wrote nor kept."""
    writer = MemoWriter.active
    if writer is None:
        return
    MemoWriter.active = None
    _plain_send(signals.content_written)
    writer.save()
    mark = Path(pelican.output_path) / START_MARK
    try:
        start = mark.stat().st_mtime_ns
        mark.unlink()
    except OSError:  # the output folder was wiped (DELETE_OUTPUT_DIRECTORY): nothing can be stale
        return
    output = os.path.abspath(pelican.output_path)
    keep = {os.path.abspath(p) for p in writer.kept} | _static_outputs | speed_jobs.produced()
    retention = set(pelican.settings.get("OUTPUT_RETENTION", []))
    emptied: list[str] = []  # folders that lost files, or had none
    removed = 0

    def remove(path: str, rel: str, st: os.stat_result) -> bool:
        nonlocal removed
        if rel.split("/")[0] in retention or os.lstat(path).st_mtime_ns >= start:
            return False
        os.remove(path)
        emptied.append(os.path.dirname(path))
        removed += 1
        return True

    # One walk deletes the stale files and digests what is left, for ``microsite.build``'s next
    # up-to-date check (which would otherwise walk the site again once Pelican is done).
    stamp = tree_stamp(output, remove, emptied, keep, speed_jobs.seen())
    _remove_empty_folders(output, emptied, retention)
    if writer._enabled:
        _STAMPED[:] = [Path(pelican.settings["CACHE_PATH"]) / OUTPUT_STAMP, frozenset(speed_jobs.produced())]
        _STAMPED[0].parent.mkdir(parents=True, exist_ok=True)
        _STAMPED[0].write_text(json.dumps({"output": output, "stamp": stamp}), "utf-8")
    logger.info("Rendered %d, kept %d unchanged (digests: %.1f s), removed %d stale files",
                writer.rendered, writer.skipped, writer.digest_seconds, removed)
    stats = {"rendered": writer.rendered, "kept": writer.skipped, "removed": removed,
             "digest_seconds": round(writer.digest_seconds, 3), "articles": dict(speed_read.LAST)}
    if writer._enabled:  # for the benchmark and the tests: what the last build did
        Path(pelican.settings["CACHE_PATH"]).mkdir(parents=True, exist_ok=True)
        (Path(pelican.settings["CACHE_PATH"]) / STATS_FILE).write_text(json.dumps(stats), "utf-8")
