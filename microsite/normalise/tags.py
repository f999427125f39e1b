"""Assign tags from the taxonomy (``taxonomy.yml``), then from the article's own key phrases.

The taxonomy is the researcher's controlled vocabulary: one canonical tag per
concept, with aliases in any language.  Matching rules, and why:

* Acronyms (an alias in capitals: ``CSTO``, ``ОДКБ``) match case-sensitively,
  so "SCO" never fires on "sco" inside a word or a lower-case abbreviation.
* Every other alias matches by Snowball stems, word by word, on word
  boundaries: "информационной безопасности" finds "информационная
  безопасность", "cyber threats" finds "cyber threat".  A stemmer, not a hand
  list of endings, so a new alias needs no grammar.
* Multi-word aliases also match written as one word ("cyber crime" finds
  "cybercrime"), because the press spells compounds both ways.
* ``patterns`` are regular expressions for what aliases cannot say.

Ranking decides which tags survive the per-article maximum: a mention in the
headline counts most, then one in the opening paragraph, then the number of
mentions.  A tag mentioned once in passing deep in the body is not a tag
(``min_mentions``; one in the opening paragraph counts twice, one in the
headline always suffices): an index lists what an article is about, not every word
it contains.  The dateline and the publisher are removed before matching,
because they have their own fields and pages.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import snowballstemmer
import yaml

from microsite.model import Article
from microsite.write.paths import slugify

MAX_TAGS = 8
DEFAULTS = {
    "max_tags": MAX_TAGS,  # tags per article, taxonomy and key phrases together
    "min_mentions": 2,  # mentions needed unless in the headline (one in the opening paragraph counts two)
    "min_tags": 3,  # below this many, single mentions are taken too (best first)
    "max_keyphrases": 2,  # tags per article taken from its own key phrases (0: taxonomy only)
    "keyphrase_min_mentions": 4,  # mentions a key phrase needs in the article
}

_WORD = re.compile(r"[^\W_]+", re.U)
_CYR = re.compile(r"[\u0400-\u04FF]")
_KEY_WORD = re.compile(r"[^\W_]+[+#]*", re.U)  # "C++" and "C#" are not "C"
_URL = re.compile(r"\]\([^)]*\)|https?://\S+")


class TaxonomyError(ValueError):
    """The taxonomy file is malformed; the message names the file and the entry."""


@dataclass
class Entry:
    """One canonical tag and the ways to recognise it."""

    tag: str
    slug: str
    exact: list[re.Pattern[str]] = field(default_factory=list)
    stems: list[tuple[str, ...]] = field(default_factory=list)
    implies: list[str] = field(default_factory=list)
    min_mentions: int | None = None


@dataclass
class Taxonomy:
    """The parsed taxonomy: entries, a lookup from any alias to its tag, settings."""

    entries: tuple[Entry, ...] = ()
    settings: dict = field(default_factory=lambda: dict(DEFAULTS))
    ignore: frozenset[str] = frozenset()  # phrase keys never to become tags
    by_key: dict[str, str] = field(default_factory=dict)  # phrase key of every alias -> tag
    slugs: dict[str, str] = field(default_factory=dict)  # tag -> slug

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __iter__(self):
        return iter(self.entries)

    def canonical(self, name: str) -> str | None:
        """The canonical tag ``name`` is an alias of (any case, inflection or spelling), or None."""
        return self.by_key.get(phrase_key(name))


@functools.cache
def _stemmer(lang: str):
    return snowballstemmer.stemmer("russian" if lang == "ru" else "english")


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball stem of one lower-cased word, Russian or English by its letters (cached: the pure-Python
    stemmer is the slowest step of tagging, and news vocabulary repeats)."""
    word = word.lower().replace("ё", "е")
    return (_stemmer("ru") if _CYR.search(word) else _stemmer("en")).stemWord(word)


def stem_words(text: str) -> list[str]:
    """The text as a list of stems (hyphens and punctuation separate words)."""
    return [stem(w) for w in _WORD.findall(text)]


def phrase_key(text: str) -> str:
    """A key equal for spellings of one phrase: case, punctuation, plural, compounds.

    "Cyber-crimes", "cyber crime" and "cybercrime" share a key, and so do
    "информационная безопасность" and "информационной безопасности".
    """
    words = _KEY_WORD.findall(text)
    if not words:
        return ""
    joined = stem("".join(words))
    parts = "".join(stem(w) for w in words)
    return min(joined, parts, key=len) if len(words) > 1 else joined


def is_acronym(alias: str) -> bool:
    """An alias in capitals ("CSTO", "ОДКБ", "Operation PROXY" is not): matched case-sensitively."""
    letters = [c for c in alias if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters) and len(alias.split()) == 1


def _acronym_pattern(alias: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(alias)}(?!\w)")


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Parse a taxonomy file; cached per file version (path, size, mtime)."""
    p = Path(path)
    st = p.stat()
    return _load(str(p.resolve()), st.st_size, st.st_mtime_ns)


@functools.cache
def _load(path: str, _size: int, _mtime: int) -> Taxonomy:
    try:
        raw = yaml.load(Path(path).read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: not valid YAML: {exc}") from None
    return parse_taxonomy(raw, path)


def parse_taxonomy(raw: object, origin: str = "taxonomy") -> Taxonomy:
    """Build a Taxonomy from the YAML data: a list of entries, or ``{settings, ignore, tags}``."""
    if raw is None:
        raw = []
    if isinstance(raw, list):
        raw = {"tags": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("tags", []), list):
        raise TaxonomyError(f"{origin}: expected a list of tags or a mapping with a 'tags' list")
    settings = dict(DEFAULTS)
    for key, value in (raw.get("settings") or {}).items():
        if key not in DEFAULTS or not isinstance(value, int) or value < 0:
            raise TaxonomyError(f"{origin}: settings.{key}: unknown setting or not a whole number >= 0")
        settings[key] = value
    tax = Taxonomy(settings=settings, ignore=frozenset(phrase_key(str(w)) for w in raw.get("ignore") or []))
    entries = []
    for n, item in enumerate(raw.get("tags") or [], 1):
        if not isinstance(item, dict) or not str(item.get("tag") or "").strip():
            raise TaxonomyError(f"{origin}: entry {n} has no 'tag'")
        entries.append(_entry(item, tax, origin))
    tax.entries = tuple(entries)
    _check_slugs(tax, origin)
    return tax


def _entry(item: dict, tax: Taxonomy, origin: str) -> Entry:
    tag = " ".join(str(item["tag"]).split())
    entry = Entry(tag, str(item.get("slug") or slugify(tag, tag)))
    aliases = [tag, *(str(a) for a in item.get("aliases") or [])]
    for alias in aliases:
        alias = " ".join(alias.split())
        key = phrase_key(alias)
        if not key:
            continue
        if tax.by_key.get(key, tag) != tag:
            raise TaxonomyError(f"{origin}: alias {alias!r} of {tag!r} already belongs to {tax.by_key[key]!r}")
        tax.by_key[key] = tag
        if is_acronym(alias):
            entry.exact.append(_acronym_pattern(alias))
            continue
        stems = tuple(stem_words(alias))
        if stems not in entry.stems:
            entry.stems.append(stems)
        compact = (stem("".join(_WORD.findall(alias))),)
        if len(stems) > 1 and compact not in entry.stems:
            entry.stems.append(compact)
    for pattern in item.get("patterns") or []:
        try:
            entry.exact.append(re.compile(str(pattern)))
        except re.error as exc:
            raise TaxonomyError(f"{origin}: pattern {pattern!r} of {tag!r}: {exc}") from None
    entry.implies = [str(t) for t in item.get("implies") or []]
    if item.get("min_mentions") is not None:
        entry.min_mentions = int(item["min_mentions"])
    tax.slugs[tag] = entry.slug
    return entry


def _check_slugs(tax: Taxonomy, origin: str) -> None:
    seen: dict[str, str] = {}
    known = {e.tag for e in tax.entries}
    for entry in tax.entries:
        if entry.slug in seen:
            raise TaxonomyError(f"{origin}: {entry.tag!r} and {seen[entry.slug]!r} share the slug {entry.slug!r}; set 'slug:'")
        seen[entry.slug] = entry.tag
        for implied in entry.implies:
            if implied not in known:
                raise TaxonomyError(f"{origin}: {entry.tag!r} implies {implied!r}, which is not a tag")


@dataclass
class Hit:
    """Where a tag was found in one article."""

    tag: str
    title: int = 0
    lead: int = 0
    body: int = 0
    first: int = 10**9  # character offset of the first mention: earlier ranks higher on ties

    @property
    def mentions(self) -> int:
        return self.title + self.lead + self.body

    @property
    def weight(self) -> int:
        """Mentions, a mention in the opening paragraph counting twice (what ``min_mentions`` compares)."""
        return 2 * self.lead + self.body

    @property
    def score(self) -> float:
        """Headline beats opening paragraph beats repetition (log: ten mentions are not ten times the topic)."""
        return 4 * (self.title > 0) + 2 * (self.lead > 0) + math.log2(1 + self.mentions)


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """(stem, start, end) of every word."""
    return [(stem(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]


def _index(tokens: list[tuple[str, int, int]]) -> dict[str, list[int]]:
    """Token positions by stem; Russian stems also under their prefixes one or two letters shorter.

    Snowball treats some Russian nouns unevenly ("Беларусь" -> "белар",
    "Беларуси" -> "беларус"), so a Russian stem matches another that differs
    only by up to two trailing letters (both at least four letters long).
    """
    index: dict[str, list[int]] = {}
    for i, (s, _, _) in enumerate(tokens):
        index.setdefault(s, []).append(i)
        if _CYR.search(s):
            for k in (1, 2):
                if len(s) - k >= _MIN_FUZZY:
                    index.setdefault(s[:-k], []).append(i)
    return index


_MIN_FUZZY = 4


def _positions(index: dict[str, list[int]], first: str) -> set[int]:
    found = set(index.get(first, ()))
    if _CYR.search(first):
        for k in (1, 2):
            if len(first) - k >= _MIN_FUZZY:
                found.update(index.get(first[:-k], ()))
    return found


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    if not _CYR.search(a) or min(len(a), len(b)) < _MIN_FUZZY or abs(len(a) - len(b)) > 2:
        return False
    return a.startswith(b) or b.startswith(a)


def _spans(text: str, tokens: list[tuple[str, int, int]], index: dict[str, list[int]], entry: Entry) -> list[tuple[int, int]]:
    """Character spans where ``entry`` is mentioned, overlapping matches merged into one mention."""
    found = [m.span() for p in entry.exact for m in p.finditer(text) if m.end() > m.start()]
    for seq in entry.stems:
        n = len(seq)
        for i in _positions(index, seq[0]):
            if i + n <= len(tokens) and all(_same(tokens[i + k][0], seq[k]) for k in range(1, n)) and _same(tokens[i][0], seq[0]):
                found.append((tokens[i][1], tokens[i + n - 1][2]))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(found):
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _segments(article: Article) -> tuple[str, str, str]:
    """(headline, opening paragraph, rest) with the dateline and publisher taken out."""
    body = _URL.sub(" ", article.body)
    paras = [p for p in re.split(r"\n\s*\n", body) if p.strip()]
    lead, rest = (paras[0] if paras else ""), "\n\n".join(paras[1:])
    lead = strip_dateline(lead, article.dateline)
    for name in publisher_names(article):
        lead = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", lead)
        rest = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", rest)
    return article.title, lead, rest


_PLACE = re.compile(r"^\s*[A-ZА-ЯЁ][A-ZА-ЯЁ'’.\- ]{1,40}(?=,)")


def strip_dateline(lead: str, dateline: str = "") -> str:
    """The opening paragraph without its dateline place ("MOSCOW, 31 March ...": the place has its own field)."""
    lead = lead.lstrip()
    if dateline and lead.startswith(dateline):
        return lead[len(dateline) :]
    return _PLACE.sub("", lead, count=1)


def publisher_names(article: Article) -> list[str]:
    """The article's publisher under all its names (not a tag: it has its own field and pages)."""
    from microsite.extract import publishers

    names = {article.source} if article.source else set()
    entry = publishers.by_alias(article.source) if article.source else None
    names.update((entry or {}).get("aliases", []))
    return sorted((n for n in names if n), key=len, reverse=True)


def match_taxonomy(article: Article, taxonomy: Taxonomy) -> list[Hit]:
    """A Hit for every taxonomy entry found in the article, best first.

    The longest match wins: "terrorism" inside "CIS Anti-Terrorism Centre"
    is a mention of the centre, not of terrorism.
    """
    segments = _segments(article)
    hits = {e.tag: Hit(e.tag) for e in taxonomy.entries}
    offset = 0
    for name, text in zip(("title", "lead", "body"), segments, strict=True):
        tokens = _tokens(text)
        index = _index(tokens)
        found = [(span, e.tag) for e in taxonomy.entries for span in _spans(text, tokens, index, e)]
        for (a, b), tag in found:
            if any(x <= a and b <= y and (y - x) > (b - a) and t != tag for (x, y), t in found):
                continue
            hit = hits[tag]
            setattr(hit, name, getattr(hit, name) + 1)
            hit.first = min(hit.first, offset + a)
        offset += len(text) + 1
    return sorted((h for h in hits.values() if h.mentions), key=lambda h: (-h.score, h.first))


def assign_tags(article: Article, taxonomy: Taxonomy | tuple = (), limit: int | None = None) -> list[str]:
    """The article's tags, best first: taxonomy matches, their implied tags, then its own key phrases.

    ``limit`` defaults to the taxonomy's ``max_tags`` setting.
    """
    tax = taxonomy if isinstance(taxonomy, Taxonomy) else Taxonomy()
    settings = tax.settings
    limit = settings["max_tags"] if limit is None else limit
    by_tag = {e.tag: e for e in tax.entries}
    scored: dict[str, float] = {}
    weak = []
    for hit in match_taxonomy(article, tax):
        entry = by_tag[hit.tag]
        need = entry.min_mentions if entry.min_mentions is not None else settings["min_mentions"]
        if hit.title or hit.weight >= need:
            scored[hit.tag] = hit.score
        elif entry.min_mentions is None:
            weak.append(hit)
    for hit in weak[: max(0, settings["min_tags"] - len(scored))]:
        scored[hit.tag] = hit.score
    for tag, score in list(scored.items()):
        for implied in by_tag[tag].implies:
            scored[implied] = max(scored.get(implied, 0.0), score - 0.01)
    for kw in article.keywords:  # the publisher's own keywords, when they name a taxonomy tag
        canon = tax.canonical(kw)
        if canon:
            scored[canon] = max(scored.get(canon, 0.0), 2.0)
    tags = [t for t, _ in sorted(scored.items(), key=lambda kv: -kv[1])][:limit]
    room = min(limit - len(tags), settings["max_keyphrases"])
    if room > 0:
        from microsite.normalise.keyphrases import free_tags

        tags += free_tags(article, tax, room, exclude=[*publisher_names(article), article.dateline])
    return tags


def display_name(names: Iterable[str]) -> str:
    """The name to show for spellings of one tag: the most used, lower case before capitals on ties."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return min(counts, key=lambda n: (-counts[n], n != n.lower(), len(n), n))


def canonical_names(names: list[str], taxonomy: Taxonomy) -> dict[str, str]:
    """Every tag name as written -> the name its page gets."""
    result: dict[str, str] = {}
    spellings: dict[str, list[str]] = {}
    keys: dict[str, str] = {}  # name -> its phrase key (a corpus writes a few hundred names 35,000 times)
    for name in names:
        key = keys.get(name)
        if key is None:
            key = keys[name] = phrase_key(name)
        canon = taxonomy.by_key.get(key)  # (``Taxonomy.canonical``)
        if canon:
            result[name] = canon
        else:
            spellings.setdefault(key or name, []).append(name)
    for group in spellings.values():
        shown = display_name(group)
        result.update({name: shown for name in group})
    return result


def unique_slugs(names: Iterable[str], taxonomy: Taxonomy | None = None) -> dict[str, str]:
    """A slug for every tag name such that two different tags never share one.

    Taxonomy tags keep their own slug (stable URLs); a tag whose slug is
    taken by a taxonomy tag, or that collides with other free tags, gets a
    short hash of its name appended, which depends only on the name itself.
    """
    taxonomy = taxonomy or Taxonomy()
    result: dict[str, str] = {}
    groups: dict[str, list[str]] = {}
    reserved = set(taxonomy.slugs.values())
    for name in sorted(set(names)):
        if name in taxonomy.slugs:
            result[name] = taxonomy.slugs[name]
        else:
            groups.setdefault(slugify(name, name), []).append(name)
    for slug, members in groups.items():
        for name in members:
            clash = slug in reserved or len(members) > 1
            result[name] = f"{slug}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:6]}" if clash else slug
    taken: set[str] = set()
    for name in sorted(result, key=lambda n: (n not in taxonomy.slugs, n)):  # a hash may still meet a real slug
        while result[name] in taken:
            result[name] = f"{result[name]}-{hashlib.sha256(result[name].encode('utf-8')).hexdigest()[:4]}"
        taken.add(result[name])
    return result
