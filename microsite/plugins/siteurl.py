"""Where the built site lives, for the few outputs that need absolute URLs.

The site's own links are relative (it must open from disk and under a
GitHub Pages sub-path).  Feeds, sitemaps and ``og:url`` want absolute URLs:
they get them when ``SITEURL`` (or ``FEED_DOMAIN``) is an absolute http(s)
URL, as ``publishconf.py`` sets from the ``SITEURL`` environment variable,
and fall back to URLs relative to the file they appear in otherwise.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, MutableMapping


def absolute_base(settings: Mapping[str, object]) -> str:
    """The absolute site URL without trailing slash, or "" when unknown."""
    for key in ("SITEURL", "FEED_DOMAIN"):
        value = str(settings.get(key) or "").strip()
        if value.startswith(("http://", "https://")):
            return value.rstrip("/")
    return ""


def link(settings: Mapping[str, object], target: str, from_file: str) -> str:
    """URL of site path ``target`` as seen from the output file ``from_file``.

    Absolute when the site URL is known; otherwise relative, which Atom
    (RFC 4287 resolves against the document's own URL) and browsers accept.
    """
    base = absolute_base(settings)
    if base:
        return f"{base}/{target}"
    rel = posixpath.relpath(target, posixpath.dirname(from_file) or ".")
    return rel


def use_defaults(generator, defaults: Mapping[str, object]) -> None:
    """Settings a plugin adds: defaults in ``settings`` and visible to templates.

    Pelican copies the settings into the template context before generators
    are created, so a default set later must be put in the context too.
    """
    settings: MutableMapping = generator.settings
    for key, value in defaults.items():
        settings.setdefault(key, value)
        generator.context.setdefault(key, settings[key])
