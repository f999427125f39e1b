"""Assign tags from the taxonomy (``taxonomy.yml``): aliases in any language.

Acronyms (all capitals) match case-sensitively; other aliases ignore case.
Russian aliases match any inflection: every word of the alias and of the text
is reduced to its Snowball stem before comparing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import snowballstemmer
import yaml

from microsite.model import Article

_WORD = re.compile(r"[\w’'-]+", re.U)
_CYR = re.compile(r"[\u0400-\u04FF]")
MAX_TAGS = 8


@dataclass
class Entry:
    """One canonical tag and the ways to recognise it."""

    tag: str
    exact: list[re.Pattern[str]] = field(default_factory=list)
    stems: list[tuple[str, ...]] = field(default_factory=list)


@functools.cache
def _stemmer(lang: str):
    return snowballstemmer.stemmer("russian" if lang == "ru" else "english")


def _stem_words(text: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(text)]
    return [(_stemmer("ru") if _CYR.search(w) else _stemmer("en")).stemWord(w) for w in words]


@functools.cache
def load_taxonomy(path: str) -> tuple[Entry, ...]:
    """Parse a taxonomy file (cached per path)."""
    raw = yaml.safe_load(Path(path).read_text("utf-8")) or []
    entries = []
    for item in raw:
        entry = Entry(str(item["tag"]))
        for alias in [item["tag"], *item.get("aliases", [])]:
            alias = str(alias)
            if alias.isupper() or (not _CYR.search(alias) and alias == alias.upper()):
                entry.exact.append(re.compile(rf"(?<![\w-]){re.escape(alias)}(?![\w-])"))
            else:
                entry.stems.append(tuple(_stem_words(alias)))
        for pattern in item.get("patterns", []):
            entry.exact.append(re.compile(pattern))
        entries.append(entry)
    return tuple(entries)


def _contains(haystack: list[str], needle: tuple[str, ...]) -> int:
    n = len(needle)
    return sum(1 for i in range(len(haystack) - n + 1) if tuple(haystack[i : i + n]) == needle) if n else 0


def match_taxonomy(text: str, taxonomy: tuple[Entry, ...]) -> list[tuple[str, int]]:
    """(tag, hits) for every taxonomy entry found in ``text``, most hits first."""
    stems = _stem_words(text)
    hits = []
    for entry in taxonomy:
        count = sum(len(p.findall(text)) for p in entry.exact) + sum(_contains(stems, s) for s in entry.stems)
        if count:
            hits.append((entry.tag, count))
    return sorted(hits, key=lambda h: -h[1])


def assign_tags(article: Article, taxonomy: tuple[Entry, ...], limit: int = MAX_TAGS) -> list[str]:
    """Taxonomy tags for an article (title counts double), then its own keywords."""
    text = f"{article.title}\n{article.title}\n{article.body}"
    tags = [tag for tag, _ in match_taxonomy(text, taxonomy)]
    for kw in article.keywords:
        canon = next((t for t, _ in match_taxonomy(kw, taxonomy)), kw.strip())
        if canon and canon.casefold() not in {t.casefold() for t in tags}:
            tags.append(canon)
    return tags[:limit]
