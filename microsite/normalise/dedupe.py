"""Recognise the same article scraped twice.

Two records are the same article when their canonical URLs match (tracking
parameters, fragments, ``www.`` and trailing slashes ignored) or when their
text is the same once white space is folded.  Two different articles that
merely share a title both survive.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from microsite.model import Article

_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|_ga|igshid|ref|ref_src|cmpid|ocid)$", re.I)


def canonical_url(url: str) -> str:
    """The URL without tracking parameters, fragment, default port or ``www.``."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower().removeprefix("www.")
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)))
    path = re.sub(r"/+$", "", parts.path) or "/"
    return urlunsplit(("https", host, path, query, ""))


def text_fingerprint(article: Article) -> str:
    """Hash of the body with all white space folded (and case ignored)."""
    folded = " ".join(article.body.split()).casefold()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest() if folded else ""


def merge_duplicates(articles: list[Article]) -> tuple[list[Article], list[tuple[Article, Article]]]:
    """Keep the first of each group (input order), record the others in its provenance.

    Returns the kept articles and (duplicate, kept) pairs for the report.
    """
    by_key: dict[str, Article] = {}
    kept: list[Article] = []
    merged: list[tuple[Article, Article]] = []
    for art in articles:
        keys = [k for k in (("url:" + canonical_url(art.canonical_url or art.source_url)) if (art.canonical_url or art.source_url) else "",
                            ("text:" + text_fingerprint(art)) if art.body.strip() else "") if k and not k.endswith(":")]
        first = next((by_key[k] for k in keys if k in by_key), None)
        if first is None:
            kept.append(art)
            for k in keys:
                by_key[k] = art
            continue
        entry = {"source_file": art.origin}
        if art.source_url:
            entry["source_url"] = art.source_url
        if art.sha256:
            entry["sha256"] = art.sha256
        first.also_scraped_as.append(entry)
        merged.append((art, first))
    return kept, merged
