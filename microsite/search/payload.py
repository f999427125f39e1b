"""Write the index as many small ``<script>`` files the browser loads on demand.

Why split: one lunr index of 10,000 articles is ~100 MB of JSON; Chromium
needs seconds and hundreds of MB to open it, and from ``file://`` nothing can
be fetched, only ``<script src>`` loaded.  So the payload is:

``search/meta.js``
    always loaded: fields, shard boundaries, and per article only what
    filters need (tag, source, language and date ids).  ~30 bytes an article.
``search/t/<k>.js``
    the inverted index cut into shards of consecutive terms (by JavaScript
    string order), each ~``SHARD_BYTES``.  For every term: its lunr
    ``_index`` and, per field, the articles holding it with their lunr
    field-vector score.  A query loads the shards of its terms only.
``search/d/<n>.js``
    one article for display: title, URL, date, source, tags and the text
    the snippet is cut from.  Loaded for the results on screen only.
``search/vocab.js``
    every term, loaded only for fuzzy (``~1``) and leading-wildcard queries,
    whose terms cannot be found by prefix.

The browser rebuilds, from the shards it loaded, a lunr.Index holding the
query's terms with their postings and, for each matching article field, the
vector entries of those terms.  lunr's own ``Index.query`` then scores it;
cosine similarity only reads the entries of the query's terms, so scores are
those of the unsplit index (see ``split.py`` and the tests).

Every file is ``JSON.parse('…')`` in a script (2-3x faster to open than an
object literal) assigning into the global ``__micrositeSearch``.  File names
are numbers: no scraped string decides a path.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from microsite.search.builder import BuiltIndex
from microsite.search.documents import SearchDocument
from microsite.search.pipeline import INDEX_LABELS, SEARCH_LABELS

GLOBAL = "__micrositeSearch"
SHARD_BYTES = 96_000
LUNR_VERSION = "2.3.9"


@dataclass
class PayloadStats:
    """What was written, for logs and the benchmark."""

    files: int
    bytes: int
    largest_file: int
    shards: int
    terms: int


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


def _postings(flat: list[int]) -> str:
    """JSON ``[gap, score, gap, score, ...]`` from ``[doc, score, ...]``: document numbers as gaps (shorter).

    Written by hand rather than by ``json.dumps``: these lists are most of the
    payload, and this is several times faster on integers.
    """
    out = flat[:]
    out[0::2] = [doc - previous for previous, doc in itertools.pairwise([0, *flat[0::2]])]
    return "[" + ",".join(map(str, out)) + "]"


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


def write_payload(
    index: BuiltIndex, documents: Sequence[SearchDocument], folder: Path, shard_bytes: int = SHARD_BYTES
) -> PayloadStats:
    """Write ``meta.js``, term shards, document files and ``vocab.js`` into ``folder`` (replacing old ones)."""
    for sub in ("t", "d"):
        shutil.rmtree(folder / sub, ignore_errors=True)
        (folder / sub).mkdir(parents=True)
    sizes: list[int] = []
    # Thousands of small files: writing them from a few threads overlaps the file system's
    # latency with the serialising (file I/O releases the GIL).
    writer = ThreadPoolExecutor(max_workers=4)
    pending: list[Future] = []

    def write(rel: str, key: str, data: object = None, json_text: str = "") -> None:
        body = (script_from_json(key, json_text) if json_text else script(key, data)).encode("utf-8")
        pending.append(writer.submit((folder / rel).write_bytes, body))
        sizes.append(len(body))

    def write_shard(entries: list[str]) -> None:
        k = len(boundaries) - 1
        write(f"t/{k}.js", f"t{k}", json_text="[" + ",".join(entries) + "]")

    order = sorted(range(len(index.terms)), key=lambda t: js_order(index.terms[t]))
    boundaries: list[str] = []
    shard: list[str] = []
    shard_size = 0
    nfields = len(index.fields)
    for tid in order:
        term = index.terms[tid]
        entry = "[" + ",".join(
            [json.dumps(term, ensure_ascii=False), str(tid)]
            + [_postings(index.postings[tid * nfields + f]) for f in range(nfields)]
        ) + "]"
        if shard and shard_size + len(entry) > shard_bytes:
            write_shard(shard)
            shard, shard_size = [], 0
        if not shard:
            boundaries.append(term)
        shard.append(entry)
        shard_size += len(entry)
    if shard:
        write_shard(shard)

    for n, doc in enumerate(documents):
        write(f"d/{n}.js", f"d{n}", {
            "title": doc.title, "url": doc.url, "date": doc.date, "dateText": doc.date_text,
            "source": doc.source, "tags": doc.tags, "tagUrls": doc.tag_urls, "lang": doc.lang,
            "text": doc.body or doc.summary,  # what the snippet is cut from
        })
    write("vocab.js", "vocab", [index.terms[t] for t in order])

    values, columns = _facets(documents)
    meta = {
        "version": LUNR_VERSION,
        "fields": list(index.fields),
        "indexPipeline": list(INDEX_LABELS),
        "searchPipeline": list(SEARCH_LABELS),
        "count": index.document_count,
        "shards": boundaries,
        "values": values,
        "docs": columns,
    }
    write("meta.js", "meta", meta)
    writer.shutdown(wait=True)
    for job in pending:
        job.result()  # raise the first write error, if any
    return PayloadStats(
        files=len(sizes), bytes=sum(sizes), largest_file=max(sizes), shards=len(boundaries), terms=len(index.terms)
    )
