"""Article HTML to Markdown: our markdownify converter, with the escaping policy of ``escape.py``.

The Markdown we write is read by Python-Markdown (Pelican, with ``extra``)
and by any CommonMark tool, so it has to mean the same to both and never
carry live HTML:

* text is escaped by ``escape.escape_text``: ``<`` and ``&`` become entities,
  Markdown punctuation is backslash-escaped, and a paragraph "1. Finland"
  stays a paragraph (only real ``<ol>``/``<ul>`` make lists);
* links and images are made absolute against the page's URL; anything but
  http(s)/mailto (``javascript:``, ``data:``, a relative link with no page
  URL to resolve it against) keeps its text and loses the link;
* list items are indented four columns, which both dialects read as nesting;
* layout tables (one column, or cells holding paragraphs and lists) are
  unwrapped into their blocks; data tables become GFM tables;
* deep nesting is flattened first (``extract.htmlparse``) (markdownify
  recurses per element), and anything that still goes wrong falls back to
  the plain text paragraphs, so conversion never raises.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import lxml.etree as etree
import lxml.html
from bs4 import BeautifulSoup
from markdownify import ATX, MarkdownConverter

from microsite.extract.htmlparse import parse_fragment, strip_controls
from microsite.normalise.escape import escape_text, paragraphs_to_markdown

_SAFE_SCHEMES = {"http", "https", "mailto"}
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "form",
         "button", "input", "select", "textarea", "head", "title", "meta", "link", "base")
_LAZY_SRC = ("data-src", "data-original", "data-lazy-src", "data-url", "data-hi-res-src", "data-full-src", "src")
_BLOCK_IN_CELL = ("p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre", "figure")


def safe_href(href: str | None, base_url: str) -> str:
    """An absolute http(s)/mailto URL for ``href`` written so Markdown cannot misread it, or ""."""
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return ""
    href = "".join(ch for ch in href if ch >= " ")  # control characters hide schemes ("java\nscript:")
    try:
        full = urljoin(base_url, href) if base_url else href
        parts = urlsplit(full)
    except ValueError:
        return ""
    if parts.scheme.lower() not in _SAFE_SCHEMES or (parts.scheme.lower() != "mailto" and not parts.netloc):
        return ""
    # Characters that would end or confuse a Markdown link destination are percent-encoded.
    return quote(full, safe="/:?#[]@!$&'*+,;=%~-._")


class ArticleConverter(MarkdownConverter):
    """markdownify with our escaping, URL policy, figures, layout tables and list indentation."""

    class Options(MarkdownConverter.DefaultOptions):
        heading_style = ATX
        bullets = "-"
        escape_asterisks = False  # escape_text does it, with the rest of the punctuation
        escape_underscores = False
        escape_misc = False
        autolinks = False
        # Newlines in the page's source are layout, not text: collapse all white space (no re-wrapping).
        wrap = True
        wrap_width = None
        strip_document = "strip"
        base_url = ""
        bs4_options = "lxml"

    def escape(self, text: str, parent_tags: set[str]) -> str:
        return escape_text(text) if text else ""

    def convert_a(self, el, text, parent_tags):
        if "_noformat" in parent_tags:
            return text
        href = safe_href(el.get("href"), self.options["base_url"])
        stripped = text.strip()
        if not stripped:
            return ""
        if not href:
            return text
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        return f"{lead}[{stripped}]({href}){trail}"

    def convert_img(self, el, text, parent_tags):
        url = safe_href(el.get("src"), self.options["base_url"])  # resolved in _prepare
        alt = escape_text(" ".join((el.get("alt") or "").split()))
        if not url or url.startswith("mailto:"):
            return alt
        if "_inline" in parent_tags:
            return alt
        return f"![{alt}]({url})"

    def convert_figure(self, el, text, parent_tags):
        return f"\n\n{text.strip()}\n\n" if text.strip() else ""

    def convert_figcaption(self, el, text, parent_tags):
        caption = " ".join(text.split())
        return f"\n\n*{caption}*\n\n" if caption else ""

    def convert_hN(self, n, el, text, parent_tags):
        # The page's headline is the site's <h1>; headings inside the article start at <h2>.
        return super().convert_hN(min(6, max(2, n)), el, text, parent_tags)

    def convert_li(self, el, text, parent_tags):
        text = (text or "").strip()
        if not text:
            return "\n"
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = parent.get("start")
            first = int(start) if start and str(start).isdigit() and len(str(start)) < 9 else 1
            bullet = f"{first + len(el.find_previous_siblings('li'))}."
        else:
            bullet = "-"
        bullet = bullet.ljust(3) + " "
        lines = text.split("\n")
        body = "\n".join([lines[0], *[("    " + ln) if ln.strip() else "" for ln in lines[1:]]])
        return f"{bullet}{body}\n"

    def convert_pre(self, el, text, parent_tags):
        if not text.strip():
            return ""
        longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"\n\n{fence}\n{text.strip(chr(10))}\n{fence}\n\n"

    def convert_code(self, el, text, parent_tags):
        if "pre" in parent_tags:
            return text
        if not text.strip():
            return ""
        longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
        ticks = "`" * (longest + 1)
        pad = " " if text.startswith("`") or text.endswith("`") else ""
        return f"{ticks}{pad}{' '.join(text.split())}{pad}{ticks}"

    convert_kbd = convert_code
    convert_samp = convert_code

    def convert_br(self, el, text, parent_tags):
        if "_inline" in parent_tags:
            return " "
        return "  \n"


def _prepare(html: str, base_url: str) -> str:
    """Parse, drop what never renders, resolve URLs, flatten deep nesting and unwrap layout tables.

    URLs are resolved here, on lxml's attribute values, because lxml's
    serialiser percent-encodes control characters in them ("java&#10;script:"
    would otherwise come back as a harmless-looking relative URL).
    """
    root = parse_fragment(html)
    etree.strip_elements(root, *_DROP, with_tail=False)
    for a in root.iter("a"):
        url = safe_href(a.get("href"), base_url)
        a.attrib.pop("href", None)
        if url:
            a.set("href", url)
    for img in root.iter("img"):
        src = next((v for v in (img.get(k) for k in _LAZY_SRC) if v and not v.startswith("data:")), "")
        if not src and img.get("srcset"):
            src = img.get("srcset").split(",")[0].strip().split(" ")[0]
        for attr in (*_LAZY_SRC, "srcset"):
            img.attrib.pop(attr, None)
        url = safe_href(src, base_url)
        if url and not url.startswith("mailto:"):
            img.set("src", url)
    for figure in root.iter("figure"):
        caption = _letters(" ".join(c.text_content() for c in figure.iter("figcaption")))
        for img in figure.iter("img"):
            alt = _letters(img.get("alt") or "")
            if caption and alt and (alt in caption or caption in alt):
                img.set("alt", "")  # the caption under it says the same: read once, not twice
    for table in list(root.iter("table")):
        if _is_layout_table(table):
            for el in table.iter("table", "tbody", "thead", "tfoot", "tr", "td", "th"):
                if el is table or el.getparent() is not None:
                    el.tag = "div"
    return lxml.html.tostring(root, encoding="unicode")


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _is_layout_table(table) -> bool:
    rows = table.xpath("./tr|./*/tr")
    if not rows:
        return True
    widths = [len(r.xpath("./td|./th")) for r in rows]
    if max(widths, default=0) <= 1:
        return True
    return any(el.tag in _BLOCK_IN_CELL for cell in table.xpath(".//td|.//th") for el in cell.iterdescendants())


def _tidy(markdown: str) -> str:
    lines = [ln.rstrip() if not ln.endswith("  ") or not ln.strip() else ln for ln in markdown.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return text + "\n" if text else ""


def _plain_text(html: str) -> str:
    """Fallback: the text of each block as an escaped paragraph."""
    text = re.sub(r"<(?:p|div|br|li|h\d|tr|blockquote|section|article)\b[^>]*>", "\n", html, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]*>", " ", text)
    import html as html_lib

    paragraphs = [" ".join(p.split()) for p in html_lib.unescape(text).split("\n")]
    return paragraphs_to_markdown([p for p in paragraphs if p])


def html_to_markdown(html: str, base_url: str = "") -> str:
    """Markdown for an article's HTML (see the module docstring); never raises on bad markup."""
    if not html or not html.strip():
        return ""
    html = strip_controls(html)
    try:
        prepared = _prepare(html, base_url)
        soup = BeautifulSoup(prepared, "lxml")
        return _tidy(ArticleConverter(base_url=base_url).convert_soup(soup))
    except (RecursionError, etree.ParserError, ValueError):
        return _plain_text(html)
