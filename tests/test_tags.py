"""Tagging: taxonomy matching, normalisation, slugs, hand edits, the tag report, tag pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT, make_site

from microsite.model import Article
from microsite.normalise import tags
from microsite.normalise.tags import TaxonomyError, parse_taxonomy
from microsite.pipeline import import_dir
from microsite.tagreport import build_report, format_report
from microsite.write import frontmatter

TAXONOMY = tags.load_taxonomy(ROOT / "taxonomy.yml")


def art(title: str, *paragraphs: str, **kw) -> Article:
    return Article(title=title, body="\n\n".join(paragraphs), **kw)


FILLER = "Officials gave no further details about the timing of the next meeting of the group."


def test_russian_inflections_and_acronyms_match():
    a = art(
        "Страны ОДКБ обсудили меры по обеспечению информационной безопасности",
        "Представители государств – членов Организации Договора о коллективной безопасности обсудили "
        "вопросы информационной безопасности и противодействия киберпреступности в Минске.",
        lang="ru",
    )
    got = tags.assign_tags(a, TAXONOMY)
    assert got[:2] == ["CSTO", "information security"]
    assert "cybercrime" in got


def test_acronyms_match_by_case_and_whole_word():
    a = art("Disco nights and rats in the sco-called old town", "A long text about rats, discos and scones. " * 3)
    assert tags.assign_tags(a, TAXONOMY) == []
    b = art("SCO and RATS hold talks", FILLER)
    assert set(tags.assign_tags(b, TAXONOMY)) == {"SCO RATS", "SCO"}


def test_longest_match_wins():
    a = art("CIS Anti-Terrorism Centre opens a new office", "The CIS Anti-Terrorism Centre opened an office. " + FILLER)
    got = tags.assign_tags(a, TAXONOMY)
    assert "CIS Anti-Terrorism Centre" in got and "CIS" in got
    assert "terrorism" not in got


def test_single_passing_mentions_are_not_tags_when_the_article_has_enough():
    a = art(
        "CSTO and SCO discuss drug trafficking",
        "Delegations of the CSTO and the SCO discussed drug trafficking and illegal migration. " + FILLER,
        FILLER + " Cybercrime was not on the agenda. " + FILLER,
    )
    got = tags.assign_tags(a, TAXONOMY)
    assert got[:3] == ["CSTO", "SCO", "drug trafficking"]
    assert "illegal migration" in got  # in the opening paragraph: counts twice
    assert "cybercrime" not in got  # one passing mention deep in the body


def test_dateline_and_publisher_are_not_tags():
    tax = parse_taxonomy([{"tag": "Moscow", "aliases": ["MOSCOW", "Москва"]}, {"tag": "BelTA"}, {"tag": "CSTO"}])
    a = art(
        "CSTO meets",
        "MOSCOW, 31 March (BelTA) - The CSTO met on Tuesday, BelTA reports. " + FILLER,
        FILLER,
        dateline="MOSCOW",
        source="BelTA",
    )
    assert tags.assign_tags(a, tax) == ["CSTO"]


def test_limit_keeps_the_best_ranked():
    a = art("Cybercrime in the CSTO", "Terrorism, extremism and drug trafficking, terrorism, extremism, drug trafficking.")
    assert tags.assign_tags(a, TAXONOMY, limit=2) == ["cybercrime", "CSTO"]
    tax = parse_taxonomy({"settings": {"max_tags": 1}, "tags": [{"tag": "CSTO"}, {"tag": "cybercrime"}]})
    assert tags.assign_tags(a, tax) == ["cybercrime"]


def test_implied_tags():
    a = art("Operation PROXY results", "The operation blocked 2,000 websites. " + FILLER)
    assert tags.assign_tags(a, TAXONOMY)[:3] == ["Operation PROXY", "CSTO", "cybercrime"]


def test_publisher_keywords_map_to_canonical_tags():
    a = art("Talks in Minsk", FILLER, keywords=["ОДКБ", "Politics"])
    assert tags.assign_tags(a, TAXONOMY) == ["CSTO"]


@pytest.mark.parametrize(
    "spellings",
    [
        ["cyber crime", "cybercrime", "Cyber-Crimes", "CYBERCRIME"],
        ["информационная безопасность", "информационной безопасности", "Информационную безопасность"],
        ["drone strike", "drone strikes", "Drone-strikes"],
    ],
)
def test_phrase_key_merges_spellings(spellings):
    assert len({tags.phrase_key(s) for s in spellings}) == 1


def test_canonical_names_merge_aliases_case_and_plurals():
    names = tags.canonical_names(["csto", "ОДКБ", "CSTO", "drone strikes", "drone strike", "drone strike"], TAXONOMY)
    assert names["csto"] == names["ОДКБ"] == "CSTO"
    assert names["drone strikes"] == names["drone strike"] == "drone strike"


def test_unique_slugs_never_collide_and_are_stable():
    names = ["C++", "C", "c#", "ИИ", "II", "CSTO", "Operation PROXY", "информационная война", "Шанхай"]
    slugs = tags.unique_slugs(names, TAXONOMY)
    assert len(set(slugs.values())) == len(names)
    assert slugs["CSTO"] == "csto" and slugs["Operation PROXY"] == "operation-proxy"
    assert slugs["Шанхай"] == "shankhai"  # Cyrillic: transliterated, ASCII, the same on every build
    assert all(re.fullmatch(r"[a-z0-9-]+", s) for s in slugs.values())
    assert tags.unique_slugs(reversed(names), TAXONOMY) == slugs
    # A free tag whose slug a taxonomy tag owns gets another one.
    assert tags.unique_slugs(["csto!"], TAXONOMY)["csto!"] != "csto"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([{"tag": "A", "aliases": ["x"]}, {"tag": "B", "aliases": ["X"]}], "already belongs"),
        ([{"tag": "A", "patterns": ["(unclosed"]}], "pattern"),
        ([{"tag": "A", "implies": ["Nope"]}], "not a tag"),
        ([{"tag": "A b"}, {"tag": "a-b", "aliases": ["other"]}], "already belongs"),
        ([{"tag": "C++"}, {"tag": "C"}], "share the slug"),
        ([{"tag": "A", "slug": "x"}, {"tag": "B", "slug": "x"}], "share the slug"),
        ({"settings": {"max_tags": -1}, "tags": []}, "settings.max_tags"),
        ([{"aliases": ["x"]}], "no 'tag'"),
    ],
)
def test_taxonomy_errors_name_the_problem(raw, message):
    with pytest.raises(TaxonomyError, match=re.escape(message)):
        parse_taxonomy(raw, "taxonomy.yml")


def test_shipped_taxonomy_is_valid_and_documented():
    assert len(TAXONOMY.entries) >= 40
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "## Tags and the taxonomy" in readme
    for key in ("aliases", "patterns", "implies", "min_mentions", "max_tags", "ignore"):
        assert key in readme


def test_free_key_phrases_become_tags_names_do_not():
    a = art(
        "Satellite internet terminals seized at the border",
        "Customs officers seized 40 satellite internet terminals, said Ivan Petrov, head of the customs office.",
        "Satellite internet terminals are popular with remote communities, Ivan Petrov said.",
        "Demand for satellite internet grew after the outages. Sellers of satellite internet equipment "
        "must now register every terminal with the regulator.",
        lang="en",
    )
    got = tags.assign_tags(a, TAXONOMY)
    assert "satellite internet" in got
    assert not any("petrov" in t.lower() for t in got)


WRITTEN_SCRAPE = """Title: CSTO countries discuss cybercrime and drug trafficking
Source: TASS
Published: 2023-05-01

MOSCOW, May 1. /TASS/. Experts of the CSTO member states discussed cybercrime and drug trafficking at a meeting in Moscow on Monday.

The participants agreed to exchange information on online drug shops and on cybercrime groups. Officials gave no further details about the timing of the next meeting.
"""


def _tags_of(path: Path) -> list[str]:
    meta, _ = frontmatter.load(path.read_text("utf-8"))
    return meta.get("tags") or []


def test_hand_edited_tags_survive_reimport(tmp_path):
    src, content = tmp_path / "src", tmp_path / "content"
    src.mkdir()
    (src / "a.txt").write_text(WRITTEN_SCRAPE, "utf-8")
    (src / "b.txt").write_text(WRITTEN_SCRAPE.replace("CSTO countries", "SCO countries").replace("CSTO member", "SCO member"), "utf-8")
    import_dir(src, content, ROOT / "taxonomy.yml", workers=1)
    files = sorted((content / "articles").glob("*.md"))
    assert len(files) == 2
    edited, untouched = files
    auto = _tags_of(edited)
    assert "cybercrime" in auto and "drug trafficking" in auto
    text = edited.read_text("utf-8")
    meta, body = frontmatter.load(text)
    meta["tags"] = [t for t in auto if t != "drug trafficking"] + ["online drug markets"]
    edited.write_text(frontmatter.dump(meta, body), "utf-8")
    hand = _tags_of(edited)

    # Re-import twice, once with changed scrapes and a changed taxonomy: the edit stays.
    for round_ in range(2):
        if round_:
            for p in src.glob("*.txt"):
                p.write_text(p.read_text("utf-8").replace("on Monday", "on Tuesday"), "utf-8")
        report = import_dir(src, content, ROOT / "taxonomy.yml", workers=1)
        assert _tags_of(edited) == hand
        assert len(report.kept_hand_edits) == 1
    assert "drug trafficking" not in hand and "online drug markets" in hand
    assert "drug trafficking" in _tags_of(untouched)  # files nobody edited still follow the tagger


def test_tag_report(tmp_path):
    src, content = tmp_path / "src", tmp_path / "content"
    src.mkdir()
    for name in ("en09_drugs_channel.txt", "ru08_narko_kanal.txt", "en14_osce_drugs_training.txt", "en02_sco_rats_meeting.txt"):
        (src / name).write_bytes((ROOT / "tests" / "fixtures" / "tagging" / name).read_bytes())
    import_dir(src, content, ROOT / "taxonomy.yml", workers=1)
    report = build_report(content, TAXONOMY)
    assert report.articles == 4
    assert report.tag_counts["Operation Channel"] == 2 and report.tag_counts["drug trafficking"] == 3
    assert "darknet" in [t for t, n in report.tag_counts.items() if n == 1]
    phrases = {p: (n, ex) for p, n, ex in report.candidates}
    assert phrases["Central Asia"][0] == 2  # in two articles, not in the taxonomy
    assert not {"CSTO", "Operation Channel", "drug trafficking"} & set(phrases)
    text = format_report(report)
    assert "Tags with one article" in text and "Candidate phrases" in text and "Central Asia" in text


@pytest.fixture(scope="module")
def tag_site(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("tagsite")
    src = work / "src"
    src.mkdir()
    for name in ("en01_csto_proxy_results.txt", "ru01_odkb_proxy.txt", "ru07_odkb_uchenia.txt"):
        (src / name).write_bytes((ROOT / "tests" / "fixtures" / "tagging" / name).read_bytes())
    hand = {
        "articles/hand-a.md": "---\ntitle: Hand A\ndate: 2024-01-01\ntags: [C++, csto, drone strikes]\n---\n\nText.\n",
        "articles/hand-b.md": "---\ntitle: Hand B\ndate: 2024-01-02\ntags: [C, ОДКБ, Drone-strike]\n---\n\nText.\n",
    }
    return make_site(src, work, extra_content=hand)


def test_tag_pages_one_per_tag(tag_site):
    pages = sorted(p.name for p in (tag_site / "tag").glob("*.html"))
    assert "csto.html" in pages and "operation-proxy.html" in pages
    assert not any(p.startswith("odkb") for p in pages)  # ОДКБ is an alias of CSTO, not a page of its own
    c_pages = [p for p in pages if p == "c.html" or re.fullmatch(r"c-[0-9a-f]{6}\.html", p)]
    assert len(c_pages) == 2  # "C++" and "C" slugify alike; two pages all the same
    csto = (tag_site / "tag" / "csto.html").read_text("utf-8")
    for title in ("Hand A", "Hand B", "Operation PROXY", "Прокси"):
        assert title in csto
    drones = [p for p in pages if p.startswith("drone-strike")]
    assert len(drones) == 1  # "drone strikes" and "Drone-strike": one free tag


def test_demo_site_tags_read_like_an_index():
    """Every scrape shipped in scraped/: no duplicate tags, English and Russian under the same tags."""
    by_tag: dict[str, set[str]] = {}
    for path in sorted((ROOT / "scraped").rglob("*.txt")):
        from microsite.read.text import read

        article = read(path.read_bytes(), path.name)[0]
        for tag in tags.assign_tags(article, TAXONOMY):
            by_tag.setdefault(tag, set()).add(article.lang)
    keys = [tags.phrase_key(t) for t in by_tag]
    assert len(keys) == len(set(keys))
    shared = [t for t, langs in by_tag.items() if {"en", "ru"} <= langs]
    assert len(shared) >= 5, by_tag
    assert all(TAXONOMY.canonical(t) == t or t == t.lower() for t in by_tag)



def test_broken_taxonomy_stops_the_import_with_one_line(tmp_path):
    bad = tmp_path / "taxonomy.yml"
    bad.write_text("- tag: A\n  aliases: [x]\n- tag: B\n  aliases: [X]\n", "utf-8")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text(WRITTEN_SCRAPE, "utf-8")
    with pytest.raises(TaxonomyError, match=r"taxonomy\.yml: alias 'X' of 'B' already belongs to 'A'"):
        import_dir(src, tmp_path / "content", bad, workers=1)
    assert not list((tmp_path / "content").rglob("*.md"))
