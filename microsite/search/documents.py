"""What the search index is made of: one plain-text record per article.

Pelican hands us rendered (already sanitised) HTML; search wants words.  The
text is normalised once here (every kind of space becomes " ") so that
lunr.py, Python and lunr.js tokenizers, which disagree on what a space is,
all split it the same way, and so that the text shown in snippets is the
text that was indexed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html

from microsite.search.pipeline import normalise_space

_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul",
}
_SKIP = {"script", "style", "template", "noscript"}
_SAFE_URL = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)(?!.*(?:^|/)\.\.(?:/|$))[^\s\"'<>\\]+$")
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass
class SearchDocument:
    """An article as search sees it.  ``url`` is relative to the site root."""

    url: str
    title: str
    body: str = ""
    summary: str = ""
    source: str = ""
    tags: list[str] = field(default_factory=list)
    lang: str = ""
    date: str = ""  # ISO date (YYYY-MM-DD), "" when unknown
    date_text: str = ""  # the date as the site prints it
    tag_urls: list[str] = field(default_factory=list)  # tag pages, parallel to ``tags`` ("" when none)

    def __post_init__(self) -> None:
        for name in ("title", "body", "summary", "source", "lang", "date", "date_text"):
            setattr(self, name, clean_text(getattr(self, name)))
        urls = [u if is_safe_url(u) else "" for u in self.tag_urls] + [""] * len(self.tags)
        pairs = [(clean_text(t), u) for t, u in zip(self.tags, urls, strict=False)]
        self.tags = [t for t, _ in pairs if t]
        self.tag_urls = [u for t, u in pairs if t]
        self.lang = self.lang.lower()

    def fields(self) -> dict[str, str]:
        """The indexed fields as lunr sees them (tags joined: "climate-policy" is two words to lunr)."""
        return {
            "title": self.title,
            "tags": " ".join(self.tags),
            "source": self.source,
            "summary": self.summary,
            "body": self.body,
        }


def clean_text(value: object) -> str:
    """A single-line string: spaces normalised, no lone surrogates (they cannot be written as UTF-8)."""
    text = str(value or "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = _SURROGATES.sub("", text)
    return normalise_space(text)


def is_safe_url(url: str) -> bool:
    """A plain relative path (no scheme, no leading slash, no ".."): the only links search will print."""
    return bool(_SAFE_URL.match(url))


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, block elements separated by spaces.

    lxml, not html.parser: at 10,000 articles the pure-Python parser alone
    would take a fifth of the index build budget.
    """
    if not html or not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for el in list(root.iter(*_SKIP)):
        el.drop_tree()
    for el in root.iter(*_BLOCKS):
        el.text = " " + (el.text or "")
        el.tail = " " + (el.tail or "")
    return clean_text(root.text_content())
