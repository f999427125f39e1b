"""Formatted references for people: APA 7 and Chicago 17 (bibliography).

A reference is a list of ``(text, style)`` parts, style being ``""``,
``"i"`` (italics: the outlet) or ``"url"``.  ``to_text`` gives the string to
copy, ``to_html`` the escaped markup for the page; nothing scraped is ever
interpreted as HTML.
"""

from __future__ import annotations

import datetime as dt
import html

from microsite.cite.record import Name, Reference

Parts = list[tuple[str, str]]
MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")


def _end(text: str, mark: str = ".") -> str:
    """Terminate a title with ``mark`` unless it already ends a sentence."""
    return text if text.endswith((".", "?", "!", "…")) else text + mark


def _initials(given: str) -> str:
    """"Vladimir Ivanovich" -> "V. I.", "Jean-Paul" -> "J.-P."."""
    out = []
    for word in given.split():
        pieces = [p for p in word.split("-") if p]
        out.append("-".join(p[0] + "." for p in pieces))
    return " ".join(out)


def _apa_name(name: Name) -> str:
    if name.literal:
        return name.literal
    return f"{name.family}, {_initials(name.given)}" if name.given else name.family


def _apa_authors(names: tuple[Name, ...]) -> str:
    shown = [_apa_name(n) for n in names]
    if len(shown) > 20:
        shown = [*shown[:19], "…", shown[-1]]
        return ", ".join(shown)
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + ", & " + shown[-1]


def _long_date(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def apa(ref: Reference) -> Parts:
    """APA 7 reference for a newspaper/online news article.

    Author, A. (2021, March 31). Title. *Outlet*. URL -- with no author the
    title moves to the author position (APA 9.12).
    """
    when = f"({ref.issued.year}, {MONTHS[ref.issued.month - 1]} {ref.issued.day})" if ref.issued else "(n.d.)"
    parts: Parts = []
    if ref.authors:
        authors = _apa_authors(ref.authors)
        parts.append((f"{_end(authors)} {when}. {_end(ref.title)}", ""))
    else:
        parts.append((f"{_end(ref.title)} {when}.", ""))
    if ref.container:
        parts += [(" ", ""), (ref.container, "i"), (".", "")]
    if ref.url:
        if not ref.issued and ref.accessed:
            parts.append((f" Retrieved {_long_date(ref.accessed)}, from ", ""))
        else:
            parts.append((" ", ""))
        parts.append((ref.url, "url"))
    return parts


def _chicago_authors(names: tuple[Name, ...]) -> str:
    """First author inverted, the others in running order (CMOS 14.76)."""
    first = names[0]
    shown = [first.literal or (f"{first.family}, {first.given}" if first.given else first.family)]
    shown += [n.display() for n in names[1:]]
    if len(shown) > 10:
        shown = [*shown[:7], "et al"]
        return ", ".join(shown)
    if len(shown) == 1:
        return shown[0]
    if len(shown) == 2:
        return f"{shown[0]}, and {shown[1]}"
    return ", ".join(shown[:-1]) + ", and " + shown[-1]


def chicago(ref: Reference) -> Parts:
    """Chicago 17 bibliography entry for a news article (CMOS 14.191, 14.207).

    Unsigned articles are listed under the outlet:
    *Outlet*. "Title." March 31, 2021. URL.
    """
    title = f"“{_end(ref.title)}”"
    date = _long_date(ref.issued) if ref.issued else ""
    parts: Parts = []
    if ref.authors:
        parts.append((f"{_end(_chicago_authors(ref.authors))} {title}", ""))
        if ref.container:
            parts += [(" ", ""), (ref.container, "i")]
            parts.append((f", {date}." if date else ".", ""))
        elif date:
            parts.append((f" {date}.", ""))
    elif ref.container:
        parts += [(ref.container, "i"), (f". {title}", "")]
        if date:
            parts.append((f" {date}.", ""))
    else:
        parts.append((title + (f" {date}." if date else ""), ""))
    if not ref.issued and ref.accessed:
        parts.append((f" Accessed {_long_date(ref.accessed)}.", ""))
    if ref.url:
        parts += [(" ", ""), (ref.url, "url"), (".", "")]
    return parts


def to_text(parts: Parts) -> str:
    """Plain text of a reference (what "copy" puts on the clipboard)."""
    return "".join(text for text, _ in parts)


def to_html(parts: Parts) -> str:
    """Escaped HTML: italics for the outlet, a link for the URL.

    The URL part only ever holds what ``safe_url`` accepted (see
    ``record.from_metadata``), and it is escaped all the same.
    """
    out = []
    for text, style in parts:
        esc = html.escape(text, quote=True)
        if style == "i":
            out.append(f"<i>{esc}</i>")
        elif style == "url":
            out.append(f'<a href="{esc}" rel="noopener noreferrer nofollow">{esc}</a>')
        else:
            out.append(esc)
    return "".join(out)
