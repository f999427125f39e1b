"""Benchmark: related articles for N synthetic articles (default 10,000).

    python -m microsite.bench.related_bench [N]

Articles get ~400 words drawn from a Zipf-distributed vocabulary of 30,000
words and 3-8 tags from 300 (a few of them very common, as in a one-topic
corpus).  Prints the time to build signatures and to find related articles,
and the largest number of candidates any article was compared with, which
stays bounded (features x CHAMPIONS) however large N gets.
"""

from __future__ import annotations

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


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    docs = corpus(n)
    t0 = time.perf_counter()
    sigs = related.signatures(docs)
    t1 = time.perf_counter()
    result = related.related_indices(sigs)
    t2 = time.perf_counter()
    features = max(len(s) for s in sigs)
    print(f"{n} articles: signatures {t1 - t0:.2f} s, related {t2 - t1:.2f} s "
          f"(<= {features} features x {related.CHAMPIONS} champions per article); "
          f"{sum(1 for r in result if r)} articles have related ones")


if __name__ == "__main__":
    main()
