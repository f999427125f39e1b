"""The built site from a hostile corpus: no script, handler or ``javascript:`` that is not ours.

The corpus is the hostile fixture folder (payloads in text, HTML and JSON scrapes) plus
hand-written Markdown files that attack the Pelican reader directly (raw HTML, path keys,
YAML tags).  Every page is scanned with an HTML parser, feeds included; then Chromium opens
the pages, and the search page with payload queries, and nothing may run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import lxml.etree
import lxml.html
import pytest
from conftest import make_site

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
P = "window.__xss=1"
HANDWRITTEN = {
    "articles/handwritten-xss.md": f"""---
title: "<script>{P}</script>Hand-written attack"
date: 2021-06-01
source_url: "javascript:{P}"
canonical_url: "data:text/html,<script>{P}</script>"
save_as: ../../pwned.html
url: "javascript:{P}"
slug: ../../../pwned
lang: ../../x
template: ../../../../etc/passwd
summary: "<img src=x onerror={P}> summary"
category: "<svg onload={P}>World"
tags: ["<script>{P}</script>", "security"]
authors: ["<b onmouseover={P}>Mallory</b>"]
source: "<iframe src=javascript:{P}>"
also_scraped_as:
- source_file: "<script>{P}</script>"
  source_url: "javascript:{P}"
---

Raw HTML in Markdown: <script>{P}</script> <img src=x onerror="{P}"> <a href="javascript:{P}">a</a>
[md link](javascript:{P}) ![md image](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) [ref link][r]

<iframe src="javascript:{P}"></iframe><object data="x"></object><embed src="x">
<style>body {{ background: url("javascript:{P}"); }}</style>
<meta http-equiv="refresh" content="0;url=javascript:{P}">
<p style="width: expression({P})" onclick="{P}">styled</p>
<form action="javascript:{P}"><button formaction="javascript:{P}">go</button></form>
<svg onload="{P}"><script>{P}</script></svg>
<details open ontoggle="{P}"><summary>x</summary></details>
<a href="jav&#x09;ascript:{P}">tab</a> <a href="&#106;avascript:{P}">entity</a>

[r]: javascript:{P}
""",
    "articles/python-tag.md": """---
title: !!python/object/apply:os.system ["touch /tmp/pwned-by-build"]
date: 2021-06-02
status: published
---

A title built by a YAML tag must stay data.
""",
    "articles/broken-yaml.md": "---\ntitle: [unclosed\ndate: 2021-06-03\n---\n\nBroken front matter, still a page.\n",
}
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "background", "srcset", "cite", "longdesc", "ping", "xlink:href", "manifest"}
FORBIDDEN_TAGS = {"iframe", "object", "embed", "frame", "frameset", "applet", "base", "portal"}
OUR_SCRIPT = re.compile(r"(?:\.\./)*(?:\./)?(?:theme/js/[\w.-]+\.js|search/[\w./-]+\.js)")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    return make_site(HOSTILE, tmp_path_factory.mktemp("hostile-site"), strict=False, extra_content=HANDWRITTEN)


def _unsafe_url(value: str) -> bool:
    return re.sub(r"[\x00-\x20]+", "", value).lower().startswith(("javascript:", "vbscript:", "data:", "livescript:"))


def scan_tree(root, where: str, output: Path, page_dir: Path, in_body_only: bool = False) -> list[str]:
    """Problems in one parsed document or fragment."""
    problems = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower().rsplit("}", 1)[-1]
        if tag in FORBIDDEN_TAGS:
            problems.append(f"{where}: <{tag}>")
        if tag == "meta" and (el.get("http-equiv") or "").lower() == "refresh":
            problems.append(f"{where}: meta refresh")
        if tag == "style" and (in_body_only or any(a.tag == "body" for a in el.iterancestors())):
            problems.append(f"{where}: <style> in the body")
        if tag == "script":
            src = el.get("src")
            if src:
                if not OUR_SCRIPT.fullmatch(src) or not (page_dir / src).resolve().is_relative_to(output.resolve()):
                    problems.append(f"{where}: script src {src!r}")
            elif (el.get("type") or "").lower() in ("application/ld+json", "application/json"):
                json.loads(el.text or "null")  # data, and it must parse as data
            elif "__xss" in (el.text or "") or in_body_only:
                problems.append(f"{where}: inline script {el.text!r:.80}")
        for attr, value in el.attrib.items():
            name = attr.lower().rsplit("}", 1)[-1]
            if name.startswith("on"):
                problems.append(f"{where}: <{tag} {name}=...>")
            favicon = tag == "link" and "icon" in (el.get("rel") or "") and value.startswith("data:")
            if (name in URL_ATTRS or name.endswith("href")) and _unsafe_url(value) and not favicon:
                problems.append(f"{where}: <{tag} {name}={value[:60]!r}>")
            if name == "style" and re.search(r"expression|javascript:|url\s*\(", value, re.I):
                problems.append(f"{where}: style={value!r}")
    return problems


def scan_site(output: Path) -> tuple[list[str], int]:
    problems: list[str] = []
    pages = sorted(output.rglob("*.html"))
    inline_scripts: set[str] = set()
    for path in pages:
        raw = path.read_text("utf-8")
        tree = lxml.html.document_fromstring(raw)
        where = path.relative_to(output).as_posix()
        problems += scan_tree(tree, where, output, path.parent)
        scripts = tree.findall(".//script")
        if len(re.findall(r"<script\b", raw, re.I)) != len(scripts):
            problems.append(f"{where}: a <script the parser did not see as a script element")
        inline_scripts |= {s.text or "" for s in scripts if not s.get("src") and "json" not in (s.get("type") or "")}
    if len(inline_scripts) > 3:
        problems.append(f"inline scripts differ between pages: {len(inline_scripts)} variants")
    for feed in sorted(output.rglob("*.xml")):
        tree = lxml.etree.parse(str(feed), lxml.etree.XMLParser(resolve_entities=False, no_network=True))
        for el in tree.iter():
            if isinstance(el.tag, str) and el.text and "<" in el.text and (el.get("type") == "html" or el.tag.endswith(("description", "content", "summary"))):
                for frag in lxml.html.fragments_fromstring(el.text) if el.text.strip().startswith("<") else [lxml.html.fromstring(f"<div>{el.text}</div>")]:
                    if isinstance(frag, str):
                        continue
                    problems += scan_tree(frag, feed.relative_to(output).as_posix(), output, feed.parent, in_body_only=True)
    return problems, len(pages)


def test_scanner_catches_what_it_should(tmp_path):
    """The scan itself must fail on each payload, or a clean result means nothing."""
    output = tmp_path / "out"
    output.mkdir()
    cases = [
        f"<script>{P}</script>", '<script src="https://evil.example/x.js"></script>', f'<img src="x" onerror="{P}">',
        f'<a href=" javascript:{P}">x</a>', "<iframe src=x></iframe>", "<embed src=x>", "<object data=x></object>",
        '<meta http-equiv="refresh" content="0;url=x">', "<style>p{}</style>", '<p style="width: expression(1)">x</p>',
        '<a href="data:text/html,x">d</a>', f'<form action="javascript:{P}"></form>', f'<svg onload="{P}"></svg>',
    ]
    for i, case in enumerate(cases):
        (output / f"p{i}.html").write_text(f"<!DOCTYPE html><html><head><title>t</title></head><body>{case}</body></html>")
    problems, _ = scan_site(output)
    assert {int(p.split(":")[0][1:].split(".")[0]) for p in problems} == set(range(len(cases)))


def test_no_page_carries_a_foreign_script_handler_or_unsafe_url(hostile_site):
    problems, pages = scan_site(hostile_site)
    assert pages > 40
    assert problems == []


def test_nothing_is_written_outside_output_and_path_keys_are_ignored(hostile_site):
    """``slug: ../../../pwned`` becomes the slug ``pwned``; save_as, url and template are ignored."""
    base = hostile_site.parent
    assert {p.parent for p in base.rglob("pwned*")} == {hostile_site / "articles"}
    assert not Path("/tmp/pwned-by-build").exists()
    assert (hostile_site / "articles" / "pwned.html").is_file()
    assert not (base / "pwned.html").exists() and not (hostile_site / "pwned.html").exists()
    assert all(p.resolve().is_relative_to(hostile_site.resolve()) for p in hostile_site.rglob("*"))


def test_hostile_articles_are_on_the_site_as_text(hostile_site):
    page = (hostile_site / "articles" / "ministers-meet-on-cyber-security.html").read_text("utf-8")
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page  # the scrape's words, shown, not run
    tree = lxml.html.document_fromstring(page)
    assert tree.findtext(".//h1").strip() == "Ministers meet on cyber security"
    hand = lxml.html.document_fromstring((hostile_site / "articles" / "pwned.html").read_text("utf-8"))
    # A hand-written title is the author's text: shown escaped, never interpreted.
    assert hand.findtext(".//h1").strip() == f"<script>{P}</script>Hand-written attack"
    assert "styled" in hand.text_content()


@pytest.mark.browser
def test_payloads_never_run_in_a_browser(hostile_site, page):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pages = [hostile_site / "index.html", *sorted((hostile_site / "articles").glob("*.html"))]
    for path in pages:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__xss") == "undefined", path.name
        assert page.url == path.as_uri(), f"{path.name} navigated away to {page.url}"
    assert dialogs == []


@pytest.mark.browser
@pytest.mark.parametrize(
    "query",
    [
        f"<img src=x onerror={P}>",
        f'"><script>{P}</script>',
        f"javascript:{P}",
        f"</title><svg onload={P}>",
        "ministers",  # matches articles whose scraped titles and text held payloads
        "summit",
    ],
)
def test_search_queries_and_results_never_run(hostile_site, page, query):
    search = hostile_site / "search.html"
    if not search.is_file():
        pytest.skip("search.html is not built yet (the search page is another issue)")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{search.as_uri()}?q={quote(query)}")
    page.wait_for_function("document.querySelector('#search-status') && document.querySelector('#search-status').textContent.trim() !== ''", timeout=15000)
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []
    injected = page.evaluate(
        "Array.from(document.querySelectorAll('#search-results *, #search-status *'))"
        ".filter(e => ['SCRIPT','IMG','SVG','IFRAME'].includes(e.tagName.toUpperCase()) || Array.from(e.attributes).some(a => a.name.startsWith('on'))).length"
    )
    assert injected == 0


@pytest.mark.browser
def test_the_browser_probe_sees_a_payload_that_runs(tmp_path, page):
    """The probes above (dialogs, injected globals) must notice a payload that does run."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    probe = tmp_path / "probe.html"
    probe.write_text(f'<!DOCTYPE html><html><body><img src="x" onerror="{P}; alert(1)"></body></html>')
    page.goto(probe.as_uri())
    page.wait_for_function("typeof window.__xss !== 'undefined'", timeout=5000)
    assert dialogs == ["1"]
