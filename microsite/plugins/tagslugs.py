"""One tag, one page: canonical names and collision-free slugs for Pelican's tags.

Pelican treats two tags with the same slug as one (``URLWrapper`` compares
slugs), so "C++" and "C", or "ИИ" and "II", would silently share a page under
the first name it met.  And tags typed by hand ("csto", "ОДКБ", "cyber
crimes") would get pages of their own.  Before Pelican groups articles by tag
(``article_generator_pretaxonomy``) this plugin:

* maps every tag to its canonical taxonomy name (any alias, case or inflection);
* merges spellings of one free tag ("cyber crime" / "cyber-crimes") under the
  name most articles use;
* gives each distinct tag its own slug (``tags.unique_slugs``): taxonomy tags
  keep theirs, clashing free tags get a short hash of their name.

The taxonomy file is the ``TAXONOMY_FILE`` setting (no file: only merging and slugs).
"""

from __future__ import annotations

import logging
from pathlib import Path

from pelican import signals
from pelican.urlwrappers import Tag

from microsite.normalise.tags import Taxonomy, TaxonomyError, canonical_names, load_taxonomy, unique_slugs

logger = logging.getLogger(__name__)


def _taxonomy(settings: dict) -> Taxonomy:
    path = settings.get("TAXONOMY_FILE")
    if not path or not Path(path).is_file():
        return Taxonomy()
    try:
        return load_taxonomy(path)
    except TaxonomyError as exc:
        logger.error("%s", exc)
        return Taxonomy()


def _documents(generator) -> list:
    docs = []
    for name in ("articles", "translations", "drafts", "drafts_translations", "hidden_articles", "hidden_translations"):
        docs.extend(getattr(generator, name, []) or [])
    return docs


def normalise_tags(generator) -> None:
    """Rewrite every document's tags to canonical names with unique slugs."""
    taxonomy = _taxonomy(generator.settings)
    docs = [d for d in _documents(generator) if getattr(d, "tags", None)]
    written = [" ".join(str(t).split()) for d in docs for t in d.tags]
    names = canonical_names(written, taxonomy)
    slugs = unique_slugs(set(names.values()), taxonomy)
    tags: dict[str, Tag] = {}
    for name, slug in slugs.items():
        tag = Tag(name, generator.settings)
        tag.slug = slug
        tags[name] = tag
    by_written: dict[str, Tag] = {}
    for doc in docs:
        seen: list[Tag] = []
        for raw in doc.tags:
            written = str(raw)
            tag = by_written.get(written)
            if tag is None:
                tag = by_written[written] = tags[names[" ".join(written.split())]]
            if all(t is not tag for t in seen):  # one object per name (and one name per slug)
                seen.append(tag)
        doc.tags = seen
        doc.metadata["tags"] = seen


def register() -> None:
    """Pelican plugin entry point."""
    signals.article_generator_pretaxonomy.connect(normalise_tags)
