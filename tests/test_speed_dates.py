"""The fast date parser gives exactly what Pelican's dateutil-based one gives."""

from __future__ import annotations

import itertools

import pytest
from pelican.utils import get_date as pelican_get_date

from microsite.plugins.speed_dates import get_date

DATES = ["2018-01-01", "2024-02-29", "1999-12-31"]
TIMES = ["", "T10:38", "T10:38:05", " 23:59:59", "T00:00:00"]
ZONES = ["", "+03:00", "-05:30", "+00:00", "Z", "+14:00", "-00:00"]
ODD = ["2023-02-29", "2021-13-01", "2021-03-31T25:00", "2021-03-31T10:38:00.123+03:00", "31 March 2021",
       "2021-03-31T10:38+0300", "March 31, 2021 10:38"]


def outcome(parse, text):
    try:
        value = parse(text)
    except ValueError:
        return "ValueError"
    return (type(value), value, repr(value.tzinfo), value.utcoffset())


@pytest.mark.parametrize("text", [d + t + (z if t else "") for d, t, z in itertools.product(DATES, TIMES, ZONES)] + ODD)
def test_same_as_pelican(text):
    assert outcome(get_date, text) == outcome(pelican_get_date, text)
