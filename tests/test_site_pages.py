"""Research pages: sources, timeline (archives and coverage charts), tags, related
articles, older/newer, and the theme's behaviour in the browser (toggle, sorting, print)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from microsite.plugins.related import related_indices, signatures, terms
from microsite.plugins.timeline import coverage_chart, month_counts


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "lxml")


def _href(page: Path, a) -> Path:
    return (page.parent / a["href"].split("#")[0]).resolve()


# -- sources ----------------------------------------------------------------

def test_sources_index_lists_every_outlet_with_counts(research_site):
    page = research_site / "sources.html"
    rows = _soup(page).select("table.sortable tbody tr")
    counts = {r.td.get_text(strip=True): int(r.select_one("td.num").get_text()) for r in rows}
    assert counts == {"BelTA": 3, "Interfax": 22, "Kazinform": 1, "Meduza": 2, "RIA Novosti": 1, "TASS": 1}
    for row in rows:
        assert _href(page, row.a).is_file()


def test_source_page_shows_articles_coverage_and_languages(research_site):
    page = research_site / "sources" / "belta.html"
    soup = _soup(page)
    assert soup.h1.get_text() == "Source: BelTA"
    facts = {dt.get_text(): dt.find_next_sibling("dd").get_text(" ", strip=True) for dt in soup.select("dl.facts dt")}
    assert facts["Articles"] == "3"
    assert facts["Coverage"] == "31 March 2021 to 20 May 2021"  # the undated note does not stretch it
    assert facts["Languages"].startswith("en (2)")
    titles = [a.get_text() for a in soup.select(".article-list h2 a")]
    assert "CSTO countries discuss information security measures" in titles and len(titles) == 3
    chart = soup.select_one("svg.coverage-chart")
    assert chart is not None and len(chart.select("rect.chart-bar")) == 2  # March and May 2021
    assert "Articles per month, March 2021 to May 2021: 2 articles" in chart["aria-label"]


def test_source_pages_paginate_and_articles_link_to_their_source(research_site):
    first, second = research_site / "sources" / "interfax.html", research_site / "sources" / "interfax" / "page-2.html"
    assert len(_soup(first).select(".article-list > li")) == 20
    assert len(_soup(second).select(".article-list > li")) == 2
    assert _href(first, _soup(first).select_one('.pagination a[rel="next"]')) == second.resolve()
    article = research_site / "articles" / "bulk-01.html"
    link = _soup(article).select_one(".provenance dd a[href*='sources/']")
    assert _href(article, link) == first.resolve()


# -- timeline ---------------------------------------------------------------

class _A:
    def __init__(self, y, m, d=1, has_date=True):
        import datetime as dt

        self.date, self.has_date = dt.datetime(y, m, d), has_date


def test_month_counts_fill_gaps_and_skip_undated():
    arts = [_A(2021, 11), _A(2021, 11, 5), _A(2022, 2), _A(2030, 1, has_date=False)]
    assert month_counts(arts) == [(2021, 11, 2), (2021, 12, 0), (2022, 1, 0), (2022, 2, 1)]
    svg = str(coverage_chart(arts))
    assert svg.count("<rect") == 2 and "<title>November 2021: 2 articles</title>" in svg
    assert coverage_chart([]) == ""


def test_home_page_has_coverage_chart_and_downloads(research_site):
    soup = _soup(research_site / "index.html")
    chart = soup.select_one("figure.coverage svg.coverage-chart")
    assert chart["role"] == "img" and "29 articles" in chart["aria-label"]  # 30 minus the undated one
    assert not soup.select("script[src*=chart], canvas")
    downloads = {a.get_text(): a["href"] for a in soup.select(".downloads a")}
    assert {"CSV", "JSON Lines", "BibTeX", "RIS", "CSL-JSON", "Atom feed", "Sitemap"} <= set(downloads)
    for href in downloads.values():
        assert (research_site / href).is_file(), href


def test_archives_by_year_and_month_with_counts(research_site):
    page = research_site / "archives.html"
    soup = _soup(page)
    years = {(s.h2.a or s.h2).get_text().split(" ")[0]: s for s in soup.select("section.archive-year")}
    months = {li.a.get_text(): int(li.select_one(".count").get_text()) for li in years["2021"].select(".months li")}
    assert months == {"March": 1, "May": 1, "June": 1, "September": 1, "November": 1}
    for li in years["2021"].select(".months li"):
        month_page = _href(page, li.a)
        assert len(_soup(month_page).select(".archive-list li")) == months[li.a.get_text()]
    assert sum(months.values()) == int(years["2021"].h2.select_one(".count").get_text().strip("()"))
    assert set(years) == {"2021", "2022", "Undated"}  # the undated note is not filed under the build's year
    assert [a.get_text() for a in years["Undated"].select("a")] == ["Undated note on the CSTO secretariat"]


def test_tag_pages_chart_feed_and_pagination(research_site):
    page = research_site / "tag" / "border-security.html"
    soup = _soup(page)
    assert soup.select_one("svg.coverage-chart") is not None
    feed = soup.select_one('link[rel="alternate"][type="application/atom+xml"][href*="feeds/tag/"]')
    assert _href(page, feed).is_file()
    assert len(soup.select(".article-list > li")) == 20
    second = research_site / "tag" / "border-security" / "page-2.html"
    assert len(_soup(second).select(".article-list > li")) == 2
    # tag "border security2" keeps its own page (Pelican's default pattern wrote page 2 there)
    assert _soup(research_site / "tag" / "border-security2.html").h1.get_text() == "Tag: border security2"


def test_tags_index_table_counts_match_tag_pages(research_site):
    page = research_site / "tags.html"
    rows = _soup(page).select("table.sortable tbody tr")
    counts = [int(r.select_one("td.num").get_text()) for r in rows]
    assert counts == sorted(counts, reverse=True) and counts[0] == 22
    for row in rows[:5]:
        tag_page = _soup(_href(page, row.a))
        assert tag_page.select_one(".count").get_text().startswith(f"{row.select_one('td.num').get_text()} article")


# -- related and older/newer -------------------------------------------------

def test_related_articles_exist_and_share_something(research_site):
    page = research_site / "articles" / "belarus-and-russia-to-step-up-joint-fight-against-hackers-cyber-fraud.html"
    links = _soup(page).select(".related-list a")
    assert 1 <= len(links) <= 5
    targets = [_href(page, a) for a in links]
    assert page.resolve() not in targets and all(t.is_file() for t in targets)
    assert "Interfax brief" not in " ".join(a.get_text() for a in links)  # nothing in common with border briefs


def test_related_candidates_match_brute_force_on_small_collections():
    texts = [
        ("cyber attacks on banks by hackers", ["cyber"]), ("hackers attack banks again", ["cyber"]),
        ("migration across the border", ["migration"]), ("border guards stop migration", ["migration"]),
        ("hackers and migration", []),
    ]
    sigs = signatures([(terms(t, "en"), tags) for t, tags in texts])
    fast = related_indices(sigs, limit=4, min_score=0.0)
    for i, sig in enumerate(sigs):
        brute = {j: sum(w * other.get(f, 0.0) for f, w in sig.items()) for j, other in enumerate(sigs) if j != i}
        assert fast[i] == sorted(((j, s) for j, s in brute.items() if s > 0), key=lambda p: (-p[1], p[0]))[:4]
    assert fast[0][0][0] == 1 and fast[2][0][0] == 3


def test_older_newer_follow_publication_order(research_site):
    soup = _soup(research_site / "articles" / "csto-countries-discuss-information-security-measures.html")
    nav = soup.select_one("nav.prev-next")
    assert nav.select_one('a[rel="prev"]') is None  # the oldest article
    newer = nav.select_one('a[rel="next"]')
    assert "belarus-and-russia" in newer["href"]


# -- the theme in the browser -------------------------------------------------

@pytest.mark.browser
def test_theme_toggle_remembers_and_applies_before_paint(research_site, browser):
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    url = (research_site / "index.html").as_uri()
    page.goto(url)
    head = page.locator("head").inner_html()
    assert head.index("theme-toggle.js") < head.index("main.css")  # runs before styles apply
    button = page.locator("#theme-toggle")
    assert button.is_visible() and button.inner_text() == "Theme: auto"
    button.click()
    button.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.goto((research_site / "sources.html").as_uri())
    # the stored theme is on <html> when the first stylesheet is parsed: nothing to flash
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(21, 23, 26)"
    page.locator("#theme-toggle").click()
    assert page.evaluate("document.documentElement.dataset.theme") is None  # back to following the system
    context.close()


@pytest.mark.browser
def test_sortable_table(research_site, page):
    page.goto((research_site / "sources.html").as_uri())
    first_cells = "Array.from(document.querySelectorAll('tbody tr td:first-child')).map(td => td.textContent.trim())"
    page.get_by_role("button", name="Articles").click()
    assert page.evaluate(first_cells)[0] == "Interfax"
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "descending"
    page.get_by_role("button", name="Source").click()
    assert page.evaluate(first_cells) == sorted(page.evaluate(first_cells), key=str.casefold)


@pytest.mark.browser
def test_article_prints_with_citation_and_url(research_site, page):
    path = research_site / "articles" / "csto-countries-discuss-information-security-measures.html"
    page.goto(path.as_uri())
    page.emulate_media(media="print")
    assert page.locator("#ref-apa").is_visible() and page.locator(".provenance").is_visible()
    assert not page.locator(".site-header nav").is_visible() and not page.locator(".copy-button").first.is_visible()
    assert page.locator(".print-url").inner_text().endswith(path.as_uri())


@pytest.mark.browser
def test_copy_button_copies_the_reference(research_site, browser):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto((research_site / "articles" / "hostile-title.html").as_uri())
    page.get_by_role("button", name="Copy the Chicago reference").click()
    text = page.evaluate("navigator.clipboard.readText()")
    assert re.match(r"Ivanova, Anna, and Jean-Paul Sartre\. “Leak: </script>", text)
    context.close()


def test_language_counts_are_front_matter_counts(research_site):
    soup = _soup(research_site / "sources" / "interfax.html")
    langs = soup.select_one("dl.facts dt:-soup-contains('Language') + dd").get_text()
    expected = Counter("ru" if i % 3 == 0 else "en" for i in range(22))
    assert langs == f"en ({expected['en']}), ru ({expected['ru']})"
