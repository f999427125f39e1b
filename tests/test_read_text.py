"""The plain-text scrape reader on pages of many shapes (fixtures in tests/fixtures/text/)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import FIXTURES, ROOT

from microsite.errors import ImportProblem
from microsite.read.text import read

TEXT = FIXTURES / "text"
SEED = ROOT / "scraped" / "000_2434bbe934104fab.txt"


def _read(path):
    (article,) = read(path.read_bytes(), path.name)
    return article


def test_seed_article_metadata():
    a = _read(SEED)
    assert a.title == "CSTO countries discuss information security measures"
    assert a.date == dt.datetime(2021, 3, 31, 10, 38, tzinfo=a.date.tzinfo)
    assert a.date.utcoffset() == dt.timedelta(hours=3)
    assert a.category == "Politics"
    assert a.source == "BelTA"
    assert a.dateline == "MOSCOW"
    assert a.accessed == dt.date(2024, 4, 20)
    assert a.lang == "en"


def test_seed_body_is_verbatim_without_navigation_or_footer():
    a = _read(SEED)
    source_lines = SEED.read_text("utf-8").splitlines()
    paragraphs = [ln for ln in source_lines if len(ln.split()) > 25]
    assert len(paragraphs) == 5
    body_paragraphs = a.body.strip().split("\n\n")
    assert body_paragraphs == paragraphs  # nothing in them needs Markdown escaping
    for junk in ("Projects", "Government Bodies", "All news", "Subscribe to us", "Twitter", "Recent news from Belarus"):
        assert junk not in a.body
    assert a.title not in a.body


CASES = {
    "title_before_date_reuters.txt": dict(
        title="Kazakhstan tightens rules for foreign messaging services after cyberattacks",
        date="2023-06-02T16:12:00+06:00", source="Reuters", dateline="ALMATY", authors=["Olzhas Auyezov"],
        category="", lang="en",
        with_=["ALMATY, June 2 (Reuters) - Kazakhstan will require", "encrypted services to communicate."],
        without=["Sign in", "Read Next", "Trust Principles", "newsletter", "By Olzhas"],
    ),
    "published_label.txt": dict(
        title="Shanghai Cooperation Organisation agrees cyber security roadmap",
        date="2022-09-14T00:00:00", source="Trend", dateline="SAMARKAND", category="Diplomacy", lang="en",
        with_=["adopted a roadmap on international information security", "protecting critical infrastructure."],
        without=["Home | News", "Share this article", "Facebook", "Telegram", "Published:"],
    ),
    "russian_tass.txt": dict(
        title="В ОДКБ обсудили меры информационной безопасности",
        date="2021-03-31T10:38:00+03:00", source="TASS", dateline="МОСКВА", category="Политика", lang="ru",
        with_=["МОСКВА, 31 марта. /ТАСС/. Совещание", "обмен информацией о киберпреступлениях."],
        without=["Главная", "Подписывайтесь", "Все права защищены", "Экономика"],
    ),
    "no_date.txt": dict(
        title="Experts warn of rising ransomware threat to Central Asian hospitals",
        date=None, source="", dateline="", category="", lang="en",
        with_=["ransomware groups have increasingly targeted", "before they caused lasting damage."],
        without=["Menu", "About us", "Contact the newsroom"],
    ),
    "no_navigation.txt": dict(
        title="Belarus and Russia sign agreement on joint response to cyber incidents",
        date="2024-02-12T00:00:00", source="BelTA", dateline="MINSK", category="", lang="en",
        with_=["signed an intergovernmental agreement", "technical information about threats."],
        without=[],
    ),
    "labelled_header.txt": dict(
        title="CIS anti-terrorism centre holds staff exercise on protecting critical infrastructure",
        date="2023-10-17T09:15:00+03:00", source="Interfax", authors=["Maria Ivanova"], category="", lang="en",
        source_url="https://example.org/news/2023/10/cis-atc-exercise?utm_source=rss",
        keywords=["CIS", "critical infrastructure", "exercises"],
        with_=["The Anti-Terrorism Centre of the Commonwealth", "would take place in Minsk in 2024."],
        without=["Title:", "URL:", "Tags:", "Author:"],
    ),
    "other_footer_teasers.txt": dict(
        title="Kyrgyzstan hosts CSTO drill on countering illegal migration",
        date="2023-06-02T18:20:00+06:00", accessed="2023-06-03", source="Kazinform", dateline="BISHKEK",
        category="", lang="en",
        with_=["BISHKEK. KAZINFORM - A joint drill", "covers border crossings and transport hubs."],
        without=["Read also", "Tokayev meets", "Weather forecast", "All rights reserved", "Sport"],
    ),
    "russian_time_first.txt": dict(
        title="Минцифры предложило закон о защите критической информационной инфраструктуры",
        date="2022-04-04T10:05:00", category="Безопасность", lang="ru", source="", dateline="",
        with_=["сообщать о компьютерных инцидентах в течение трех часов", "после 2025 года."],
        without=["Читайте также", "Комментарии", "Новости"],
    ),
    "numbered_paragraphs.txt": dict(
        title="Nordic states compare cyber defence budgets",
        date="2022-05-05T00:00:00", lang="en", source="", dateline="", category="",
        with_=["1\\. Finland spends the largest share", "&lt;script&gt;alert(1)&lt;/script&gt;", "\\[this link\\](javascript:alert(2))"],
        without=["<script>", "[this link](javascript"],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_text_scrape_shapes(name):
    expected = dict(CASES[name])
    a = _read(TEXT / name)
    for snippet in expected.pop("with_"):
        assert snippet in a.body, snippet
    for snippet in expected.pop("without"):
        assert snippet not in a.body, snippet
    date = expected.pop("date")
    assert (a.date.isoformat() if a.date else None) == date
    if "accessed" in expected:
        assert a.accessed.isoformat() == expected.pop("accessed")
    for key, value in expected.items():
        assert getattr(a, key) == value, key


def test_at_least_eight_other_shapes():
    assert len(list(TEXT.glob("*.txt"))) >= 8


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"   \n\n  \t\n", "empty"),
        (b"Home\nNews\nContact\n", "no article text"),
        (b"\x00\x01\x02binary\x00junk" * 10, "binary"),
    ],
)
def test_unreadable_scrapes_raise_one_clear_problem(data, reason):
    with pytest.raises(ImportProblem, match=reason):
        read(data, "bad.txt")


def test_utf16_and_cp1251_text_are_decoded():
    text = (TEXT / "russian_tass.txt").read_text("utf-8")
    for encoded in (text.encode("utf-16"), text.encode("cp1251")):
        (a,) = read(encoded, "x.txt")
        assert a.title == "В ОДКБ обсудили меры информационной безопасности"
