"""Look up a publisher by dateline alias or web domain (data in ``data/publishers.yml``)."""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml


@functools.cache
def _table() -> list[dict]:
    text = resources.files("microsite").joinpath("data/publishers.yml").read_text("utf-8")
    return yaml.safe_load(text) or []


def by_alias(name: str) -> dict | None:
    """The publisher whose dateline alias is ``name`` (case-insensitive)."""
    key = name.strip().casefold()
    for entry in _table():
        if key in (a.casefold() for a in entry.get("aliases", [])):
            return entry
    return None


def by_url(url: str) -> dict | None:
    """The publisher owning the host of ``url`` (subdomains included)."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    for entry in _table():
        for domain in entry.get("domains", []):
            if host == domain or host.endswith("." + domain):
                return entry
    return None


def localise(value: dt.datetime, publisher: dict | None) -> dt.datetime:
    """Give a naive time the publisher's offset when its time zone is known."""
    if value.tzinfo is not None or not publisher or not publisher.get("timezone"):
        return value
    return value.replace(tzinfo=ZoneInfo(publisher["timezone"]))
