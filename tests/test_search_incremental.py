"""Search payload across builds: an updated payload equals a fresh one byte for byte, and costs only what changed.

The payload state (``PayloadState``) is what one build leaves for the next;
``update_payload`` with it must write exactly the files a build from nothing
writes, whatever changed in between (an edited, retitled, retagged, added,
deleted or moved article), while analysing only the changed articles and
regenerating only the files whose content changed.  The last test does the
same through Pelican: build, edit one article, rebuild, compare with a clean
build.
"""

from __future__ import annotations

import dataclasses
import itertools
import pickle
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import tree

from microsite.bench.search_bench import corpus_pages, to_documents
from microsite.search.builder import build_index
from microsite.search.documents import SearchDocument
from microsite.search.payload import (
    _cuts,
    decode_numbers,
    encode_numbers,
    read_script,
    update_payload,
    write_payload,
)

ROOT = Path(__file__).resolve().parent.parent
SHARD_BYTES = 3000  # small shards: an edit has many neighbours to disturb


def stamps(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def edited(doc: SearchDocument, **changes) -> SearchDocument:
    return dataclasses.replace(doc, **changes)


@pytest.fixture(scope="module")
def corpus() -> list[SearchDocument]:
    return to_documents(corpus_pages(80, seed=3))


def assert_equals_fresh(folder: Path, documents: list[SearchDocument], tmp_path: Path, step: str = "") -> None:
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    write_payload(documents, fresh, SHARD_BYTES)
    got, want = tree(folder), tree(fresh)
    assert sorted(got) == sorted(want), step
    differing = [name for name in want if got[name] != want[name]]
    assert not differing, f"{step}: {len(differing)} files differ from a fresh payload, e.g. {differing[:5]}"


def test_every_kind_of_change_gives_the_fresh_payload(corpus, tmp_path):
    docs = list(corpus)
    folder = tmp_path / "search"
    state, _ = update_payload(docs, folder, SHARD_BYTES)
    other = to_documents(corpus_pages(21, seed=5))
    steps = [
        ("nothing", lambda d: d),
        ("edit", lambda d: [*d[:40], edited(d[40], body=d[40].body + " Correction: a name was misspelt zzqx."), *d[41:]]),
        ("words added first", lambda d: [edited(d[0], body="Breaking news: " + d[0].body), *d[1:]]),
        ("words reordered", lambda d: [*d[:2], edited(d[2], body=" ".join(reversed(d[2].body.split()))), *d[3:]]),
        ("retitle", lambda d: [*d[:10], edited(d[10], title="A brand new headline about quokkas"), *d[11:]]),
        ("retag", lambda d: [*d[:5], edited(d[5], tags=[*d[5].tags, "newtag"]), *d[6:]]),
        ("new summary", lambda d: [*d[:7], edited(d[7], summary="Nothing like before."), *d[8:]]),
        ("add first", lambda d: [other[0], *d]),
        ("add last", lambda d: [*d, other[1]]),
        ("delete", lambda d: d[:30] + d[31:]),
        ("move", lambda d: [*d[:20], d[50], *d[20:50], *d[51:]]),
        ("empty body", lambda d: [*d[:60], edited(d[60], body=""), *d[61:]]),
        ("many at once", lambda d: [edited(x, body=x.body[: len(x.body) // 2]) if i % 3 == 0 else x
                                    for i, x in enumerate(d)]),
        ("shrink", lambda d: d[:3]),
        ("empty", lambda d: []),
        ("regrow", lambda d: other),
    ]
    for name, change in steps:
        docs = change(docs)
        state = pickle.loads(pickle.dumps(state))  # as the plugin keeps it between builds
        state, _ = update_payload(docs, folder, SHARD_BYTES, state)
        assert_equals_fresh(folder, docs, tmp_path, name)


def test_an_edit_rewrites_only_its_file_meta_and_the_shards_of_its_changed_words(corpus, tmp_path):
    docs = list(corpus)
    folder = tmp_path / "search"
    state, _ = update_payload(docs, folder, SHARD_BYTES)
    before_index = build_index(docs)
    before = stamps(folder)
    docs[40] = edited(docs[40], body=docs[40].body + " Correction: an earlier version misspelt a name.")
    state, stats = update_payload(docs, folder, SHARD_BYTES, state)
    changed = {name for name, mtime in stamps(folder).items() if before.get(name) != mtime}
    assert stats.written == len(changed)
    assert {"d/40.js", "meta.js"} <= changed
    assert not {f"d/{n}.js" for n in range(len(docs)) if n != 40} & changed

    # the terms whose postings changed, and the shards holding them
    after_index = build_index(docs)
    def postings(index, term):
        return [index.postings(index.ids[term], f) for f in range(len(index.fields))] if term in index.ids else None

    words = {t for t in set(before_index.ids) | set(after_index.ids)
             if postings(before_index, t) != postings(after_index, t)}
    assert 3 <= len(words) < 10
    meta = read_script(folder / "meta.js")
    holding = set()
    for k in range(len(meta["shards"])):
        terms = {entry[0] for entry in read_script(folder / "t" / f"{k}.js")[1:]}
        if terms & words:
            holding.add(k)
    rewritten = {int(name[2:-3]) for name in changed if name.startswith("t/")}
    assert holding and holding <= rewritten
    # a shard cut may move next to a grown entry, nowhere else
    assert all(k in holding or k - 1 in holding or k + 1 in holding for k in rewritten)
    assert len(rewritten) < len(meta["shards"]) / 4


def test_unchanged_articles_are_never_converted_to_text(corpus, tmp_path):
    """The plugin hands over documents whose body is loaded on demand; an update only loads the changed ones."""
    loaded: list[str] = []

    def lazy(doc: SearchDocument) -> SearchDocument:
        text = doc.body

        def load() -> str:
            loaded.append(doc.url)
            return text

        return SearchDocument(url=doc.url, title=doc.title, body=None, summary=doc.summary, source=doc.source,
                              tags=doc.tags, lang=doc.lang, date=doc.date, date_text=doc.date_text,
                              digest=doc.body_digest(), loader=load)

    docs = list(corpus)
    state, _ = update_payload([lazy(d) for d in docs], tmp_path / "search", SHARD_BYTES)
    assert len(loaded) == len(docs)
    loaded.clear()
    state, stats = update_payload([lazy(d) for d in docs], tmp_path / "search", SHARD_BYTES, state)
    assert loaded == [] and stats.written == 0
    docs[12] = edited(docs[12], body=docs[12].body + " One more sentence.")
    update_payload([lazy(d) for d in docs], tmp_path / "search", SHARD_BYTES, state)
    assert loaded == [docs[12].url]
    assert_equals_fresh(tmp_path / "search", docs, tmp_path)


def test_a_file_changed_behind_the_builds_back_is_rewritten(corpus, tmp_path):
    """Unchanged files are trusted by size and mtime; a file touched since is regenerated."""
    folder = tmp_path / "search"
    state, _ = update_payload(corpus, folder, SHARD_BYTES)
    (folder / "d" / "3.js").write_text("damaged", "utf-8")
    (folder / "t" / "2.js").unlink()
    state, stats = update_payload(corpus, folder, SHARD_BYTES, state)
    assert stats.written == 2
    assert_equals_fresh(folder, list(corpus), tmp_path)


def test_numbers_round_trip():
    values = np.array([0, 1, 31, 32, 1023, 1024, 32767, 32768, 2**31 - 1, 2**40 + 5, 2**62, 7], np.int64)
    text, ends = encode_numbers(values)
    assert decode_numbers(text) == values.tolist()
    assert ends[-1] == len(text) and text.isascii() and "'" not in text and "\\" not in text and '"' not in text
    assert encode_numbers(np.zeros(0, np.int64))[0] == ""


def test_shard_cuts_move_only_next_to_a_changed_entry():
    rng = random.Random(4)
    sizes = np.array([rng.choice([40, 60, 200, 900, 3000]) for _ in range(5000)], np.int64)
    marks = np.array([rng.random() for _ in range(5000)])
    cuts = _cuts(sizes, marks, 20_000)
    average = sizes.sum() / (len(cuts) - 1)
    assert 0.7 * 20_000 < average < 1.5 * 20_000
    assert all(sizes[a:b].sum() <= 40_000 or b - a == 1 for a, b in itertools.pairwise(cuts))
    for i in rng.sample(range(5000), 40):
        grown = sizes.copy()
        grown[i] = grown[i] * 12 // 10 + 7
        other = _cuts(grown, marks, 20_000)
        moved = set(cuts) ^ set(other)
        assert len(moved) <= 2, (i, sorted(moved))


def test_site_rebuilt_after_an_edit_has_the_clean_builds_search(tmp_path):
    """Through Pelican and the speed plugin: memo, state and deferred job give the clean build's files."""
    from microsite.bench.corpus import Spec, write_corpus
    from microsite.build import build_site

    content = tmp_path / "content"
    write_corpus(content, Spec(40, seed=9))
    output = tmp_path / "output"
    settings = ROOT / "pelicanconf.py"
    build_site(content, output, settings, strict=True, fresh=True)
    files = sorted((content / "articles").glob("*.md"))
    text = files[17].read_text("utf-8")
    files[17].write_text(text.rstrip("\n") + "\n\nCorrection: an earlier version misspelt a name.\n", "utf-8")
    before = stamps(output / "search")
    build_site(content, output, settings, strict=True)
    clean = tmp_path / "clean"
    build_site(content, clean, settings, strict=True, fresh=True)
    assert tree(output / "search") == tree(clean / "search")
    rewritten = {name for name, mtime in stamps(output / "search").items() if before.get(name) != mtime}
    assert "meta.js" in rewritten and len([n for n in rewritten if n.startswith("d/")]) == 1
