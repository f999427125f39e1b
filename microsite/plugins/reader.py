"""Pelican reader for our Markdown files: YAML front matter, sanitised HTML.

Replaces Pelican's Markdown reader for ``.md``.  Front matter is parsed with
libyaml's safe loader (YAML tags such as ``!!python/object`` are refused),
values go through Pelican's own metadata processors, keys that decide where a
file is written are only honoured when they are plain relative ``.html``
paths, and the rendered body is sanitised (see ``normalise.sanitize``) so that
nothing in ``content/`` can put a script on the site.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import ClassVar

from markdown import Markdown
from pelican import signals
from pelican.readers import MarkdownReader
from pelican.utils import pelican_open

from microsite.normalise.sanitize import clean_html, plain_text
from microsite.plugins import markdown_fast
from microsite.write import frontmatter
from microsite.write.paths import slugify

logger = logging.getLogger(__name__)

PATH_KEYS = {"save_as", "url", "template", "override_save_as"}
_SAFE_PATH = re.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,150}\.html$")
_LINK_KEYS = {"source_url", "canonical_url"}
_STATUSES = {"published", "draft", "hidden"}
_LANG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,150}")
# Values templates print as text: whatever YAML made of them (a number, a list), they become a string.
_TEXT_KEYS = {"title", "summary", "category", "slug", "source", "description", "dateline", "author"}


class FrontMatterReader(MarkdownReader):
    """Markdown with YAML front matter (the import's contract), rendered safely."""

    file_extensions: ClassVar[list[str]] = ["md", "markdown", "mkd", "mdown"]

    def read(self, source_path: str):
        with pelican_open(source_path) as text:
            try:
                raw, body = frontmatter.load(text)
            except frontmatter.FrontMatterError as exc:
                if "no YAML front matter" not in str(exc):
                    logger.warning("%s: %s; rendered without metadata", source_path, exc)
                    raw, body = {"title": Path(source_path).stem}, frontmatter.split(text)[1]
                else:
                    raw, body = {}, text
        content = clean_html(self._render(body))
        # Files the import wrote hold scraped metadata: they never choose where they are written.
        imported = bool(raw.get("source_file"))
        metadata = {}
        for key, value in raw.items():
            key = str(key).lower()
            if value is None or value == "" or value == []:
                continue
            if not self._allowed(key, value, source_path, imported):
                continue
            try:
                metadata[key] = self._process(key, value)
            except (ValueError, TypeError, OverflowError) as exc:
                logger.warning("%s: ignored %s %r (%s)", source_path, key, value, exc)
        return content, metadata

    def _render(self, body: str) -> str:
        if not hasattr(self, "_markdown"):
            settings = dict(self.settings["MARKDOWN"])
            settings["extensions"] = [e for e in settings.get("extensions", []) if e != "markdown.extensions.meta"]
            self._markdown = Markdown(**settings)
            # Plain bodies (nearly all imported ones) take the fast path, which gives Python-Markdown's
            # exact HTML for these settings; anything else is converted by Python-Markdown itself.
            self._fast = markdown_fast.supports(settings)
        if self._fast:
            html = markdown_fast.render(body)
            if html is not None:
                return html
        return self._markdown.reset().convert(body)

    def _allowed(self, key: str, value: object, source_path: str, imported: bool = False) -> bool:
        if key in PATH_KEYS or key.endswith("_save_as") or (key.endswith("_url") and key not in _LINK_KEYS):
            if isinstance(value, str) and _SAFE_PATH.match(value) and key != "template" and not imported:
                return True
            logger.warning("%s: ignored %s %r (only plain relative .html paths, in hand-written files)", source_path, key, value)
            return False
        if key == "status" and str(value).strip().lower() not in _STATUSES:
            logger.warning("%s: ignored unknown status %r", source_path, value)
            return False
        if key == "lang" and not (isinstance(value, str) and _LANG.fullmatch(value.strip())):
            logger.warning("%s: ignored lang %r (not a language code)", source_path, value)
            return False
        if key == "slug" and not (isinstance(value, (str, int)) and _SLUG.fullmatch(str(value))):
            logger.warning("%s: slug %r is not a plain slug; using %r", source_path, value, slugify(str(value)))
        return True

    def _process(self, key: str, value: object) -> object:
        if key in {"date", "modified", "accessed"}:
            value = value.isoformat() if hasattr(value, "isoformat") else str(value)
            if key == "accessed":
                return value
        if key in {"tags", "authors"} and isinstance(value, str):
            value = [value]
        if key in {"tags", "authors"} and isinstance(value, list):
            value = [str(v).strip() for v in value if str(v).strip()]
        elif key in {"summary", "description"}:
            # Plain text by contract (FORMATTED_FIELDS is empty), yet feeds carry summaries as type="html":
            # markup in them is removed here; other text is escaped where it is printed.
            value = plain_text(value)
        elif key in _TEXT_KEYS and not isinstance(value, str):
            value = str(value)
        if key == "slug" and not _SLUG.fullmatch(value):
            value = slugify(value)
        if key == "lang":
            value = value.strip().lower()
        return self.process_metadata(key, value)


def add_reader(readers) -> None:
    """Route Markdown files to our reader; no raw-HTML reader for content."""
    for ext in FrontMatterReader.file_extensions:
        readers.reader_classes[ext] = FrontMatterReader
    for ext in ("html", "htm"):
        readers.reader_classes.pop(ext, None)


def register() -> None:
    """Pelican plugin entry point."""
    signals.readers_init.connect(add_reader)
