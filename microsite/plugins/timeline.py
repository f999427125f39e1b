"""Coverage over time: articles per month, drawn as inline SVG at build time.

``coverage_chart`` is a Jinja filter (registered on every generator's
environment) so any template can draw the chart of the articles it lists:
the home page, a tag page, a source page.  The SVG is styled by the theme's
CSS (colours follow light/dark) and needs no script.  Months without
articles inside the covered range are shown as gaps, which is the point of a
coverage chart.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from html import escape

from markupsafe import Markup
from pelican import signals

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July",
               "August", "September", "October", "November", "December")
PLOT_WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 680, 110, 30, 10, 30


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def dated(articles: Iterable) -> list:
    """Articles whose front matter gave a date (not Pelican's file-time fallback)."""
    return [a for a in articles if getattr(a, "date", None) and getattr(a, "has_date", True)]


def date_span(articles: Iterable) -> tuple | None:
    """``(first, last)`` publication dates of the dated articles, None without any."""
    dates = [a.date for a in dated(articles)]
    return (min(dates), max(dates)) if dates else None


def month_counts(articles: Iterable) -> list[tuple[int, int, int]]:
    """``(year, month, count)`` for every month from the first to the last dated article."""
    counts = Counter(_month_index(a.date) for a in dated(articles))
    if not counts:
        return []
    first, last = min(counts), max(counts)
    return [(i // 12, i % 12 + 1, counts.get(i, 0)) for i in range(first, last + 1)]


def _label(year: int, month: int) -> str:
    return f"{MONTH_NAMES[month - 1]} {year}"


def describe(months: list[tuple[int, int, int]]) -> str:
    """One sentence for screen readers: the range, the total, the busiest month."""
    total = sum(c for _, _, c in months)
    y, m, peak = max(months, key=lambda t: (t[2], -t[0], -t[1]))
    span = _label(*months[0][:2]) if len(months) == 1 else f"{_label(*months[0][:2])} to {_label(*months[-1][:2])}"
    noun = "article" if total == 1 else "articles"
    return f"Articles per month, {span}: {total} {noun}; busiest month {_label(y, m)} ({peak})."


def coverage_chart(articles: Iterable) -> Markup:
    """An SVG bar chart of articles per month ("" when nothing is dated)."""
    months = month_counts(articles)
    if not months:
        return Markup("")
    peak = max(c for _, _, c in months) or 1
    # Bars share a fixed plot width (so labels keep their size), within readable limits.
    step = min(36.0, max(4.0, PLOT_WIDTH / len(months)))
    bar = round(step * 0.8, 1)
    width = round(LEFT + len(months) * step + 4)
    height = TOP + HEIGHT + BOTTOM
    base_y = TOP + HEIGHT
    out = [
        f'<svg class="coverage-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(describe(months))}">',
        f'<line class="chart-axis" x1="{LEFT}" y1="{base_y}" x2="{width}" y2="{base_y}"/>',
        f'<line class="chart-grid" x1="{LEFT}" y1="{TOP}" x2="{width}" y2="{TOP}"/>',
        f'<text class="chart-label" x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{peak}</text>',
        f'<text class="chart-label" x="{LEFT - 4}" y="{base_y}" text-anchor="end">0</text>',
    ]
    label_every_month = len(months) <= 18 and step >= 24
    for i, (year, month, count) in enumerate(months):
        x = round(LEFT + 2 + i * step, 1)
        if count:
            h = max(2, round(HEIGHT * count / peak))
            noun = "article" if count == 1 else "articles"
            out.append(
                f'<rect class="chart-bar" x="{x}" y="{base_y - h}" width="{bar}" height="{h}">'
                f"<title>{_label(year, month)}: {count} {noun}</title></rect>"
            )
        if label_every_month:
            mid = round(x + bar / 2, 1)
            out.append(f'<text class="chart-label" x="{mid}" y="{base_y + 13}" text-anchor="middle">{MONTH_ABBR[month - 1]}</text>')
            if month == 1 or i == 0:
                out.append(f'<text class="chart-label" x="{mid}" y="{base_y + 25}" text-anchor="middle">{year}</text>')
        elif month == 1 or (i == 0 and month <= 10):
            out.append(f'<line class="chart-tick" x1="{x}" y1="{base_y}" x2="{x}" y2="{base_y + 4}"/>')
            out.append(f'<text class="chart-label" x="{x}" y="{base_y + 16}">{year}</text>')
    out.append("</svg>")
    return Markup("".join(out))


# What these filters read of the articles they are given (for the page digests of plugins/speed_digest.py).
for _filter in (dated, date_span, month_counts, coverage_chart):
    _filter.digest_reads = frozenset({"date", "has_date"})


def add_filters(generator) -> None:
    """Make the chart available to every template."""
    generator.env.filters["coverage_chart"] = coverage_chart
    generator.env.filters["month_counts"] = month_counts
    generator.env.filters["date_span"] = date_span


def register() -> None:
    """Pelican plugin entry point."""
    signals.generator_init.connect(add_filters)
