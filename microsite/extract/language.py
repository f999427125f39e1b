"""Tell the language of an article from its script.

The corpus is English and Russian (with some Kazakh, Ukrainian, Belarusian):
counting Cyrillic against Latin letters is right for that and costs nothing.
Readers prefer a declared language (``<html lang>``, a record's ``lang``)
and only fall back to this.
"""

from __future__ import annotations

import re

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z]")
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_KAZAKH = re.compile(r"[әғқңөұүһӘҒҚҢӨҰҮҺ]")


def detect_language(text: str) -> str:
    """An ISO 639-1 code for ``text``: "ru", "uk", "kk" or "en" (the default)."""
    sample = text[:5000]
    cyr = len(_CYRILLIC.findall(sample))
    lat = len(_LATIN.findall(sample))
    if cyr <= lat:
        return "en"
    if len(_KAZAKH.findall(sample)) > cyr * 0.01:
        return "kk"
    if len(_UKRAINIAN.findall(sample)) > cyr * 0.01:
        return "uk"
    return "ru"


def normalise_language(value: str) -> str:
    """``"en-US"`` / ``"ru_RU"`` / ``"English"`` to a two-letter code, or ``""``."""
    value = (value or "").strip().lower()
    names = {"english": "en", "russian": "ru", "русский": "ru"}
    if value in names:
        return names[value]
    m = re.match(r"^([a-z]{2})(?:[-_][a-z0-9]+)*$", value)
    return m.group(1) if m else ""
