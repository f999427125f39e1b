"""Jinja filters our theme uses (registered through ``JINJA_FILTERS`` in pelicanconf)."""

from __future__ import annotations

from urllib.parse import urlsplit

from jinja2 import pass_environment
from markupsafe import Markup

from microsite.normalise.sanitize import safe_url

ENTRY_TEMPLATE = "partials/article_entry.html"
_entries: dict[tuple[int, int, str], tuple[object, Markup]] = {}


def host(url: object) -> str:
    """The host of a URL, for display ("www.belta.by")."""
    return urlsplit(safe_url(url)).hostname or ""


def isodate(value: object) -> str:
    """ISO 8601 for a date or datetime (offset kept), "" for anything else."""
    return value.isoformat() if hasattr(value, "isoformat") else ""


def by_count(pairs: object) -> list:
    """(tag, articles) pairs, most articles first, then by name."""
    return sorted(pairs, key=lambda p: (-len(p[1]), str(p[0]).casefold()))  # type: ignore[arg-type]


@pass_environment
def list_entry(env, article: object, siteurl: str) -> Markup:
    """An article's entry in a listing (``partials/article_entry.html``), rendered once per build and depth.

    One article is listed on ten pages or more (home, tags, category, source,
    archives), always the same but for the relative ``SITEURL``: rendering it
    once per distinct ``SITEURL`` is most of the rendering a clean build saves.
    The entry depends on the article and ``SITEURL`` only (never on the page).
    """
    key = (id(env), id(article), siteurl)
    hit = _entries.get(key)
    if hit is None or hit[0] is not article:
        html = env.get_template(ENTRY_TEMPLATE).render(article=article, SITEURL=siteurl).rstrip("\n")
        hit = _entries[key] = (article, Markup(html))
    return hit[1]


# What each filter reads of the objects it is given (plugins/speed_digest.py): these read no article field,
# except list_entry, which reads what its template reads.
for _filter in (safe_url, host, isodate, by_count, list_entry):
    _filter.digest_reads = frozenset()
list_entry.digest_templates = (ENTRY_TEMPLATE,)

FILTERS = {"list_entry": list_entry, "safe_url": safe_url, "host": host, "isodate": isodate, "by_count": by_count}
