"""Write the index as many small ``<script>`` files the browser loads on demand, changing only what changed.

Why split: one lunr index of 10,000 articles is ~100 MB of JSON; Chromium
needs seconds and hundreds of MB to open it, and from ``file://`` nothing can
be fetched, only ``<script src>`` loaded.  So the payload is:

``search/meta.js``
    always loaded: fields, boosts, shard boundaries, the average field
    lengths and per article its field lengths (one ``encode_numbers`` string
    per field) and what filters need (tag, source, language and date ids).
``search/t/<k>.js``
    the inverted index cut into shards of consecutive terms (by JavaScript
    string order), each ~``SHARD_BYTES``: first a table of idf values
    ``[df, idf, df, idf, ...]``, then per term ``[term, position, f0, ..., f4]``
    (position: where the term first appears, see ``Index.first_keys``),
    ``fN`` being the term's postings in field N as a string of numbers
    (``encode_numbers``): document gap, term frequency, gap, frequency...
    A query loads the shards of its terms only.
``search/d/<n>.js``
    one article for display: title, URL, date, source, tags and the text
    the snippet is cut from.  Loaded for the results on screen only.
``search/vocab.js``
    every term, loaded only for fuzzy (``~1``) and leading-wildcard queries,
    whose terms cannot be found by prefix.

The browser computes each posting's lunr score from these numbers exactly as
lunr.py's Builder does (``builder.score``), rebuilds from the loaded shards a
lunr.Index holding the query's terms, and lets lunr's own ``Index.query``
score it; cosine similarity only reads the entries of the query's terms, so
scores are those of the unsplit index (see ``split.py`` and the tests).

Scores are not stored because they depend on the whole collection (average
field lengths, idf): stored scores would change in nearly every shard
whenever one article changes.  Term frequencies do not, so after one edit
only the shards of the terms whose frequencies changed, ``meta.js`` and the
article's own file are written.  Shards are cut where a term's hash says so
(once a shard holds half its size), not at a byte count, so a grown entry
does not shift every later boundary.

Every file is ``JSON.parse('…')`` in a script (2-3x faster to open than an
object literal) assigning into the global ``__micrositeSearch``.  File names
are numbers: no scraped string decides a path.  Files are written only when
their bytes change, and a file the previous build wrote and nobody touched
since (same size and modification time) is not even regenerated.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import json
import os
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from pathlib import Path

import numpy as np

from microsite.search.builder import FIELDS, K1, POSITION_MASK, B, Index, idf
from microsite.search.documents import SearchDocument
from microsite.search.pipeline import INDEX_LABELS, SEARCH_LABELS

GLOBAL = "__micrositeSearch"
SHARD_BYTES = 96_000
LUNR_VERSION = "2.3.9"
STATE_VERSION = 2  # 2: prints are digests
# Numbers in posting strings: base 32 digits, most significant first; a digit from the second
# half of the alphabet says "more digits follow".  No quote or backslash, so no escaping.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef" + "ghijklmnopqrstuvwxyz0123456789-_"
_ALPHABET = np.frombuffer(ALPHABET.encode("ascii"), np.uint8)
_DIGIT = {c: i for i, c in enumerate(ALPHABET)}
_LIMITS = np.array([32**k for k in range(1, 13)], np.int64)  # a number below 32**k has k digits
_DOC_MASK = (1 << 32) - 1


@dataclass
class PayloadStats:
    """What the payload holds (and what this build wrote), for logs and the benchmark."""

    files: int
    bytes: int
    largest_file: int
    shards: int
    terms: int
    written: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # seconds of CPU per phase


@dataclass
class PayloadState:
    """What one build leaves for the next: the index, and what each written file was made from."""

    key: tuple
    index: Index
    urls: list[str] = field(default_factory=list)
    index_prints: list[bytes] = field(default_factory=list)  # per document: digest of what its terms come from
    doc_prints: list[bytes] = field(default_factory=list)  # per document: digest of what d/<n>.js shows
    doc_files: list[tuple | None] = field(default_factory=list)  # (size, mtime) of d/<n>.js as written
    order: list[int] = field(default_factory=list)  # term ids with postings, in JavaScript order
    order_keys: list[bytes] = field(default_factory=list)
    cut: list[float] = field(default_factory=list)  # per term id: its hash in [0, 1) (shard cuts)
    sizes: list[int] = field(default_factory=list)  # per term id: characters of its entry
    first: np.ndarray | None = None  # per term id: ``Index.first_keys`` (an entry holds the position)
    shards: list[tuple[int, ...]] = field(default_factory=list)
    shard_files: list[tuple | None] = field(default_factory=list)


def state_key(shard_bytes: int, fields: Sequence[tuple[str, int]] = FIELDS) -> tuple:
    """What a previous state must agree on to be reused."""
    return (STATE_VERSION, tuple(fields), int(shard_bytes), K1, B, LUNR_VERSION, INDEX_LABELS, SEARCH_LABELS)


def js_order(term: str) -> bytes:
    """Sort key giving JavaScript's string order (UTF-16 code units), which the shard lookup uses."""
    return term.encode("utf-16-be", "surrogatepass")


def script(key: str, data: object) -> str:
    """A script assigning ``data`` to ``__micrositeSearch[key]`` through JSON.parse of a string literal."""
    return script_from_json(key, json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def script_from_json(key: str, json_text: str) -> str:
    """``script()`` for data already serialised as JSON text."""
    literal = json_text.replace("\\", "\\\\").replace("'", "\\'")
    return f"({GLOBAL}=self.{GLOBAL}||{{}})[{json.dumps(key)}]=JSON.parse('{literal}');\n"


def read_script(path: Path) -> object:
    """The data a ``script()`` file carries (for Python-side checks and the benchmark)."""
    text = path.read_text("utf-8")
    start = text.index("JSON.parse('") + len("JSON.parse('")
    end = text.rindex("');")
    literal = text[start:end]
    out, i = [], 0
    while i < len(literal):  # undo script(): every escape is a backslash before one character
        ch = literal[i]
        if ch == "\\":
            i += 1
            ch = literal[i]
        out.append(ch)
        i += 1
    return json.loads("".join(out))


def encode_numbers(values: np.ndarray) -> tuple[str, np.ndarray]:
    """Non-negative integers as one string (see ``ALPHABET``) and where each number's digits end.

    Vectorised: the collection's millions of postings are encoded in a few
    array operations.  ``ends[i]`` is the end of number i (``ends[-1]`` the length).
    """
    values = np.asarray(values, np.int64)
    if not len(values):
        return "", np.zeros(0, np.int64)
    digits = np.searchsorted(_LIMITS, values, side="right") + 1
    ends = np.cumsum(digits)
    out = np.empty(int(ends[-1]), np.uint8)
    out[ends - 1] = _ALPHABET[values & 31]  # the last digit: no "more" flag
    more = np.flatnonzero(digits > 1)  # most numbers have one digit: the others go on alone
    values, ends_more, digits = values[more], ends[more], digits[more]
    d = 1
    while len(values):
        out[ends_more - 1 - d] = _ALPHABET[((values >> (5 * d)) & 31) + 32]
        left = digits > d + 1
        values, ends_more, digits = values[left], ends_more[left], digits[left]
        d += 1
    return out.tobytes().decode("ascii"), ends


def decode_numbers(text: str) -> list[int]:
    """The integers ``encode_numbers`` wrote."""
    out, value = [], 0
    for ch in text:
        digit = _DIGIT[ch]
        value = value * 32 + (digit & 31)
        if digit < 32:
            out.append(value)
            value = 0
    return out


def _entries(index: Index, tids: np.ndarray, starts: np.ndarray, first: np.ndarray) -> list[str]:
    """The shard entries of terms ``tids``: ``[term, position, postings of each field]`` as JSON text."""
    nfields = len(index.fields)
    groups = (tids[:, None] * nfields + np.arange(nfields)).ravel()
    begin, end = starts[groups], starts[groups + 1]
    lengths = end - begin
    before = np.cumsum(lengths) - lengths
    total = int(lengths.sum())
    if total == len(index.keys) and np.array_equal(begin, before):  # every posting, in key order
        docs, tfs = index.keys & _DOC_MASK, index.tfs
    else:
        at = np.repeat(begin - before, lengths) + np.arange(total)
        docs, tfs = index.keys[at] & _DOC_MASK, index.tfs[at]
    previous = np.empty_like(docs)
    previous[1:] = docs[:-1]
    previous[before[lengths > 0]] = 0  # a posting list starts with its first document itself
    numbers = np.empty(2 * total, np.int64)
    numbers[0::2] = docs - previous
    numbers[1::2] = tfs
    text, ends = encode_numbers(numbers)
    chars = np.concatenate([[0], ends])
    lows, highs = chars[2 * before].tolist(), chars[2 * (before + lengths)].tolist()
    positions = (first[tids] & POSITION_MASK).tolist()
    out = []
    for i, tid in enumerate(tids.tolist()):
        parts = [encode_basestring(index.terms[tid]), str(positions[i])]
        for g in range(i * nfields, (i + 1) * nfields):
            parts.append('"' + text[lows[g]:highs[g]] + '"')
        out.append("[" + ",".join(parts) + "]")
    return out


def _cuts(sizes: np.ndarray, marks: np.ndarray, shard_bytes: int) -> list[int]:
    """Shard boundaries (indexes into the ordered terms, 0 and len included).

    A new shard starts at a term once the current one holds 70% of
    ``shard_bytes`` and the term's hash is below ``size / (30% of
    shard_bytes)`` (so shards average ``shard_bytes``), or when the term would
    push it past 1.5 ``shard_bytes``.  The rule reads each term's own size and
    hash, so boundaries survive changes elsewhere.
    """
    count = len(sizes)
    cum = np.concatenate([[0], np.cumsum(sizes)])
    candidate = marks * (0.3 * shard_bytes) < sizes
    # next_candidate[j]: the first candidate at or after j (count when none)
    idx = np.where(candidate, np.arange(count), count)
    next_candidate = [*np.minimum.accumulate(idx[::-1])[::-1].tolist(), count]
    cum_list = cum.tolist()
    half, cap = 0.7 * shard_bytes, 1.5 * shard_bytes
    cuts, start = [0], 0
    while start < count:
        low = max(bisect.bisect_left(cum_list, cum_list[start] + half), start + 1)
        by_hash = next_candidate[low] if low < count else count
        by_cap = max(bisect.bisect_right(cum_list, cum_list[start] + cap) - 1, start + 1)
        start = min(by_hash, by_cap, count)
        cuts.append(start)
    return cuts


def _facets(documents: Sequence[SearchDocument]) -> tuple[dict, dict]:
    tags = sorted({t for d in documents for t in d.tags}, key=str.casefold)
    sources = sorted({d.source for d in documents if d.source}, key=str.casefold)
    langs = sorted({d.lang for d in documents if d.lang})
    tag_id = {t: i for i, t in enumerate(tags)}
    source_id = {s: i for i, s in enumerate(sources)}
    lang_id = {lang: i for i, lang in enumerate(langs)}
    columns = {
        "tags": [sorted({tag_id[t] for t in d.tags}) for d in documents],
        "source": [source_id.get(d.source, -1) for d in documents],
        "lang": [lang_id.get(d.lang, -1) for d in documents],
        "date": [int(d.date.replace("-", "")) if d.date else 0 for d in documents],
    }
    return {"tags": tags, "source": sources, "lang": langs}, columns


def _carried(old: PayloadState, documents: Sequence[SearchDocument], prints: list[bytes]) -> np.ndarray:
    """``renumber[old n]``: the new number of each old document kept as it was (-1: dropped or changed).

    Documents are matched by URL and kept when their indexed text is the
    same; among them, the longest run in the same relative order (articles
    are re-sorted when one's date changes) keeps its postings.
    """
    where = {}
    for n, url in enumerate(old.urls):
        where.setdefault(url, n)
    pairs = [(n, where[d.url]) for n, d in enumerate(documents)
             if d.url in where and old.index_prints[where[d.url]] == prints[n]]
    # longest increasing subsequence of the old numbers (patience sorting)
    tails, tail_at, back = [], [], [-1] * len(pairs)
    for i, (_, o) in enumerate(pairs):
        j = bisect.bisect_left(tails, o)
        back[i] = tail_at[j - 1] if j else -1
        if j == len(tails):
            tails.append(o)
            tail_at.append(i)
        else:
            tails[j], tail_at[j] = o, i
    renumber = np.full(len(old.urls), -1, np.int64)
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        n, o = pairs[i]
        renumber[o] = n
        i = back[i]
    return renumber


class _Files:
    """Writes files of the payload folder; by default through ``speed_jobs`` (only changed bytes)."""

    def __init__(self, folder: Path, write: Callable[[str, bytes], bool] | None,
                 keep: Callable[[str], None] | None) -> None:
        if write is None or keep is None:
            from microsite.plugins import speed_jobs

            write, keep = write or speed_jobs.write_if_changed, keep or speed_jobs.keep
        self.folder, self._write, self._keep = folder, write, keep
        self.sizes: dict[str, int] = {}
        self.written = 0

    def unchanged(self, rel: str, stamp: tuple | None) -> bool:
        """Keep ``rel`` if it is still the file the previous build wrote (same size and mtime)."""
        if stamp is None:
            return False
        path = os.path.join(self.folder, rel)
        try:
            st = os.stat(path)
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) != stamp:
            return False
        self._keep(path)
        self.sizes[rel] = st.st_size
        return True

    def write(self, rel: str, key: str, json_text: str) -> tuple[int, int]:
        data = script_from_json(key, json_text).encode("utf-8")
        path = os.path.join(self.folder, rel)
        if self._write(path, data):
            self.written += 1
        st = os.stat(path)
        self.sizes[rel] = len(data)
        return (st.st_size, st.st_mtime_ns)

    def remove_others(self, sub: str) -> None:
        """Delete files of ``sub/`` this build did not produce (what a wiped folder would not hold)."""
        folder = os.path.join(self.folder, sub)
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            if f"{sub}/{name}" not in self.sizes:
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(folder, name))


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def update_payload(
    documents: Sequence[SearchDocument],
    folder: Path,
    shard_bytes: int = SHARD_BYTES,
    previous: PayloadState | None = None,
    *,
    index: Index | None = None,
    fields: Sequence[tuple[str, int]] = FIELDS,
    write: Callable[[str, bytes], bool] | None = None,
    keep: Callable[[str], None] | None = None,
) -> tuple[PayloadState, PayloadStats]:
    """Write the payload of ``documents`` into ``folder``; returns the state for the next build.

    With ``previous`` (what the last build returned, and its files still in
    ``folder``), only the changed documents are analysed and only files whose
    content changed are regenerated; the files are the same bytes either way.
    ``index`` (prebuilt, e.g. by lunr.py's Builder) skips the analysis.
    """
    collecting = gc.isenabled()
    gc.disable()  # millions of short-lived objects, no cycles: the collector would only walk the heap
    try:
        return _update(documents, folder, shard_bytes, previous, index, fields, write, keep)
    finally:
        if collecting:
            gc.enable()


def _update(
    documents: Sequence[SearchDocument], folder: Path, shard_bytes: int, previous: PayloadState | None,
    index: Index | None, fields: Sequence[tuple[str, int]], write: Callable[[str, bytes], bool] | None,
    keep: Callable[[str], None] | None,
) -> tuple[PayloadState, PayloadStats]:
    """``update_payload`` with the garbage collector off."""
    cpu: dict[str, float] = {}
    clock = [time.process_time()]

    def lap(name: str) -> None:
        now = time.process_time()
        cpu[name] = cpu.get(name, 0.0) + now - clock[0]
        clock[0] = now

    key = state_key(shard_bytes, fields)
    if index is not None or previous is None or previous.key != key:
        previous = PayloadState(key=key, index=Index(fields))
    old = previous
    state = PayloadState(key=key, index=old.index, urls=[d.url for d in documents])
    state.index_prints = [d.index_print() for d in documents]
    state.doc_prints = [d.doc_print() for d in documents]
    count = len(documents)
    lap("prints")

    # --- the index: drop what changed, renumber, analyse what is new ---
    if index is not None:
        state.index = index
        changed = np.arange(len(index.terms), dtype=np.int64)
        repositioned = changed[:0]
        renumber = np.full(0, -1, np.int64)
    else:
        renumber = _carried(old, documents, state.index_prints)
        carried = set(renumber[renumber >= 0].tolist())
        names = state.index.fields
        added = [(n, state.index.analyse(d.values(names))) for n, d in enumerate(documents) if n not in carried]
        lap("analyse")
        changed, repositioned = state.index.update(renumber, count, added)
    index = state.index
    kept_docs = np.flatnonzero(renumber >= 0)
    everything = (count != len(old.urls) or not np.array_equal(renumber[kept_docs], kept_docs)
                  or not old.shards)

    starts = index.starts()
    frequencies = index.document_frequencies(starts)
    if everything or old.first is None:
        first = index.first_keys(starts, frequencies)
    else:  # no document moved: only these terms can have a new first appearance
        first = index.first_keys(starts, frequencies, old.first, np.union1d(changed, repositioned))
    nterms = len(index.terms)
    lap("index")

    # --- term order (JavaScript string order) and entry sizes ---
    state.cut = old.cut + [zlib.crc32(t.encode("utf-8", "surrogatepass")) / 2**32 for t in index.terms[len(old.cut):]]
    state.sizes = old.sizes + [0] * (nterms - len(old.sizes))
    live = frequencies > 0
    if everything:
        state.order = sorted(np.flatnonzero(live).tolist(), key=lambda t: js_order(index.terms[t]))
        state.order_keys = [js_order(index.terms[t]) for t in state.order]
        dirty = np.flatnonzero(live)
    else:
        state.order, state.order_keys = list(old.order), list(old.order_keys)
        for tid in changed.tolist():
            k = js_order(index.terms[tid])
            i = bisect.bisect_left(state.order_keys, k)
            present = i < len(state.order) and state.order[i] == tid
            if present and not live[tid]:
                del state.order[i], state.order_keys[i]
            elif live[tid] and not present:
                state.order.insert(i, tid)
                state.order_keys.insert(i, k)
        moved = repositioned[first[repositioned] != old.first[repositioned]]  # (old terms: in old.first)
        dirty = np.union1d(changed[live[changed]], moved)
    state.first = first
    texts: dict[int, str] = {}
    if len(dirty):
        for tid, text in zip(dirty.tolist(), _entries(index, dirty, starts, first), strict=True):
            texts[tid] = text
            state.sizes[tid] = len(text)
    lap("entries")

    # --- shards ---
    files = _Files(folder, write, keep)
    order = np.array(state.order, np.int64)
    sizes = np.array(state.sizes, np.int64)[order] if len(order) else np.zeros(0, np.int64)
    marks = np.array(state.cut, np.float64)[order] if len(order) else np.zeros(0, np.float64)
    cuts = _cuts(sizes, marks, shard_bytes)
    dirty_set = set(dirty.tolist())
    boundaries = []
    for k in range(len(cuts) - 1):
        tids = tuple(state.order[cuts[k]:cuts[k + 1]])
        boundaries.append(index.terms[tids[0]])
        state.shards.append(tids)
        rel = f"t/{k}.js"
        if (not everything and k < len(old.shards) and old.shards[k] == tids
                and dirty_set.isdisjoint(tids) and files.unchanged(rel, old.shard_files[k])):
            state.shard_files.append(old.shard_files[k])
            continue
        missing = np.array([t for t in tids if t not in texts], np.int64)
        if len(missing):
            texts.update(zip(missing.tolist(), _entries(index, missing, starts, first), strict=True))
        dfs = sorted({int(frequencies[t]) for t in tids})
        table = [x for df in dfs for x in (df, idf(df, count))]
        json_text = "[" + _dumps(table) + "," + ",".join(texts[t] for t in tids) + "]"
        state.shard_files.append(files.write(rel, f"t{k}", json_text))
    lap("shards")

    # --- articles ---
    for n, doc in enumerate(documents):
        rel = f"d/{n}.js"
        if (n < len(old.doc_prints) and old.urls[n] == doc.url and old.doc_prints[n] == state.doc_prints[n]
                and files.unchanged(rel, old.doc_files[n])):
            state.doc_files.append(old.doc_files[n])
            continue
        state.doc_files.append(files.write(rel, f"d{n}", _dumps({
            "title": doc.title, "url": doc.url, "date": doc.date, "dateText": doc.date_text,
            "source": doc.source, "tags": doc.tags, "tagUrls": doc.tag_urls, "lang": doc.lang,
            "text": doc.text() or doc.summary,  # what the snippet is cut from
        })))
    lap("documents")

    files.write("vocab.js", "vocab", _dumps([index.terms[t] for t in state.order]))
    values, columns = _facets(documents)
    columns["lengths"] = [encode_numbers(column)[0] for column in index.lengths.T]  # per field, per article
    max_position = int((first[live] & POSITION_MASK).max()) if live.any() else 0
    meta = {
        "version": LUNR_VERSION,
        "fields": list(index.fields),
        "boosts": list(index.boosts),
        "k1": K1,
        "b": B,
        "indexPipeline": list(INDEX_LABELS),
        "searchPipeline": list(SEARCH_LABELS),
        "count": count,
        "averages": index.average_lengths(),
        # lunr's term order: (first document * fields + first field there) * positions + position
        "positions": 1 << max(20, max_position.bit_length()),
        "shards": boundaries,
        "values": values,
        "docs": columns,
    }
    files.write("meta.js", "meta", _dumps(meta))
    files.remove_others("t")
    files.remove_others("d")
    lap("meta")
    sizes_written = list(files.sizes.values())
    stats = PayloadStats(
        files=len(sizes_written), bytes=sum(sizes_written), largest_file=max(sizes_written),
        shards=len(boundaries), terms=len(state.order), written=files.written, cpu=cpu,
    )
    return state, stats


def write_payload(
    documents: Sequence[SearchDocument], folder: Path, shard_bytes: int = SHARD_BYTES, index: Index | None = None,
) -> PayloadStats:
    """Write the payload of ``documents`` from scratch (plain file writes; for tests and the benchmark)."""

    def write(path: str, data: bytes) -> bool:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return True

    return update_payload(documents, folder, shard_bytes, index=index, write=write, keep=lambda path: None)[1]
