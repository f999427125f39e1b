"""A plain-text summary for listings, feeds and search excerpts."""

from __future__ import annotations

import re

_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~>:])")
_LINK = re.compile(r"(?<!\\)!?\[((?:\\.|[^\]\\])*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"'}


def markdown_to_text(markdown: str) -> str:
    """Rough plain text of our own (escaped, link-light) Markdown."""
    # Real links only: "\[click\](x)" is escaped text and stays as written.
    text = _LINK.sub(r"\1", markdown)
    text = re.sub(r"^\s{0,3}(?:#{1,6}|>|[-*+]|\d+\.)\s+", "", text, flags=re.M)
    text = re.sub(r"(?<!\\)(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=[^\s\\])\1", r"\2", text)
    text = _MD_ESCAPE.sub(r"\1", text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return text


def summarise(markdown: str, limit: int = 300) -> str:
    """The opening of the article, cut at a sentence or word boundary."""
    text = " ".join(markdown_to_text(markdown).split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    sentence_end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if sentence_end > limit * 0.5:
        return cut[: sentence_end + 1]
    return cut.rsplit(" ", 1)[0].rstrip(",;:") + "…"
