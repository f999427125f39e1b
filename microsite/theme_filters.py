"""Jinja filters our theme uses (registered through ``JINJA_FILTERS`` in pelicanconf)."""

from __future__ import annotations

from urllib.parse import urlsplit

from microsite.normalise.sanitize import safe_url


def host(url: object) -> str:
    """The host of a URL, for display ("www.belta.by")."""
    return urlsplit(safe_url(url)).hostname or ""


def isodate(value: object) -> str:
    """ISO 8601 for a date or datetime (offset kept), "" for anything else."""
    return value.isoformat() if hasattr(value, "isoformat") else ""


def by_count(pairs: object) -> list:
    """(tag, articles) pairs, most articles first, then by name."""
    return sorted(pairs, key=lambda p: (-len(p[1]), str(p[0]).casefold()))  # type: ignore[arg-type]


FILTERS = {"safe_url": safe_url, "host": host, "isodate": isodate, "by_count": by_count}
