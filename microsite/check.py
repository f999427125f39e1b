"""``invoke check``: the built site as a reader meets it, from disk or under a sub-path.

Every page is parsed (lxml) and every URL it holds is sorted into one of two
kinds.  *Links* (``<a href>``, ``<form action>``, ``<link rel=alternate>``...)
navigate: local ones must reach a file of the site, and their ``#fragment`` an
``id`` in that page; other hosts are fine.  *Assets* (scripts, stylesheets,
images, ``srcset``, iframes, CSS ``url()``/``@import``, fonts) are loaded to
render the page: local ones must exist and none may come from another host,
because the site must work offline and from a zip.  CSS is parsed with
tinycss2, never matched with regexes.

Two URL shapes exist on disk yet fail the reader, so they are problems too: a
root-relative ``/x.html`` (breaks under ``https://user.github.io/repo/`` and
from ``file://``) and a link to a folder (``file://`` shows a file listing, not
its ``index.html``).

Search (``search.html``) is checked statically like any page, and, when a
Chromium is at hand, opened headless with ``?q=`` a word from an article title:
it must run without a JavaScript error or a failed load and list results.  A
site without ``search.html`` gets a note, not a problem.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html
import tinycss2
from lxml import etree

SEARCH_PAGE = "search.html"
RESULTS_ID = "search-results"
HTML_SUFFIXES = {".html", ".htm"}

# (tag, attribute) pairs that navigate, and those that load something the page needs to render.
LINK_ATTRS = {("a", "href"), ("area", "href"), ("form", "action")}
ASSET_ATTRS = {
    ("script", "src"), ("img", "src"), ("iframe", "src"), ("frame", "src"), ("embed", "src"),
    ("object", "data"), ("audio", "src"), ("video", "src"), ("video", "poster"), ("source", "src"),
    ("track", "src"), ("input", "src"), ("use", "href"), ("use", "xlink:href"), ("image", "href"),
    ("image", "xlink:href"),
}
ASSET_NAMES = {"script": "script", "img": "image", "iframe": "iframe", "frame": "frame", "video": "video",
               "audio": "audio", "source": "media source", "track": "text track", "embed": "embed",
               "object": "object", "input": "image input", "use": "SVG <use>", "image": "SVG image"}  # for messages
SRCSET_TAGS = {"img", "source"}
# <link rel=...> values that only point somewhere (the browser loads nothing to render the page).
NAVIGATION_RELS = {
    "alternate", "author", "bookmark", "canonical", "cite-as", "describedby", "external", "help",
    "license", "me", "next", "nofollow", "noopener", "noreferrer", "prev", "search", "tag",
}
INERT_SCHEMES = {"data", "mailto", "tel", "sms", "about", "blob", "geo", "urn", "doi", "news"}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing a reader would trip over, printed as ``page: problem``."""

    page: str
    message: str

    def __str__(self) -> str:
        return f"{self.page}: {self.message}"


@dataclass
class Report:
    """What ``check_site`` found: problems (fail the check) and notes (inform)."""

    pages: int = 0
    references: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Reference:
    """A URL found in a file: where, what it is, and whether the page needs it to render."""

    url: str
    what: str  # e.g. "link", "stylesheet", "script", "image", "CSS url()"
    asset: bool


class Site:
    """The files of a built site, and the ids of its pages (parsed once, on demand)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: set[str] = set()
        self.dirs: set[str] = {""}
        for dirpath, dirnames, filenames in os.walk(root):
            rel = Path(dirpath).relative_to(root).as_posix()
            rel = "" if rel == "." else rel
            self.dirs.update(posixpath.join(rel, d) for d in dirnames)
            self.files.update(posixpath.join(rel, f) for f in filenames)
        self._ids: dict[str, set[str]] = {}
        self._trees: dict[str, Any] = {}

    def tree(self, rel: str) -> Any:
        """The parsed page (lxml), or None when it holds no HTML at all; kept until ``forget``."""
        if rel not in self._trees:
            self._trees[rel] = self._parse(rel)
        return self._trees[rel]

    def _parse(self, rel: str) -> Any:
        try:
            return lxml.html.document_fromstring((self.root / rel).read_bytes(), parser=_PARSER)
        except (etree.ParserError, ValueError):
            return None

    def ids(self, rel: str) -> set[str]:
        """Fragment targets of a page: every ``id`` and every ``<a name>``."""
        if rel not in self._ids:
            tree = self._trees[rel] if rel in self._trees else self._parse(rel)
            found: set[str] = set()
            if tree is not None:
                found.update(tree.xpath("//@id"))
                found.update(tree.xpath("//a/@name"))
            self._ids[rel] = found
        return self._ids[rel]

    def forget(self, rel: str) -> None:
        """Drop a page's tree once its links are read (ids stay): memory stays flat on big sites."""
        self._trees.pop(rel, None)


_PARSER = lxml.html.HTMLParser(encoding="utf-8")


# ---------------------------------------------------------------------------
# Finding URLs


def html_references(tree: Any) -> Iterator[Reference]:
    """Every URL a page holds, with what it is; CSS in ``<style>`` and ``style=""`` included."""
    for el in tree.iter(etree.Element):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        for attr, value in el.attrib.items():
            attr = attr.lower()
            if (tag, attr) in LINK_ATTRS:
                yield Reference(value, "form action" if tag == "form" else "link", asset=False)
            elif (tag, attr) in ASSET_ATTRS:
                yield Reference(value, ASSET_NAMES.get(tag, tag), asset=True)
            elif attr == "srcset" and tag in SRCSET_TAGS:
                for url in parse_srcset(value):
                    yield Reference(url, "image (srcset)", asset=True)
            elif attr == "style":
                yield from (Reference(u, "CSS url() in style attribute", True) for u in css_urls(value, inline=True))
        if tag == "link" and el.get("href") is not None:
            rels = set((el.get("rel") or "").lower().split())
            navigates = bool(rels) and rels <= NAVIGATION_RELS
            yield Reference(el.get("href"), f"<link rel={' '.join(sorted(rels)) or '?'}>", asset=not navigates)
        elif tag == "style":
            yield from (Reference(u, "CSS url() in <style>", True) for u in css_urls(el.text_content()))
        elif tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            url = _refresh_url(el.get("content") or "")
            if url:
                yield Reference(url, "meta refresh", asset=False)


def _refresh_url(content: str) -> str:
    """The URL of ``<meta http-equiv=refresh content="0; url=...">`` ('' when none)."""
    _, _, rest = content.partition(";")
    key, _, value = rest.strip().partition("=")
    return value.strip().strip("'\"") if key.strip().lower() == "url" else ""


def parse_srcset(value: str) -> list[str]:
    """URLs of a ``srcset`` ("a.png 1x, b.png 2x"), descriptors dropped.

    Follows the HTML parsing rule (a URL runs to the next whitespace), so a
    ``data:`` URL with commas inside stays whole.
    """
    urls, i, n = [], 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        start = i
        while i < n and not value[i].isspace():
            i += 1
        url = value[start:i]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            while i < n and value[i] != ",":  # descriptors ("2x", "480w")
                i += 1
        if url:
            urls.append(url)
    return urls


def css_urls(css: str | bytes, inline: bool = False) -> list[str]:
    """URLs a stylesheet (or a ``style`` attribute) loads: ``url()``, ``@import`` and ``src``."""
    if inline:
        nodes = tinycss2.parse_blocks_contents(css) if isinstance(css, str) else []
    elif isinstance(css, bytes):
        nodes, _ = tinycss2.parse_stylesheet_bytes(css)
    else:
        nodes = tinycss2.parse_stylesheet(css)
    return list(_walk_css(nodes))


def _walk_css(nodes: Iterable[Any]) -> Iterator[str]:
    for node in nodes:
        kind = getattr(node, "type", "")
        if kind == "url":
            yield node.value
        elif kind == "function" and node.lower_name in {"url", "src"}:
            strings = [t.value for t in node.arguments if t.type == "string"]
            yield from strings[:1]
        elif kind == "at-rule" and node.lower_at_keyword == "import":
            first = next((t for t in node.prelude if t.type not in {"whitespace", "comment"}), None)
            if first is not None and first.type == "string":
                yield first.value
        for child in ("prelude", "content", "arguments", "value"):
            inner = getattr(node, child, None)
            if isinstance(inner, list):
                yield from _walk_css(inner)


# ---------------------------------------------------------------------------
# Judging URLs


def judge(site: Site, page: str, ref: Reference, tolerated: frozenset[str] = frozenset()) -> str | None:
    """The problem with one reference from ``page`` (a site-relative path), or None.

    ``tolerated`` names files that may be missing for now (``search.html`` while
    the site has no search).
    """
    url = ref.url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "javascript":
        return f"{ref.what} uses a javascript: URL"
    if scheme == "file":
        return f"{ref.what} {url} points to a file on the computer that built the site; make it relative"
    if scheme in {"http", "https"} or (parts.netloc and scheme not in INERT_SCHEMES):
        if ref.asset:
            return f"{ref.what} loads {url} from another host (the site must render offline)"
        return None
    if scheme:
        return None  # mailto:, data:, tel: ... need no file
    if parts.path.startswith("/"):
        return f"{ref.what} {url} is root-relative: it breaks under a GitHub Pages sub-path and from disk; make it relative"
    base = posixpath.dirname(page)
    target = posixpath.normpath(posixpath.join(base, unquote(parts.path))) if parts.path else page
    if target == ".":
        target = ""
    if target == ".." or target.startswith("../"):
        return f"{ref.what} {url} points outside the site"
    if target in site.dirs or parts.path.endswith("/"):
        index = posixpath.join(target, "index.html")
        hint = f"link to {posixpath.relpath(index, base or '.')}" if index in site.files else "it has no index.html"
        return f"{ref.what} {url} points to a folder, which from disk shows a file listing ({hint})"
    if target not in site.files:
        if target in tolerated:
            return None
        return f"broken {ref.what}: {url} ({target} does not exist)" if not ref.asset else (
            f"missing {ref.what}: {url} ({target} does not exist)")
    fragment = unquote(parts.fragment)
    if fragment and fragment != "top" and Path(target).suffix.lower() in HTML_SUFFIXES and (
        fragment not in site.ids(target)
    ):
        return f"broken fragment: {url} (no id {fragment!r} in {target})"
    return None


def check_site(root: Path) -> Report:
    """Check every page and stylesheet of the site at ``root``; problems sorted, one per line."""
    if not (root / "index.html").is_file():
        return Report(problems=[Problem(str(root), "no index.html: build the site first (invoke build)")])
    site = Site(root)
    report = Report()
    tolerated = frozenset() if SEARCH_PAGE in site.files else frozenset({SEARCH_PAGE})
    problems: set[Problem] = set()
    for rel in sorted(site.files):
        suffix = Path(rel).suffix.lower()
        if suffix in HTML_SUFFIXES:
            report.pages += 1
            tree = site.tree(rel)
            if tree is None:
                problems.add(Problem(rel, "empty page (no HTML)"))
                continue
            refs = list(html_references(tree))
            site.ids(rel)
            site.forget(rel)
        elif suffix == ".css":
            refs = [Reference(u, "CSS url()", True) for u in css_urls((root / rel).read_bytes())]
        else:
            continue
        report.references += len(refs)
        for ref in refs:
            problem = judge(site, rel, ref, tolerated)
            if problem:
                problems.add(Problem(rel, problem))
    problems.update(search_static_problems(site))
    if SEARCH_PAGE not in site.files:
        report.notes.append(f"search: no {SEARCH_PAGE} in the site yet, search not checked")
    report.problems = sorted(problems)
    return report


# ---------------------------------------------------------------------------
# Search


def search_static_problems(site: Site) -> list[Problem]:
    """search.html must load at least one local script (its index and engine)."""
    if SEARCH_PAGE not in site.files:
        return []
    tree = site.tree(SEARCH_PAGE)
    scripts = [] if tree is None else [s for s in tree.xpath("//script/@src") if not urlsplit(s).scheme]
    if not scripts:
        return [Problem(SEARCH_PAGE, "loads no local script, so no search index can load")]
    if tree is not None and not tree.xpath(f"//*[@id='{RESULTS_ID}']"):
        return [Problem(SEARCH_PAGE, f"has no element with id {RESULTS_ID!r} for the results")]
    return []


def search_term(root: Path) -> str | None:
    """A word from the first article's title (``<h1>``), for a search that must find something."""
    for path in sorted((root / "articles").glob("*.html")):
        tree = lxml.html.document_fromstring(path.read_bytes(), parser=_PARSER)
        words = [w.strip(".,:;!?\"'()«»“”") for h1 in tree.xpath("//h1") for w in h1.text_content().split()]
        words = [w for w in words if len(w) >= 4 and w.isalpha()]
        if words:
            return max(words, key=len)
    return None


def find_chromium() -> str | None:
    """A Chromium-family browser: CHROMIUM_PATH, Debian's chromium, or Chrome (GitHub's runners)."""
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")]
    return next((c for c in candidates if c and Path(c).exists()), None)


BROWSER_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def check_search_in_browser(root: Path, browser: Any = None, timeout_ms: int = 15_000) -> tuple[list[Problem], str]:
    """Open ``search.html?q=WORD`` from disk headless: no JS error, no failed load, results listed.

    Returns (problems, note).  ``browser`` is a Playwright browser to reuse (tests
    pass theirs: two sync Playwright sessions cannot run in one thread); without
    one, Chromium is launched here when Playwright and a Chromium are installed.
    """
    if not (root / SEARCH_PAGE).is_file():
        return [], ""
    if browser is not None:
        return _search_in(browser, root, timeout_ms), "search: opened in headless Chromium"
    executable = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        return [], "search: not opened in a browser (needs playwright and chromium: pip install -e '.[test]')"
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        try:
            return _search_in(launched, root, timeout_ms), "search: opened in headless Chromium"
        finally:
            launched.close()


def _search_in(browser: Any, root: Path, timeout_ms: int) -> list[Problem]:
    term = search_term(root)
    url = (root / SEARCH_PAGE).resolve().as_uri() + (f"?q={term}" if term else "")
    shown = SEARCH_PAGE + (f"?q={term}" if term else "")
    errors: list[str] = []
    context = browser.new_context()
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
        page.on("console", lambda msg: _console_error(msg, errors))
        page.on("requestfailed", lambda req: errors.append(f"failed to load {_site_path(req.url, root)}"))
        page.goto(url, wait_until="load", timeout=timeout_ms)
        if term and not _results_appear(page, errors, timeout_ms):
            errors.append(f"no results for {term!r}, a word from an article title: the index did not load")
    except Exception as exc:
        errors.append(f"could not open the page: {str(exc).splitlines()[0]}")
    finally:
        context.close()
    return [Problem(shown, e) for e in dict.fromkeys(errors)]


def _console_error(msg: Any, errors: list[str]) -> None:
    """Console errors, except Chromium's "Failed to load resource" (``requestfailed`` names the file)."""
    if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
        errors.append(f"console error: {msg.text}")


def _results_appear(page: Any, errors: list[str], timeout_ms: int) -> bool:
    """Wait for a result link; give up a second after a JavaScript error (a big index takes time, a broken one never loads)."""
    waited, since_error = 0, 0
    while waited < timeout_ms:
        if page.query_selector(f"#{RESULTS_ID} a"):
            return True
        since_error = since_error + 100 if errors else 0
        if since_error >= 1000:
            return False
        page.wait_for_timeout(100)
        waited += 100
    return False


def _site_path(url: str, root: Path) -> str:
    """A file:// URL shown relative to the site, as in the other problems."""
    prefix = root.resolve().as_uri() + "/"
    return unquote(url[len(prefix):]) if url.startswith(prefix) else url


def run_check(root: Path, browser: bool = True, launched: Any = None) -> Report:
    """``invoke check``: the static checks, then search in headless Chromium (when asked and installed)."""
    report = check_site(root)
    if browser and report.pages:
        problems, note = check_search_in_browser(root, browser=launched)
        report.problems = sorted({*report.problems, *problems})
        if note:
            report.notes.append(note)
    return report


def summary(report: Report) -> str:
    """The last line ``invoke check`` prints."""
    checked = f"{report.pages} pages, {report.references} links and assets checked"
    if report.ok:
        return f"{checked}: no problems"
    return f"{checked}: {len(report.problems)} problem(s)"
