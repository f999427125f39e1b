"""The lunr index as columns that one build can patch for the next.

What the browser needs per term is lunr's posting list (per field, the
articles holding the term) and, per article field, the field-vector score of
the term.  lunr computes that score with BM25 from the term frequency, the
field's length, the collection's average field length and the term's idf
(lunr.py ``Builder._create_field_vectors``).  The average length and idf are
global: one edited article changes the average body length, and with it the
rounded score of almost every posting.  So the payload stores what does *not*
change with other articles (term frequencies, field lengths) and the browser
computes the score with lunr's own expression (``score`` here, ``score`` in
``search.js``; the tests check both against lunr.py's Builder posting by
posting).  An edit then changes the few terms whose frequency changed.

``Index`` holds, sorted, one element per (term, field, document): its key
``(term id * fields + field) << 32 | document``, the term frequency and the
term's position among the field's terms (see ``Index.first_keys``).  Term
ids are private to the index (numbered as terms are first met, never reused
for another term); nothing written depends on them.  ``Index.update`` removes
and renumbers documents and inserts the new ones, vectorised, so one edited
article costs its own words, not the collection's.

lunr numbers terms in order of first appearance (document by document, field
by field); that number orders the additions in lunr's dot products, so the
browser must order terms the same way.  The order is (first document,
first field there, position among that field's terms), which, unlike lunr's
number, does not change when another article or another field gains a word.

Field boosts: the headline and the tags say what an article is *about*, a
word in them is worth far more than one in passing in the body (title 10,
tags 5); the summary is the article's opening, already in the body, so a
small extra weight (2) favours articles that lead with the word; the
publisher's name (2) lets "belta" find BelTA's articles without letting it
outrank the topic words.  lunr adds the per-field scores, so these are
relative weights.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from lunr.builder import Builder
from lunr.field_ref import FieldRef

from microsite.search.documents import SearchDocument
from microsite.search.pipeline import INDEX_LABELS, SEARCH_LABELS, functions, index_term, tokenize

FIELDS: tuple[tuple[str, int], ...] = (("title", 10), ("tags", 5), ("source", 2), ("summary", 2), ("body", 1))
K1, B = 1.2, 0.75  # lunr's defaults
DOC_BITS = 32  # a key's low bits: the document number
_DOC_MASK = (1 << DOC_BITS) - 1
POSITION_BITS = 28  # a term's index among its field's terms (``first_keys``)
POSITION_MASK = (1 << POSITION_BITS) - 1


def idf(documents_with_term: int, document_count: int) -> float:
    """lunr.idf (documents counted once per field they hold the term in, as lunr does)."""
    x = (document_count - documents_with_term + 0.5) / (documents_with_term + 0.5)
    return math.log(1 + abs(x))


def score(term_idf: float, tf: int, length: int, average: float, boost: int) -> float:
    """A field-vector entry: lunr.py's expression, operation for operation, rounded as lunr.py rounds.

    ``search.js`` evaluates the same IEEE operations in the same order and
    rounds to the same decimal, so both sides get the same float.
    """
    norm = K1 * (1 - B + B * (length / average))
    value = term_idf * ((K1 + 1) * tf) / (norm + tf)
    value *= boost
    return round(value, 3)


@dataclass
class Analysis:
    """One document's terms: per field, term ids (first appearance order) and frequencies, and lengths."""

    tids: array  # all fields, one after the other
    tfs: array
    counts: list[int]  # distinct terms per field
    lengths: list[int]  # tokens per field, stop words left out (lunr's field length)


class _TokenIds(dict):
    """Lower-cased token -> term id (-1 for a stop word), filled on first sight of each token."""

    def __init__(self, index: Index) -> None:
        super().__init__()
        self.index = index

    def __missing__(self, token: str) -> int:
        term = index_term(token)
        tid = -1 if term is None else self.index.term_id(term)
        self[token] = tid
        return tid


class Index:
    """The lunr index of a list of documents, as sorted columns (see the module docstring)."""

    def __init__(self, fields: Sequence[tuple[str, int]] = FIELDS) -> None:
        self.fields = tuple(name for name, _ in fields)
        self.boosts = tuple(boost for _, boost in fields)
        self.terms: list[str] = []
        self.ids: dict[str, int] = {}
        self.keys = np.zeros(0, np.int64)
        self.tfs = np.zeros(0, np.int32)
        self.pos = np.zeros(0, np.int32)
        self.lengths = np.zeros((0, len(self.fields)), np.int64)
        self._tokens: _TokenIds | None = None
        self._starts: np.ndarray | None = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_tokens"] = state["_starts"] = None
        return state

    @property
    def document_count(self) -> int:
        return len(self.lengths)

    def term_id(self, term: str) -> int:
        tid = self.ids.get(term)
        if tid is None:
            tid = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return tid

    # --- analysing documents ---

    def analyse(self, values: Sequence[str]) -> Analysis:
        """Term ids and frequencies of one document's field texts (lunr's tokenizer and our pipeline)."""
        if self._tokens is None:
            self._tokens = _TokenIds(self)
        lookup = self._tokens.__getitem__
        tids, tfs = array("q"), array("q")
        counts, lengths = [], []
        for text in values:
            tokens = tokenize(text)
            found = Counter(map(lookup, tokens))  # keeps first-appearance order, as lunr's dict does
            length = len(tokens) - found.pop(-1, 0)
            tids.extend(found)
            tfs.extend(found.values())
            counts.append(len(found))
            lengths.append(length)
        return Analysis(tids, tfs, counts, lengths)

    def analyse_terms(self, fields: Sequence[dict[str, int]], lengths: Sequence[int]) -> Analysis:
        """An analysis from per-field {term: frequency} dicts (lunr.py's Builder keeps those)."""
        tids, tfs = array("q"), array("q")
        for found in fields:
            tids.extend(self.term_id(t) for t in found)
            tfs.extend(found.values())
        return Analysis(tids, tfs, [len(f) for f in fields], list(lengths))

    # --- changing the collection ---

    def update(self, renumber: np.ndarray, count: int,
               added: Sequence[tuple[int, Analysis]]) -> tuple[np.ndarray, np.ndarray]:
        """Drop and renumber documents, then insert new ones.

        Returns the ids of the terms whose postings changed, and of those
        whose postings did not but whose position in a document did (their
        first appearance may have moved).  A posting counts as changed unless
        a dropped document's posting and an added one have the same key and
        frequency (an edited article keeps its number): re-adding an article
        whose text is unchanged changes nothing.

        ``renumber[old]`` is the old document's new number, or -1 when it goes;
        it must keep the order of the documents it keeps.  ``added`` holds
        (new number, analysis) for every document not carried over.
        """
        nfields = len(self.fields)
        renumber = np.asarray(renumber, np.int64)
        carried = np.flatnonzero(renumber >= 0)
        if not len(self.keys):
            keys, tfs, pos = self.keys, self.tfs, self.pos
            dropped_keys, dropped_tfs, dropped_pos = self.keys, self.tfs, self.pos
        elif np.array_equal(renumber[carried], carried):  # nobody moves (an edit): only drop
            gone = np.flatnonzero(renumber < 0)
            if len(gone):
                drop = np.isin(self.keys & _DOC_MASK, gone)
                dropped_keys, dropped_tfs, dropped_pos = self.keys[drop], self.tfs[drop], self.pos[drop]
                keys, tfs, pos = self.keys[~drop], self.tfs[~drop], self.pos[~drop]
            else:
                keys, tfs, pos = self.keys, self.tfs, self.pos
                dropped_keys, dropped_tfs, dropped_pos = self.keys[:0], self.tfs[:0], self.pos[:0]
        else:
            new_docs = renumber[self.keys & _DOC_MASK]
            kept = new_docs >= 0
            dropped_keys, dropped_tfs, dropped_pos = self.keys[~kept], self.tfs[~kept], self.pos[~kept]
            keys = ((self.keys[kept] >> DOC_BITS) << DOC_BITS) | new_docs[kept]
            tfs, pos = self.tfs[kept], self.pos[kept]

        lengths = np.zeros((count, nfields), np.int64)
        lengths[renumber[carried]] = self.lengths[carried]

        if added:
            tids, freqs, segments, sizes = array("q"), array("q"), array("q"), array("q")
            for doc, analysis in added:
                tids.extend(analysis.tids)
                freqs.extend(analysis.tfs)
                segments.extend(analysis.counts)
                sizes.append(len(analysis.tids))
                lengths[doc] = analysis.lengths
            new_tids = np.frombuffer(tids, np.int64)
            sizes_np = np.frombuffer(sizes, np.int64)
            field_of = np.repeat(np.tile(np.arange(nfields, dtype=np.int64), len(added)), np.frombuffer(segments, np.int64))
            doc_of = np.repeat(np.array([doc for doc, _ in added], np.int64), sizes_np)
            segments_np = np.frombuffer(segments, np.int64)
            offsets = np.repeat(np.cumsum(segments_np) - segments_np, segments_np)  # positions count per field
            new_keys = ((new_tids * nfields + field_of) << DOC_BITS) | doc_of
            order = np.argsort(new_keys)  # keys are unique: any sort gives the one order
            new_keys = new_keys[order]
            new_tfs = np.frombuffer(freqs, np.int64)[order].astype(np.int32)
            new_pos = (np.arange(len(new_tids), dtype=np.int64) - offsets)[order].astype(np.int32)
            if len(keys):
                at = np.searchsorted(keys, new_keys)
                keys = np.insert(keys, at, new_keys)
                tfs = np.insert(tfs, at, new_tfs)
                pos = np.insert(pos, at, new_pos)
            else:
                keys, tfs, pos = new_keys, new_tfs, new_pos
        else:
            new_keys, new_tfs, new_pos = np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32)
        repositioned = np.zeros(0, np.int64)
        if not len(self.keys):  # a new index: every term is new
            changed = np.arange(len(self.terms), dtype=np.int64)
        elif not len(dropped_keys) or not len(new_keys):  # nothing to pair up: every posting involved changed
            involved = np.concatenate([dropped_keys, new_keys]) >> DOC_BITS
            changed = np.flatnonzero(np.bincount(involved // nfields, minlength=len(self.terms)))
        else:  # pair dropped and added postings by key (keys are unique on each side)
            both_keys = np.concatenate([dropped_keys, new_keys])
            order = np.argsort(both_keys, kind="stable")
            both_keys = both_keys[order]
            both_tfs = np.concatenate([dropped_tfs, new_tfs])[order]
            both_pos = np.concatenate([dropped_pos, new_pos])[order]
            pairs = np.flatnonzero(both_keys[1:] == both_keys[:-1])
            paired = np.zeros(len(both_keys), bool)
            paired[pairs] = paired[pairs + 1] = True
            other_tf = pairs[both_tfs[pairs] != both_tfs[pairs + 1]]
            other_pos = pairs[both_pos[pairs] != both_pos[pairs + 1]]
            tids = (both_keys >> DOC_BITS) // nfields
            changed = np.union1d(tids[~paired], tids[other_tf])
            repositioned = np.setdiff1d(tids[other_pos], changed)
        self.keys, self.tfs, self.pos, self.lengths = keys, tfs, pos, lengths
        self._starts = None
        return changed.astype(np.int64), repositioned.astype(np.int64)

    # --- reading it ---

    def starts(self) -> np.ndarray:
        """``starts[tid * fields + f]``: where term ``tid``'s postings in field ``f`` begin (one past the end: next)."""
        size = len(self.terms) * len(self.fields) + 1
        if self._starts is None or len(self._starts) != size:
            groups = self.keys >> DOC_BITS
            self._starts = np.searchsorted(groups, np.arange(size, dtype=np.int64))
        return self._starts

    def document_frequencies(self, starts: np.ndarray) -> np.ndarray:
        """Per term: lunr's documents-with-term (a document counted once per field holding it)."""
        nfields = len(self.fields)
        return starts[nfields::nfields] - starts[:-1:nfields]

    def first_keys(self, starts: np.ndarray, frequencies: np.ndarray, previous: np.ndarray | None = None,
                   changed: np.ndarray | None = None) -> np.ndarray:
        """Per term: ``first document << 32 | field << 28 | position``, in lunr's term order (-1: no postings).

        Where lunr's Builder first meets the term: its first document, the
        first field there holding it, and its index among that field's terms
        (in order of first appearance).  Sorting on this sorts terms as lunr
        numbers them; unlike lunr's number it does not change when another
        article or another field changes.
        """
        out = np.full(len(self.terms), -1, np.int64)
        if previous is not None:  # only the terms in ``changed`` can differ from ``previous``
            out[:len(previous)] = previous
            out[changed] = -1
            live = changed[frequencies[changed] > 0]
            begin, end = starts[live * len(self.fields)], starts[(live + 1) * len(self.fields)]
            lengths = end - begin
            at = np.repeat(begin - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
            keys, pos = self.keys[at], self.pos[at]
            begin = np.cumsum(lengths) - lengths
        else:
            live = np.flatnonzero(frequencies)
            keys, pos, begin = self.keys, self.pos, starts[live * len(self.fields)]
        if len(live):
            fields = (keys >> DOC_BITS) % len(self.fields)
            combined = ((keys & _DOC_MASK) << DOC_BITS) | (fields << POSITION_BITS) | pos
            out[live] = np.minimum.reduceat(combined, begin)
        return out

    def average_lengths(self) -> list[float]:
        """lunr's average field lengths (exact integer sums divided as lunr.py divides them)."""
        count = self.document_count
        return [int(total) / count if count else 0.0 for total in self.lengths.sum(axis=0).tolist()]

    def postings(self, tid: int, f: int, starts: np.ndarray | None = None) -> tuple[list[int], list[int]]:
        """(documents, term frequencies) of term ``tid`` in field number ``f``."""
        starts = self.starts() if starts is None else starts
        i = tid * len(self.fields) + f
        a, b = int(starts[i]), int(starts[i + 1])
        return (self.keys[a:b] & _DOC_MASK).tolist(), self.tfs[a:b].tolist()

    def field_scores(self) -> dict[str, dict[str, float]]:
        """``{term: {"field/doc": score}}``: lunr's field-vector entries (for tests and the Python reader)."""
        starts = self.starts()
        frequencies = self.document_frequencies(starts)
        average = self.average_lengths()
        out: dict[str, dict[str, float]] = {}
        for tid, term in enumerate(self.terms):
            if not frequencies[tid]:
                continue
            term_idf = idf(int(frequencies[tid]), self.document_count)
            entries = out[term] = {}
            for f, name in enumerate(self.fields):
                docs, tfs = self.postings(tid, f, starts)
                for doc, tf in zip(docs, tfs, strict=True):
                    length = int(self.lengths[doc, f])
                    entries[f"{name}/{doc}"] = score(term_idf, tf, length, average[f], self.boosts[f])
        return out

    def lunr_order(self) -> list[str]:
        """The terms (with postings) in lunr's ``_index`` order."""
        starts = self.starts()
        first = self.first_keys(starts, self.document_frequencies(starts))
        live = [t for t in range(len(self.terms)) if first[t] >= 0]
        return [self.terms[t] for t in sorted(live, key=lambda t: int(first[t]))]


def build_index(documents: Sequence[SearchDocument], fields: Sequence[tuple[str, int]] = FIELDS) -> Index:
    """Index ``documents`` from scratch; document ``n`` gets the lunr ref ``str(n)``."""
    index = Index(fields)
    added = [(n, index.analyse(_values(doc, index.fields))) for n, doc in enumerate(documents)]
    index.update(np.zeros(0, np.int64), len(documents), added)
    return index


def _values(document: SearchDocument, names: Sequence[str]) -> list[str]:
    values = document.fields()
    return [values[name] for name in names]


def from_lunr_builder(builder: Builder, fields: Sequence[tuple[str, int]] = FIELDS) -> Index:
    """The same columns from lunr.py's own Builder (``SEARCH_LUNR_BUILDER = True``): its counts, not ours."""
    index = Index(fields)
    per_doc: dict[str, dict] = {}
    for field_ref, frequencies in builder.field_term_frequencies.items():
        ref = FieldRef.from_string(str(field_ref))
        per_doc.setdefault(ref.doc_ref, {})[ref.field_name] = (frequencies, builder.field_lengths[field_ref])
    added = []
    for ref in sorted(per_doc, key=int):
        row = per_doc[ref]
        added.append((int(ref), index.analyse_terms(
            [row.get(name, ({}, 0))[0] for name in index.fields],
            [row.get(name, ({}, 0))[1] for name in index.fields])))
    index.update(np.zeros(0, np.int64), len(added), added)
    return index


def reference_builder(documents: Iterable[SearchDocument], fields: Sequence[tuple[str, int]] = FIELDS) -> Builder:
    """lunr.py's own Builder with our pipeline and fields, every document added (slow)."""
    builder = Builder()
    builder.pipeline.add(*functions(INDEX_LABELS))
    builder.search_pipeline.add(*functions(SEARCH_LABELS))
    builder.ref("id")
    for name, boost in fields:
        builder.field(name, boost=boost)
    for n, document in enumerate(documents):
        builder.add({"id": str(n), **document.fields()})
    return builder


def reference_index(documents: Iterable[SearchDocument], fields: Sequence[tuple[str, int]] = FIELDS):
    """The unsplit index built by lunr.py's own Builder (slow; for tests and the benchmark)."""
    return reference_builder(documents, fields).build()
