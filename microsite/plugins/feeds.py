"""Atom feeds for the site and for each tag, that work with relative URLs.

Pelican's own feed writer needs an absolute ``SITEURL`` (and warns, which
fails ``--fatal warnings`` builds, when there is none); our site is built
with relative URLs so that it opens from disk.  This writer uses absolute
links when ``SITEURL``/``FEED_DOMAIN`` is an absolute URL and links relative
to the feed file otherwise (RFC 4287 resolves them against the feed's own
URL).  Entry ids are ``urn:uuid`` values derived from the article's original
URL (or its slug), so they stay the same wherever the site is published.

Settings: ``FEED_ATOM_SITE`` (default ``feeds/all.atom.xml``) and
``FEED_ATOM_TAG`` (default ``feeds/tag/{slug}.atom.xml``); ``None``
disables one.  ``FEED_MAX_ITEMS`` caps the entries per feed (newest first).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from feedgenerator import Atom1Feed
from pelican import signals
from pelican.generators import Generator

from microsite.plugins.citations import last_changed
from microsite.plugins.siteurl import link, use_defaults

DEFAULTS = {"FEED_ATOM_SITE": "feeds/all.atom.xml", "FEED_ATOM_TAG": "feeds/tag/{slug}.atom.xml"}


def _uuid(*parts: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, "|".join(parts)).urn


def build_feed(articles, settings, save_as: str, title: str) -> Atom1Feed:
    """An Atom feed of ``articles`` (newest first) as seen from ``save_as``."""
    site = str(settings.get("SITENAME", ""))
    feed = Atom1Feed(
        title=f"{site} · {title}" if title else site,
        link=link(settings, "index.html", save_as),
        description=str(settings.get("SITESUBTITLE", "")),
        subtitle=str(settings.get("SITESUBTITLE", "")) or None,
        feed_url=link(settings, save_as, save_as),
        feed_guid=_uuid(site, save_as),
        language=str(settings.get("DEFAULT_LANG", "en")),
    )
    # Newest first; undated articles (Pelican dated them by file time) last, with no <published>.
    newest = sorted(articles, key=lambda a: (getattr(a, "has_date", True), a.date.timestamp()), reverse=True)
    for article in newest[: settings.get("FEED_MAX_ITEMS") or None]:
        authors = [str(a) for a in article.metadata.get("authors", [])]
        feed.add_item(
            title=article.title,
            link=link(settings, article.url, save_as),
            description=str(article.metadata.get("summary", "")),
            content=article.content,
            author_name=", ".join(authors) or getattr(article, "source", None) or None,
            pubdate=article.date if getattr(article, "has_date", True) else None,
            updateddate=last_changed(article),
            unique_id=_uuid(getattr(article, "source_url", "") or f"{site}/{article.slug}"),
            categories=[str(t) for t in getattr(article, "tags", []) or []],
        )
    return feed


class FeedsGenerator(Generator):
    """Writes the site feed and one feed per tag."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_defaults(self, DEFAULTS)

    def generate_output(self, writer) -> None:
        jobs = []
        if self.settings["FEED_ATOM_SITE"]:
            jobs.append((self.context.get("articles", []), self.settings["FEED_ATOM_SITE"], ""))
        if self.settings["FEED_ATOM_TAG"]:
            for tag, articles in self.context.get("tags", []):
                jobs.append((articles, self.settings["FEED_ATOM_TAG"].format(slug=tag.slug), f"Tag: {tag}"))
        for articles, save_as, title in jobs:
            path = Path(self.output_path) / save_as
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as fh:
                build_feed(articles, self.settings, save_as, title).write(fh, "utf-8")


def get_generators(pelican):
    """Register the generator."""
    return FeedsGenerator


def register() -> None:
    """Pelican plugin entry point."""
    signals.get_generators.connect(get_generators)
