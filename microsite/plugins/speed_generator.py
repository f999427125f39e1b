"""Pelican's articles generator without its quadratic scans, reading on every core.

Stock ``ArticlesGenerator`` builds each tag, category and author page's
``dates`` with ``[a for a in self.dates if a in articles]`` and each period
archive's ``articles`` with ``[a for a in articles if a in dates]``: list
membership, so the cost grows with N squared (about half of a 20k build).
Articles have no ``__eq__``, so membership is identity; the lists below answer
it from a set of ids and produce exactly the same lists.

Period archives are also grouped over the whole list rather than by runs of
consecutive articles: with mixed UTC offsets (which our front matter keeps),
articles sorted by instant can fall into a month, leave it and come back
(``23:30+00:00`` on the 31st sorts after ``01:00+03:00`` on the 1st), and stock
Pelican then writes the same month page twice and stops with
``FileOverwriteFailedError``.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from operator import attrgetter

from pelican.generators import ArticlesGenerator

from microsite.plugins import speed_read

_PERIOD_KEYS = {
    "year": attrgetter("date.year"),
    "month": attrgetter("date.year", "date.month"),
    "day": attrgetter("date.year", "date.month", "date.day"),
}


class Members(list):
    """A list whose ``in`` is an identity lookup in a set (same answers for Content objects)."""

    def __init__(self, items=()) -> None:
        super().__init__(items)
        self._ids = {id(item) for item in self}

    def __contains__(self, item) -> bool:
        return id(item) in self._ids


class FastArticlesGenerator(ArticlesGenerator):
    """Same output as ``ArticlesGenerator``; linear where it was quadratic, parallel reads."""

    def generate_context(self):
        if not speed_read.available():
            return super().generate_context()
        store = speed_read.ArticleStore(self.settings)
        paths = self.get_files(self.settings["ARTICLE_PATHS"], exclude=self.settings["ARTICLE_EXCLUDES"])
        speed_read.prefetch(self.readers, store, self.path, paths)
        self.readers.read_file = speed_read.reading_through(self.readers, store)
        try:
            super().generate_context()
        finally:
            del self.readers.read_file  # back to the class's method
        store.save()
        speed_read.LAST.update(restored=store.restored, read=store.read)

    def generate_tags(self, write):
        tags = self.tags
        self.tags = {tag: Members(articles) for tag, articles in tags.items()}
        try:
            super().generate_tags(write)
        finally:
            self.tags = tags

    def generate_categories(self, write):
        categories = self.categories
        self.categories = [(cat, Members(articles)) for cat, articles in categories]
        try:
            super().generate_categories(write)
        finally:
            self.categories = categories

    def generate_authors(self, write):
        authors = self.authors
        self.authors = [(author, Members(articles)) for author, articles in authors]
        try:
            super().generate_authors(write)
        finally:
            self.authors = authors

    def _build_period_archives(self, sorted_articles, articles, settings):
        archives: defaultdict[str, list[dict]] = defaultdict(list)
        for granularity, key_func in _PERIOD_KEYS.items():
            save_as_fmt = settings[f"{granularity.upper()}_ARCHIVE_SAVE_AS"]
            url_fmt = settings[f"{granularity.upper()}_ARCHIVE_URL"]
            if not save_as_fmt:
                continue
            groups: dict[object, list] = {}
            for article in sorted_articles:
                groups.setdefault(key_func(article), []).append(article)
            for period, dates in groups.items():
                members = Members(dates)
                first = dates[0].date
                if granularity == "year":
                    label, number = (period,), (period,)
                else:
                    label = (period[0], calendar.month_name[period[1]], *period[2:])
                    number = tuple(period)
                archives[granularity].append({
                    "dates": dates,
                    "articles": [a for a in articles if a in members],
                    "save_as": save_as_fmt.format(date=first),
                    "url": url_fmt.format(date=first),
                    "period": label,
                    "period_num": number,
                })
        return archives


def use_fast_generator(generator) -> None:
    """``article_generator_init`` receiver: give the stock generator the fast methods."""
    if type(generator) is ArticlesGenerator:
        generator.__class__ = FastArticlesGenerator
