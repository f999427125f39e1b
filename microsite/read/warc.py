"""Web archives (``.warc``, ``.warc.gz``): every HTML response becomes an article.

``source_url`` is the record's ``WARC-Target-URI`` and ``accessed`` its
``WARC-Date`` (when the crawler fetched the page); the HTTP ``Content-Type``
charset is passed to the decoder.  Requests, metadata, DNS records, images,
scripts, redirects and error pages are skipped.  Records are numbered in
``source_record`` ("record 3": the third record of the file), so each page
keeps its own Markdown file across re-imports.
"""

from __future__ import annotations

import io
import re

from microsite.errors import ImportProblem
from microsite.extract.metadata import parse_datetime
from microsite.model import Article
from microsite.read.encoding import decode_html
from microsite.read.html import article_from_html

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Pages bigger than this in one record are not articles (and would stall the worker).
MAX_RECORD_BYTES = 32 * 1024 * 1024


def read(data: bytes, source_file: str) -> list[Article | ImportProblem]:
    """Read every HTML page in a WARC file (see the module docstring)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    out: list[Article | ImportProblem] = []
    n = 0
    try:
        for n, record in enumerate(ArchiveIterator(io.BytesIO(data), arc2warc=True), 1):
            item = _record(record, f"record {n}")
            if item is not None:
                out.append(item)
    except ArchiveLoadFailed as exc:
        if n == 0:
            raise ImportProblem(f"not a WARC file ({_first_line(exc)})") from None
        out.append(ImportProblem(f"archive damaged after this record ({_first_line(exc)})", record=f"record {n}"))
    except Exception as exc:  # warcio fails in many ways on cut-off or damaged input (AttributeError, zlib.error)
        if n == 0:
            raise ImportProblem(f"cannot read the archive ({type(exc).__name__})") from None
        out.append(ImportProblem("archive damaged or cut off after this record", record=f"record {n}"))
    if not out:
        raise ImportProblem("no HTML pages in the archive")
    return out


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]


def _record(record, where: str) -> Article | ImportProblem | None:
    """The article in one WARC record, a problem, or None when it holds no page."""
    if record.rec_type not in ("response", "resource"):
        return None
    headers = record.http_headers
    if headers is not None:
        status = headers.get_statuscode() or ""
        if not status.startswith("2"):
            return None
        content_type = headers.get_header("Content-Type") or ""
    else:
        content_type = record.rec_headers.get_header("Content-Type") or ""
    if content_type.lower().split(";")[0].strip() not in _HTML_TYPES:
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    url = url.strip("<> ")
    when = parse_datetime(record.rec_headers.get_header("WARC-Date") or "")
    charset = re.search(r"charset\s*=\s*[\"']?([\w:.\-]+)", content_type, re.IGNORECASE)
    try:
        body = record.content_stream().read(MAX_RECORD_BYTES + 1)
        if len(body) > MAX_RECORD_BYTES:
            raise ImportProblem(f"page larger than {MAX_RECORD_BYTES // 1_048_576} MB")
        if not body.strip():
            raise ImportProblem("empty page")
        html, _ = decode_html(body, charset.group(1) if charset else "")
        article = article_from_html(html, url if url.startswith(("http://", "https://")) else "",
                                    accessed=when.date() if when else None)
    except ImportProblem as problem:
        problem.record = where + (f" ({url})" if url else "")
        return problem
    article.record = where
    return article
