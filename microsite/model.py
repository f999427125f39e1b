"""The one record that travels through the import pipeline.

Readers fill what their format knows, extractors and normalisers complete it,
and the writer turns it into front matter plus a Markdown body.  Keeping a
single typed record (rather than dicts of unknown shape) is what lets each
stage stay small and be tested on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class Article:
    """An article on its way from a scrape to a Markdown file.

    ``body`` is Markdown (already escaped: no raw HTML).  ``html`` is the raw
    main-content HTML a reader may hand over instead; the normalise stage turns
    it into ``body``.  Dates are timezone-aware when the offset is known,
    naive otherwise.
    """

    title: str = ""
    body: str = ""
    html: str = ""
    date: dt.datetime | None = None
    modified: dt.datetime | None = None
    accessed: dt.date | dt.datetime | None = None
    authors: list[str] = field(default_factory=list)
    category: str = ""
    tags: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    source: str = ""
    source_url: str = ""
    canonical_url: str = ""
    source_file: str = ""
    sha256: str = ""
    lang: str = ""
    summary: str = ""
    description: str = ""
    dateline: str = ""
    slug: str = ""
    also_scraped_as: list[dict[str, str]] = field(default_factory=list)
    # Where inside a multi-record file (JSONL line, WARC record) this came from.
    record: str = ""
    # Non-fatal remarks made while reading (e.g. "no date found").
    notes: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        """Human-readable origin for messages: file plus record when there is one."""
        return f"{self.source_file}#{self.record}" if self.record else self.source_file
