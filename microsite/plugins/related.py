"""Related articles and previous/next, computed once at build time.

Related articles share tags and distinctive words.  Each article is reduced
to a short signature: its tags plus its ``TOP_TERMS`` highest TF-IDF (stemmed)
words.  An inverted index maps each feature to the articles carrying it, and
only the ``CHAMPIONS`` strongest carriers of a feature are kept ("champion
lists", as search engines do), so an article is compared with at most
``features x CHAMPIONS`` others instead of with every article: the cost grows
linearly with the collection, not with its square.

Speed at research scale (10,000 articles).  Stemming an article's text is
most of a clean build's cost and depends on that article alone; everything
after it depends on the whole collection (document frequencies, champion
lists).  So a build keeps its collection for the next (``STATE_FILE`` in the
cache: each article's stem counts by file stamp, a stem index, top terms,
signatures, champion carriers, results).  A file whose path and stamp are
unchanged is not stemmed again; when the same articles come in the same
order and only a few files changed, only what those changes can reach is
recomputed: the top terms of articles holding a stem whose document
frequency moved (only when that can change them), the champion lists the
moved signatures are in, and the scores reading a moved signature or a
changed champion list.  Each piece is computed by the same functions a clean
build uses, summed in the same order, so the result is the same float for
float (``tests/test_related.py``); an article added, removed or reordered,
many changed files or no state compute everything (with the kept stems).
The state is written in a deferred job (``speed_jobs``).

Previous/next follow publication order (Pelican 4.12 no longer provides
``prev_article``/``next_article`` itself).
"""

from __future__ import annotations

import heapq
import html
import math
import pickle
import re
from array import array
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter, mul
from pathlib import Path

import snowballstemmer
from pelican import signals

from microsite.plugins import speed_jobs, speed_memo, speed_read
from microsite.plugins.speed_generator import articles_tagged

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


# --- signatures ------------------------------------------------------------------------------------

Words = tuple[list[str], list[int]]  # one document's distinct stems and their counts, in the same order
Feature = tuple[str, str]  # ("w", stem) or ("t", tag key)
Tail = tuple[int, tuple[float, str] | None]  # how many top terms, and the last (lowest) of them


class _TfWeights(dict):
    """``1 + ln(count)`` by count, each computed once (the same float as computing it every time)."""

    def __missing__(self, count: int) -> float:
        value = self[count] = 1 + math.log(count)
        return value


class _Features(dict):
    """One shared ``(kind, key)`` tuple per feature: the state pickles each once, and loads fast."""

    def __missing__(self, key: Feature) -> Feature:
        self[key] = key
        return key


_TF = _TfWeights()
_WEIGHT, _DOCUMENT = itemgetter(0), itemgetter(1)
_FEATURES = _Features()


def _normalised(weights: dict) -> dict:
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {k: w / norm for k, w in weights.items()}


def _top(words: Words, idf) -> list[tuple[float, str]]:
    """The ``TOP_TERMS`` highest ``(tf-idf, stem)`` pairs, highest first (ties: the greater stem)."""
    stems, counts = words
    scored = zip(map(mul, map(_TF.__getitem__, counts), map(idf.__getitem__, stems)), stems, strict=True)
    return heapq.nlargest(TOP_TERMS, scored)


def _tail(top: list[tuple[float, str]]) -> Tail:
    return len(top), top[-1] if top else None


def _word_part(top: list[tuple[float, str]]) -> dict:
    features = _FEATURES
    return {features["w", t]: w for t, w in _normalised({t: w for w, t in top}).items() if w > 0}


def _tag_part(tags: tuple[str, ...], tag_df: dict[str, int], n: int) -> dict:
    """Unit-length tag weights, in the article's tag order (a fixed summation order)."""
    features = _FEATURES
    tag_w = {t: math.log((n + 1) / tag_df[t]) + 0.1 for t in tags}
    return {features["t", t]: TAG_WEIGHT * w for t, w in _normalised(tag_w).items()}


def _tag_keys(tags) -> tuple[str, ...]:
    """Tag keys without repeats, in the article's order."""
    return tuple(dict.fromkeys(tags))


def _signatures(words: list[Words], tags: list[tuple[str, ...]]) -> tuple[list[Tail], list[dict]]:
    """(top-terms tail, signature) of every document; ``tags`` as ``_tag_keys`` gives them."""
    n = len(words)
    df: Counter = Counter()
    tag_df: Counter = Counter()
    for (stems, _counts), keys in zip(words, tags, strict=True):
        df.update(stems)
        tag_df.update(keys)
    idf = {t: math.log((n + 1) / d) for t, d in df.items()}
    tails, sigs = [], []
    for w, keys in zip(words, tags, strict=True):
        top = _top(w, idf)
        tails.append(_tail(top))
        sigs.append({**_word_part(top), **_tag_part(keys, tag_df, n)})
    return tails, sigs


def signatures(docs: list[tuple[Counter, list[str]]]) -> list[dict]:
    """Per document: top TF-IDF terms and its tags, each part unit-length.

    ``docs`` are ``(term counts, tag keys)`` pairs.
    """
    return _signatures([(list(c), list(c.values())) for c, _ in docs], [_tag_keys(t) for _, t in docs])[1]


# --- related lists ---------------------------------------------------------------------------------

def _postings(sigs: list[dict]) -> dict[Feature, list[tuple[float, int]]]:
    """Feature -> every ``(weight, document)`` carrying it, in document order."""
    postings: dict[Feature, list[tuple[float, int]]] = defaultdict(list)
    for i, sig in enumerate(sigs):
        for feature, w in sig.items():
            postings[feature].append((w, i))
    return postings


def _champions(plist: list[tuple[float, int]]) -> list[tuple[int, float]]:
    """The ``CHAMPIONS`` strongest carriers as ``(document, weight)``: weight down, then document up.

    ``plist`` is in document order, which the (stable) sort keeps among equal weights.
    """
    return [(i, w) for w, i in sorted(plist, key=_WEIGHT, reverse=True)[:CHAMPIONS]]


def _best(scores: dict[int, float], limit: int, min_score: float) -> list[tuple[int, float]]:
    """The ``limit`` best ``(document, score)``: score down, then document up."""
    best = heapq.nlargest(limit, [(s, -j) for j, s in scores.items() if s >= min_score])
    return [(-minus_j, s) for s, minus_j in best]


def _matches(i: int, sig: dict, champions, limit: int, min_score: float) -> list[tuple[int, float]]:
    """Document ``i``'s best matches among the champions of its features.

    A score is summed in the order of ``sig``'s features, as the plain
    ``scores[j] += w * w_other`` loop does, so it is the same float.
    """
    scores: dict[int, float] = {}
    get = scores.get
    for feature, w in sig.items():
        for j, w_other in champions[feature]:
            scores[j] = get(j, 0.0) + w * w_other
    scores.pop(i, None)
    return _best(scores, limit, min_score)


def related_indices(sigs: list[dict], limit: int = MAX_RELATED, min_score: float = MIN_SCORE) -> list[list[tuple[int, float]]]:
    """For each signature, the ``limit`` best ``(index, score)`` matches (never itself)."""
    champions = {f: _champions(plist) for f, plist in _postings(sigs).items()}
    return [_matches(i, sig, champions, limit, min_score) for i, sig in enumerate(sigs)]


def _patched(i: int, sig: dict, before: list[tuple[int, float]], redo: set[int], champion_map) -> list | None:
    """Document ``i``'s matches when only the scores of ``redo`` may differ from ``before``; None if unknowable.

    The scores of ``redo`` are summed again as ``_matches`` sums them (feature
    by feature, in ``sig``'s order).  The list is then exact unless one of its
    members lost ground while the list was full (``MAX_RELATED`` long): an
    unlisted candidate could then move up.
    """
    redo = redo - {i}
    sums: dict[int, float] = {}
    get = sums.get
    for feature, w in sig.items():
        champions = champion_map(feature)
        for j in champions.keys() & redo:
            sums[j] = get(j, 0.0) + w * champions[j]
    scores = dict(before)
    full = len(before) >= MAX_RELATED
    for j in redo:
        was = scores.pop(j, None)
        s = sums.get(j)
        if s is not None:
            scores[j] = s
        if full and was is not None and (s is None or s < was):
            return None
    return _best(scores, MAX_RELATED, MIN_SCORE)


# --- the collection, from scratch or from the previous build's -----------------------------------------

@dataclass
class Collection:
    """What related lists are computed from, and the lists, for one build (kept for the next).

    Per document: its identity (``paths``), its file's ``stamps`` (None:
    unknown, always redone), tag keys, words (``encoded`` as ``_encode``
    gives them), the tail of its top terms, its signature and its result.
    ``index`` maps each stem to the documents holding it and their counts,
    ``carriers`` each feature to the documents whose signature has it (bytes
    of ``array("i")``: document numbers ascending, counts).  Only the next
    build needs those two, so a full computation leaves them to ``finish``,
    run in a deferred job.
    """

    paths: list[str]
    stamps: list
    tags: list[tuple[str, ...]]
    encoded: list[tuple[bytes, bytes]]
    tails: list[Tail]
    sigs: list[dict]
    results: list[list[tuple[int, float]]]
    index: dict[str, tuple[bytes, bytes]] | None = None
    carriers: dict[Feature, bytes] | None = None
    changed: bool = True  # differs from the collection it was updated from

    def finish(self) -> Collection:
        """Build the stem index and the carriers when missing (for the next build)."""
        if self.index is None:
            self.index = _build_index([_decode(e) for e in self.encoded])
        if self.carriers is None:
            self.carriers = {f: array("i", [d for _w, d in plist]).tobytes() for f, plist in _postings(self.sigs).items()}
        return self


def _build_index(words: list[Words]) -> dict[str, tuple[bytes, bytes]]:
    docs: dict[str, list[int]] = {}
    counts: dict[str, list[int]] = {}
    for d, (stems, cs) in enumerate(words):
        for t, c in zip(stems, cs, strict=True):
            found = docs.get(t)
            if found is None:
                docs[t], counts[t] = [d], [c]
            else:
                found.append(d)
                counts[t].append(c)
    return {t: (array("i", ds).tobytes(), array("i", counts[t]).tobytes()) for t, ds in docs.items()}


def _encode_words(counts: Counter) -> tuple[bytes, bytes]:
    """Stem counts as kept: stems joined by spaces (they hold letters only), counts, both as bytes.

    Two bytes objects a document instead of hundreds of objects: the words of
    10,000 articles load in milliseconds.
    """
    values = list(counts.values())
    code = "B" if not values or max(values) < 256 else "I"
    return " ".join(counts).encode("utf-8"), code.encode("ascii") + array(code, values).tobytes()


def _decode(value: tuple[bytes, bytes]) -> Words:
    joined, counts = value
    return (joined.decode("utf-8").split(" ") if joined else []), array(chr(counts[0]), counts[1:]).tolist()


def compute(paths: list[str], stamps: list, tags: list[tuple[str, ...]], encoded: list[tuple[bytes, bytes]],
            words: list[Words | None] | None = None) -> Collection:
    """Everything from scratch (a clean build, or when ``update`` cannot be used).

    ``words`` may give documents' words already decoded (None: decode ``encoded``).
    """
    words = words or [None] * len(encoded)
    tails, sigs = _signatures([w if w is not None else _decode(e) for w, e in zip(words, encoded, strict=True)], tags)
    return Collection(list(paths), list(stamps), list(tags), list(encoded), tails, sigs, related_indices(sigs))


MAX_CHANGED = 0.05  # beyond this share of changed files, ``update`` leaves it to ``compute``
_ITEM = array("i").itemsize


class _Idf(dict):
    """IDF by stem, from the index's document counts, computed when first asked."""

    def __init__(self, index: dict, n: int) -> None:
        super().__init__()
        self.index, self.n = index, n

    def __missing__(self, stem: str) -> float:
        value = self[stem] = math.log((self.n + 1) / (len(self.index[stem][0]) // _ITEM))
        return value


def update(old: Collection, paths: list[str], stamps: list, tags: list[tuple[str, ...]],
           encode: Callable[[int], tuple[bytes, bytes]]) -> Collection | None:
    """This build's collection from the previous build's; None when ``compute`` must do it.

    Requires the same documents in the same order (document numbers break
    ties, and the count of documents is in every IDF), the index, and few
    changed files.  ``encode(d)`` gives document ``d``'s words now; it is
    called for changed files only.  ``old`` is consumed (its index is
    updated in place).
    """
    n = len(paths)
    if old.index is None or old.carriers is None or old.paths != paths or any(
            len(column) != n for column in (old.stamps, old.tags, old.encoded, old.tails, old.sigs, old.results)):
        return None
    changed = [d for d in range(n) if stamps[d] is None or stamps[d] != old.stamps[d]]
    if len(changed) > max(20, n * MAX_CHANGED):
        return None
    index = old.index
    encoded = list(old.encoded)

    # 1. Changed files: their words before and now; the index follows, and so do the document
    #    frequencies of the stems they gained or lost.
    df_moved: set[str] = set()
    words: dict[int, Words] = {}
    for d in changed:
        encoded[d] = encode(d)
        words[d] = _decode(encoded[d])
        before = dict(zip(*_decode(old.encoded[d]), strict=True))
        now = dict(zip(*words[d], strict=True))
        for t in before.keys() | now.keys():
            c = now.get(t)
            if c == before.get(t):
                continue
            entry = index.get(t)
            ds, cs = (array("i", entry[0]), array("i", entry[1])) if entry else (array("i"), array("i"))
            k = bisect_left(ds, d)
            present = k < len(ds) and ds[k] == d
            if c is None:
                del ds[k], cs[k]
                df_moved.add(t)
            elif present:
                cs[k] = c
            else:
                ds.insert(k, d)
                cs.insert(k, c)
                df_moved.add(t)
            if ds:
                index[t] = (ds.tobytes(), cs.tobytes())
            else:
                del index[t]
    idf = _Idf(index, n)

    # 2. Top terms to redo: changed files, and documents holding a stem whose IDF moved when that
    #    stem is among their top terms or would now enter them.
    redo = set(changed)
    for t in df_moved:
        entry = index.get(t)
        if entry is None:
            continue
        t_idf, feature = idf[t], ("w", t)
        for d, c in zip(array("i", entry[0]), array("i", entry[1]), strict=True):
            if d in redo:
                continue
            count, last = old.tails[d]
            if count < TOP_TERMS or feature in old.sigs[d] or (_TF[c] * t_idf, t) > last:
                redo.add(d)

    # 3. Signatures to redo: new top terms, other tags, or a tag whose document frequency moved.
    old_tag_df: Counter = Counter()
    tag_df: Counter = Counter()
    for a, b in zip(old.tags, tags, strict=True):
        old_tag_df.update(a)
        tag_df.update(b)
    tags_moved = {g for g in old_tag_df.keys() | tag_df.keys() if old_tag_df[g] != tag_df[g]}
    retag = {d for d in range(n) if tags[d] != old.tags[d] or not tags_moved.isdisjoint(tags[d])}
    tails, sigs = list(old.tails), list(old.sigs)
    for d in redo | retag:
        if d in redo:
            top = _top(words[d] if d in words else _decode(encoded[d]), idf)
            tails[d], word = _tail(top), _word_part(top)
        else:
            word = {f: w for f, w in old.sigs[d].items() if f[0] == "w"}
        sigs[d] = {**word, **_tag_part(tags[d], tag_df, n)}
    moved = sorted(d for d in redo | retag if list(sigs[d].items()) != list(old.sigs[d].items()))
    carriers = old.carriers
    for d in moved:
        a, b = old.sigs[d].keys(), sigs[d].keys()
        for f in a ^ b:
            ds = array("i", carriers.get(f, b""))
            k = bisect_left(ds, d)
            if f in b:
                ds.insert(k, d)
            else:
                del ds[k]
            if ds:
                carriers[f] = ds.tobytes()
            else:
                del carriers[f]
    new = Collection(list(paths), list(stamps), list(tags), encoded, tails, sigs, old.results, index, carriers,
                     changed=bool(changed or moved or tags != old.tags))
    if not moved:
        return new
    if len(moved) > n // 4:
        new.results = related_indices(sigs)
        return new

    # 4. Champion lists that changed (only features whose weight moved in a moved signature can),
    #    and which of their members changed.
    postings = _postings(sigs) if len(moved) > n // 10 else _Carriers(sigs, carriers)
    moved_set = set(moved)
    touched: set[Feature] = set()
    for d in moved:
        a, b = old.sigs[d], sigs[d]
        touched.update(f for f in a.keys() | b.keys() if a.get(f) != b.get(f))
    champions = _Champions(postings)
    recheck: dict[int, set[int]] = defaultdict(set)
    for f in touched:
        now_list = postings[f]  # missing: [] (both kinds of postings)
        then_list = [p for p in now_list if p[1] not in moved_set]
        then_list += [(old.sigs[d][f], d) for d in moved if f in old.sigs[d]]
        then_list.sort(key=_DOCUMENT)
        now_c = champions[f] = _champions(now_list)
        then_c = _champions(then_list)
        if now_c == then_c:
            continue
        a, b = dict(then_c), dict(now_c)
        members = {j for j in a.keys() | b.keys() if a.get(j) != b.get(j)}
        for _w, i in now_list:
            if i not in moved_set:
                recheck[i] |= members

    # 5. Moved signatures are matched again; documents reading a changed champion list have the
    #    scores of the changed members redone.
    if len(recheck) > n // 10 and isinstance(postings, _Carriers):  # most features' postings: make them all
        champions.postings = _postings(sigs)
    maps: dict[Feature, dict[int, float]] = {}

    def champion_map(f: Feature) -> dict[int, float]:
        found = maps.get(f)
        if found is None:
            found = maps[f] = dict(champions[f])
        return found

    results = list(old.results)
    for i in moved:
        results[i] = _matches(i, sigs[i], champions, MAX_RELATED, MIN_SCORE)
    for i, redo_j in recheck.items():
        patched = _patched(i, sigs[i], old.results[i], redo_j, champion_map)
        results[i] = patched if patched is not None else _matches(i, sigs[i], champions, MAX_RELATED, MIN_SCORE)
    new.results = results
    return new


class _Carriers(dict):
    """``_postings(sigs)`` one feature at a time, from the carriers kept with the collection.

    When few signatures moved, few features need their postings: reading
    those is cheaper than making all of them.
    """

    def __init__(self, sigs: list[dict], carriers: dict[Feature, bytes]) -> None:
        super().__init__()
        self.sigs, self.carriers = sigs, carriers

    def __missing__(self, feature: Feature) -> list[tuple[float, int]]:
        sigs = self.sigs
        value = self[feature] = [(sigs[d][feature], d) for d in array("i", self.carriers.get(feature, b""))]
        return value


class _Champions(dict):
    """Champion lists by feature, each computed from ``postings`` when first asked."""

    def __init__(self, postings: dict[Feature, list[tuple[float, int]]]) -> None:
        super().__init__()
        self.postings = postings

    def __missing__(self, feature: Feature) -> list[tuple[int, float]]:
        value = self[feature] = _champions(self.postings[feature])
        return value


# --- kept between builds -------------------------------------------------------------------------------

STATE_FILE = "microsite-related-state.pickle"
STATE_VERSION = 4
_PARAMS = (TOP_TERMS, CHAMPIONS, MAX_RELATED, MIN_SCORE, TAG_WEIGHT, sorted(STOPWORDS))


def _state_path(settings: dict) -> Path | None:
    cache = settings.get("CACHE_PATH")
    return Path(cache) / STATE_FILE if cache and settings.get("CACHE_CONTENT") else None


def load_state(settings: dict) -> Collection | None:
    """The previous build's collection, when caches are read and it is there and ours."""
    path = _state_path(settings)
    if path is None or not settings.get("LOAD_CONTENT_CACHE"):
        return None
    try:
        with open(path, "rb") as f:
            data = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, ImportError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION or data.get("params") != _PARAMS:
        return None
    collection = data.get("collection")
    return collection if isinstance(collection, Collection) else None


def save_state(settings: dict, collection: Collection) -> None:
    """Write the collection for the next build (atomically); run as a deferred job."""
    path = _state_path(settings)
    if path is None:
        return
    collection.finish()
    speed_memo.write_pickle(path, {"version": STATE_VERSION, "params": _PARAMS, "collection": collection})


# --- Pelican glue ----------------------------------------------------------------------------------------

@dataclass
class Related:
    """One related article and why: the score and the tags it shares."""

    article: object
    score: float
    shared_tags: list = field(default_factory=list)

    def __digest__(self) -> tuple:
        """What stands for it in page digests (``speed_digest``): the article and the score.  The
        shared tags follow from the tags of both articles, which their own digests hold."""
        return self.article, self.score


def _encode(article) -> tuple[bytes, bytes]:
    done = speed_read.precomputed(article, "related-words")  # worked out where the article was read
    return done if done is not None else _words_of(article)


def _words_of(article) -> tuple[bytes, bytes]:
    return _encode_words(terms(plain_text(article), article.metadata.get("lang", "")))


speed_read.precompute("related-words", _words_of)  # a clean build stems every article on every core


def collection_for(articles: list, settings: dict, save: bool = True) -> Collection:
    """This build's collection for ``articles`` (in their order), from the previous one when it can.

    The previous build's state is also the memo of every article's words: a
    file with the same path and stamp is not read again, even when the
    collection must be computed from scratch (an article added or removed).
    """
    paths = [str(getattr(a, "source_path", "") or "") for a in articles]
    stamps = []
    for path in paths:
        stamp = speed_memo.source_stamp(path) if path else None
        stamps.append(stamp[1:] if stamp else None)
    tags = [_tag_keys(t.slug for t in getattr(a, "tags", []) or []) for a in articles]
    old = load_state(settings)
    collection = update(old, paths, stamps, tags, lambda d: _encode(articles[d])) if old is not None else None
    if collection is None:
        known = {}
        if old is not None:
            known = {(p, s): e for p, s, e in zip(old.paths, old.stamps, old.encoded, strict=True) if s is not None}
        encoded = [known.get((p, s)) if s is not None else None for p, s in zip(paths, stamps, strict=True)]
        words: list[Words | None] = [None] * len(articles)
        for d, article in enumerate(articles):
            if encoded[d] is None:
                done = speed_read.precomputed(article, "related-words")
                if done is not None:
                    encoded[d] = done
                    continue
                counts = terms(plain_text(article), article.metadata.get("lang", ""))
                encoded[d], words[d] = _encode_words(counts), (list(counts), list(counts.values()))
        collection = compute(paths, stamps, tags, encoded, words)
    if save and collection.changed and _state_path(settings) is not None:

        def job() -> None:
            with speed_memo.no_gc():
                save_state(settings, collection)

        speed_jobs.defer(job, cost=0.5 if collection.index is None else 0.2,
                         name="related-state")
    return collection


# generator -> (articles, their tags, job): of what related articles read, only the tags may still
# change after ``articles_tagged`` (the words come from the file as read, see ``_encode``)
_AHEAD: dict[int, tuple[list, list, speed_jobs.Ahead]] = {}


def start(generator) -> None:
    """``articles_tagged`` (after ``tagslugs`` made the tags canonical): compute related articles in another process while Pelican builds its taxonomies and
    the other plugins (citations) do their work; that process then saves the collection."""
    articles, settings = list(generator.articles), generator.settings
    kept: dict[str, Collection] = {}

    def run() -> list:
        with speed_memo.no_gc():
            kept["collection"] = collection_for(articles, settings, save=False)
        return kept["collection"].results

    def then() -> None:
        collection = kept.pop("collection", None)
        if collection is not None and collection.changed and _state_path(settings) is not None:
            with speed_memo.no_gc():
                save_state(settings, collection)

    _AHEAD[id(generator)] = (articles, speed_jobs.tags_of(articles),
                             speed_jobs.Ahead(run, settings, "related articles", then=then))


def attach_related(generator) -> None:
    """Give every published article ``related`` (a list of ``Related``)."""
    articles = list(generator.articles)
    tag_lists = speed_jobs.tags_of(articles)
    started, tags, ahead = _AHEAD.pop(id(generator), (None, None, None))
    if ahead is not None and speed_jobs.same_objects(started, articles) and speed_jobs.same_tags(tags, tag_lists):
        results = ahead.result()
    else:
        if ahead is not None:  # a plugin changed the articles or their tags since it started
            ahead.cancel()
        results = collection_for(articles, generator.settings).results
    for article, own_tags, matches in zip(articles, tag_lists, results, strict=True):
        own = {t.slug for t in own_tags}
        article.related = [
            Related(articles[j], round(s, 3), [t for t in tag_lists[j] if t.slug in own]) for j, s in matches
        ]


def attach_neighbours(generator) -> None:
    """``prev_article`` (older) and ``next_article`` (newer) in publication order."""
    ordered = sorted(generator.articles, key=lambda a: (a.date.timestamp(), a.slug))
    for i, article in enumerate(ordered):
        article.prev_article = ordered[i - 1] if i > 0 else None
        article.next_article = ordered[i + 1] if i + 1 < len(ordered) else None


def finalize(generator) -> None:
    with speed_memo.no_gc():
        attach_neighbours(generator)
        attach_related(generator)


def register() -> None:
    """Pelican plugin entry point."""
    articles_tagged.connect(start)
    signals.article_generator_finalized.connect(finalize)
