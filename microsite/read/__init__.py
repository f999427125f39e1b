"""Readers, one module per input format, chosen by file suffix.

A reader is a plain function ``read(data: bytes, source_file: str)`` that
returns a list of Articles; a record it cannot read comes back as an
ImportProblem in that list (the rest of the file still imports), and a file
it cannot read at all raises ImportProblem.  Modules are imported lazily so a
format's dependencies load only when such a file is met.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import PurePath

from microsite.errors import ImportProblem
from microsite.model import Article

Reader = Callable[[bytes, str], list["Article | ImportProblem"]]

# Longest suffix first wins (".warc.gz" before ".gz").
READERS: dict[str, str] = {
    ".txt": "microsite.read.text",
    ".text": "microsite.read.text",
    ".html": "microsite.read.html",
    ".htm": "microsite.read.html",
    ".xhtml": "microsite.read.html",
    ".json": "microsite.read.scraper_json",
    ".jsonl": "microsite.read.scraper_json",
    ".ndjson": "microsite.read.scraper_json",
    ".warc": "microsite.read.warc",
    ".warc.gz": "microsite.read.warc",
    ".mhtml": "microsite.read.mhtml",
    ".mht": "microsite.read.mhtml",
}


def suffix_of(path: str | PurePath) -> str:
    """The registered suffix ``path`` ends with ("" when none)."""
    name = PurePath(path).name.lower()
    return max((s for s in READERS if name.endswith(s)), key=len, default="")


def reader_for(path: str | PurePath) -> Reader | None:
    """The reader function for ``path``, or None when no reader takes it."""
    suffix = suffix_of(path)
    if not suffix:
        return None
    return importlib.import_module(READERS[suffix]).read
