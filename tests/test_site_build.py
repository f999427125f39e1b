"""End to end: scrapes -> import -> Pelican -> a site that works from disk."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, make_site

from microsite.write import frontmatter

SEED_SLUG = "csto-countries-discuss-information-security-measures"
NAV_STRINGS = ["Projects", "Government Bodies", "All news", "Subscribe to us", "Twitter", "Recent news from Belarus"]


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "lxml")


def test_demo_site_has_enough_articles_and_tags(demo_site):
    articles = list((demo_site / "articles").glob("*.html"))
    tags = list((demo_site / "tag").glob("*.html"))
    assert len(articles) >= 8
    assert len(tags) >= 10


def test_seed_article_page(demo_site):
    page = demo_site / "articles" / f"{SEED_SLUG}.html"
    soup = _soup(page)
    assert soup.h1.get_text() == "CSTO countries discuss information security measures"
    assert soup.find("time", attrs={"datetime": "2021-03-31T10:38:00+03:00"})
    provenance = soup.select_one(".provenance").get_text(" ", strip=True)
    assert "BelTA" in provenance
    assert "2024-04-20" in provenance
    assert "MOSCOW" in provenance
    body = soup.select_one(".article-body").get_text(" ", strip=True)
    assert body.startswith("MOSCOW, 31 March (BelTA) - A meeting of the heads")
    for junk in NAV_STRINGS:
        assert junk not in body
    tag_links = soup.select(".article header .tag-list a")
    names = {a.get_text() for a in tag_links}
    assert {"CSTO", "information security", "Operation PROXY"} <= names
    for a in tag_links:
        target = (page.parent / a["href"]).resolve()
        assert target.is_file(), a["href"]
        assert a.get_text() in _soup(target).h1.get_text()


def _local_refs(page: Path, soup: BeautifulSoup):
    for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"), ("form", "action")):
        for el in soup.find_all(tag):
            value = el.get(attr)
            if not value:
                continue
            parts = urlsplit(value)
            if parts.scheme or parts.netloc or value.startswith(("#", "mailto:")):
                continue
            yield value, page.parent / unquote(parts.path)


def test_every_relative_link_and_asset_resolves(demo_site):
    pages = list(demo_site.rglob("*.html"))
    assert pages
    broken = []
    for page in pages:
        soup = _soup(page)
        for value, target in _local_refs(page, soup):
            if value.startswith("/"):
                broken.append(f"{page.relative_to(demo_site)}: absolute path {value}")
            elif not target.resolve().is_file():
                broken.append(f"{page.relative_to(demo_site)}: {value}")
    assert not broken, "\n".join(broken[:20])


def test_no_external_assets(demo_site):
    for page in demo_site.rglob("*.html"):
        soup = _soup(page)
        for el in soup.find_all(["script", "img", "iframe"], src=True):
            assert not urlsplit(el["src"]).netloc, (page, el["src"])
        for el in soup.find_all("link", href=True):
            rel = set(el.get("rel") or [])
            if rel & {"stylesheet", "icon", "preload", "modulepreload", "manifest", "prefetch"}:
                assert not urlsplit(el["href"]).netloc, (page, el["href"])


def test_hand_written_markdown_is_rendered_and_never_touched(tmp_path):
    src = tmp_path / "scraped"
    src.mkdir()
    (src / "seed.txt").write_bytes((ROOT / "scraped" / "000_2434bbe934104fab.txt").read_bytes())
    note = "---\ntitle: Reading notes on CSTO statements\ndate: 2024-05-01\n---\n\nMy own *notes* on the corpus.\n"
    output = make_site(src, tmp_path, extra_content={"notes/reading-notes.md": note})
    # A second import must leave the hand-written file byte for byte.
    from microsite.pipeline import import_dir

    import_dir(src, tmp_path / "content", ROOT / "taxonomy.yml")
    assert (tmp_path / "content" / "notes" / "reading-notes.md").read_text("utf-8") == note
    page = output / "articles" / "reading-notes-on-csto-statements.html"
    assert "<em>notes</em>" in page.read_text("utf-8")


def test_imported_front_matter_contract(tmp_path):
    from microsite.pipeline import import_dir

    src = ROOT / "scraped"
    import_dir(src, tmp_path, ROOT / "taxonomy.yml")
    meta, body = frontmatter.load((tmp_path / "articles" / f"{SEED_SLUG}.md").read_text("utf-8"))
    assert meta["title"] == "CSTO countries discuss information security measures"
    assert meta["date"] == "2021-03-31T10:38:00+03:00"
    assert meta["category"] == "Politics"
    assert meta["source"] == "BelTA"
    assert meta["dateline"] == "MOSCOW"
    assert meta["accessed"] == "2024-04-20"
    assert meta["lang"] == "en"
    assert meta["source_file"] == "000_2434bbe934104fab.txt"
    assert len(meta["sha256"]) == 64
    assert meta["slug"] == SEED_SLUG
    assert isinstance(meta["tags"], list) and "CSTO" in meta["tags"]
    assert meta["summary"].startswith("MOSCOW, 31 March (BelTA)")
    assert body.strip().startswith("MOSCOW, 31 March (BelTA) - A meeting")


@pytest.mark.browser
def test_browser_opens_site_from_disk_and_follows_links(demo_site, page):
    page.goto((demo_site / "index.html").as_uri())
    assert page.title()
    page.click(f"a[href$='articles/{SEED_SLUG}.html']")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "CSTO countries discuss information security measures"
    # Styles loaded from disk: the provenance block is laid out as a grid.
    assert page.eval_on_selector(".provenance dl", "el => getComputedStyle(el).display") == "grid"
    page.click(".article header .tag-list a:text-is('CSTO')")
    page.wait_for_load_state()
    assert page.url.endswith("tag/csto.html")
    assert "CSTO" in page.locator("h1").inner_text()
    page.click(f"a[href$='articles/{SEED_SLUG}.html']")
    page.wait_for_load_state()
    assert page.url.endswith(f"articles/{SEED_SLUG}.html")
