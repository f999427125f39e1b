"""Pipeline rules that decide whether a page is an article at all."""

from __future__ import annotations

import pytest

from microsite.pipeline import _navigation_only


@pytest.mark.parametrize(
    "body",
    [
        "Test",
        "abc def ghi",
        "## Test Case 1\n\n![performance.jpg](https://e.com/a.jpg)\n\n## Test Case 2\n\n![x](https://e.com/b.png)",
        "Minister resigned.",
        "The minister resigned today after the vote in parliament.",
    ],
)
def test_short_notes_and_image_posts_are_articles(body):
    assert not _navigation_only(body)


@pytest.mark.parametrize(
    "body",
    [
        "[Home](https://e.com/) [News](https://e.com/news)",
        "Home\nNews\nSport\nWorld\nContact",
        " ".join(f"Section {i}" for i in range(40)),
        "- [Politics](https://e.com/p)\n- [Economy](https://e.com/e)\n- [World](https://e.com/w)",
        "",
    ],
)
def test_menus_link_lists_and_site_maps_are_not(body):
    assert _navigation_only(body)


def test_summary_is_the_visible_text_of_escaped_markdown():
    from microsite.normalise.escape import escape_text
    from microsite.normalise.summary import summarise

    visible = "See [click](javascript:alert(1)) & 1. Finland <b>bold</b> *stars*"
    assert summarise(escape_text(visible)) == visible
    assert summarise("A [real link](https://e.com/a_(b)) and ![a chart](https://e.com/c.png).") == (
        "A real link and a chart."
    )
