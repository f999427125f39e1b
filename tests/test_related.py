"""Related articles: the fast code gives exactly what the plain algorithm gives, from scratch or updated.

``reference_*`` below is the algorithm written the obvious way (one Counter
per article, a dict of postings, one sorted() per article).  The plugin's own
code is faster (champion lists, no sort per article, a state kept between
builds), and must not change a single float: page bytes depend on the scores
(their order, their rounding), and a site must be the same whichever way it
was built.
"""

from __future__ import annotations

import heapq
import math
import pickle
import random
from collections import Counter, defaultdict

import pytest

from microsite.bench.related_bench import corpus
from microsite.plugins import related
from microsite.plugins.related import compute, related_indices, signatures, update

CHAMPIONS, MAX_RELATED, MIN_SCORE = related.CHAMPIONS, related.MAX_RELATED, related.MIN_SCORE
TAG_WEIGHT, TOP_TERMS = related.TAG_WEIGHT, related.TOP_TERMS


def reference_signatures(docs: list[tuple[Counter, list[str]]]) -> list[dict]:
    n = len(docs)
    df: Counter = Counter()
    tag_df: Counter = Counter()
    for counts, tags in docs:
        df.update(counts.keys())
        tag_df.update(set(tags))
    idf = {t: math.log((n + 1) / d) for t, d in df.items()}
    sigs = []
    for counts, tags in docs:
        scored = [((1 + math.log(c)) * idf[t], t) for t, c in counts.items()]
        top = {t: w for w, t in heapq.nlargest(TOP_TERMS, scored)}
        norm = math.sqrt(sum(w * w for w in top.values())) or 1.0
        sig = {("w", t): w / norm for t, w in top.items() if w / norm > 0}
        tag_w = {t: math.log((n + 1) / tag_df[t]) + 0.1 for t in dict.fromkeys(tags)}
        norm = math.sqrt(sum(w * w for w in tag_w.values())) or 1.0
        sig.update({("t", t): TAG_WEIGHT * w / norm for t, w in tag_w.items()})
        sigs.append(sig)
    return sigs


def reference_related(sigs: list[dict], limit: int = MAX_RELATED, min_score: float = MIN_SCORE) -> list[list]:
    postings: dict = defaultdict(list)
    for i, sig in enumerate(sigs):
        for feature, w in sig.items():
            postings[feature].append((w, i))
    for feature, plist in postings.items():
        if len(plist) > CHAMPIONS:
            plist.sort(key=lambda p: (-p[0], p[1]))
            postings[feature] = plist[:CHAMPIONS]
    result = []
    for i, sig in enumerate(sigs):
        scores: dict = defaultdict(float)
        for feature, w in sig.items():
            for w_other, j in postings[feature]:
                if j != i:
                    scores[j] += w * w_other
        best = sorted(((s, j) for j, s in scores.items() if s >= min_score), key=lambda p: (-p[0], p[1]))[:limit]
        result.append([(j, s) for s, j in best])
    return result


def items(sigs: list[dict]) -> list[list]:
    """Signatures with their order: scores are summed in that order."""
    return [list(sig.items()) for sig in sigs]


@pytest.fixture(scope="module")
def docs() -> list[tuple[Counter, list[str]]]:
    # Few words and few tags: many shared features, full champion lists, ties in tag weights.
    out = []
    for counts, tags in corpus(700, seed=3):
        small = Counter(dict(counts.most_common()[::3]))
        out.append((small, tags[:3]))
    return out


def test_signatures_and_matches_equal_the_plain_algorithm(docs):
    sigs = signatures(docs)
    assert items(sigs) == items(reference_signatures(docs))
    assert related_indices(sigs) == reference_related(sigs)
    assert related_indices(sigs, limit=9, min_score=0.0) == reference_related(sigs, limit=9, min_score=0.0)
    assert any(len(r) == MAX_RELATED for r in reference_related(sigs))


def test_signature_order_does_not_depend_on_the_process():
    # Tags keep the article's order (a set's order changes with PYTHONHASHSEED, and with it the last bits).
    sig = signatures([(Counter(a=2, b=1), ["zeta", "alpha", "mid", "zeta"]), (Counter(a=1), ["alpha"])])[0]
    assert [f for f in sig if f[0] == "t"] == [("t", "zeta"), ("t", "alpha"), ("t", "mid")]


def test_words_round_trip_through_their_stored_form():
    for counts in (Counter(), Counter(a=1), Counter({"безопасн": 300, "csto": 2, "x": 255})):
        assert related._decode(related._encode_words(counts)) == (list(counts), list(counts.values()))


def test_stop_words_digits_and_short_words_are_not_terms():
    got = related.terms("The 2021 CSTO summit; the summits of CSTO, at Minsk x1 ab", "en")
    assert got == Counter({"csto": 2, "summit": 2, "minsk": 1})


def _collection(docs, stamps=None):
    n = len(docs)
    paths = [f"articles/a{i}.md" for i in range(n)]
    stamps = stamps or [(100, i) for i in range(n)]
    tags = [related._tag_keys(t) for _, t in docs]
    encoded = [related._encode_words(c) for c, _ in docs]
    return paths, stamps, tags, encoded


def _edit(rng: random.Random, counts: Counter, vocab: list[str]) -> Counter:
    out = Counter(counts)
    for word in rng.sample(sorted(out), min(len(out), rng.randint(0, 4))):
        del out[word]
    for _ in range(rng.randint(0, 4)):
        out[rng.choice(vocab) if rng.random() < 0.8 else f"new{rng.randrange(10**6)}"] += rng.randint(1, 3)
    for word in rng.sample(sorted(out), min(len(out), rng.randint(0, 2))):
        out[word] += rng.randint(1, 40)
    return out


def _same(got, want) -> None:
    assert got.encoded == want.encoded and got.tails == want.tails
    assert items(got.sigs) == items(want.sigs)
    assert got.results == want.results
    assert got.index == want.index and got.carriers == want.carriers


@pytest.mark.parametrize("seed", range(12))
def test_update_after_edits_equals_computing_from_scratch(docs, seed):
    rng = random.Random(seed)
    paths, stamps, tags, encoded = _collection(docs)
    state = pickle.dumps(compute(paths, stamps, tags, encoded).finish(), pickle.HIGHEST_PROTOCOL)
    vocab = sorted({w for c, _ in docs for w in c})
    stamps, tags, encoded = list(stamps), list(tags), list(encoded)
    for d in rng.sample(range(len(docs)), 1 if seed % 2 else rng.randint(2, 12)):
        encoded[d] = related._encode_words(_edit(rng, docs[d][0], vocab))
        stamps[d] = (200, d)
        if seed % 3 == 0:  # a tag added or dropped moves the weights of every article with that tag
            tags[d] = tags[d][1:] + (("new tag",) if seed % 2 else ())
    if seed == 4:  # a file touched without changing
        stamps[0] = (300, 0)
    asked = []
    got = update(pickle.loads(state), paths, stamps, tags, lambda d: asked.append(d) or encoded[d])
    want = compute(paths, stamps, tags, encoded).finish()
    assert got is not None
    _same(got, want)
    assert sorted(asked) == sorted(d for d in range(len(docs)) if stamps[d][0] != 100)  # only changed files are read
    again = update(pickle.loads(pickle.dumps(got)), paths, stamps, tags, encoded.__getitem__)
    assert again is not None and not again.changed
    _same(again, want)


def test_update_declines_what_only_a_full_computation_can_do(docs):
    paths, stamps, tags, encoded = _collection(docs)
    state = pickle.dumps(compute(paths, stamps, tags, encoded).finish(), pickle.HIGHEST_PROTOCOL)

    def fresh():
        return pickle.loads(state)

    assert update(fresh(), paths[:-1], stamps[:-1], tags[:-1], encoded.__getitem__) is None  # removed
    assert update(fresh(), [*paths, "articles/new.md"], [*stamps, (1, 1)], [*tags, ()], encoded.__getitem__) is None
    assert update(fresh(), paths[::-1], stamps[::-1], tags[::-1], encoded.__getitem__) is None  # reordered
    many = [(1, d) for d in range(len(docs))]
    assert update(fresh(), paths, many, tags, encoded.__getitem__) is None  # most files changed
    unknown = [None, *stamps[1:]]  # no stamp: always read again, still updated
    assert update(fresh(), paths, unknown, tags, encoded.__getitem__) is not None
