"""axe-core (from node_modules, injected into the page; never a CDN) on the main page
types, in light and dark: no serious or critical violation."""

from __future__ import annotations

import pytest
from conftest import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "index": "index.html",
    "article": "articles/csto-countries-discuss-information-security-measures.html",
    "hostile article": "articles/hostile-title.html",
    "tag": "tag/border-security.html",
    "source": "sources/belta.html",
    "sources": "sources.html",
    "tags": "tags.html",
    "archives": "archives.html",
    "search": "search.html",
}

pytestmark = pytest.mark.browser


def axe_violations(page) -> list[dict]:
    """Serious and critical violations reported by axe-core on the loaded page."""
    assert AXE.is_file(), f"{AXE} missing: run npm ci"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_axe_violations(research_site, page, name):
    path = research_site / PAGES[name]
    if name == "search" and not path.is_file():
        pytest.skip("no search page in this build yet (the search plugin adds it)")
    page.goto(path.as_uri())
    for scheme in ("light", "dark"):  # colour contrast differs between the two
        page.emulate_media(color_scheme=scheme)
        violations = axe_violations(page)
        assert violations == [], f"{name} ({scheme}): {violations}"


def test_axe_harness_reports_violations(page):
    """The check above can fail: a page with known problems is caught."""
    page.set_content('<html><body><img src="x.png"><input type="text"><a href="#"></a></body></html>')
    ids = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "label", "link-name"} <= ids
