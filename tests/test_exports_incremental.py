"""Corpus exports, feeds, sources and the sitemap: the same bytes however the site was built.

The exports are assembled from per-article pieces kept across builds
(``speed_memo``) with the collection-wide citation key spliced in, the
feeds are kept when their articles' files did not change, and the text
extraction avoids slow regular expressions.  Each shortcut is checked here
against the plain computation: unit tests against the whole-collection
functions, and builds (an edit, a new article that shifts other articles'
citation keys, a deletion) against a clean build of the same content.
"""

from __future__ import annotations

import random
import re
import shutil
import types
from html import unescape
from pathlib import Path
from unittest import mock

import pytest

from microsite.bench.corpus import Spec, write_corpus
from microsite.build import build_site
from microsite.cite import assign_keys, formats, from_metadata
from microsite.plugins import exports

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "pelicanconf.py"
CORPUS_FILES = ["corpus.csv", "corpus.jsonl", "corpus.bib", "corpus.ris", "corpus.csl.json", "sitemap.xml"]


def _html_to_text_by_regex(markup: str) -> str:
    """The original definition of ``exports.html_to_text``."""
    text = unescape(exports._TAG.sub("", exports._BLOCK_END.sub("\n\n", markup or "")))
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r"\s*\n\s*\n\s*", "\n\n", text).strip()


def test_html_to_text_equals_the_regular_expression_definition():
    rng = random.Random(3)
    alphabet = ["a", "б", " ", "  ", "\t", "\u00a0", "&nbsp;", "\n", "\r\n", "\x0b", "\u2028", "\u3000",
                "<p>", "</p>", "<br>", "<br/>", "</li>", "<b>", "&amp;", "x\n \n y"]
    samples = ["", " ", "\n\n", "<p>One</p><p>Two</p>", "a \t\u00a0 b", " \n \u2028 \n x \n y \n\n"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60))) for _ in range(3000)]
    for markup in samples:
        assert exports.html_to_text(markup) == _html_to_text_by_regex(markup), repr(markup)


def _fields(i: int, title: str) -> dict:
    return {
        "slug": f"a-{i}", "title": title, "date": "2021-03-31T10:38:00+03:00", "modified": "", "accessed": "",
        "source": "BelTA", "source_url": "https://x.example/a?b=1,2", "canonical_url": "",
        "authors": ["Anna Petrova", 'Bob "B" Smith'], "category": "", "tags": ["CSTO", "=cmd"], "lang": "ru",
        "dateline": "MOSCOW", "summary": "Line one\nline two, \"quoted\"", "words": 3, "url": f"articles/a-{i}.html",
        "source_file": "", "source_record": "", "sha256": "", "also_scraped_as": [{"source_file": "b.txt"}],
        "text": "Текст\n\nи ещё",
    }


class _Stub:
    """A memo holding given values by article."""

    def __init__(self, values: dict[int, object]) -> None:
        self.values = values

    def get(self, article, compute, key=None):
        return self.values[id(article)] if id(article) in self.values else compute()

    def replace(self, article, value, key=None):
        self.values[id(article)] = value
        return value


def _article(key: str | None):
    cite = (types.SimpleNamespace(ref=types.SimpleNamespace(key=key), key=key, made_from=(0, key))
            if key is not None else None)
    return types.SimpleNamespace(cite=cite)


def test_record_pieces_with_spliced_keys_equal_the_whole_files():
    keys = ["petrova2021border", "", "=danger", "key,with,commas", 'quote"d', "ключ", None, "a b"]
    titles = ["Plain", "=HYPERLINK(1)", "comma, title", "new\nline", "Заголовок", "-minus", "", " spaced"]
    articles = [_article(k) for k in keys]
    fields = [_fields(i, t) for i, t in enumerate(titles)]
    records = [{"key": k or "", **f} for k, f in zip(keys, fields, strict=True)]
    pieces = [exports.pieces_of(f) for f in fields]
    memo = _Stub({id(a): ((), row) for a, (row, _line) in zip(articles, pieces, strict=True)})
    kept_file = b"".join(b"<" + line for _row, line in pieces)  # the lines where a last build left them
    spans, at = {}, 0
    for n, (_row, line) in enumerate(pieces):
        spans[("file", n)] = (at + 1, at + 1 + len(line))
        at += 1 + len(line)
    with mock.patch.object(exports.speed_memo, "memo_key", lambda a: ("file", articles.index(a))):
        csv_bytes, jsonl_bytes, where = exports._assemble_records(articles, memo, (kept_file, spans))
    assert csv_bytes == exports.corpus_csv(records).encode("utf-8")
    assert jsonl_bytes == exports.corpus_jsonl(records).encode("utf-8")
    assert [jsonl_bytes[a:b] for a, b in where.values()] == [line for _row, line in pieces]
    assert exports._assemble_records([], memo) == (exports.corpus_csv([]).encode(), b"", {})


def _refs(n: int) -> list:
    metas = [{"title": f"Border talks {i} {{x}} 100%", "authors": ["Anna Petrova"], "date": f"2021-0{1 + i % 9}-01",
              "source": "BelTA", "source_url": f"https://x.example/{i}", "tags": ["CSTO", "border, security"],
              "summary": "A\nsummary", "lang": "ru", "slug": f"a-{i}"} for i in range(n)]
    return assign_keys(from_metadata(m) for m in metas)


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_reference_pieces_join_into_the_collection_formats(n):
    refs = _refs(n)
    articles = [types.SimpleNamespace(cite=types.SimpleNamespace(ref=r, key=r.key, made_from=(0, r.key)))
                for r in refs] + [_article(None)]
    memo = _Stub({})
    expected = (formats.bibtex_collection(refs, comment="Site: n articles").encode(),
                formats.ris_collection(refs).encode(), formats.csl_json(refs).encode())
    assert exports._assemble_references(articles, memo, "Site: n articles") == expected


def test_reference_entries_made_for_another_key_are_remade():
    refs = _refs(3)
    articles = [types.SimpleNamespace(cite=types.SimpleNamespace(ref=r, key=r.key, made_from=(0, r.key)))
                for r in refs]
    stale = [[(0, "oldkey"), b"@article{oldkey,\n}\n", b"ID  - oldkey\n", b'  {"id": "oldkey"}'] for _ in refs]
    memo = _Stub({id(a): e for a, e in zip(articles, stale, strict=True)})
    bib, ris, csl = exports._assemble_references(articles, memo, "")
    assert bib == formats.bibtex_collection(refs).encode() and b"oldkey" not in ris + csl
    assert [memo.values[id(a)][0] for a in articles] == [(0, r.key) for r in refs]  # kept for the next build


# -- builds --------------------------------------------------------------------


def _hand_written(slug: str, title: str, day: str) -> str:
    return (f"---\ntitle: {title}\ndate: '{day}T09:00:00+03:00'\nauthors:\n- Anna Petrova\nsource: BelTA\n"
            f"tags:\n- border security\nlang: en\nslug: {slug}\n---\n\nA note on {title.lower()}.\n")


def _outputs(site: Path) -> dict[str, bytes]:
    """The files the exports, feeds and sources plugins write."""
    names = [site / n for n in CORPUS_FILES] + sorted((site / "feeds").rglob("*.xml"))
    names += [*sorted((site / "sources").glob("*.html")), site / "sources.html"]
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in names}


def _assert_same(built: Path, clean: Path) -> None:
    got, want = _outputs(built), _outputs(clean)
    assert sorted(got) == sorted(want)
    differing = [name for name in want if got[name] != want[name]]
    assert not differing, f"differ from a clean build: {differing}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("exports-incremental")
    content = work / "content"
    write_corpus(content, Spec(12, seed=5))
    for slug, title, day in [("talks", "Border talks in Minsk", "2021-05-01"),
                             ("guards", "Border guards meet in Brest", "2021-06-01")]:
        (content / "articles" / f"{slug}.md").write_text(_hand_written(slug, title, day), "utf-8")
    output = work / "output"
    built = build_site(content, output, SETTINGS, strict=True, fresh=True)
    yield work, content, output
    shutil.rmtree(built.cache, ignore_errors=True)


def _keys(site: Path) -> dict[str, str]:
    return {m.group(2): m.group(1) for m in re.finditer(r"@article\{(\w+),\n  title = \{\{([^}]*)\}\}",
                                                        (site / "corpus.bib").read_text("utf-8"))}


def test_unchanged_rebuild_rewrites_none_of_the_files(site):
    _work, content, output = site
    before = {p: p.stat().st_mtime_ns for p in (output / n for n in CORPUS_FILES)}
    before.update({p: p.stat().st_mtime_ns for p in (output / "feeds").rglob("*.xml")})
    assert build_site(content, output, SETTINGS, strict=True, force=True).ran
    assert {p: p.stat().st_mtime_ns for p in before} == before
    cache = build_site(content, output, SETTINGS, strict=True).cache  # up to date: nothing runs
    assert (cache / "microsite-memo-exports-rows.pickle").is_file()
    assert (cache / "microsite-corpus-lines.pickle").is_file()
    assert (cache / "microsite-memo-exports-references.pickle").is_file()


def test_edit_and_shifted_citation_keys_equal_a_clean_build(site):
    """A new article takes the first of three clashing keys: the two unchanged articles' entries are redone."""
    work, content, output = site
    assert _keys(output)["Border talks in Minsk"] == "petrova2021bordera"
    edited = sorted((content / "articles").glob("*.md"))[0]
    text = edited.read_text("utf-8")
    edited.write_text(text.replace("\n\n", "\n\nAn added sentence about the CSTO.\n\n", 1), "utf-8")
    new = content / "articles" / "checks.md"
    new.write_text(_hand_written("checks", "Border checks tightened", "2021-04-01"), "utf-8")
    assert build_site(content, output, SETTINGS, strict=True).ran
    keys = _keys(output)
    assert [keys[t] for t in ("Border checks tightened", "Border talks in Minsk", "Border guards meet in Brest")] == [
        "petrova2021bordera", "petrova2021borderb", "petrova2021borderc"]
    assert "An added sentence about the CSTO." in (output / "corpus.jsonl").read_text("utf-8")
    _assert_same(output, build_site_clean(content, work, "clean-1"))

    new.unlink()  # the keys go back
    assert build_site(content, output, SETTINGS, strict=True).ran
    assert _keys(output)["Border talks in Minsk"] == "petrova2021bordera"
    _assert_same(output, build_site_clean(content, work, "clean-2"))


def build_site_clean(content: Path, work: Path, name: str) -> Path:
    output = work / name
    build_site(content, output, SETTINGS, strict=True, fresh=True)
    return output


def test_a_hand_edited_corpus_file_is_made_again_from_the_articles(site):
    """Unchanged articles' JSON lines come from the last build's ``corpus.jsonl`` only while it is the
    file that build wrote: edited by hand, every line is made again."""
    work, content, output = site
    corpus = output / "corpus.jsonl"
    lines = corpus.read_text("utf-8").splitlines(keepends=True)
    corpus.write_text("".join([lines[0].replace('"text": "', '"text": "TAMPERED '), *lines[1:]]), "utf-8")
    edited = sorted((content / "articles").glob("*.md"))[1]
    edited.write_text(edited.read_text("utf-8") + "\nOne more closing sentence.\n", "utf-8")
    assert build_site(content, output, SETTINGS, strict=True).ran
    assert "TAMPERED" not in corpus.read_text("utf-8")
    assert "One more closing sentence." in corpus.read_text("utf-8")
    _assert_same(output, build_site_clean(content, work, "clean-3"))
