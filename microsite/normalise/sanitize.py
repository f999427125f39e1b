"""The one HTML sanitiser every input and every rendered article passes through (nh3, i.e. ammonia).

Three doors, one policy:

* ``clean_fragment``: HTML a reader hands over (``Article.html``) before it
  becomes Markdown.  Scripts, styles, frames, embedded objects, forms and
  SVG/MathML go *with their content*; unknown tags go but keep their text;
  attributes shrink to what a Markdown converter uses.
* ``plain_text``: every scraped metadata string (title, authors, source,
  tags, summary...).  These are plain text by contract, so markup in them is
  removed, entities decoded, control characters and mojibake repaired.
* ``clean_html``: the HTML Pelican renders from *any* file in ``content/``
  (our import, a hand-written file, another tool): only the tags Markdown
  produces and only http(s)/mailto/relative links survive.

Whatever the door, no ``<script>``, event handler, ``javascript:``/``data:``
URL, iframe/object/embed, style, meta refresh or CSS expression gets through.
A real HTML parser (html5ever inside nh3) decides, never a regex.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}
ATTRIBUTES = {
    "*": {"id", "title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start", "type"},
    "time": {"datetime"},
    "abbr": {"title"},
    "div": {"class"},
    "sup": {"class"},
    "li": {"class"},
    "code": {"class"},
    "span": {"class"},
}
SCHEMES = {"http", "https", "mailto"}

# Tags removed together with everything inside them: their content is code,
# a fallback for a plug-in, a form control or a drawing, never article text.
DROP_WITH_CONTENT = {
    "script", "style", "template", "noscript", "iframe", "frame", "frameset", "noframes", "object",
    "embed", "applet", "svg", "math", "select", "textarea", "button", "head", "title",
}
# Structure a converter may use (headings inside <section>, captions in <figure>).
FRAGMENT_TAGS = TAGS | {
    "article", "section", "header", "footer", "main", "aside", "address", "center", "font", "big",
    "tt", "strike", "var", "samp", "dfn", "picture", "colgroup", "col", "wbr",
}
FRAGMENT_ATTRIBUTES = {
    **ATTRIBUTES,
    "*": {"id", "title", "lang", "dir", "class"},
    "img": {"src", "alt", "width", "height", "data-src", "srcset", "data-srcset"},
    "time": {"datetime"},
    "blockquote": {"cite"},
    "q": {"cite"},
}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\ufeff\ufffe\uffff]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# A whole tag or comment (not a lone "<", as in "x<y"), and character references.
_TAG = re.compile(r"<(?:[A-Za-z][\w:-]*(?:[\s/][^<>]*)?|/[A-Za-z][\w:-]*\s*|!--.*?--|!\[CDATA\[.*?\]\])>", re.S)
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Byte pairs that UTF-8 text shows after being decoded as Latin-1/cp1252 ("Ã©", "Ð¡", "â€”").
_MOJIBAKE = re.compile(r"[ÃÂÐÑâ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def clean_html(html_text: str) -> str:
    """Sanitised HTML for the site: allow-listed tags, attributes and URL schemes only."""
    return nh3.clean(
        html_text,
        tags=TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def clean_fragment(html_text: str) -> str:
    """A reader's main-content HTML made safe to convert (structure kept, active content gone)."""
    return nh3.clean(
        html_text.replace("\x00", ""),
        tags=FRAGMENT_TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=FRAGMENT_ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


def repair_text(text: str) -> str:
    """Control characters removed and UTF-8-read-as-Latin-1 mojibake repaired (ftfy, only when seen)."""
    if _MOJIBAKE.search(text):
        import ftfy

        text = ftfy.fix_encoding(text)
    return _CONTROL.sub("", text)


def plain_text(value: object, limit: int = 0) -> str:
    """A scraped metadata value as one line of plain text (markup removed, entities decoded).

    ``limit`` caps the length (cut at a word, with an ellipsis): a "title" of
    a megabyte is a reader's mistake, not a headline.
    """
    if value is None:
        return ""
    text = repair_text(str(value))
    for _ in range(3):  # "&lt;b&gt;" decodes to a tag: strip until neither is left (idempotent)
        if _TAG.search(text):
            text = html.unescape(nh3.clean(text, tags=set(), clean_content_tags=DROP_WITH_CONTENT, attributes={}))
        elif _ENTITY.search(text):
            text = html.unescape(text)
        else:
            break
    text = _CONTROL.sub("", text)
    text = " ".join(_BIDI.sub("", text).split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
    return text


def is_safe_link(url: str) -> bool:
    """True for relative links and http(s)/mailto ones, judged as a browser reads them.

    Browsers decode entities and drop tabs, newlines and leading spaces in a
    URL, so ``jav&#x09;ascript:`` is ``javascript:``; this does the same first.
    """
    target = _URL_NOISE.sub("", html.unescape(url))
    m = _SCHEME.match(target)
    return not m or m.group(1).lower() in SCHEMES


def safe_url(url: object) -> str:
    """``url`` when it is an absolute http(s) URL, else "" (for hrefs built from front matter)."""
    return url.strip() if safe_url_parts(url) is not None else ""


def safe_url_parts(url: object):
    """``urlsplit`` of ``url`` (stripped) when ``safe_url`` keeps it, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in url for c in "\"'<> \t\n\r\\"):
        return None
    if _CONTROL.search(url):
        return None
    return parts
