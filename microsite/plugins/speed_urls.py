"""Article, tag, category and author URLs computed once per build, once they are final.

Pelican computes ``article.url`` and ``tag.url`` afresh on every access (and
with it the article's path relative to the content folder, kept here for good):
it builds a dict of every field and formats the URL pattern with it.  A
page lists dozens of articles and tags, and a clean build of 10,000
articles asks ~250,000 times (a quarter of all rendering).  Once every
generator has read its content (``all_generators_finalized``) slugs,
dates and languages no longer change, so from then on each answer is kept
for the rest of the build.  Before that point (while plugins may still
rename tags or set slugs) nothing is kept.  The memo lives outside the
objects, so it never shows in their fields (page digests, caches).
"""

from __future__ import annotations

import functools

from pelican.contents import Content
from pelican.urlwrappers import URLWrapper

_frozen = False
_memo: dict[tuple, tuple[object, object]] = {}
_installed = False


def _kept(compute):
    @functools.wraps(compute)
    def wrapper(self, key, *args, **kwargs):
        if not _frozen:
            return compute(self, key, *args, **kwargs)
        memo_key = (id(self), key, args, tuple(kwargs.items()))
        hit = _memo.get(memo_key)
        if hit is not None and hit[0] is self:
            return hit[1]
        value = compute(self, key, *args, **kwargs)
        _memo[memo_key] = (self, value)
        return value

    return wrapper


def _relative(compute):
    """``get_relative_source_path``: a pure function of the path and ``PATH``, asked on every URL."""
    known: dict[tuple[str, str], str | None] = {}

    @functools.wraps(compute)
    def wrapper(self, source_path=None):
        key = (source_path or self.source_path, self.settings["PATH"])
        if key[0] is None:
            return compute(self, source_path)
        if key not in known:
            known[key] = compute(self, source_path)
        return known[key]

    return wrapper


def install() -> None:
    """Route Pelican's URL computations through the memo (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    Content.get_url_setting = _kept(Content.get_url_setting)
    Content.get_relative_source_path = _relative(Content.get_relative_source_path)
    from_settings = _kept(URLWrapper._from_settings)
    URLWrapper._from_settings = from_settings
    URLWrapper.page_name = property(lambda self: from_settings(self, "URL", get_page_name=True))
    URLWrapper.url = property(lambda self: from_settings(self, "URL"))
    URLWrapper.save_as = property(lambda self: from_settings(self, "SAVE_AS"))


def freeze(*_args) -> None:
    """``all_generators_finalized``: URLs are final from here on."""
    global _frozen
    _frozen = True


def thaw(*_args) -> None:
    """Start of a build: nothing kept."""
    global _frozen
    _frozen = False
    _memo.clear()
