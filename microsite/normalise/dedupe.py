"""Recognise the same article scraped twice.

Two records are the same article when

* their canonical URLs match (tracking parameters, fragment, ``www.``,
  default port, trailing slash and scheme ignored) *and* they share the title
  or the text: a scraper that writes the site's home page as every record's
  URL must not fold a corpus into one article; or
* their text is the same once markup, punctuation, case and white space are
  folded *and* their titles agree (equal, or one inside the other, as in
  "Title" and "Title | Site"): the same text under two different headlines
  is two publications a researcher wants to see (template pages), and two
  paywall stubs saying "Subscribe to read" are not one article; the same text
  from two different outlets (a wire story) is two publications too.

Two different articles that merely share a title both survive.  Of a group,
the article that already has a file in ``content/`` is kept (so re-imports
never switch which file holds it), else the first in input order; the others
go into its ``also_scraped_as``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from microsite.model import Article

_TRACKING = re.compile(
    r"^(utm_.*|fbclid|gclid|gclsrc|dclid|wbraid|gbraid|msclkid|yclid|twclid|ttclid|li_fat_id|mc_cid|mc_eid|"
    r"_ga|_gl|_hsenc|_hsmi|igshid|ref|ref_src|ref_url|cmpid|ocid|s_cid|spm|at_medium|at_campaign|"
    r"__twitter_impression)$",
    re.I,
)
_WORD = re.compile(r"\w+")
_MD_URL = re.compile(r"\]\([^)]*\)")
SHORT_TEXT_WORDS = 50


def canonical_url(url: str) -> str:
    """The URL without tracking parameters, fragment, default port, scheme or ``www.``."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".").removeprefix("www.")
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)))
    path = re.sub(r"/+$", "", re.sub(r"/{2,}", "/", parts.path)) or "/"
    return urlunsplit(("https", host, path, query, ""))


def _words(text: str) -> list[str]:
    return _WORD.findall(_MD_URL.sub("]", text).casefold())


def text_fingerprint(article: Article) -> str:
    """Hash of the body's words (markup, URLs, punctuation, case and white space ignored)."""
    words = _words(article.body)
    if not words:
        return ""
    if len(words) < SHORT_TEXT_WORDS:
        words = [*_words(article.title), "\x00", *words]
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def _title_key(article: Article) -> str:
    return " ".join(_words(article.title))


def _titles_agree(a: str, b: str) -> bool:
    """Equal titles, or one (as whole words) inside the other ("Title" / "Title - Site")."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return bool(short) and f" {short} " in f" {long_} "


def _url_key(article: Article) -> str:
    url = canonical_url(article.canonical_url) or canonical_url(article.source_url)
    # A bare host ("https://site.example/") names a site, not an article.
    return url if url and urlsplit(url).path not in ("", "/") else ""


def _host(article: Article) -> str:
    return urlsplit(canonical_url(article.canonical_url) or canonical_url(article.source_url)).hostname or ""


def _same_outlet(a: Article, b: Article) -> bool:
    """False only when both say where they were published and the places differ.

    A wire story run word for word by two outlets is two publications (each
    outlet's page is cited on its own); the same page saved twice is one.
    Hosts are compared when both have a URL, else publisher names.
    """
    host_a, host_b = _host(a), _host(b)
    if host_a and host_b:
        return host_a == host_b
    source_a, source_b = a.source.casefold().strip(), b.source.casefold().strip()
    return not source_a or not source_b or source_a == source_b


def merge_duplicates(
    articles: list[Article], prefer: Callable[[Article], bool] = lambda a: False
) -> tuple[list[Article], list[tuple[Article, Article]]]:
    """Keep one article per group, record the others in its provenance.

    ``prefer`` marks articles that must win their group (those already in
    ``content/``).  Returns the kept articles (input order) and (duplicate,
    kept) pairs for the report.
    """
    order = sorted(range(len(articles)), key=lambda i: not prefer(articles[i]))
    by_text: dict[str, list[int]] = {}
    by_url: dict[str, list[int]] = {}
    winner: dict[int, int] = {}
    for i in order:
        art = articles[i]
        text, url, title = text_fingerprint(art), _url_key(art), _title_key(art)
        first = next(
            (k for k in by_text.get(text, []) if _titles_agree(_title_key(articles[k]), title) and _same_outlet(articles[k], art)),
            None,
        )
        if first is None and url:
            first = next((k for k in by_url.get(url, []) if _title_key(articles[k]) == title), None)
        if first is None:
            winner[i] = i
            if text:
                by_text.setdefault(text, []).append(i)
            if url:
                by_url.setdefault(url, []).append(i)
        else:
            winner[i] = first
    kept = [a for i, a in enumerate(articles) if winner[i] == i]
    merged: list[tuple[Article, Article]] = []
    for i, art in enumerate(articles):
        if winner[i] == i:
            continue
        first = articles[winner[i]]
        entry = {"source_file": art.origin}
        if art.source_url:
            entry["source_url"] = art.source_url
        if art.sha256:
            entry["sha256"] = art.sha256
        if entry not in first.also_scraped_as:
            first.also_scraped_as.append(entry)
        merged.append((art, first))
    return kept, merged
