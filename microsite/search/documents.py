"""What the search index is made of: one plain-text record per article.

Pelican hands us rendered (already sanitised) HTML; search wants words.  The
text is normalised once here (every kind of space becomes " ") so that
lunr.py, Python and lunr.js tokenizers, which disagree on what a space is,
all split it the same way, and so that the text shown in snippets is the
text that was indexed.
"""

from __future__ import annotations

import hashlib
import html as _html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from microsite.search.pipeline import normalise_space

_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "td", "th", "tr", "ul",
}
_SKIP = {"script", "style", "template", "noscript"}
_ATTRIBUTES = r"""(?:[^>"']|"[^"]*"|'[^']*')*"""
_BLOCK_TAG = re.compile(
    r"</?(?:" + "|".join(sorted(_BLOCKS, key=len, reverse=True)) + r")(?=[\s/>])" + _ATTRIBUTES + ">", re.I)
_ANY_TAG = re.compile(r"</?[A-Za-z][^\s/>]*" + _ATTRIBUTES + ">")
# What the sanitiser never writes: comments, doctypes, processing instructions, dropped
# elements, entities other than its own.
_NEEDS_PARSER = re.compile(r"<(?:[!?]|/?(?:script|style|template|noscript)\b)", re.I)
_ENTITIES = ("&amp;", "&lt;", "&gt;", "&quot;", "&nbsp;")
_SAFE_URL = re.compile(r"^(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)(?!.*(?:^|/)\.\.(?:/|$))[^\s\"'<>\\]+$")
_SURROGATES = re.compile("[\ud800-\udfff]")
# What ``clean_text`` would change: a space other than " ", two spaces, a space at either end, a BOM, a surrogate.
_UNCLEAN = re.compile("[^\\S ]|  |^ | $|[\ufeff\ud800-\udfff]")


@dataclass
class SearchDocument:
    """An article as search sees it.  ``url`` is relative to the site root.

    ``body`` may be left ``None`` with a ``loader`` that returns the (clean)
    text and the ``digest`` of that text: an incremental build then knows the
    article is unchanged without extracting its text (see ``payload``).
    """

    url: str
    title: str
    body: str | None = ""
    summary: str = ""
    source: str = ""
    tags: list[str] = field(default_factory=list)
    lang: str = ""
    date: str = ""  # ISO date (YYYY-MM-DD), "" when unknown
    date_text: str = ""  # the date as the site prints it
    tag_urls: list[str] = field(default_factory=list)  # tag pages, parallel to ``tags`` ("" when none)
    digest: bytes = field(default=b"", repr=False, compare=False)  # of the body text (``body_digest``)
    loader: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    # (index print, document print) when known (a document kept from the last build)
    prints: tuple[bytes, bytes] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("title", "summary", "source", "lang", "date", "date_text"):
            setattr(self, name, clean_text(getattr(self, name)))
        if self.body is not None:  # the digest is then that of this text
            self.body = clean_text(self.body)
            self.digest = b""
        urls = [u if is_safe_url(u) else "" for u in self.tag_urls] + [""] * len(self.tags)
        pairs = [(clean_text(t), u) for t, u in zip(self.tags, urls, strict=False)]
        self.tags = [t for t, _ in pairs if t]
        self.tag_urls = [u for t, u in pairs if t]
        self.lang = self.lang.lower()

    def text(self) -> str:
        """The body text (loaded on first use when it was left out)."""
        if self.body is None:
            self.body = self.loader() if self.loader is not None else ""
        return self.body

    def body_digest(self) -> bytes:
        """Digest of the body text: equal digests, equal texts."""
        if not self.digest:
            self.digest = body_digest(self.text())
        return self.digest

    def fields(self) -> dict[str, str]:
        """The indexed fields as lunr sees them (tags joined: "climate-policy" is two words to lunr)."""
        return {
            "title": self.title,
            "tags": " ".join(self.tags),
            "source": self.source,
            "summary": self.summary,
            "body": self.text(),
        }

    def values(self, names: Sequence[str]) -> list[str]:
        """The texts of fields ``names``, in that order."""
        fields = self.fields()
        return [fields[name] for name in names]

    def index_print(self) -> bytes:
        """Digest of what the document's index terms depend on (the body by its digest)."""
        if self.prints is None:
            self.prints = self._prints()
        return self.prints[0]

    def doc_print(self) -> bytes:
        """Digest of what the document's display file depends on."""
        if self.prints is None:
            self.prints = self._prints()
        return self.prints[1]

    def _prints(self) -> tuple[bytes, bytes]:
        terms = (self.title, tuple(self.tags), self.source, self.summary, self.body_digest())
        shown = (self.url, self.date, self.date_text, tuple(self.tag_urls), self.lang)
        index = _print(terms)
        return index, _print((index, shown))

    def kept(self) -> tuple:
        """What ``restored`` needs to make this document again without cleaning its fields."""
        return (self.url, self.title, self.summary, self.source, self.tags, self.lang, self.date,
                self.date_text, self.tag_urls, self.body_digest(), (self.index_print(), self.doc_print()))

    @classmethod
    def restored(cls, kept: tuple, loader: Callable[[], str] | None) -> SearchDocument:
        """The document ``kept`` describes (its fields are clean already), its body left to ``loader``."""
        doc = cls.__new__(cls)
        (doc.url, doc.title, doc.summary, doc.source, doc.tags, doc.lang, doc.date, doc.date_text,
         doc.tag_urls, doc.digest, doc.prints) = kept
        doc.body, doc.loader = None, loader
        return doc


def _print(value: tuple) -> bytes:
    return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def body_digest(text: str) -> bytes:
    """A 16-byte BLAKE2b digest of a body text."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def clean_text(value: object) -> str:
    """A single-line string: spaces normalised, no lone surrogates (they cannot be written as UTF-8)."""
    text = value if type(value) is str else str(value or "")
    if not _UNCLEAN.search(text):  # most metadata is clean already
        return text
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

    Article HTML is the sanitiser's output (``normalise.sanitize``: html5ever
    serialised it, so tags are balanced, attribute values quoted, text holds
    no raw "<" and only the entities it writes): for such HTML, dropping the
    tags (a space for a block element's) and decoding those entities is
    exact, and three times faster than parsing.  Anything else (comments,
    scripts, other entities, a stray "<") goes through lxml, as every
    fragment used to.
    """
    if not html or not html.strip():
        return ""
    if not needs_parser(html):
        text = _ANY_TAG.sub("", _BLOCK_TAG.sub(" ", html))
        if "<" not in text:
            return clean_text(_html.unescape(text))
    return parsed_text(html)


def needs_parser(html: str) -> bool:
    """Whether ``html`` holds markup the sanitiser never writes (then only a parser reads it right)."""
    return bool(_NEEDS_PARSER.search(html)) or html.count("&") != sum(map(html.count, _ENTITIES))


def parsed_text(html: str) -> str:
    """``html_to_text`` by parsing with lxml (any HTML).

    lxml, not html.parser: at 10,000 articles the pure-Python parser alone
    would take a fifth of the index build budget.
    """
    if not html or not html.strip():
        return ""
    import lxml.html  # (most texts never need it)

    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for el in list(root.iter(*_SKIP)):
        el.drop_tree()
    for el in root.iter(*_BLOCKS):
        el.text = " " + (el.text or "")
        el.tail = " " + (el.tail or "")
    return clean_text(root.text_content())
