"""Related articles and previous/next, computed once at build time.

Related articles share tags and distinctive words.  Each article is reduced
to a short signature: its tags plus its ``TOP_TERMS`` highest TF-IDF (stemmed)
words.  An inverted index maps each feature to the articles carrying it, and
only the ``CHAMPIONS`` strongest carriers of a feature are kept ("champion
lists", as search engines do), so an article is compared with at most
``features x CHAMPIONS`` others instead of with every article: the cost grows
linearly with the collection, not with its square.

Previous/next follow publication order (Pelican 4.12 no longer provides
``prev_article``/``next_article`` itself).
"""

from __future__ import annotations

import heapq
import html
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer
from pelican import signals

TOP_TERMS = 15
CHAMPIONS = 60
MAX_RELATED = 5
MIN_SCORE = 0.08
TAG_WEIGHT = 1.0
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_TAG = re.compile(r"<[^>]+>")
_LANGS = {
    "en": "english", "ru": "russian", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "pl": "polish", "cs": "czech", "tr": "turkish", "fi": "finnish",
    "sv": "swedish", "da": "danish", "no": "norwegian", "hu": "hungarian", "ro": "romanian", "el": "greek",
    "ar": "arabic", "lt": "lithuanian", "sr": "serbian", "hy": "armenian", "fa": "persian",
}
_STOPWORD_TEXT = """
the and for that with this from have has had was were are been being its his her their they them there then than
which who whom whose what when where while will would shall should can could may might must not but also into
over under about after before between during such other more most some any all each both only same very just
said says say told according year years new one two three first last out off per via upon within without
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня
еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам ведь там
потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже
себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас
были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего
них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более
всегда конечно всю между также это года году заявил сообщил
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass
class Related:
    """One related article and why: the score and the tags it shares."""

    article: object
    score: float
    shared_tags: list = field(default_factory=list)


@lru_cache(maxsize=64)
def _stemmer(lang: str):
    name = _LANGS.get((lang or "en")[:2].lower())
    return snowballstemmer.stemmer(name) if name else None


# Stems by language and word, for the whole build: a corpus repeats the same
# few tens of thousands of words, and pure-Python Snowball costs ~40 us a word
# (at 10,000 articles, 5 million calls: two thirds of the build without this).
_STEM_MEMO: dict[str, dict[str, str]] = defaultdict(dict)


def _stems(lang: str, stemmer, words: list[str]) -> list[str]:
    memo = _STEM_MEMO[lang]
    missing = [w for w in words if w not in memo]
    if missing:
        memo.update(zip(missing, stemmer.stemWords(missing), strict=True))
    return [memo[w] for w in words]


def terms(text: str, lang: str) -> Counter:
    """Stemmed word counts of ``text`` (stop words and short words left out)."""
    counts = Counter(_WORD.findall(text.lower()))
    for word in STOPWORDS.intersection(counts):
        del counts[word]
    stemmer = _stemmer(lang)
    if stemmer is None:
        return counts
    stems = _stems(lang, stemmer, list(counts))
    out: Counter = Counter()
    for stem, n in zip(stems, counts.values(), strict=True):
        out[stem] += n
    return out


def plain_text(article) -> str:
    """Title (twice: it says most about the subject) and body text."""
    body = html.unescape(_TAG.sub(" ", getattr(article, "_content", "") or ""))
    return f"{article.title} {article.title} {body}"


def _normalised(weights: dict) -> dict:
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {k: w / norm for k, w in weights.items()}


def signatures(docs: list[tuple[Counter, list[str]]]) -> list[dict]:
    """Per document: top TF-IDF terms and its tags, each part unit-length.

    ``docs`` are ``(term counts, tag keys)`` pairs.
    """
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
        sig = {("w", t): w for t, w in _normalised(top).items() if w > 0}
        tag_w = {t: math.log((n + 1) / tag_df[t]) + 0.1 for t in set(tags)}
        sig.update({("t", t): TAG_WEIGHT * w for t, w in _normalised(tag_w).items()})
        sigs.append(sig)
    return sigs


def related_indices(sigs: list[dict], limit: int = MAX_RELATED, min_score: float = MIN_SCORE) -> list[list[tuple[int, float]]]:
    """For each signature, the ``limit`` best ``(index, score)`` matches (never itself)."""
    postings: dict[object, list[tuple[float, int]]] = defaultdict(list)
    for i, sig in enumerate(sigs):
        for feature, w in sig.items():
            postings[feature].append((w, i))
    for feature, plist in postings.items():
        if len(plist) > CHAMPIONS:
            plist.sort(key=lambda p: (-p[0], p[1]))
            postings[feature] = plist[:CHAMPIONS]
    result = []
    for i, sig in enumerate(sigs):
        scores: dict[int, float] = defaultdict(float)
        for feature, w in sig.items():
            for w_other, j in postings[feature]:
                if j != i:
                    scores[j] += w * w_other
        best = sorted(((s, j) for j, s in scores.items() if s >= min_score), key=lambda p: (-p[0], p[1]))[:limit]
        result.append([(j, s) for s, j in best])
    return result


def attach_related(generator) -> None:
    """Give every published article ``related`` (a list of ``Related``)."""
    articles = list(generator.articles)
    docs = [(terms(plain_text(a), a.metadata.get("lang", "")), [t.slug for t in getattr(a, "tags", []) or []])
            for a in articles]
    for article, matches in zip(articles, related_indices(signatures(docs)), strict=True):
        own = {t.slug for t in getattr(article, "tags", []) or []}
        article.related = [
            Related(articles[j], round(s, 3), [t for t in getattr(articles[j], "tags", []) or [] if t.slug in own])
            for j, s in matches
        ]


def attach_neighbours(generator) -> None:
    """``prev_article`` (older) and ``next_article`` (newer) in publication order."""
    ordered = sorted(generator.articles, key=lambda a: (a.date.timestamp(), a.slug))
    for i, article in enumerate(ordered):
        article.prev_article = ordered[i - 1] if i > 0 else None
        article.next_article = ordered[i + 1] if i + 1 < len(ordered) else None


def finalize(generator) -> None:
    attach_neighbours(generator)
    attach_related(generator)


def register() -> None:
    """Pelican plugin entry point."""
    signals.article_generator_finalized.connect(finalize)
