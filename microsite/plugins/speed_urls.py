"""Article, tag, category and author URLs computed once per build, once they are final.

Pelican computes ``article.url`` and ``tag.url`` afresh on every access (and
with it the article's path relative to the content folder, kept here for good):
it builds a dict of every field and formats the URL pattern with it.  A
page lists dozens of articles and tags, and a clean build of 10,000
articles asks ~250,000 times (a quarter of all rendering).  Once every
generator has read its content (``all_generators_finalized``) slugs,
dates and languages no longer change, so from then on each answer is kept
for the rest of the build.  Before that point (while plugins may still
rename tags or set slugs) an article's URL is kept only with the fields it
was made from, and used again only while they are the same (``_made_from``):
Pelican asks for every ``save_as`` when it checks each article it reads.  The
memo lives outside the objects, so it never shows in their fields (page
digests, caches).
"""

from __future__ import annotations

import functools
import string

from pelican.contents import Content
from pelican.urlwrappers import URLWrapper

from microsite.plugins.speed_memo import might_link

_frozen = False
_memo: dict[tuple, tuple[object, object]] = {}
_early: dict[tuple, tuple[object, tuple, object]] = {}  # before the freeze: (object, made from, value)
_installed = False
# What Pelican formats a content URL pattern with, besides the metadata: a pattern naming nothing
# else follows from these fields (see Pelican's ``Content.url_format``).
_URL_FIELDS = frozenset({"slug", "lang", "date", "author", "category"})
_SAFE: dict[int, tuple[dict, bool]] = {}


def _only_url_fields(settings: dict) -> bool:
    """Whether every article and page URL pattern names only ``_URL_FIELDS`` (once per settings)."""
    hit = _SAFE.get(id(settings))
    if hit is None or hit[0] is not settings:
        names = set()
        for key, value in settings.items():
            if key.endswith(("_URL", "_SAVE_AS")) and key.split("_")[0] in {"ARTICLE", "DRAFT", "PAGE"}:
                for _text, field, _spec, _conv in string.Formatter().parse(str(value or "")):
                    if field is not None:
                        names.add(field.split(".")[0].split("[")[0])
        hit = _SAFE[id(settings)] = (settings, names <= _URL_FIELDS)
    return hit[1]


def _made_from(content) -> tuple:
    """The fields an article's URL is made from (when its patterns name only ``_URL_FIELDS``)."""
    author, category = getattr(content, "author", None), getattr(content, "category", None)
    return (getattr(content, "slug", ""), getattr(content, "lang", None), getattr(content, "date", None),
            getattr(content, "in_default_lang", None), getattr(content, "status", None),
            getattr(content, "override_url", None), getattr(content, "override_save_as", None),
            author.slug if author is not None else None, category.slug if category is not None else None)


_CHECKED: dict[int, tuple[object, tuple]] = {}  # once frozen: article -> the ``made_from`` found current


def _still_made_from(content, made_from: tuple) -> bool:
    """Whether ``content`` is still made from ``made_from`` (once frozen, asked once per article and
    ``made_from`` object: an article's URL and path were kept with one)."""
    hit = _CHECKED.get(id(content))
    if hit is not None and hit[0] is content and hit[1] is made_from:
        return True
    if made_from != _made_from(content):
        return False
    _CHECKED[id(content)] = (content, made_from)
    return True


def _kept(compute, contents: bool = False):
    @functools.wraps(compute)
    def wrapper(self, key, *args, **kwargs):
        memo_key = (id(self), key, args, tuple(kwargs.items()))
        early = contents and not args and not kwargs and _only_url_fields(self.settings)
        if not _frozen:
            if not early:
                return compute(self, key, *args, **kwargs)
            made_from = _made_from(self)
            hit = _early.get(memo_key)
            if hit is not None and hit[0] is self and hit[1] == made_from:
                return hit[2]
            value = compute(self, key, *args, **kwargs)
            _early[memo_key] = (self, made_from, value)
            return value
        hit = _memo.get(memo_key)
        if hit is not None and hit[0] is self:
            return hit[1]
        was = _early.get(memo_key) if early else None
        if was is not None and was[0] is self and _still_made_from(self, was[1]):
            value = was[2]
        else:
            value = compute(self, key, *args, **kwargs)
        _memo[memo_key] = (self, value)
        return value

    return wrapper


_BY_NAME: dict[tuple, tuple[dict, object]] = {}  # (class, settings, name, slug, key...) -> (settings, URL)
_PLAIN_WRAPPER = frozenset({"settings", "_name", "_slug", "_slug_from_name"})  # Pelican's own fields


def _wrapper_urls(compute):
    """``URLWrapper._from_settings``: a tag, category or author URL follows from its class, name and
    slug (and the settings) when it has only Pelican's fields.  Each article has tag objects of its
    own (34,000 at 10,000 articles, sharing some hundreds of URLs): once the slugs are final the
    URLs are kept by name, not by object."""
    by_object = _kept(compute)

    @functools.wraps(compute)
    def wrapper(self, key, *args, **kwargs):
        if not _frozen or vars(self).keys() - _PLAIN_WRAPPER:
            return by_object(self, key, *args, **kwargs)
        memo_key = (type(self), id(self.settings), self.name, self.slug, key, args, tuple(kwargs.items()))
        hit = _BY_NAME.get(memo_key)
        if hit is None or hit[0] is not self.settings:
            hit = _BY_NAME[memo_key] = (self.settings, compute(self, key, *args, **kwargs))
        return hit[1]

    return wrapper


_RELATIVE: dict[tuple[str, str], str | None] = {}  # (source path, PATH) -> path relative to PATH
_RELATIVE_KEY = "relative source path"  # in what ``known_urls`` keeps


def _relative(compute):
    """``get_relative_source_path``: a pure function of the path and ``PATH``, asked on every URL
    (and kept with a restored article: ``seed``)."""

    @functools.wraps(compute)
    def wrapper(self, source_path=None):
        key = (source_path or self.source_path, self.settings["PATH"])
        if key[0] is None:
            return compute(self, source_path)
        if key not in _RELATIVE:
            _RELATIVE[key] = compute(self, source_path)
        return _RELATIVE[key]

    return wrapper


def _slugs(slugify):
    """Pelican's ``slugify``, once per distinct name: it is a pure function (unidecode and regular
    expressions, ~50 us), asked for every tag, category and author of every article read and again
    whenever one is hashed or compared with a string."""
    known: dict[tuple, str] = {}

    @functools.wraps(slugify)
    def wrapper(value, regex_subs=(), preserve_case=False, use_unicode=False):
        try:
            key = (type(value), value, tuple(tuple(pair) for pair in regex_subs), preserve_case, use_unicode)
            hit = known.get(key)
        except TypeError:  # something unhashable: no memo
            return slugify(value, regex_subs, preserve_case, use_unicode)
        if hit is None:
            hit = known[key] = slugify(value, regex_subs, preserve_case, use_unicode)
        return hit

    return wrapper


def known_urls(content) -> tuple | None:
    """(what they are made from, {"save_as": ..., "url": ...}) of an article as read, to keep with it
    (``speed_read``) and ``seed`` on the next build; None when its URL patterns name other fields."""
    if not isinstance(content, Content) or not _only_url_fields(content.settings):
        return None
    try:
        return _made_from(content), {"save_as": content.save_as, "url": content.url,
                                     _RELATIVE_KEY: content.get_relative_source_path()}
    except Exception:  # Pelican reports a URL it cannot make when it checks the article, not here
        return None


def seed(content, known: tuple | None) -> None:
    """Take URLs ``known_urls`` gave for a restored article: used while they are made from the same."""
    if known is not None:
        made_from, values = known
        for key, value in values.items():
            if key == _RELATIVE_KEY:
                _RELATIVE[(content.source_path, content.settings["PATH"])] = value
            else:
                _early[(id(content), key, (), ())] = (content, made_from, value)


def _static_links(find):
    """``get_static_links``: no regular expression over a text that cannot hold a link."""
    @functools.wraps(find)
    def wrapper(self):
        if not might_link(getattr(self, "_content", "") or "", self.settings):
            return set()
        return find(self)

    return wrapper


def install() -> None:
    """Route Pelican's URL computations through the memo (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    import pelican.contents
    import pelican.urlwrappers

    slugify = _slugs(pelican.urlwrappers.slugify)
    pelican.urlwrappers.slugify = pelican.contents.slugify = slugify
    Content.get_url_setting = _kept(Content.get_url_setting, contents=True)
    Content.get_relative_source_path = _relative(Content.get_relative_source_path)
    Content.get_static_links = _static_links(Content.get_static_links)
    from_settings = _wrapper_urls(URLWrapper._from_settings)
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
    _early.clear()
    _RELATIVE.clear()
    _BY_NAME.clear()
    _CHECKED.clear()
