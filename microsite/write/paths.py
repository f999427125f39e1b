"""One slug and path policy for every file the import writes.

Slugs are ASCII (Cyrillic is transliterated with unidecode, which Pelican
already depends on), lower case, at most 80 characters, never a Windows
reserved name, never empty.  A path is only ever built from a slug, and
``inside()`` checks the result stays under its root, so no scraped string
decides where a file goes.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from unidecode import unidecode

MAX_SLUG = 80
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def slugify(text: str, fallback: str = "") -> str:
    """A portable slug for ``text``; ``fallback`` (hashed) when nothing is left."""
    ascii_text = unidecode(text or "").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    if not slug:
        digest = hashlib.sha256((fallback or text or "").encode("utf-8")).hexdigest()[:12]
        slug = f"article-{digest}"
    if slug in _RESERVED:
        slug = f"{slug}-article"
    return slug


def inside(root: Path, *parts: str) -> Path:
    """``root / parts`` resolved, or ValueError when it would leave ``root``."""
    root = root.resolve()
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root):
        raise ValueError(f"refusing to write outside {root}: {target}")
    return target


def unique_slug(slug: str, taken: set[str], salt: str) -> str:
    """``slug`` or, when taken by another article, ``slug-<short hash of salt>``."""
    if slug not in taken:
        return slug
    digest = hashlib.sha256(salt.encode("utf-8")).hexdigest()
    for size in (6, 10, 16, 64):
        candidate = f"{slug[: MAX_SLUG - size - 1]}-{digest[:size]}"
        if candidate not in taken:
            return candidate
    raise ValueError(f"cannot find a free slug for {slug!r}")
