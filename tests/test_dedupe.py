"""Duplicates: one article per story, the other copies in its provenance; look-alikes survive."""

from __future__ import annotations

import pytest

from microsite.model import Article
from microsite.normalise.dedupe import canonical_url, merge_duplicates

TEXT = (
    "The regional security council met on Friday to discuss cooperation on information security, data exchange "
    "between agencies and joint exercises planned for the autumn. Officials from seven member states signed a "
    "protocol on the protection of critical infrastructure, according to a statement published after the session."
)


def art(origin: str, title: str = "Treaty signed", body: str = TEXT, url: str = "", **kw) -> Article:
    return Article(title=title, body=body, source_url=url, source_file=origin, sha256=origin * 2, **kw)


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.com/2021/05/01/treaty?utm_source=tw&utm_medium=social&utm_campaign=x",
        "http://www.news.example.com/2021/05/01/treaty/?fbclid=IwAR0x",
        "https://NEWS.example.com/2021/05/01/treaty?gclid=abc#comments",
        "https://news.example.com/2021/05/01/treaty?yclid=1&msclkid=2&mc_cid=3&_ga=4",
    ],
)
def test_tracking_parameters_do_not_make_a_new_url(url):
    assert canonical_url(url) == canonical_url("https://news.example.com/2021/05/01/treaty")


def test_meaningful_parameters_are_kept():
    assert canonical_url("https://e.com/a?id=5&utm_source=x") != canonical_url("https://e.com/a?id=6")
    assert canonical_url("https://e.com/a?b=2&a=1") == canonical_url("https://e.com/a?a=1&b=2")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "not a url", "", "ftp://e.com/a"])
def test_non_web_urls_have_no_canonical_form(url):
    assert canonical_url(url) == ""


def test_same_url_with_tracking_parameters_is_one_article():
    a = art("a.txt", url="https://news.example.com/2021/05/01/treaty")
    b = art("b.html", body=TEXT + " Updated at 10:00.", url="https://www.news.example.com/2021/05/01/treaty/?utm_source=x&fbclid=y&gclid=z")
    kept, merged = merge_duplicates([a, b])
    assert kept == [a]
    assert a.also_scraped_as == [{"source_file": "b.html", "source_url": b.source_url, "sha256": b.sha256}]
    assert merged == [(b, a)]


def test_whitespace_and_markup_only_differences_are_one_article():
    a = art("a.txt")
    b = art("b.txt", title="  Treaty   signed ", body="\n\n" + TEXT.replace(" ", "   \n ").replace("Friday", "**Friday**") + "\n\n\n")
    kept, _ = merge_duplicates([a, b])
    assert kept == [a] and [d["source_file"] for d in a.also_scraped_as] == ["b.txt"]


def test_the_same_record_twice_in_one_file_is_recorded_with_its_record():
    a, b = art("r.jsonl", record="line 1"), art("r.jsonl", record="line 7")
    merge_duplicates([a, b])
    assert a.also_scraped_as[0]["source_file"] == "r.jsonl#line 7"


def test_two_different_articles_with_the_same_title_both_survive():
    a = art("a.txt", body=TEXT)
    b = art("b.txt", body="Ministers of defence agreed on a schedule of joint drills for the coming year, a spokesman said on Monday after the talks.")
    kept, merged = merge_duplicates([a, b])
    assert kept == [a, b] and not merged


def test_a_site_wide_url_does_not_fold_a_corpus():
    """A scraper that writes the home page as every record's URL must not merge the records."""
    a = art("a.json", title="Talks open", body="First story " + TEXT, url="https://news.example.com/")
    b = art("b.json", title="Talks close", body="Second story about something else entirely, with its own words.", url="https://news.example.com/")
    c = art("c.json", title="Talks close", body="Third story, not the second one, about an unrelated vote in parliament on Tuesday.", url="https://news.example.com/")
    kept, _ = merge_duplicates([a, b, c])
    assert kept == [a, b, c]


def test_same_url_but_different_title_and_text_survives():
    a = art("a.json", title="Live: day one", body="Day one coverage " + TEXT, url="https://e.com/live")
    b = art("b.json", title="Live: day two", body="Day two coverage with entirely different reporting from the floor.", url="https://e.com/live")
    assert merge_duplicates([a, b])[0] == [a, b]


def test_short_identical_stubs_with_different_titles_survive():
    stub = "Subscribe to read the full article."
    a, b = art("a.html", title="Budget passes", body=stub), art("b.html", title="Minister resigns", body=stub)
    assert merge_duplicates([a, b])[0] == [a, b]


def test_an_article_already_in_content_wins_its_group():
    new = art("0-new-copy.txt")
    old = art("z-old.txt")
    kept, merged = merge_duplicates([new, old], prefer=lambda x: x.source_file == "z-old.txt")
    assert kept == [old] and merged == [(new, old)]
    assert old.also_scraped_as[0]["source_file"] == "0-new-copy.txt"


def test_same_text_under_different_headlines_is_two_publications():
    kept, merged = merge_duplicates([art("a.html", "Base URL test"), art("b.html", "Base URL with base test")])
    assert len(kept) == 2 and not merged


def test_same_text_with_a_site_suffix_on_the_title_is_one_article():
    long_text = TEXT + " " + TEXT.replace("Friday", "Monday")
    kept, merged = merge_duplicates(
        [art("a.html", "Treaty signed", long_text), art("b.html", "Treaty signed | Daily News", long_text)]
    )
    assert len(kept) == 1 and merged[0][0].source_file == "b.html"


def test_a_wire_story_run_by_two_outlets_is_two_publications():
    kept, _ = merge_duplicates(
        [art("a.html", url="https://one.example/story-1"), art("b.html", url="https://two.example/wire/77")]
    )
    assert len(kept) == 2
    kept, _ = merge_duplicates([art("a.txt", source="Reuters"), art("b.txt", source="Kazinform")])
    assert len(kept) == 2
    kept, _ = merge_duplicates([art("a.txt", source="Reuters"), art("b.txt")])
    assert len(kept) == 1
