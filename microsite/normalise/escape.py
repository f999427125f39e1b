"""Turn plain text into Markdown that renders back to exactly that text.

Scraped text is data, not markup: a paragraph "1. Finland" must stay a
paragraph, ``<script>`` must stay visible text, ``[x](javascript:...)`` must
not become a link.  Both the text-scrape reader and the HTML converter use
these helpers, so the escaping policy lives in one place.
"""

from __future__ import annotations

import re

# Characters with inline meaning in Python-Markdown (+ "extra") and CommonMark.
_INLINE = re.compile(r"([\\`*_{}\[\]|~])")
# Block syntax that only matters at the start of a line.
_LINE_START = re.compile(
    r"^(?P<indent>\s*)(?P<mark>#{1,6}(?=\s|$)|[>:]|[-+*](?=\s)|\d{1,9}(?P<delim>[.)])(?=\s|$)|=+\s*$|-+\s*$)"
)


def escape_text(text: str) -> str:
    """Escape one line or paragraph of plain text for Markdown.

    ``&`` and ``<`` become entities (not backslash escapes) because
    Python-Markdown shows ``\\&`` literally, while entities render as the
    character in every Markdown engine.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE.sub(r"\\\1", text)
    return "\n".join(_escape_line_start(line) for line in text.split("\n"))


def _escape_line_start(line: str) -> str:
    m = _LINE_START.match(line)
    if not m:
        return line
    indent, mark = m.group("indent"), m.group("mark")
    rest = line[m.end() :]
    if m.group("delim"):  # "1. Finland" -> "1\. Finland"
        return f"{indent}{mark[:-1]}\\{mark[-1]}{rest}"
    return f"{indent}\\{mark}{rest}" if mark.strip() else line


def paragraphs_to_markdown(paragraphs: list[str]) -> str:
    """Join plain-text paragraphs into an escaped Markdown body."""
    out = []
    for para in paragraphs:
        lines = [ln.strip() for ln in para.splitlines() if ln.strip()]
        if lines:
            out.append(escape_text(" ".join(lines)))
    return "\n\n".join(out) + ("\n" if out else "")
