"""The one HTML sanitiser every rendered article passes through (nh3, i.e. ammonia).

Whatever reached ``content/`` (our import, a hand-written file, another tool),
the HTML Pelican renders from it keeps only the tags Markdown produces and
only http(s)/mailto/relative links: no script, handler, ``javascript:`` or
``data:`` URL, iframe, object, embed, style or meta refresh survives.
"""

from __future__ import annotations

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


def clean_html(html: str) -> str:
    """Sanitised HTML: allow-listed tags, attributes and URL schemes only."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def safe_url(url: object) -> str:
    """``url`` when it is an absolute http(s) URL, else "" (for hrefs built from front matter)."""
    if not isinstance(url, str):
        return ""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c in url for c in "\"'<> \t\n\r\\"):
        return ""
    return url
