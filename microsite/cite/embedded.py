"""Metadata embedded in the article page for reference managers and crawlers.

Zotero's "Embedded Metadata" translator reads Highwire ``citation_*`` tags
first, then OpenGraph; search engines read schema.org JSON-LD.  All three
describe the *original* article: the outlet is the publisher, not this site.
Values are returned as plain strings for the template to escape; JSON-LD is
serialised here with ``<``, ``>`` and ``&`` escaped so that a headline
holding ``</script>`` cannot end the script element.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from microsite.cite.record import Reference

Meta = list[tuple[str, str]]


def highwire(ref: Reference, page_url: str = "") -> Meta:
    """``citation_*`` name/content pairs (Google Scholar's inclusion guidelines)."""
    meta: Meta = [("citation_title", ref.title)]
    meta += [("citation_author", n.literal or f"{n.family}, {n.given}".strip(", ")) for n in ref.authors]
    if ref.issued:
        meta.append(("citation_publication_date", ref.issued.strftime("%Y/%m/%d")))
        meta.append(("citation_date", ref.issued.strftime("%Y/%m/%d")))
    if ref.container:
        meta += [("citation_journal_title", ref.container), ("citation_publisher", ref.container)]
    if ref.url:
        meta.append(("citation_public_url", ref.url))
    if page_url:
        meta.append(("citation_fulltext_html_url", page_url))
    if ref.lang:
        meta.append(("citation_language", ref.lang))
    if ref.keywords:
        meta.append(("citation_keywords", "; ".join(ref.keywords)))
    if ref.abstract:
        meta.append(("citation_abstract", ref.abstract))
    return meta


def opengraph(ref: Reference, site_name: str, page_url: str = "") -> Meta:
    """OpenGraph ``property``/content pairs (``og:url`` only when absolute)."""
    meta: Meta = [("og:type", "article"), ("og:title", ref.title), ("og:site_name", site_name)]
    if page_url.startswith(("http://", "https://")):
        meta.append(("og:url", page_url))
    if ref.abstract:
        meta.append(("og:description", ref.abstract))
    if ref.lang:
        meta.append(("og:locale", ref.lang))
    if ref.issued_time:
        meta.append(("article:published_time", ref.issued_time.isoformat()))
    if ref.modified:
        meta.append(("article:modified_time", ref.modified.isoformat()))
    meta += [("article:author", n.display()) for n in ref.authors]
    if ref.section:
        meta.append(("article:section", ref.section))
    meta += [("article:tag", k) for k in ref.keywords]
    return meta


def news_article(ref: Reference, page_url: str = "") -> dict:
    """schema.org ``NewsArticle``; ``url`` is the original, ``archivedAt`` our copy."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": ref.title,
        "name": ref.title,
        "url": ref.url or page_url,
    }
    if ref.issued_time:
        data["datePublished"] = ref.issued_time.isoformat()
    elif ref.issued:
        data["datePublished"] = ref.issued.isoformat()
    if ref.modified:
        data["dateModified"] = ref.modified.isoformat()
    if ref.authors:
        data["author"] = [{"@type": "Person", "name": n.display()} for n in ref.authors]
    if ref.container:
        publisher: dict = {"@type": "Organization", "name": ref.container}
        if ref.url:
            parts = urlsplit(ref.url)
            publisher["url"] = f"{parts.scheme}://{parts.netloc}/"
        data["publisher"] = publisher
    if ref.url and page_url:
        data["archivedAt"] = page_url
        data["mainEntityOfPage"] = ref.url
    if ref.lang:
        data["inLanguage"] = ref.lang
    if ref.section:
        data["articleSection"] = ref.section
    if ref.dateline:
        data["dateline"] = ref.dateline
    if ref.keywords:
        data["keywords"] = list(ref.keywords)
    if ref.abstract:
        data["description"] = ref.abstract
    return data


def script_json(data: object) -> str:
    """JSON safe to place inside ``<script type="application/ld+json">``.

    ``<``, ``>``, ``&`` and the two JavaScript line separators become
    ``\\uXXXX`` escapes: still the same JSON value, but no ``</script>`` or
    ``<!--`` can appear in the markup.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text
