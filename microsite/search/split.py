"""Query the split payload from Python, the way ``theme/static/js/search.js`` does in the browser.

Used by the tests (split results must equal the unsplit lunr index) and by
the benchmark (which files, how many bytes a query reads).  The steps, in
both languages:

1. parse the query with lunr's QueryParser and run each clause's term through
   the search pipeline, exactly as ``Index.query`` will;
2. find the terms each clause can match: an exact term lives in one shard
   (binary search on the shard boundaries); ``secur*`` in the shards
   covering that prefix; fuzzy and leading-wildcard terms are expanded on the
   whole vocabulary (``vocab.js``) with lunr's TokenSet;
3. build a lunr Index holding just those terms: their postings, and for each
   article field they occur in, the vector entries of those terms, scored
   from the stored term frequencies and field lengths with lunr's expression
   (``builder.score``) and numbered in lunr's term order (first document,
   position in it);
4. let lunr's ``Index.search`` parse, expand and score again.

Step 4 gives the unsplit index's result because every clause's expansion is
inside the loaded terms, and lunr's cosine score ``q·d / |q|`` only reads the
document vector at the query's term indexes (added in the same order).
"""

from __future__ import annotations

import bisect
from pathlib import Path

from lunr.index import Index
from lunr.query import Query
from lunr.query_parser import QueryParser
from lunr.token_set import TokenSet
from lunr.vector import Vector

from microsite.search.builder import score
from microsite.search.payload import decode_numbers, js_order, read_script
from microsite.search.pipeline import SEARCH_LABELS, lunr_pipeline


class SplitIndex:
    """The payload in ``folder``, loaded lazily; ``files_read`` records what a browser would load."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files_read: list[Path] = []
        self.meta = self._read("meta.js")
        self.fields: list[str] = self.meta["fields"]
        self.pipeline = lunr_pipeline(SEARCH_LABELS)
        self._keys = [js_order(t) for t in self.meta["shards"]]
        self._shards: dict[int, dict[str, tuple[list, dict]]] = {}
        self._vocab: TokenSet | None = None

    @property
    def bytes_read(self) -> int:
        """Total size of the files loaded so far."""
        return sum(p.stat().st_size for p in self.files_read)

    def _read(self, rel: str):
        path = self.folder / rel
        self.files_read.append(path)
        return read_script(path)

    def shard_of(self, term: str) -> int:
        """Number of the shard whose term range holds ``term``."""
        return max(0, bisect.bisect_right(self._keys, js_order(term)) - 1)

    def _shard(self, k: int) -> dict[str, list]:
        if k not in self._shards:
            table, *entries = self._read(f"t/{k}.js")
            idf = dict(zip(table[0::2], table[1::2], strict=True))
            self._shards[k] = {entry[0]: (entry, idf) for entry in entries}
        return self._shards[k]

    def _expand(self, clause, term: str) -> set[str]:
        """The index terms ``term`` of ``clause`` can match (loading the shards that hold them)."""
        star = term.find("*")
        if not self._keys:  # no articles, no shards
            return set()
        if clause.edit_distance == 0 and star == -1:
            return {term} if term in self._shard(self.shard_of(term)) else set()
        pattern = TokenSet.from_clause(clause)
        if clause.edit_distance == 0 and star > 0:
            prefix = term[:star]
            words: list[str] = []
            for k in range(self.shard_of(prefix), self.shard_of(prefix + "\uffff") + 1):
                words += [w for w in self._shard(k) if w.startswith(prefix)]
            return set(TokenSet.from_list(sorted(words)).intersect(pattern).to_list())
        if self._vocab is None:
            self._vocab = TokenSet.from_list(sorted(self._read("vocab.js")))
        found = set(self._vocab.intersect(pattern).to_list())
        for word in found:
            self._shard(self.shard_of(word))
        return found

    def terms_for(self, query_string: str) -> tuple[set[str], bool]:
        """(terms the query can match, whether it is negated); lunr.QueryParseError on bad syntax."""
        query = Query(self.fields)
        QueryParser(query_string, query).parse()
        found: set[str] = set()
        for clause in query.clauses:
            terms = self.pipeline.run_string(clause.term) if clause.use_pipeline else [clause.term]
            for term in terms:
                clause.term = term
                found |= self._expand(clause, term)
        return found, query.is_negated()

    def index_for(self, terms: set[str], negated: bool = False) -> Index:
        """A lunr Index with ``terms``' postings and the field-vector entries they touch."""
        nfields = len(self.fields)
        inverted: dict[str, dict] = {}
        entries: dict[str, list[tuple[int, float]]] = {}
        if negated:  # lunr then matches every field of every article (all scored 0)
            for n in range(self.meta["count"]):
                for name in self.fields:
                    entries[f"{name}/{n}"] = []
        averages = self.meta["averages"]
        lengths = [decode_numbers(column) for column in self.meta["docs"]["lengths"]]
        boosts, base = self.meta["boosts"], self.meta["positions"]
        for term in sorted(terms):
            entry, idf_of = self._shard(self.shard_of(term))[term]
            postings = [decode_numbers(text) for text in entry[2:]]
            first = min((p[0], f) for f, p in enumerate(postings) if p)  # (document, field) lunr met it in
            tid = (first[0] * nfields + first[1]) * base + entry[1]  # lunr's term order
            term_idf = idf_of[sum(len(p) // 2 for p in postings)]
            posting: dict = {"_index": tid}
            for f in range(nfields):
                name, flat, doc = self.fields[f], postings[f], 0
                posting[name] = {}
                for i in range(0, len(flat), 2):
                    doc += flat[i]
                    posting[name][str(doc)] = {}
                    value = score(term_idf, flat[i + 1], lengths[f][doc], averages[f], boosts[f])
                    entries.setdefault(f"{name}/{doc}", []).append((tid, value))
            inverted[term] = posting
        vectors = {}
        for ref, pairs in entries.items():
            pairs.sort()
            vectors[ref] = Vector([x for pair in pairs for x in pair])
        return Index(
            inverted_index=inverted,
            field_vectors=vectors,
            token_set=TokenSet.from_list(sorted(terms)),
            fields=self.fields,
            pipeline=self.pipeline,
        )

    def search(self, query_string: str) -> list[dict]:
        """lunr results (``ref``, ``score``, ``match_data``), as the unsplit index would give them."""
        terms, negated = self.terms_for(query_string)
        return self.index_for(terms, negated).search(query_string)
