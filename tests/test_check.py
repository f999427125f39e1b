"""invoke check: a built site checked as a reader meets it, and each kind of breakage caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, make_site

from microsite.check import Problem, check_site, css_urls, parse_srcset, run_check, search_term


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The demo scrapes built once into a folder whose path has a space and a non-ASCII letter."""
    return make_site(ROOT / "scraped", tmp_path_factory.mktemp("check") / "my site ü")


@pytest.fixture
def site(built, tmp_path) -> Path:
    """A private copy of the built site, free to break."""
    return Path(shutil.copytree(built, tmp_path / "copy ü" / "output"))


def _inject(page: Path, html: str) -> None:
    text = page.read_text("utf-8")
    assert "</main>" in text
    page.write_text(text.replace("</main>", html + "</main>", 1), "utf-8")


def _lines(report) -> list[str]:
    return [str(p) for p in report.problems]


def test_demo_site_passes_the_check(demo_site, browser):
    """The CI gate: the demo site (built strict by conftest) has no problem, search included."""
    report = run_check(demo_site, launched=browser)
    assert report.ok, "\n".join(_lines(report))
    assert report.pages >= 10
    assert report.references > report.pages * 10  # navigation, stylesheets and scripts on every page were read


def test_a_fresh_build_in_a_path_with_spaces_and_non_ascii_passes(built):
    report = check_site(built)
    assert report.ok, "\n".join(_lines(report))
    assert " " in str(built) and "ü" in str(built)


def test_each_kind_of_breakage_is_reported_once_per_page(site):
    article = next((site / "articles").glob("*.html"))
    _inject(site / "index.html", """
      <a href="articles/no-such-article.html">gone</a>
      <a href="tags.html#no-such-section">bad fragment</a>
      <a href="#main">good fragment</a> <a href="#top">top</a> <a href="">self</a>
      <a href="https://example.org/">external link is fine</a> <a href="mailto:a@example.org">mail</a>
      <link rel="stylesheet" href="https://cdn.example.com/bootstrap.css">
      <script src="//cdn.example.com/lib.js"></script>
      <img src="theme/missing.png" srcset="theme/css/main.css 1x, images/missing@2x.png 2x" alt="">
      <iframe src="https://www.youtube.com/embed/x" title="video"></iframe>
      <a href="/articles/x.html">root-relative</a>
      <a href="tag/">folder</a>
      <a href="javascript:alert(1)">js</a>
      <div style="background: url('https://img.example.com/bg.png')"></div>
      <a href="file:///home/me/site/index.html">author's disk</a>
      <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" srcset="data:image/gif;base64,R0lGODlhAQABAAAAACw= 2x" alt="">
    """)
    (site / "theme" / "css" / "print.css").unlink()
    with (site / "theme" / "css" / "main.css").open("a", encoding="utf-8") as css:
        css.write('\n@import url("https://fonts.example.com/css?family=Inter");\n'
                  '@font-face { font-family: X; src: url("../fonts/x.woff2") format("woff2"); }\n')
    _inject(article, '<a href="../index.html#no-such-id">back</a>')

    lines = _lines(check_site(site))
    index = [ln for ln in lines if ln.startswith("index.html: ")]
    expected = [
        "broken link: articles/no-such-article.html",
        "broken fragment: tags.html#no-such-section (no id 'no-such-section' in tags.html)",
        "<link rel=stylesheet> loads https://cdn.example.com/bootstrap.css from another host",
        "script loads //cdn.example.com/lib.js from another host",
        "missing image: theme/missing.png",
        "missing image (srcset): images/missing@2x.png",
        "iframe loads https://www.youtube.com/embed/x from another host",
        "/articles/x.html is root-relative",
        "link tag/ points to a folder",
        "link uses a javascript: URL",
        "CSS url() in style attribute loads https://img.example.com/bg.png from another host",
        "link file:///home/me/site/index.html points to a file on the computer that built the site",
    ]
    for text in expected:
        assert any(text in ln for ln in index), f"not reported: {text}\n" + "\n".join(lines)
    assert "index.html: missing <link rel=stylesheet>: ./theme/css/print.css (theme/css/print.css does not exist)" in lines
    # The missing stylesheet is reported on every page that loads it, one line per page.
    pages = len(list(site.rglob("*.html")))
    assert sum("print.css" in ln for ln in lines) == pages
    assert any(ln.startswith("theme/css/main.css: ") and "fonts.example.com" in ln for ln in lines)
    assert any(ln.startswith("theme/css/main.css: missing CSS url(): ../fonts/x.woff2") for ln in lines)
    assert any(ln.startswith(f"articles/{article.name}: broken fragment: ../index.html#no-such-id") for ln in lines)
    # Fine things stay quiet.
    assert not any(s in ln for ln in index for s in ("example.org", "mailto", "#main", "#top", "main.css 1x", "data:", "AAACw"))
    assert len(lines) == len(set(lines))


def test_search_page_is_tolerated_while_missing_and_checked_once_present(site, browser):
    (site / "search.html").unlink(missing_ok=True)  # as before search was built
    report = check_site(site)
    assert report.ok, "\n".join(_lines(report))  # every page's search form points at the missing search.html
    assert any("no search.html" in n for n in report.notes)

    (site / "search.html").write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Search</title></head><body>'
        '<div id="search-results"></div><script src="search-index.js"></script></body></html>', "utf-8")
    assert _lines(check_site(site)) == ["search.html: missing script: search-index.js (search-index.js does not exist)"]

    # A working search: the index script defines the documents, the engine lists matches as links.
    (site / "search-index.js").write_text('window.DOCS = [{"t": document.title, "u": "index.html"}];', "utf-8")
    (site / "search-engine.js").write_text(
        "var q = new URLSearchParams(location.search).get('q') || '';\n"
        "var a = document.createElement('a'); a.href = 'index.html'; a.textContent = q;\n"
        "if (q && window.DOCS.length) document.getElementById('search-results').appendChild(a);\n", "utf-8")
    html = (site / "search.html").read_text("utf-8")
    (site / "search.html").write_text(html.replace("</body>", '<script src="search-engine.js"></script></body>'))
    report = run_check(site, launched=browser)
    assert report.ok, "\n".join(_lines(report))
    term = search_term(site)
    assert term and len(term) >= 4

    # An index that throws: the page loads, but no result appears and the error is named.
    (site / "search-index.js").write_text("window.DOCS = JSON.parse('{broken');", "utf-8")
    lines = _lines(run_check(site, launched=browser))
    assert any(ln.startswith(f"search.html?q={term}: JavaScript error:") for ln in lines), lines
    assert any("no results for" in ln for ln in lines), lines


def test_search_page_without_scripts_or_results_element_is_a_problem(site):
    (site / "search.html").write_text("<!DOCTYPE html><html><body><p>Search</p></body></html>", "utf-8")
    assert _lines(check_site(site)) == ["search.html: loads no local script, so no search index can load"]


def test_css_and_srcset_parsing():
    css = """
      @import "print.css" print;
      @import url(fonts.css);
      body { background: url( "a b.png" ) }
      @media (min-width: 40em) { .x { background-image: url(wide.png) } }
      @font-face { font-family: F; src: url(f.woff2) format("woff2"), local(F) }
      /* url(commented.png) */
      .y::before { content: "url(not-a-url.png)" }
    """
    assert css_urls(css) == ["print.css", "fonts.css", "a b.png", "wide.png", "f.woff2"]
    assert css_urls("color: red; background: url(x.png)", inline=True) == ["x.png"]
    assert parse_srcset("a.png 1x, b.png 2x") == ["a.png", "b.png"]
    assert parse_srcset(" small.jpg  480w ,large.jpg 1080w") == ["small.jpg", "large.jpg"]
    assert parse_srcset("data:image/png;base64,iVBORw0KGgo= 1x, b.png 2x") == ["data:image/png;base64,iVBORw0KGgo=", "b.png"]


def test_site_without_index_is_one_problem(tmp_path):
    report = check_site(tmp_path)
    assert report.problems == [Problem(str(tmp_path), "no index.html: build the site first (invoke build)")]


def test_invoke_check_exits_non_zero_with_one_line_per_problem(site):
    cmd = [sys.executable, "-m", "invoke", "check", "--no-browser", "--output", str(site)]
    good = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stderr
    assert "no problems" in good.stdout

    _inject(site / "index.html", '<a href="articles/missing.html">x</a><link rel="stylesheet" href="https://x.test/a.css">')
    bad = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    lines = bad.stderr.strip().splitlines()
    assert lines == [
        "index.html: <link rel=stylesheet> loads https://x.test/a.css from another host (the site must render offline)",
        "index.html: broken link: articles/missing.html (articles/missing.html does not exist)",
        lines[-1],
    ]
    assert lines[-1].endswith("checked: 2 problem(s)")
    assert "Traceback" not in bad.stderr
