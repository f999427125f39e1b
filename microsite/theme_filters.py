"""Jinja filters our theme uses (registered through ``JINJA_FILTERS`` in pelicanconf).

Rendering is most of a clean build, and most of what a page shows is shown
on other pages too: the site header and footer are the same on every page
of one folder depth, an article's listing entry, date line and tags are the
same in every listing (and on its own page), its line in "Related articles"
the same on each article that lists it.  The *fragment* filters below render
such a piece from its own partial template once and hand the same markup to
every later page.  Their rules, which keep every page byte-identical to a
plain render (``tests/test_render_fragments.py``):

* a fragment sees only what it is given: its template is rendered with the
  filter's arguments as its whole context (the tests check that every name
  each fragment template uses is passed in);
* the memo is keyed by every argument: str, int, bool, None and Markup by
  type and value, anything else (articles, pages, lists) by identity, which
  holds for the build because the memo keeps the object alive and these
  objects no longer change once pages are rendered;
* per-article fragments whose template only prints ``SITEURL`` are rendered
  once with a marker in its place (see ``_per_article``);
* one memo serves the environments that render alike (Pelican makes one per
  generator, all from the same settings and theme files; see ``_signature``).

``speed_digest`` sees through them: each declares the attribute names it
reads of what it is given (``digest_reads``) and the template it renders
(``digest_templates``), whose names and attributes count for the page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import types
import weakref
from functools import partial
from urllib.parse import urlsplit

from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, Undefined, nodes, pass_environment
from jinja2.filters import do_striptags
from jinja2.utils import _PassArg
from markupsafe import Markup, escape
from pelican.utils import DateFormatter
from pelican.utils import strftime as pelican_strftime

from microsite.normalise.sanitize import safe_url as _safe_url
from microsite.normalise.sanitize import safe_url_parts

ENTRY_TEMPLATE = "partials/article_entry.html"
# MICROSITE_FRAGMENT_MEMO=0 renders every fragment in place, SITEURL and all: the tests build a site both ways
# and compare the bytes.
MEMO = os.environ.get("MICROSITE_FRAGMENT_MEMO", "1") != "0"
_MAX_STORES = 8  # memos of environments that render alike (one per build, in practice)
_MAX_ENTRIES = 300_000  # a memo this full starts afresh (a build of 10,000 articles fills ~75,000)
_stores: dict[object, dict] = {}  # signature -> memo
_users: dict[object, weakref.WeakSet] = {}  # signature -> the environments using its memo
_environments: dict[int, tuple[weakref.ref, object]] = {}  # id -> (environment, signature)
_globals: dict[int, tuple[object, dict]] = {}  # id -> (template, its globals)
_last: list = [lambda: None, None]  # the environment asked last (weakly), and its memo
_MAX_STRINGS = 100_000  # memoised str -> str results kept per process (a build needs a few per article)
_urls: dict[str, str] = {}
_plain: dict[str, str] = {}


def safe_url(url: object) -> str:
    """``sanitize.safe_url`` (an absolute http(s) URL or ""), memoised: an article page asks three times."""
    if type(url) is not str:  # Markup or anything else: as it is (the result keeps the input's type)
        return _safe_url(url)
    hit = _urls.get(url)
    if hit is None:
        if len(_urls) >= _MAX_STRINGS:
            _urls.clear()
        hit = _urls[url] = _safe_url(url)
    return hit


def striptags(value: object) -> str:
    """Jinja's ``striptags``, memoised by text: an article's summary is stripped on its page and in every listing.

    The result depends on the text only (Jinja strips ``Markup`` and ``str``
    alike), so equal texts share it.
    """
    if type(value) is not str and type(value) is not Markup:
        return do_striptags(value)
    hit = _plain.get(value)
    if hit is None:
        if len(_plain) >= _MAX_STRINGS:
            _plain.clear()
        hit = _plain[str(value)] = do_striptags(value)
    return hit


# An http(s) URL with a plain host name (letters, digits, dots, hyphens), an optional port and
# nothing ``safe_url`` refuses after it: its host is the name, lower-cased, as ``urlsplit`` says.
_PLAIN_HOST = re.compile(
    r"[hH][tT][tT][pP][sS]?://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#][^\s\"'<>\\\x00-\x1f\x7f-\x9f\u200b\ufeff\ufffe\uffff]*)?")


def host(url: object) -> str:
    """The host of a URL, for display ("www.belta.by"); "" for a URL ``safe_url`` drops."""
    if type(url) is not str:
        return urlsplit(safe_url(url)).hostname or ""
    plain = _PLAIN_HOST.fullmatch(url.strip())  # (a build asks for every article's source)
    if plain is not None:
        return plain.group(1).lower()
    parts = safe_url_parts(url)
    return (parts.hostname or "") if parts is not None else ""


def isodate(value: object) -> str:
    """ISO 8601 for a date or datetime (offset kept), "" for anything else."""
    return value.isoformat() if hasattr(value, "isoformat") else ""


def by_count(pairs: object) -> list:
    """(tag, articles) pairs, most articles first, then by name."""
    return sorted(pairs, key=lambda p: (-len(p[1]), str(p[0]).casefold()))  # type: ignore[arg-type]


_DIRECTIVE = re.compile("%[-]?.")  # what Pelican's strftime takes for a directive
_C89 = "aAbBcdfGHIjmMpSUuVwWxXyYzZ%"  # the directives it formats (others are printed as written)
_PRINTABLE = re.compile("[ -~]*")
_plans: dict[str, tuple[tuple[str, int], ...] | None] = {}
LITERAL, NATIVE, NO_ZEROS = 0, 1, 2


def datefmt(value: object, fmt: str) -> str:
    """``date.strftime(fmt)`` as Pelican's dates format (``%-d``: the day without its zero), at a fraction of the cost.

    Pelican's ``strftime`` (what a template's ``article.date.strftime(...)``
    runs) parses the format on every call and formats each directive with
    its own ``strftime`` call.  Here the format is parsed once, and each run
    of directives and plain ASCII text between two ``%-x`` directives is
    formatted by one call: ``strftime`` prints such text as it is and
    formats each directive on its own, so the text is the same
    (``tests/test_render_fragments.py`` compares them).
    """
    plan = _plans.get(fmt, False)
    if plan is False:
        plan = _plans[fmt] = _plan(fmt)
    if plan is None:  # a format Pelican itself fails on (a lone % at the end): the same error
        return pelican_strftime(value, fmt)
    native = partial(dt.datetime.strftime, value) if isinstance(value, dt.datetime) else value.strftime
    out = []
    for text, kind in plan:
        if kind == LITERAL:
            out.append(text)
        elif kind == NATIVE:
            out.append(native(text))
        else:
            out.append(native(text).lstrip("0") or "0")
    return "".join(out)


def _plan(fmt: str) -> tuple[tuple[str, int], ...] | None:
    """``fmt`` as steps: text printed as it is, formatted by one ``strftime`` call, or formatted and stripped."""
    if "%" in _DIRECTIVE.sub("", fmt):
        return None
    steps: list[tuple[str, int]] = []
    run: list[str] = []  # a format for one strftime call

    def flush() -> None:
        if run:
            text = "".join(run)
            steps.append((text, NATIVE) if "%" in text else (text, LITERAL))
            run.clear()

    def literal(text: str) -> None:
        if not text:
            return
        if _PRINTABLE.fullmatch(text):
            run.append(text.replace("%", "%%"))
        else:
            flush()
            steps.append((text, LITERAL))

    pos = 0
    for match in _DIRECTIVE.finditer(fmt):
        literal(fmt[pos:match.start()])
        pos = match.end()
        candidate = match.group()
        if candidate[-1] not in _C89:
            literal(candidate)
        elif len(candidate) == 3:
            flush()
            steps.append((f"%{candidate[-1]}", NO_ZEROS))
        else:
            run.append(candidate)
    literal(fmt[pos:])
    flush()
    return tuple(steps)


def _store(env) -> dict:
    """The fragment memo of ``env``, shared with every environment that renders templates alike.

    Pelican gives each generator its own environment, all made alike from the
    settings (the sources pages list the same entries as the tag pages): they
    share one memo when ``_signature`` finds them equal.  A memo whose
    environments are all gone (a finished build in the same process) starts
    afresh, and none grows past ``_MAX_ENTRIES``.
    """
    if _last[0]() is env and len(_last[1]) < _MAX_ENTRIES:  # pages come in runs from one generator
        return _last[1]
    known = _environments.get(id(env))
    if known is None or known[0]() is not env:
        if len(_environments) >= 64:
            _environments.clear()
        known = _environments[id(env)] = (weakref.ref(env), _signature(env))
        users = _users.get(known[1])
        if users is None or not users:  # new, or only used by environments of a finished build
            _stores.pop(known[1], None)
            users = _users[known[1]] = weakref.WeakSet()
        users.add(env)
    store = _stores.get(known[1])
    if store is None or len(store) >= _MAX_ENTRIES:
        while len(_stores) >= _MAX_STORES:
            _users.pop(next(iter(_stores)), None)
            del _stores[next(iter(_stores))]
        store = _stores[known[1]] = {}
    _last[:] = [weakref.ref(env), store]
    return store


class _Incomparable(Exception):
    """Part of an environment that cannot be compared with another environment's."""


_OPTIONS = (
    "block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
    "comment_start_string", "comment_end_string", "line_statement_prefix", "line_comment_prefix",
    "trim_blocks", "lstrip_blocks", "newline_sequence", "keep_trailing_newline", "optimized", "undefined",
    "finalize", "autoescape", "is_async", "context_class", "template_class", "code_generator_class",
)


def _signature(env) -> object:
    """What decides how ``env`` renders a template: its options, where its loader reads, its filters, tests,
    globals and extensions.  Equal signatures render every template the same; an environment with a part
    that cannot be compared gets a signature of its own."""
    try:
        return (
            type(env),
            tuple(_comparable(getattr(env, name, None)) for name in _OPTIONS),
            _comparable(env.policies),
            tuple(sorted((name, type(ext)) for name, ext in env.extensions.items())),
            _loader(env.loader),
            _comparable(env.filters),
            _comparable(env.tests),
            _comparable(env.globals),
        )
    except _Incomparable:
        return ("environment", object())


def _loader(loader) -> object:
    if type(loader) is ChoiceLoader:
        return ("choice", tuple(_loader(sub) for sub in loader.loaders))
    if type(loader) is PrefixLoader:
        return ("prefix", loader.delimiter, tuple(sorted((k, _loader(v)) for k, v in loader.mapping.items())))
    if type(loader) is FileSystemLoader:
        return ("files", tuple(loader.searchpath), loader.encoding, loader.followlinks, _files_digest(loader))
    raise _Incomparable(loader)


def _files_digest(loader: FileSystemLoader) -> str:
    """Digest of every file the loader can read: a theme edited between two builds in one process
    (``pelican --autoreload``) makes a new signature, so fragments rendered from the old files are not reused."""
    digest = hashlib.blake2b(digest_size=16)
    for root in loader.searchpath:
        for folder, _dirs, files in sorted(os.walk(root, followlinks=loader.followlinks)):
            for name in sorted(files):
                path = os.path.join(folder, name)
                digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
                try:
                    with open(path, "rb") as f:
                        digest.update(f.read())
                except OSError:
                    digest.update(b"unreadable")
                digest.update(b"\0")
    return digest.hexdigest()


def _comparable(value: object) -> object:
    """``value`` as a hashable stand-in equal for equal values: functions and classes by identity, plain data by
    value, Pelican's per-environment ``strftime`` filter and ``partial`` objects by what they hold."""
    if value is None or type(value) in (str, int, float, bool):
        return (type(value), value)
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType, type)):
        return value
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _comparable(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(_comparable(v) for v in value))
    if isinstance(value, partial):
        return ("partial", value.func, _comparable(value.args), _comparable(value.keywords))
    if isinstance(value, DateFormatter):
        return ("DateFormatter", value.locale)
    raise _Incomparable(value)


def _render(env, name: str, variables: dict) -> str:
    """``env.get_template(name).render(variables)``, without re-reading the template's globals on every call.

    ``Template.render`` flattens the template's globals (a ``ChainMap``) for
    each render, which costs as much as rendering a small fragment; here
    that is done once per template (Jinja asks that globals not change once
    templates are loaded).
    """
    template = env.get_template(name)
    if env.is_async:
        return template.render(variables)
    known = _globals.get(id(template))
    if known is None or known[0] is not template:
        if len(_globals) >= 256:
            _globals.clear()
        known = _globals[id(template)] = (template, dict(template.globals))
    context = env.context_class(env, {**known[1], **variables}, template.name, template.blocks, globals=known[1])
    try:
        return env.concat(template.root_render_func(context))
    except Exception:
        env.handle_exception()


def _frozen(value: object, held: list) -> object:
    """``value`` as part of a memo key: str, int, bool and None by type and value, anything else by identity."""
    kind = type(value)
    if kind is str:
        return value
    if kind in (int, bool, type(None), Markup):
        return (kind, value)
    if isinstance(value, Undefined):  # a name the page does not define: the fragment gets none either
        return Undefined
    held.append(value)  # the memo holds it: its id is not reused while the entry lives
    return (object, id(value))


def _site_part_render(env, name: str, siteurl: str, params: tuple[str, ...], context: dict) -> Markup:
    """``name`` rendered with ``context`` as its whole context, once per environment and distinct context."""
    held: list = []
    key = (name, _frozen(siteurl, held), *(_frozen(context[p], held) for p in params))
    store = _store(env)
    hit = store.get(key)
    if hit is None:
        defined = {k: v for k, v in context.items() if not isinstance(v, Undefined)}
        defined["SITEURL"] = siteurl
        hit = store[key] = (Markup(_render(env, name, defined)), held)
    return hit[0]


def _named(fragment, filter_name: str, template: str, doc: str):
    """Name a fragment filter as its module-level variable (Pelican pickles the settings, filters included)."""
    fragment.__name__ = fragment.__qualname__ = filter_name
    fragment.__doc__ = doc
    fragment.digest_templates = (template,)
    return fragment


def _per_article(filter_name: str, name: str, doc: str, strip: bool = False, per_depth: bool = True):
    """A filter ``article|f(SITEURL)`` rendering template ``name`` once per article (and ``SITEURL``).

    When the template (and what it includes) only ever prints ``SITEURL``
    (``{{ SITEURL }}``, or hands it to another such filter; never tests or
    transforms it), it is rendered once per article with a marker for
    ``SITEURL``, and each folder depth's copy is that text with the marker
    replaced by the escaped ``SITEURL``: exactly what rendering it there
    would print.  The marker starts with ``<``, which no escaped value can
    hold, and carries a random token, so only the template itself can have
    written it.  Given the marker itself (from another such template being
    rendered so), the filter returns its own marked text.  ``per_depth``
    keeps each depth's copy too (for pieces shown many times at one depth).
    """

    @pass_environment
    def fragment(env, article: object, siteurl: str) -> Markup:
        if not MEMO or (type(siteurl) is not str and siteurl is not _MARK):  # Undefined or Markup: as it comes
            return _finish(_render(env, name, {"article": article, "SITEURL": siteurl}), strip)
        store = _store(env)
        key = (name, id(article), siteurl)
        hit = store.get(key)
        if hit is not None and hit[1] is article:
            return hit[0]
        if siteurl is _MARK or _prints_siteurl_only(env, name, store):
            marked_key = (name, id(article), None)
            marked = store.get(marked_key)
            if marked is None or marked[1] is not article:
                marked = store[marked_key] = (_render(env, name, {"article": article, "SITEURL": _MARK}), article)
            if siteurl is _MARK:
                return _finish(marked[0], strip)
            html = marked[0].replace(_MARK, escape(siteurl))
            if not per_depth:
                return _finish(html, strip)
        else:
            html = _render(env, name, {"article": article, "SITEURL": siteurl})
        hit = store[key] = (_finish(html, strip), article)
        return hit[0]

    fragment.marks_siteurl = True
    return _named(fragment, filter_name, name, doc)


def _finish(html: str, strip: bool) -> Markup:
    return Markup(html.rstrip("\n") if strip else html)


_MARK = Markup(f"<!--SITEURL {secrets.token_hex(8)}-->")


def _prints_siteurl_only(env, name: str, store: dict) -> bool:
    """Whether template ``name`` and every template it includes use ``SITEURL`` only as ``{{ SITEURL }}``
    or as the argument of another filter that renders with a marker (``article|list_entry(SITEURL)``)."""
    key = ("prints SITEURL only", name)
    if key not in store:
        store[key] = _check_prints_only(env, name, "SITEURL", set())
    return store[key]


def _check_prints_only(env, name: str, var: str, seen: set[str]) -> bool:
    if env.finalize is not None:  # printed values pass through a function first
        return False
    seen.add(name)
    ast = env.parse(env.loader.get_source(env, name)[0])
    allowed = {id(child) for out in ast.find_all(nodes.Output) for child in out.nodes}
    refs = []
    for node in ast.find_all((nodes.Filter, nodes.Test, nodes.Call)):
        if isinstance(node, nodes.Call):
            func = env.globals.get(node.node.name) if isinstance(node.node, nodes.Name) else None
        else:
            func = (env.filters if isinstance(node, nodes.Filter) else env.tests).get(node.name)
        # A function given the page's context could read SITEURL without naming it.
        sees_context = getattr(func, "jinja_pass_arg", None) in (_PassArg.context, _PassArg.eval_context)
        if sees_context and not getattr(func, "__module__", "").startswith("jinja2."):
            return False
        plain_call = len(node.args) == 1 and not (node.kwargs or node.dyn_args or node.dyn_kwargs)
        if getattr(func, "marks_siteurl", False) and plain_call:
            allowed.add(id(node.args[0]))
            refs += list(func.digest_templates)
    for node in ast.find_all(nodes.Name):
        if node.name == var and (node.ctx != "load" or id(node) not in allowed):
            return False
    for node in ast.find_all((nodes.Extends, nodes.FromImport, nodes.Import, nodes.Include)):
        if not isinstance(node, nodes.Include) or not isinstance(node.template, nodes.Const):
            return False
        refs.append(node.template.value)
    return all(ref in seen or _check_prints_only(env, ref, var, seen) for ref in refs)


def _site_part(filter_name: str, name: str, doc: str, params: tuple[str, ...]):
    """A filter ``SITEURL|f(NAME=NAME, ...)`` rendering template ``name`` once per distinct set of values."""
    expected = frozenset(params)

    @pass_environment
    def fragment(env, siteurl: str, **context) -> Markup:
        if context.keys() != expected:
            raise TypeError(f"{name} takes SITEURL and {', '.join(params)}; given {', '.join(sorted(context))}")
        if not MEMO:
            defined = {k: v for k, v in context.items() if not isinstance(v, Undefined)}
            return Markup(_render(env, name, {**defined, "SITEURL": siteurl}))
        return _site_part_render(env, name, siteurl, params, context)

    fragment.params = params
    return _named(fragment, filter_name, name, doc)


list_entry = _per_article(
    "list_entry",
    ENTRY_TEMPLATE,
    """An article's entry in a listing (``partials/article_entry.html``), rendered once per build.

    One article is listed on ten pages or more (home, tags, category, source,
    archives), always the same but for the relative ``SITEURL``: rendering it
    once (and keeping each depth's copy) is most of the rendering a clean
    build saves.  The entry depends on the article and ``SITEURL`` only
    (never on the page).
    """,
    strip=True,
)
article_meta = _per_article(
    "article_meta",
    "partials/article_meta.html",
    """An article's date, publisher and section line (on its page and in every listing).""",
    per_depth=False,
)
tag_list = _per_article(
    "tag_list",
    "partials/tag_list.html",
    """An article's tags (on its page and in every listing).""",
    per_depth=False,
)
related_link = _per_article(
    "related_link",
    "partials/related_link.html",
    """An article's link, date and publisher in another article's "Related articles" (shared tags excepted).""",
)
archive_line = _per_article(
    "archive_line",
    "partials/archive_line.html",
    """An article's line in a year or month archive (both list it).""",
    per_depth=False,
)
head_links = _site_part(
    "head_links",
    "partials/head_links.html",
    """The stylesheets, scripts and feed link in every page's ``<head>``.""",
    ("THEME_STATIC_DIR", "FEED_ATOM_SITE", "SITENAME"),
)
site_banner = _site_part(
    "site_banner",
    "partials/site_banner.html",
    """The top of every page's ``<body>``: skip link, site name, subtitle, search form.""",
    ("SITENAME", "SITESUBTITLE"),
)
site_nav = _site_part(
    "site_nav",
    "partials/site_nav.html",
    """The main navigation (the current page marked by ``page_name``).""",
    ("SOURCES_SAVE_AS", "page_name", "pages"),
)
site_footer = _site_part(
    "site_footer",
    "partials/site_footer.html",
    """The footer: credit line and corpus downloads.""",
    ("SITENAME", "CORPUS_DOWNLOADS", "FEED_ATOM_SITE"),
)

FRAGMENTS = {
    "list_entry": list_entry,
    "article_meta": article_meta,
    "tag_list": tag_list,
    "related_link": related_link,
    "archive_line": archive_line,
    "head_links": head_links,
    "site_banner": site_banner,
    "site_nav": site_nav,
    "site_footer": site_footer,
}

# What each filter reads of the objects it is given (plugins/speed_digest.py): none reads an article field
# itself; a fragment reads what its template reads (``digest_templates``).
for _filter in (safe_url, striptags, host, isodate, by_count, datefmt, *FRAGMENTS.values()):
    _filter.digest_reads = frozenset()

FILTERS = {
    "safe_url": safe_url, "striptags": striptags, "host": host, "isodate": isodate, "by_count": by_count,
    "datefmt": datefmt, **FRAGMENTS,
}
