"""Key phrases and acronyms from one article, for tags the taxonomy does not have yet.

Why YAKE rather than TF-IDF: YAKE scores phrases from the article alone
(position, frequency, spread, casing), so an article's tags depend only on
that article.  TF-IDF needs the whole corpus: adding one scrape would change
the tags of every other article, rewrite their files on the next import and
churn the hand-edit digests.  It also keeps the import one file per worker
process.  Corpus-wide frequency is still used, where it belongs: in the
``invoke tags`` report that proposes new taxonomy entries.

YAKE's raw output is not an index (names, verbs, "member states"), so a
phrase only becomes a tag when it passes conservative filters: two or three
lower-case content words (a capitalised phrase is a name: people are not tags,
organisations belong in the taxonomy), repeated in the article, not a place,
publisher or taxonomy alias.  Acronyms become tags when the article defines
them ("... Centre (ATC)") and keeps using them.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterable

from microsite.model import Article
from microsite.normalise.tags import Taxonomy, phrase_key, publisher_names, stem_words, strip_dateline

# Words that make a phrase a news formula, not a topic.  Taxonomy files can add more under ``ignore``.
GENERIC = {
    # English
    "year", "years", "month", "week", "day", "today", "time", "countries", "country", "member", "members",
    "state", "states", "meeting", "meetings", "head", "heads", "side", "sides", "party", "parties", "issue",
    "issues", "measure", "measures", "work", "official", "officials", "spokesman", "spokeswoman", "minister",
    "ministry", "deputy", "general", "secretary", "press", "service", "statement", "session", "talks", "said",
    "told", "news", "report", "reports", "level", "area", "areas", "field", "part", "number", "way", "ways",
    "first", "second", "third", "new", "last", "next", "main", "joint", "international", "national", "also",
    "well", "including", "according", "activities", "activity", "development", "cooperation", "framework",
    "participants", "representatives", "delegation", "delegations", "event", "results", "result", "sphere",
    "important", "president", "chairman", "agency", "organization", "organisation",
    # Russian
    "год", "года", "году", "годы", "лет", "месяц", "неделя", "день", "страна", "страны", "стран", "странами",
    "государство", "государства", "государств", "член", "члены", "членов", "заседание", "заседания",
    "встреча", "встречи", "глава", "главы", "сторона", "стороны", "вопрос", "вопросы", "мера", "меры",
    "работа", "работы", "министр", "министерство", "заместитель", "генеральный", "секретарь", "пресс",
    "служба", "заявление", "сессия", "переговоры", "заявил", "сообщил", "отметил", "рамках", "сфере", "области",
    "уровне", "первый", "новый", "основной", "совместный", "международный", "национальный", "также",
    "деятельность", "деятельности", "развитие", "сотрудничество", "сотрудничества", "участники",
    "представители", "делегация", "мероприятие", "результаты", "итоги", "президент", "председатель",
    "организация", "организации", "ходе", "время", "связи", "целях", "данным", "словам",
}
_WORD = re.compile(r"[^\W_]+", re.U)
_ACRONYM_DEF = re.compile(r"\(([A-ZА-ЯЁ]{2,6})\)")


KEYPHRASE_CHARS = 30_000


@functools.cache
def _extractor(lang: str):
    import yake

    return yake.KeywordExtractor(lan=lang if lang in ("en", "ru") else "en", n=3, top=30, dedup_lim=0.8)


@functools.cache
def _generic_stems() -> frozenset[str]:
    return frozenset(s for w in GENERIC for s in stem_words(w))


def keyphrases(text: str, lang: str = "en") -> list[str]:
    """YAKE's key phrases for ``text``, best first (surface forms as written)."""
    if not text.strip():
        return []
    return [phrase for phrase, _ in _extractor(lang).extract_keywords(text)]


def _count(stems: list[str], needle: list[str]) -> int:
    n = len(needle)
    return sum(1 for i in range(len(stems) - n + 1) if stems[i : i + n] == needle) if n else 0


def _is_topic_phrase(phrase: str, text: str) -> bool:
    """Two or three content words, written in lower case somewhere in the text (else it is a name)."""
    words = _WORD.findall(phrase)
    if not 2 <= len(words) <= 3:
        return False
    if any(not w.isalpha() or len(w) < 3 for w in words):
        return False
    if not re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", text):
        return False
    generic = _generic_stems()
    stems = stem_words(phrase)
    return stems[0] not in generic and stems[-1] not in generic and sum(s in generic for s in stems) < len(stems) - 1


def _overlaps_taxonomy(stems: list[str], taxonomy: Taxonomy) -> bool:
    """True when the phrase contains, or is contained in, a taxonomy alias ("illegal migration flows")."""
    joined = " ".join(stems)
    if any(s in taxonomy.by_key for s in stems):  # a word that is itself an alias: "ШОС обсудили"
        return True
    for entry in taxonomy.entries:
        for seq in entry.stems:
            alias = " ".join(seq)
            if alias in joined or joined in alias:
                return True
    return False


def free_tags(article: Article, taxonomy: Taxonomy, room: int, exclude: Iterable[str] = ()) -> list[str]:
    """Up to ``room`` tags from the article's own key phrases and defined acronyms."""
    settings = taxonomy.settings
    # Key phrases of a news article are in its opening; YAKE costs ~12 s per MB, so a
    # 20 MB page is read up to this many characters.
    text = f"{article.title}\n\n{strip_dateline(article.body, article.dateline)}"[:KEYPHRASE_CHARS]
    stems = stem_words(text)
    banned = {phrase_key(x) for x in exclude if x} | set(taxonomy.ignore)
    banned_words = {s for x in exclude if x for s in stem_words(x)}
    out: list[str] = []
    seen: set[str] = set()
    for acronym in _defined_acronyms(text):
        uses = len(re.findall(rf"(?<!\w){acronym}(?!\w)", text))
        key = phrase_key(acronym)
        if uses >= 3 and not taxonomy.canonical(acronym) and key not in banned and key not in seen:
            out.append(acronym)
            seen.add(key)
    if not _may_repeat_a_phrase(stems, settings["keyphrase_min_mentions"]):
        return out[:room]
    for phrase in keyphrases(text, article.lang or "en"):
        if len(out) >= room:
            break
        phrase = " ".join(phrase.split())
        key = phrase_key(phrase)
        p_stems = stem_words(phrase)
        if key in seen or key in banned or taxonomy.canonical(phrase) or not _is_topic_phrase(phrase, text):
            continue
        if banned_words & set(p_stems) or _overlaps_taxonomy(p_stems, taxonomy):
            continue
        if any(_nested(p_stems, stem_words(t)) for t in out):
            continue
        if _count(stems, p_stems) >= settings["keyphrase_min_mentions"]:
            out.append(phrase.lower())
            seen.add(key)
    return out[:room]


def _may_repeat_a_phrase(stems: list[str], min_mentions: int) -> bool:
    """False when no phrase could pass the mention count, so YAKE (2/3 of import time) is skipped.

    Exact, not a heuristic: a kept phrase of two or three words starts with a
    non-generic stem and its first two stems recur ``min_mentions`` times, so
    without such a recurring pair no YAKE phrase can be kept.
    """
    generic = _generic_stems()
    pairs = Counter(pair for pair in itertools.pairwise(stems) if pair[0] not in generic)
    return any(n >= min_mentions for n in pairs.values())


def _nested(a: list[str], b: list[str]) -> bool:
    """True when one stem sequence contains the other ("использованию интернета" in a longer phrase)."""
    short, long_ = sorted((a, b), key=len)
    return any(long_[i : i + len(short)] == short for i in range(len(long_) - len(short) + 1))


def _defined_acronyms(text: str) -> list[str]:
    """Acronyms the article spells out: "Regional Anti-Terrorist Structure (RATS)"."""
    found = []
    for m in _ACRONYM_DEF.finditer(text):
        before = _WORD.findall(text[max(0, m.start() - 120) : m.start()])
        capitals = [w for w in before[-len(m.group(1)) - 3 :] if w[:1].isupper()]
        if len(capitals) >= 2 and m.group(1) not in found:
            found.append(m.group(1))
    return found


def candidates(article: Article, taxonomy: Taxonomy) -> list[str]:
    """Phrases of one article that could become taxonomy entries (for the ``invoke tags`` report).

    Looser than ``free_tags``: names and single acronyms are allowed, since a
    researcher reviews the list; taxonomy aliases, generic formulas and the
    publisher are left out.
    """
    text = f"{article.title}\n\n{strip_dateline(article.body, article.dateline)}"
    names = [*publisher_names(article), article.dateline]
    banned = {phrase_key(x) for x in names if x} | set(taxonomy.ignore)
    generic = _generic_stems()
    out = []
    for phrase in [*_defined_acronyms(text), *keyphrases(text, article.lang or "en")]:
        phrase = " ".join(phrase.split())
        words = _WORD.findall(phrase)
        p_stems = stem_words(phrase)
        if not words or len(words) > 3 or any(not w.isalpha() for w in words):
            continue
        if phrase_key(phrase) in banned or taxonomy.canonical(phrase) or _overlaps_taxonomy(p_stems, taxonomy):
            continue
        if p_stems[0] in generic or p_stems[-1] in generic or (len(words) == 1 and not phrase.isupper()):
            continue
        out.append(phrase)
    return out
