"""Build the lunr index: the same numbers lunr.py's Builder computes, in a fraction of the time.

lunr.py's ``Builder`` needs about 75 s for 10,000 articles of ~940 words:
it makes a Token object per word, runs the pipeline word by word, keeps a
dict per posting and builds a TokenSet of the whole vocabulary that a
serialised index does not even contain.  ``build_index`` runs the same
algorithm (BM25 with lunr's k1 and b, lunr's idf, scores rounded to 3
decimals, term indexes numbered in order of first appearance) on plain
lists, stemming each distinct word once.  ``reference_index`` is the real
lunr.py Builder with the same pipeline and fields; the tests check the two
give identical serialised indexes, and the benchmark can too.

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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lunr.builder import Builder

from microsite.search.documents import SearchDocument
from microsite.search.pipeline import INDEX_LABELS, SEARCH_LABELS, functions, index_term, tokenize

FIELDS: tuple[tuple[str, int], ...] = (("title", 10), ("tags", 5), ("source", 2), ("summary", 2), ("body", 1))
K1, B = 1.2, 0.75  # lunr's defaults


@dataclass
class BuiltIndex:
    """A lunr index as columns.

    ``terms[i]`` is the term with lunr ``_index`` i.  ``postings[i * len(fields) + f]``
    is ``[doc, score, doc, score, ...]`` for term i in field f: the documents
    (numbers, ascending) holding it and their field-vector scores in
    thousandths (lunr rounds scores to 3 decimals, so these integers are exact).
    """

    fields: tuple[str, ...]
    terms: list[str]
    postings: list[list[int]]
    document_count: int

    def field_postings(self, tid: int, f: int) -> tuple[list[int], list[int]]:
        """(documents, scores) of term ``tid`` in field number ``f``."""
        flat = self.postings[tid * len(self.fields) + f]
        return flat[0::2], flat[1::2]


def build_index(documents: Sequence[SearchDocument], fields: Sequence[tuple[str, int]] = FIELDS) -> BuiltIndex:
    """Index ``documents``; document ``n`` gets the lunr ref ``str(n)``.

    Two passes, as lunr's: count terms per field (numbering new terms in
    order of appearance), then score every posting once idf is known.
    """
    names = tuple(name for name, _ in fields)
    nfields = len(names)
    term_ids: dict[str, int] = {}
    terms: list[str] = []
    documents_with_term: Counter[int] = Counter()  # lunr's idf counts a document once per field
    # Per document and field: (term ids, term frequencies, field length), in lunr's insertion order.
    per_doc: list[list[tuple[list[int], list[int], int]]] = []
    length_sums = [0] * nfields

    for document in documents:
        values = document.fields()
        row = []
        for f, name in enumerate(names):
            tokens = tokenize(values[name])
            counts = Counter(map(index_term, tokens))  # keeps first-appearance order, as lunr's dict does
            length = len(tokens) - counts.pop(None, 0)  # None: a stop word, dropped by the pipeline
            for term in [t for t in counts if t not in term_ids]:
                term_ids[term] = len(terms)
                terms.append(term)
            ids = list(map(term_ids.__getitem__, counts))
            documents_with_term.update(ids)
            row.append((ids, list(counts.values()), length))
            length_sums[f] += length
        per_doc.append(row)

    count = len(per_doc)
    average = [total / count for total in length_sums] if count else [0.0] * nfields
    idf = [_idf(documents_with_term[tid], count) for tid in range(len(terms))]
    postings: list[list[int]] = [[] for _ in range(len(terms) * nfields)]
    boosts = [boost for _, boost in fields]
    k1_plus_1 = K1 + 1
    for n, row in enumerate(per_doc):
        for f, (ids, tfs, length) in enumerate(row):
            if not ids:  # (an empty field everywhere would divide by a zero average)
                continue
            norm = K1 * (1 - B + B * (length / average[f]))
            boost = boosts[f]
            for tid, tf in zip(ids, tfs, strict=True):
                # Same expression, same order of operations as lunr.py's Builder._create_field_vectors.
                score = idf[tid] * (k1_plus_1 * tf) / (norm + tf)
                score *= boost
                # lunr keeps round(score, 3); stored exactly as an integer number of thousandths.
                postings[tid * nfields + f] += (n, int(round(score, 3) * 1000 + 0.5))
    return BuiltIndex(fields=names, terms=terms, postings=postings, document_count=count)


def _idf(documents_with_term: int, document_count: int) -> float:
    """lunr.idf (documents counted once per field they hold the term in, as lunr does)."""
    x = (document_count - documents_with_term + 0.5) / (documents_with_term + 0.5)
    return math.log(1 + abs(x))


def from_lunr_index(index, document_count: int) -> BuiltIndex:
    """A lunr.py Index (from ``reference_index``) in our columns, for ``SEARCH_LUNR_BUILDER = True``."""
    fields = tuple(index.fields)
    nfields = len(fields)
    terms = [""] * len(index.inverted_index)
    postings: list[list[int]] = [[] for _ in range(len(terms) * nfields)]
    for term, posting in index.inverted_index.items():
        tid = posting["_index"]
        terms[tid] = term
        for f, name in enumerate(fields):
            for ref in sorted(posting[name], key=int):
                elements = index.field_vectors[f"{name}/{ref}"].elements
                postings[tid * nfields + f] += (int(ref), int(_vector_value(elements, tid) * 1000 + 0.5))
    return BuiltIndex(fields=fields, terms=terms, postings=postings, document_count=document_count)


def _vector_value(elements: list, index: int) -> float:
    """The value at ``index`` in a lunr vector's [index, value, index, value, ...] (sorted by index)."""
    lo, hi = 0, len(elements) // 2
    while lo < hi:
        mid = (lo + hi) // 2
        if elements[2 * mid] < index:
            lo = mid + 1
        else:
            hi = mid
    return elements[2 * lo + 1]


def reference_index(documents: Iterable[SearchDocument], fields: Sequence[tuple[str, int]] = FIELDS):
    """The unsplit index built by lunr.py's own Builder (slow; for tests and the benchmark)."""
    builder = Builder()
    builder.pipeline.add(*functions(INDEX_LABELS))
    builder.search_pipeline.add(*functions(SEARCH_LABELS))
    builder.ref("id")
    for name, boost in fields:
        builder.field(name, boost=boost)
    for n, document in enumerate(documents):
        builder.add({"id": str(n), **document.fields()})
    return builder.build()
