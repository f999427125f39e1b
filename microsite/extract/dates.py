"""Find and parse publication dates written by people, in English and Russian.

Saved pages and text scrapes write dates in dozens of ways ("31 March 2021,
10:38", "March 31, 2021", "31 марта 2021 г.", "31.03.2021", ISO 8601).  A
general date library (dateparser) is slow and guesses too eagerly on
navigation text, so this module recognises the explicit shapes only and says
how sure it is: a date found here always has a day, a month and a year.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "january jan январь января янв",
        "february feb февраль февраля фев",
        "march mar март марта мар",
        "april apr апрель апреля апр",
        "may май мая",
        "june jun июнь июня июн",
        "july jul июль июля июл",
        "august aug август августа авг",
        "september sep sept сентябрь сентября сен сент",
        "october oct октябрь октября окт",
        "november nov ноябрь ноября ноя нояб",
        "december dec декабрь декабря дек",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _num

_MONTH = r"(?P<month>[A-Za-zА-Яа-яЁё]{3,10})\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_TIME = (
    r"(?:(?:,|\s+at|\s+в|\s*[-–—|])?\s*(?P<hour>[0-2]?\d)[:.](?P<minute>[0-5]\d)"
    r"(?::(?P<second>[0-5]\d))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
    r"(?:\s*(?P<tz>(?:GMT|UTC)\s*[+-]\s*\d{1,2}(?::?\d\d)?|[+-]\d\d:?\d\d|MSK|UTC|GMT|Z)\b)?)?"
)
_TIME_FIRST = r"(?:(?P<hour>[0-2]?\d):(?P<minute>[0-5]\d)\s*,?\s+)"

PATTERNS = [
    # 2021-03-31T10:38:00+03:00, 2021-03-31 10:38
    re.compile(
        r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)"
        r"(?:[T ](?P<hour>[0-2]\d):(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d)(?:\.\d+)?)?"
        r"(?P<tz>Z|[+-]\d\d:?\d\d)?)?(?!\d)"
    ),
    # 10:38, 31 марта 2021
    re.compile(
        rf"{_TIME_FIRST}{_DAY}\s+{_MONTH}\s*,?\s+{_YEAR}(?!\d)",
        re.IGNORECASE,
    ),
    # 31 March 2021, 10:38 / 31 марта 2021 г., 10:38
    re.compile(
        rf"(?<![\w.]){_DAY}\s+{_MONTH}\s*,?\s+{_YEAR}(?:\s*(?:г\.|года?))?{_TIME}(?!\d)",
        re.IGNORECASE,
    ),
    # March 31, 2021 10:38 AM
    re.compile(
        rf"(?<![\w]){_MONTH}\s+{_DAY},?\s+{_YEAR}{_TIME}(?!\d)",
        re.IGNORECASE,
    ),
    # 31.03.2021 10:38 / 03/04/2021
    re.compile(
        r"(?<![\d.])(?P<a>[0-3]?\d)(?P<sep>[./])(?P<b>[01]?\d)(?P=sep)(?P<year>(?:19|20)\d\d)(?![\d])"
        + _TIME.replace("(?P<tz>", "(?P<tz>"),
    ),
]


@dataclass(frozen=True)
class FoundDate:
    """A date found in text, with where it was and what it carried."""

    value: dt.datetime
    has_time: bool
    start: int
    end: int
    ambiguous: bool = False


def _tzinfo(raw: str | None) -> dt.tzinfo | None:
    if not raw:
        return None
    raw = raw.upper().replace(" ", "")
    if raw in {"Z", "UTC", "GMT"}:
        return dt.UTC
    if raw == "MSK":
        return dt.timezone(dt.timedelta(hours=3))
    m = re.fullmatch(r"(?:GMT|UTC)?([+-])(\d{1,2}):?(\d\d)?", raw)
    if not m:
        return None
    delta = dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
    return dt.timezone(-delta if m.group(1) == "-" else delta)


def _build(groups: dict[str, str | None], month_first: bool) -> tuple[dt.datetime, bool, bool] | None:
    ambiguous = False
    if groups.get("a"):
        a, b = int(groups["a"] or 0), int(groups["b"] or 0)
        if groups.get("sep") == "/" and month_first and a <= 12:
            month, day = a, b
        else:
            day, month = a, b
        if groups.get("sep") == "/" and a <= 12 and b <= 12 and a != b:
            ambiguous = True
        if month > 12 and day <= 12:
            day, month = month, day
    else:
        raw_month = groups["month"] or ""
        month = int(raw_month) if raw_month.isdigit() else MONTHS.get(raw_month.lower().rstrip("."), 0)
        day = int(groups["day"] or 0)
    if not month:
        return None
    hour = int(groups.get("hour") or 0)
    minute = int(groups.get("minute") or 0)
    second = int(groups.get("second") or 0)
    ampm = (groups.get("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        value = dt.datetime(int(groups["year"] or 0), month, day, hour, minute, second)
    except ValueError:
        return None
    tz = _tzinfo(groups.get("tz"))
    if tz is not None:
        value = value.replace(tzinfo=tz)
    return value, groups.get("hour") is not None, ambiguous


def find_dates(text: str, month_first: bool = False) -> list[FoundDate]:
    """Every complete date in ``text``, in order of position, without overlaps.

    ``month_first`` settles "03/04/2021" (US usage); such dates are flagged
    ``ambiguous`` so callers can say so.
    """
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for pattern in PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            built = _build(m.groupdict(), month_first)
            if built:
                taken.append((m.start(), m.end()))
                found.append(FoundDate(built[0], built[1], m.start(), m.end(), built[2]))
    return sorted(found, key=lambda f: f.start)


def parse_date(text: str, month_first: bool = False) -> dt.datetime | None:
    """The first complete date in ``text``, or None."""
    found = find_dates(text, month_first)
    return found[0].value if found else None


def words_besides_dates(line: str) -> int | None:
    """How many words a line has outside its dates; None when it has no date."""
    found = find_dates(line)
    if not found:
        return None
    rest = line
    for f in reversed(found):
        rest = rest[: f.start] + rest[f.end :]
    return len(re.findall(r"[^\W\d_]+", rest))


def is_date_line(line: str, max_words: int = 4) -> bool:
    """True when a line is little more than a date (plus weekday, labels, time)."""
    words = words_besides_dates(line)
    return words is not None and words <= max_words
