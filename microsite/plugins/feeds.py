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

Speed at research scale: the feeds are written in one deferred job
(``speed_jobs``), beside the page renders, and only when their bytes change.
Each article's sort key is worked out once for all the feeds it is in
(``datetime.timestamp`` was most of the cost of sorting 10,000 articles for
the site feed and again for each tag).  A feed is a function of its settings
and of the articles it shows, each of which is a function of its source file
(as for ``speed_memo``); a feed whose articles' files (path, size, mtime) are
those of the last build, and whose file is as that build left it, is kept
without being made again.  Articles whose text links to other content are
never trusted that way.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import uuid
from pathlib import Path

from feedgenerator import Atom1Feed
from pelican import signals
from pelican.generators import Generator

from microsite.plugins import speed_jobs, speed_memo
from microsite.plugins.citations import last_changed
from microsite.plugins.siteurl import absolute_base, link, use_defaults

DEFAULTS = {"FEED_ATOM_SITE": "feeds/all.atom.xml", "FEED_ATOM_TAG": "feeds/tag/{slug}.atom.xml"}
MEMO_FILE = "microsite-feeds.pickle"
MEMO_VERSION = 1


def _uuid(*parts: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, "|".join(parts)).urn


def newest_first_key(article) -> tuple:
    """Sort key, newest first with ``reverse=True``; undated articles (Pelican dated them by file time) last."""
    return getattr(article, "has_date", True), article.date.timestamp()


def newest(articles, settings, keys: dict | None = None) -> list:
    """The articles a feed shows, newest first, at most ``FEED_MAX_ITEMS``.

    ``keys`` maps ``id(article)`` to its ``newest_first_key``, when already known.
    """
    known = keys or {}
    ordered = sorted(articles, key=lambda a: known.get(id(a)) or newest_first_key(a), reverse=True)
    return ordered[: settings.get("FEED_MAX_ITEMS") or None]


def build_feed(articles, settings, save_as: str, title: str, keys: dict | None = None,
               siteurl: str | None = None) -> Atom1Feed:
    """An Atom feed of ``articles`` (newest first) as seen from ``save_as``.

    ``siteurl`` is the one the articles' content is rendered with (its
    intrasite links); by default the one of the page written last.
    """
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
    for article in newest(articles, settings, keys):
        authors = [str(a) for a in article.metadata.get("authors", [])]
        feed.add_item(
            title=article.title,
            link=link(settings, article.url, save_as),
            description=str(article.metadata.get("summary", "")),
            content=article.content if siteurl is None else article.get_content(siteurl),
            author_name=", ".join(authors) or getattr(article, "source", None) or None,
            pubdate=article.date if getattr(article, "has_date", True) else None,
            updateddate=last_changed(article),
            unique_id=_uuid(getattr(article, "source_url", "") or f"{site}/{article.slug}"),
            categories=[str(t) for t in getattr(article, "tags", []) or []],
        )
    return feed


def feed_digest(shown, settings, save_as: str, title: str, siteurl: str) -> str | None:
    """What a feed is made from, as a digest; None when an article's file cannot vouch for it."""
    parts: list = [
        MEMO_VERSION, save_as, title, siteurl, absolute_base(settings),
        *(str(settings.get(k, "")) for k in ("SITENAME", "SITESUBTITLE", "DEFAULT_LANG", "FEED_MAX_ITEMS")),
    ]
    for article in shown:
        stamp = speed_memo.source_stamp(getattr(article, "source_path", None))
        if stamp is None or speed_memo.links_elsewhere(article):
            return None
        parts.append((stamp, getattr(article, "lang", None), getattr(article, "has_date", True)))
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _load_memo(settings) -> dict:
    if not (settings.get("CACHE_CONTENT") and settings.get("LOAD_CONTENT_CACHE")):
        return {}
    try:
        with open(Path(settings["CACHE_PATH"]) / MEMO_FILE, "rb") as f:
            data = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, KeyError, TypeError):
        return {}
    return data.get("entries", {}) if isinstance(data, dict) and data.get("version") == MEMO_VERSION else {}


def _save_memo(settings, entries: dict) -> None:
    if not settings.get("CACHE_CONTENT"):
        return
    path = Path(settings["CACHE_PATH"]) / MEMO_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        pickle.dump({"version": MEMO_VERSION, "entries": entries}, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)


def write_feeds(jobs, settings, output_path, siteurl: str | None = None) -> int:
    """Write each ``(articles, save_as, title)`` feed whose inputs changed; the number made."""
    keys: dict[int, tuple] = {}
    for articles, _save_as, _title in jobs:
        for a in articles:
            if id(a) not in keys:
                keys[id(a)] = newest_first_key(a)
    old, new, made = _load_memo(settings), {}, 0
    for articles, save_as, title in jobs:
        path = os.path.abspath(os.path.join(output_path, save_as))
        shown = newest(articles, settings, keys)
        digest = feed_digest(shown, settings, save_as, title, siteurl or "")
        known = old.get(save_as)
        if digest is not None and known is not None and known[0] == digest and speed_jobs.files_intact([(path, *known[1:])]):
            speed_jobs.keep(path)
            new[save_as] = known
            continue
        buf = io.StringIO()
        build_feed(shown, settings, save_as, title, keys, siteurl).write(buf, "utf-8")
        speed_jobs.write_if_changed(path, buf.getvalue())
        made += 1
        if digest is not None:
            st = os.stat(path)
            new[save_as] = (digest, st.st_size, st.st_mtime_ns)
    _save_memo(settings, new)
    return made


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
        if not jobs:
            return
        # The articles' content as it stands now (its links follow the page written last), not in the job.
        siteurl = self.context.get("localsiteurl", "")
        settings, output_path = self.settings, self.output_path

        def run() -> int:
            with speed_memo.no_gc():
                return write_feeds(jobs, settings, output_path, siteurl)

        speed_jobs.defer(run, cost=0.3, name="feeds")


def get_generators(pelican):
    """Register the generator."""
    return FeedsGenerator


def register() -> None:
    """Pelican plugin entry point."""
    signals.get_generators.connect(get_generators)
