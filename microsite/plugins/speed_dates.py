"""Pelican's date parsing without dateutil for the ISO forms our front matter holds.

Pelican parses every ``date`` (front matter, and the ``YYYY-MM-DD`` a file
name starts with) with ``dateutil.parser.parse``: ~50 us a call, a second per
10,000 articles.  ``get_date`` here answers the plain ISO forms itself, with
exactly dateutil's result (a ``SafeDatetime``; naive, or with
``tzoffset(None, seconds)`` for a non-zero offset), and hands anything else
(UTC offsets, which dateutil maps to the local zone, fractions, words) to
Pelican's own.  ``tests/test_speed_dates.py`` compares both on many strings.
"""

from __future__ import annotations

import re

from dateutil.tz import tzoffset
from pelican import readers, utils
from pelican.utils import SafeDatetime

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:([+-])(\d{2}):(\d{2}))?)?"
)
_pelican_get_date = utils.get_date


def get_date(string: str):
    """``pelican.utils.get_date``, fast for ``YYYY-MM-DD[THH:MM[:SS][±HH:MM]]``."""
    m = _ISO.fullmatch(string) if isinstance(string, str) else None
    if m is None:
        return _pelican_get_date(string)
    year, month, day, hour, minute, second, sign, off_h, off_m = m.groups()
    tz = None
    if sign:
        offset = (int(off_h) * 3600 + int(off_m) * 60) * (-1 if sign == "-" else 1)
        if offset == 0 or int(off_m) >= 60:
            return _pelican_get_date(string)
        tz = tzoffset(None, offset)
    try:
        return SafeDatetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                            tzinfo=tz)
    except ValueError:
        return _pelican_get_date(string)


def install() -> None:
    """Let Pelican's metadata processors use ``get_date``."""
    readers.get_date = get_date
