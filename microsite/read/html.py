"""Saved web pages (``.html``/``.htm``): one page, one article.

Decoding is ``read.encoding``'s job, finding the article ``extract.content``'s
and the metadata ``extract.metadata``'s; this module wires them together and
is reused by the JSON, WARC and MHTML readers for the HTML they carry.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from microsite.errors import ImportProblem
from microsite.extract import content, publishers
from microsite.extract.dates import is_date_line
from microsite.extract.htmlparse import fragment_root
from microsite.extract.language import detect_language
from microsite.extract.metadata import Metadata, extract_metadata
from microsite.model import Article
from microsite.normalise.markdown import safe_href
from microsite.read.encoding import decode_html

# Browsers write this when saving a page: <!-- saved from url=(0042)https://... -->
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)\s*(\S+?)\s*-->", re.IGNORECASE)
_HEADINGS = ("h1", "h2", "h3")
_BYLINE_START = re.compile(r"^\s*(?:by|von|par|por|автор|текст)\b", re.IGNORECASE)


def read(data: bytes, source_file: str) -> list[Article]:
    """Read one saved page (see the module docstring)."""
    text, _codec = decode_html(data)
    return [article_from_html(text)]


_OUTSIDE_NAVIGATION = lxml.etree.XPath(
    "//body//text()[not(ancestor::nav or ancestor::header or ancestor::footer or ancestor::menu"
    " or ancestor::*[@role='navigation' or @role='banner' or @role='contentinfo']"
    " or ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
)
_LETTER = re.compile(r"[^\W\d_]")


def _text_outside_navigation(tree) -> bool:
    """Does any letter of the page stand outside its menus, header and footer?

    A page whose only words are its navigation is an index page, not an
    article, however short ("Home"); a one-line note in ``<p>`` is an article.
    """
    return any(_LETTER.search(t) for t in _OUTSIDE_NAVIGATION(tree))


def page_url(html: str, md: Metadata) -> str:
    """The page's own address: a browser's "saved from" note, else its canonical / og:url."""
    m = _SAVED_FROM.search(html[:4096])
    if m and urlsplit(m.group(1)).scheme in ("http", "https"):
        return m.group(1)
    return md.url or md.canonical_url


def article_from_html(html: str, url: str = "", accessed: dt.date | dt.datetime | None = None) -> Article:
    """An Article from a page's HTML; ``url`` is the address it was fetched from, when known."""
    tree = content.parse_html(html)
    if not _text_outside_navigation(tree):
        raise ImportProblem("no article text, only navigation (menus, header, footer)")
    ld = content.json_ld(tree)
    md = extract_metadata(tree, url, ld)
    url = url or page_url(html, md)
    base = _base_href(tree, url)
    content.clean_tree(tree)
    extraction = content.extract_content(tree, url, content.article_body(ld))
    body_html = _without_header(extraction.html, md.title, md.authors)
    if base:
        body_html = _absolute_links(body_html, base)

    article = Article(title=md.title, html=body_html, source_url=url, accessed=accessed)
    article.canonical_url = md.canonical_url
    publisher = publishers.by_url(url or md.canonical_url) if (url or md.canonical_url) else None
    article.source = (publisher or {}).get("name") or md.sitename
    article.date = publishers.localise(md.date, publisher) if md.date else None
    article.modified = md.modified
    article.authors = md.authors
    article.category = md.section
    article.keywords = md.keywords
    article.description = md.description
    plain = fragment_root(body_html).text_content() if body_html.strip() else ""
    article.lang = md.lang or detect_language(md.title + " " + plain)
    if not article.title:
        article.title = _title_from_text(plain)
        if article.title:
            article.notes.append("no headline found; titled from the first words")
    if not plain.strip():
        raise ImportProblem("no article text found")
    return article


def _base_href(tree, url: str) -> str:
    base = next((el.get("href") for el in tree.iter("base") if el.get("href")), "")
    full = urljoin(url, base) if base else url
    return full if urlsplit(full).scheme in ("http", "https") else ""


def _absolute_links(fragment: str, base: str) -> str:
    """Links and images resolved against the page's base; unsafe links lose their href (text stays)."""
    root = fragment_root(fragment)
    for el, attr in ((a, "href") for a in root.iter("a")):
        url = safe_href(el.get(attr), base)
        if url:
            el.set(attr, url)
        elif attr in el.attrib:
            del el.attrib[attr]
    for img in root.iter("img"):
        for attr in ("src", "data-src", "data-original", "data-lazy-src"):
            if img.get(attr) and not img.get(attr).startswith("data:"):
                img.set(attr, safe_href(img.get(attr), base) or "")
    return lxml.html.tostring(root, encoding="unicode")


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _without_header(fragment: str, title: str, authors: list[str]) -> str:
    """The article HTML minus leading blocks that repeat the front matter.

    Extractors often keep the headline, the byline ("By Anna Petrova") and the
    date line at the top of the article; all three are front matter already.
    Only short blocks before the first paragraph of prose are considered.
    """
    if not fragment.strip():
        return fragment
    root = fragment_root(fragment)
    want = _letters(title)
    names = [_letters(a) for a in authors if len(_letters(a)) >= 4]
    doomed = []
    for el in root.iter(*_HEADINGS, "p", "div", "span", "time", "address"):
        if any(c.tag in ("p", "div", *_HEADINGS) for c in el.iterchildren()) and el.tag == "div":
            continue  # a container: look at its blocks
        raw = " ".join(el.text_content().split())
        text = _letters(raw)
        if not text:
            continue
        if len(raw.split()) > 15 or len(doomed) >= 4:
            break
        if (el.tag in _HEADINGS and want and text == want) or _is_byline(raw, text, names) or _is_dateline(raw):
            doomed.append(el)
            continue
        break
    for el in doomed:
        el.drop_tree()
    return lxml.html.tostring(root, encoding="unicode") if doomed else fragment


def _is_byline(raw: str, letters: str, names: list[str]) -> bool:
    """A line that is mostly the authors' names ("By Anna Petrova and Marat Sultanov | 3 May")."""
    found = [n for n in names if n in letters]
    if not found:
        return False
    return bool(_BYLINE_START.match(raw)) or sum(len(n) for n in found) >= 0.4 * len(letters)


def _is_dateline(text: str) -> bool:
    """A line that is a date plus at most two words ("Updated: 14 May 2024, 09:30 GMT")."""
    return is_date_line(text, max_words=2)


def _title_from_text(text: str) -> str:
    words = text.split()
    if not words:
        return ""
    return " ".join(words[:12]) + ("…" if len(words) > 12 else "")
