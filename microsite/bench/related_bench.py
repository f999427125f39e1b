"""Benchmark: related articles for N synthetic articles (default 10,000).

    python -m microsite.bench.related_bench [N]

Articles get ~400 words drawn from a Zipf-distributed vocabulary of 30,000
words and 3-8 tags from 300 (a few of them very common, as in a one-topic
corpus).  Prints the CPU time to build signatures and to find related
articles from scratch (a clean build), the largest number of candidates any
article was compared with, which stays bounded (features x CHAMPIONS) however
large N gets, and the time to bring the collection up to date after one
article gained and lost a few words (a one-article rebuild, ``related.update``),
checked against a computation from scratch.
"""

from __future__ import annotations

import pickle
import random
import sys
import time
from collections import Counter

from microsite.plugins import related


def corpus(n: int, seed: int = 5) -> list[tuple[Counter, list[str]]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(30_000)]
    weights = [1 / (i + 1) for i in range(len(vocab))]
    tags = [f"tag{i}" for i in range(300)]
    tag_weights = [1 / (i + 1) ** 1.2 for i in range(len(tags))]
    docs = []
    for _ in range(n):
        words = rng.choices(vocab, weights, k=400)
        docs.append((Counter(words), sorted(set(rng.choices(tags, tag_weights, k=rng.randint(3, 8))))))
    return docs


def edited(counts: Counter, rng: random.Random, vocab: list[str]) -> Counter:
    """A copy of ``counts`` that lost three words and gained three (as an edit would)."""
    out = Counter(counts)
    for word in rng.sample(sorted(out), min(3, len(out))):
        del out[word]
    for word in rng.sample(vocab, 3):
        out[word] += 1
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    docs = corpus(n)
    t0 = time.process_time()
    sigs = related.signatures(docs)
    t1 = time.process_time()
    result = related.related_indices(sigs)
    t2 = time.process_time()
    features = max(len(s) for s in sigs)
    print(f"{n} articles: signatures {t1 - t0:.2f} s, related {t2 - t1:.2f} s CPU "
          f"(<= {features} features x {related.CHAMPIONS} champions per article); "
          f"{sum(1 for r in result if r)} articles have related ones")

    paths, stamps = [f"a{i}.md" for i in range(n)], [(1, i) for i in range(n)]
    tags = [related._tag_keys(t) for _, t in docs]
    encoded = [related._encode_words(c) for c, _ in docs]
    state = pickle.dumps(related.compute(paths, stamps, tags, encoded).finish(), pickle.HIGHEST_PROTOCOL)
    rng = random.Random(7)
    vocab = sorted({w for c, _ in docs for w in c})
    times = []
    for _ in range(5):
        d = rng.randrange(n)
        now_encoded, now_stamps = list(encoded), list(stamps)
        now_encoded[d], now_stamps[d] = related._encode_words(edited(docs[d][0], rng, vocab)), (2, d)
        old = pickle.loads(state)
        t0 = time.process_time()
        new = related.update(old, paths, now_stamps, tags, lambda i, e=now_encoded: e[i])
        times.append(time.process_time() - t0)
        assert new is not None and new.results == related.compute(paths, now_stamps, tags, now_encoded).results
    print(f"one article edited: update {min(times):.3f}-{max(times):.3f} s CPU (5 edits, each checked)")


if __name__ == "__main__":
    main()
