"""Sources: one page per publisher and an index of them, from front matter alone.

Articles are grouped by their ``source`` key the way Pelican groups tags: by
slug, so "BelTA" and "Belta" are one outlet (shown under its most frequent
spelling).  Each ``Source`` knows its articles, the dates it covers, its
languages, domains and most frequent tags; ``article.source_page`` links an
article to its outlet.  Pages: ``sources/<slug>.html`` (paginated like tag
pages) and ``sources.html``.  No setting is needed; ``SOURCE_URL``,
``SOURCE_SAVE_AS`` and ``SOURCES_SAVE_AS`` may override the paths.

At 10,000 articles the grouping is linear and cheap: an outlet name is
slugified once, not once per article, and an outlet's date span is worked
out once, not each time a template asks for its first or last date.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pelican import signals
from pelican.generators import Generator
from pelican.urlwrappers import URLWrapper

from microsite.plugins.siteurl import use_defaults
from microsite.plugins.timeline import date_span
from microsite.theme_filters import host

DEFAULTS = {
    "SOURCE_URL": "sources/{slug}.html",
    "SOURCE_SAVE_AS": "sources/{slug}.html",
    "SOURCES_URL": "sources.html",
    "SOURCES_SAVE_AS": "sources.html",
}


class Source(URLWrapper):
    """A publisher, with the URL rules of Pelican's tags and categories."""


@dataclass
class SourceInfo:
    """What the templates show about one outlet."""

    source: Source
    articles: list = field(default_factory=list)
    languages: list[tuple[str, int]] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    top_tags: list[tuple[object, int]] = field(default_factory=list)
    span: tuple | None = None  # (first, last) publication dates; worked out from ``articles`` when None

    @property
    def name(self) -> str:
        return self.source.name

    def _span(self):
        return self.span if self.span is not None else date_span(self.articles)

    @property
    def first(self):
        span = self._span()
        return span[0] if span else None

    @property
    def last(self):
        span = self._span()
        return span[1] if span else None


def group_sources(articles, settings) -> list[SourceInfo]:
    """Group articles (newest first) by outlet; outlets ordered by name."""
    by_slug: dict[str, list] = defaultdict(list)
    spellings: dict[str, Counter] = defaultdict(Counter)
    slugs: dict[str, str] = {}
    for article in articles:
        name = " ".join(str(getattr(article, "source", "") or "").split())
        if not name:
            continue
        slug = slugs.get(name)
        if slug is None:
            slug = slugs[name] = Source(name, settings).slug or "source-" + hashlib.sha1(name.encode()).hexdigest()[:8]
        by_slug[slug].append(article)
        spellings[slug][name] += 1
    infos = []
    for slug, items in by_slug.items():
        source = Source(spellings[slug].most_common(1)[0][0], settings)
        source.slug = slug
        items.sort(key=lambda a: a.date, reverse=True)
        langs = Counter(str(a.metadata.get("lang") or "") for a in items)
        domains = Counter(h for h in (host(getattr(a, "source_url", "")) for a in items) if h)
        tags = Counter(t for a in items for t in getattr(a, "tags", []) or [])
        infos.append(SourceInfo(
            source=source,
            articles=items,
            languages=sorted(((lang or "unknown", n) for lang, n in langs.items()), key=lambda p: (-p[1], p[0])),
            domains=[d for d, _ in domains.most_common(5)],
            top_tags=tags.most_common(10),
            span=date_span(items),
        ))
    infos.sort(key=lambda s: s.name.casefold())
    return infos


class SourcesGenerator(Generator):
    """Builds the sources from the articles, then writes their pages."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_defaults(self, DEFAULTS)
        paginated = self.settings.get("PAGINATED_TEMPLATES")
        if isinstance(paginated, dict):
            paginated.setdefault("source", None)

    def generate_context(self) -> None:
        self.sources = group_sources(self.context.get("articles", []), self.settings)
        for info in self.sources:
            for article in info.articles:
                article.source_page = info.source
        self.context["sources"] = self.sources

    def generate_output(self, writer) -> None:
        relative = self.settings.get("RELATIVE_URLS", False)
        for info in self.sources:
            writer.write_file(
                info.source.save_as, self.get_template("source"), self.context, relative,
                paginated={"articles": info.articles}, template_name="source", url=info.source.url,
                source=info, articles=info.articles, page_name=info.source.page_name,
            )
        if self.settings["SOURCES_SAVE_AS"]:
            writer.write_file(
                self.settings["SOURCES_SAVE_AS"], self.get_template("sources"), self.context, relative,
                url=self.settings["SOURCES_URL"], page_name="sources",
            )


def get_generators(pelican):
    """Register the generator (runs after the articles are read)."""
    return SourcesGenerator


def register() -> None:
    """Pelican plugin entry point."""
    signals.get_generators.connect(get_generators)
