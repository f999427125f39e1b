"""Pelican's articles generator without its quadratic scans, reading on every core.

Stock ``ArticlesGenerator`` builds each tag, category and author page's
``dates`` with ``[a for a in self.dates if a in articles]`` and each period
archive's ``articles`` with ``[a for a in articles if a in dates]``: list
membership, so the cost grows with N squared (about half of a 20k build).
Articles have no ``__eq__``, so membership is identity; here each group's
dates are its own articles sorted by their position in ``self.dates``, and
each period's articles are grouped in one pass: exactly the same lists.
Translations are told from originals with a set, not a list scan per
article (``process_translations``).

Period archives are also grouped over the whole list rather than by runs of
consecutive articles: with mixed UTC offsets (which our front matter keeps),
articles sorted by instant can fall into a month, leave it and come back
(``23:30+00:00`` on the 31st sorts after ``01:00+03:00`` on the 1st), and stock
Pelican then writes the same month page twice and stops with
``FileOverwriteFailedError``.
"""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from itertools import groupby
from operator import attrgetter

import pelican.generators
from blinker import signal
from pelican import signals
from pelican.generators import ArticlesGenerator
from pelican.utils import get_original_items
from pelican.writers import FileOverwriteFailedError

from microsite.plugins import speed_read

logger = logging.getLogger(__name__)

# Sent once every ``article_generator_pretaxonomy`` receiver has run (blinker calls receivers in no
# set order): the articles' tags are final, for work to start in another process meanwhile.
articles_tagged = signal("microsite-articles-tagged")

_PERIOD_KEYS = {
    "year": attrgetter("date.year"),
    "month": attrgetter("date.year", "date.month"),
    "day": attrgetter("date.year", "date.month", "date.day"),
}


class FastArticlesGenerator(ArticlesGenerator):
    """Same output as ``ArticlesGenerator``; linear where it was quadratic, parallel reads."""

    def generate_context(self):
        if not speed_read.available():
            return super().generate_context()
        store = speed_read.ArticleStore(self.settings)
        speed_read.reset_extras()
        paths = self.get_files(self.settings["ARTICLE_PATHS"], exclude=self.settings["ARTICLE_EXCLUDES"])
        speed_read.prefetch(self.readers, store, self.path, paths)
        self.readers.read_file = speed_read.reading_through(self.readers, store)
        pretaxonomy = signals.article_generator_pretaxonomy
        send = pretaxonomy.send

        def then_tagged(sender, *args, **kwargs):
            result = send(sender, *args, **kwargs)
            articles_tagged.send(sender)
            return result

        pretaxonomy.send = then_tagged
        stock = pelican.generators.process_translations
        pelican.generators.process_translations = process_translations
        try:
            super().generate_context()
        finally:
            del self.readers.read_file  # back to the class's method
            del pretaxonomy.send
            pelican.generators.process_translations = stock
        store.save()
        speed_read.LAST.update(restored=store.restored, read=store.read)

    def get_files(self, paths, exclude=None, extensions=None):
        """Pelican's, once per build for the same arguments: ``generate_context`` walks the content
        folder for the parallel reads and Pelican's loop walks it again."""
        key = (tuple([paths] if isinstance(paths, str) else paths), tuple(exclude or ()),
               extensions if extensions in (None, False) else tuple(extensions))
        found = self.__dict__.setdefault("_files_found", {})
        if key not in found:
            found[key] = super().get_files(paths, exclude=exclude, extensions=extensions)
        return set(found[key])

    def get_cached_data(self, filename, default=None):
        # Pelican's generator-level cache is used only with CONTENT_CACHING_LAYER = "generator" (ours is
        # off: ``speed_read`` keeps the articles): no ``stat`` per file for an empty cache
        if not self._cache:
            return default
        return super().get_cached_data(filename, default)

    def cache_data(self, filename, data):
        if self._cache_data_policy:
            super().cache_data(filename, data)

    def generate_tags(self, write):
        self._write_groups(write, "tag", self.tags.items())

    def generate_categories(self, write):
        self._write_groups(write, "category", self.categories)

    def generate_authors(self, write):
        self._write_groups(write, "author", self.authors)

    def _write_groups(self, write, kind: str, groups) -> None:
        """Pelican's ``generate_tags``/``_categories``/``_authors``, with each group's ``dates`` (its
        articles in ``self.dates`` order) sorted from positions instead of filtered from all dates
        for every group (N x groups membership tests)."""
        template = self.get_template(kind)
        position = {id(article): i for i, article in enumerate(self.dates)}
        for group, articles in groups:
            dates = sorted((a for a in articles if id(a) in position), key=lambda a: position[id(a)])
            try:
                write(group.save_as, template, self.context, url=group.url, **{kind: group}, articles=articles,
                      dates=dates, template_name=kind, blog=True, page_name=group.page_name,
                      all_articles=self.articles)
            except FileOverwriteFailedError:
                if not group.slug:
                    logger.info('%s "%s" has an invalid slug; skipping writing %s page...', kind.title(), group,
                                kind, extra={"limit_msg": f"Further {kind}s with invalid slugs."})
                    continue
                logger.error('Failed to write %s page for "%s".', kind.title(), group)
                raise

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
            in_order: dict[object, list] = {}  # each period's articles in ``articles`` order
            for article in articles:
                in_order.setdefault(key_func(article), []).append(article)
            for period, dates in groups.items():
                first = dates[0].date
                if granularity == "year":
                    label, number = (period,), (period,)
                else:
                    label = (period[0], calendar.month_name[period[1]], *period[2:])
                    number = tuple(period)
                archives[granularity].append({
                    "dates": dates,
                    "articles": in_order.get(period, []),
                    "save_as": save_as_fmt.format(date=first),
                    "url": url_fmt.format(date=first),
                    "period": label,
                    "period_num": number,
                })
        return archives


def process_translations(content_list: list, translation_id=None) -> tuple[list, list]:
    """Pelican's ``process_translations`` (same lists, same warnings), linear: Pelican finds the
    translations with a list membership test per article (N squared; half a second at 10,000)."""
    if not translation_id:
        return content_list, []
    ids = (translation_id,) if isinstance(translation_id, str) else tuple(translation_id)
    content_list.sort(key=attrgetter(*ids))
    index = []
    for id_vals, group in groupby(content_list, attrgetter(*ids)):
        id_vals = (id_vals,) if len(ids) == 1 else id_vals
        with_str = "with" + ", ".join([' {} "{{}}"'] * len(ids)).format(*ids).format(*id_vals)
        items = list(group)
        index.extend(get_original_items(items, with_str))
        for a in items:
            others = [x for x in items if x != a]
            if others or type(getattr(a, "translations", None)) is not list or a.translations:
                a.translations = others  # (an empty list read with the article stays: its digest is kept)
    originals = {id(x) for x in index}
    return index, [x for x in content_list if id(x) not in originals]


def use_fast_generator(generator) -> None:
    """``article_generator_init`` receiver: give the stock generator the fast methods."""
    if type(generator) is ArticlesGenerator:
        generator.__class__ = FastArticlesGenerator
