"""The citable record of one article and how it is made from front matter.

Every value here comes from scraped pages, so the record is where text is
made single-line and URLs are checked (``safe_url``); the formatters can then
concentrate on each format's own escaping.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from unidecode import unidecode

from microsite.normalise.sanitize import safe_url

# Surname particles that stay with the family name ("Ludwig van Beethoven").
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "ter", "ten", "bin", "ibn", "al"}
_STOPWORDS = {"a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "or", "is", "are", "with", "by", "from"}


@dataclass(frozen=True)
class Name:
    """A person's name split the way citation styles need it.

    ``literal`` is used alone for names we cannot split (one word, an
    organisation, "Staff reporter").
    """

    family: str = ""
    given: str = ""
    literal: str = ""

    def display(self) -> str:
        """The name as written in running text ("Vladimir Zainetdinov")."""
        return self.literal or " ".join(p for p in (self.given, self.family) if p)


@dataclass(frozen=True)
class Reference:
    """What a citation of one press article needs, already cleaned."""

    title: str
    container: str = ""  # the outlet: "BelTA", "Reuters"
    authors: tuple[Name, ...] = ()
    issued: dt.date | None = None
    issued_time: dt.datetime | None = None
    modified: dt.datetime | None = None
    accessed: dt.date | None = None
    url: str = ""  # the original article
    lang: str = ""
    section: str = ""
    keywords: tuple[str, ...] = ()
    abstract: str = ""
    dateline: str = ""
    slug: str = ""
    key: str = field(default="", compare=False)


def one_line(value: object) -> str:
    """Collapse whitespace (newlines included) into single spaces.

    Line-based formats (RIS, meta tags) must never see a newline from a
    scraped string: it could start a new tag.
    """
    return re.sub(r"\s+", " ", str(value or "")).strip()


def parse_name(raw: str) -> Name:
    """Split "Given Family" or "Family, Given"; one word stays a literal."""
    text = one_line(raw)
    text = re.sub(r"^(?:by|автор)\s+", "", text, flags=re.IGNORECASE)
    if not text:
        return Name()
    if "," in text:
        family, _, given = text.partition(",")
        return Name(family=family.strip(), given=given.strip()) if given.strip() else Name(literal=family.strip())
    words = text.split(" ")
    if len(words) == 1 or any(ch.isdigit() for ch in text):
        return Name(literal=text)
    split = len(words) - 1
    while split > 1 and words[split - 1].casefold() in _PARTICLES:
        split -= 1
    return Name(family=" ".join(words[split:]), given=" ".join(words[:split]))


def _to_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _to_datetime(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _strings(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    return [one_line(v) for v in value if one_line(v)]  # type: ignore[union-attr]


def _people(value: object) -> list[str]:
    """Author strings, "A; B" split in two (a semicolon never belongs to a name)."""
    return [p.strip() for s in _strings(value) for p in s.split(";") if p.strip()]


def from_metadata(meta: Mapping[str, object]) -> Reference:
    """A Reference from front-matter values (strings, lists, dates).

    ``date`` is only a publication date when the front matter said so: the
    caller passes ``None`` for dates Pelican invented from the file's mtime.
    """
    issued = _to_datetime(meta.get("date"))
    return Reference(
        title=one_line(meta.get("title")) or "Untitled",
        container=one_line(meta.get("source")),
        authors=tuple(n for n in (parse_name(a) for a in _people(meta.get("authors"))) if n.display()),
        issued=_to_date(meta.get("date")),
        issued_time=issued,
        modified=_to_datetime(meta.get("modified")),
        accessed=_to_date(meta.get("accessed")),
        url=safe_url(meta.get("source_url")) or safe_url(meta.get("canonical_url")),
        lang=one_line(meta.get("lang"))[:12],
        section=one_line(meta.get("category")),
        keywords=tuple(_strings(meta.get("tags"))),
        abstract=one_line(meta.get("summary")),
        dateline=one_line(meta.get("dateline")),
        slug=one_line(meta.get("slug")),
    )


def _key_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unidecode(text).lower())


def base_key(ref: Reference) -> str:
    """"zainetdinov2021csto": first author (else outlet), year, first title word."""
    who = ref.authors[0].family or ref.authors[0].literal if ref.authors else ref.container
    who_key = _key_word(who.split(" ")[-1] if ref.authors else who)[:20] or "anon"
    year = str(ref.issued.year) if ref.issued else "nd"
    words = [_key_word(w) for w in ref.title.split()]
    word = next((w for w in words if w and w not in _STOPWORDS), "") or next((w for w in words if w), "")
    return f"{who_key}{year}{word[:20]}"


def assign_keys(refs: Iterable[Reference]) -> list[Reference]:
    """Copies of ``refs`` with citation keys unique across the collection.

    Clashing keys get "a", "b", ... in the order given, so callers pass the
    collection in a stable order (by date, then slug) to keep keys stable
    from one build to the next.
    """
    refs = list(refs)
    return [with_key(ref, key) for ref, key in zip(refs, unique_keys([base_key(r) for r in refs]), strict=True)]


def unique_keys(bases: list[str]) -> list[str]:
    """``assign_keys`` on base keys (``base_key``) alone: callers that keep base keys skip the rest."""
    counts: dict[str, int] = {}
    for b in bases:
        counts[b] = counts.get(b, 0) + 1
    used = {b for b, c in counts.items() if c == 1}
    next_suffix: dict[str, int] = {}
    out = []
    for base in bases:
        key = base
        if counts[base] > 1:
            n = next_suffix.get(base, 0)
            while (key := base + _suffix(n)) in used:
                n += 1
            next_suffix[base] = n + 1
            used.add(key)
        out.append(key)
    return out


def with_key(ref: Reference, key: str) -> Reference:
    """``ref`` with citation key ``key``: a copy made without ``__init__`` (``dataclasses.replace`` costs six times more)."""
    if ref.key == key:
        return ref
    new = object.__new__(Reference)
    new.__dict__.update(ref.__dict__, key=key)
    return new


def _suffix(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("a") + rem) + letters
    return letters
