"""Plain-text scrapes: a page saved as its visible text, navigation and all.

The shape varies by site, so nothing here is keyed to one publisher.  The
reader works in three passes over the lines:

1. *Labels*: ``Title:``, ``URL:``, ``Published:``, ``Source:`` ... lines that
   scrapers write are taken at their word.
2. *Body*: the body is the run of prose paragraphs (long lines ending like
   sentences); short lines before it are the page header (navigation, section,
   dates, headline), short lines after it are the footer.
3. *Header*: the headline is the nearest line above the body that is neither a
   date, a byline nor a navigation item; the publication date is the date
   nearest the headline; an earlier-printed date later in time (a site header's
   "Saturday, 20 April 2024") is the day the page was saved.
"""

from __future__ import annotations

import itertools
import re

from microsite.errors import ImportProblem
from microsite.extract import publishers
from microsite.extract.dates import find_dates, is_date_line
from microsite.extract.language import detect_language
from microsite.model import Article
from microsite.normalise.escape import paragraphs_to_markdown

LABELS = {
    "title": "title|headline|заголовок",
    "url": "url|link|source url|original url|canonical|ссылка|источник url",
    "date": "date|published|publication date|published on|posted|posted on|updated|дата|опубликовано|дата публикации",
    "accessed": "accessed|retrieved|scraped|saved|downloaded|fetched|дата доступа",
    "source": "source|publisher|site|outlet|источник|издание",
    "author": "author|authors|by|byline|автор|авторы",
    "tags": "tags|keywords|теги|ключевые слова",
    "category": "category|section|rubric|рубрика|раздел",
    "lang": "lang|language|язык",
}
_LABEL_RE = re.compile(
    r"^\s*(?P<label>" + "|".join(LABELS.values()) + r")\s*:\s*(?P<value>\S.*)$", re.IGNORECASE
)
_BYLINE_RE = re.compile(r"^\s*(?:by|автор[:\s])\s*(?P<name>[^\d].{1,80})$", re.IGNORECASE)
# "MOSCOW, 31 March (BelTA) - ", "ALMATY, June 2 (Reuters) -", "МОСКВА, 31 марта. /ТАСС/."
_DATELINE_RE = re.compile(
    r"^(?P<place>[A-ZА-ЯЁ][A-ZА-ЯЁ'’.\- ]{1,40}?)(?:,\s*[^()/\n]{0,30}?)?\s*"
    r"(?:\((?P<agency1>[^()]{2,40})\)|/(?P<agency2>[^/]{2,40})/)\.?\s*[-–—]?\s*"
)
# "МОСКВА, 15 дек – РИА Новости. " (only for a known publisher: see _dateline)
_DATELINE_DASH_RE = re.compile(
    r"^(?P<place>[A-ZА-ЯЁ][A-ZА-ЯЁ'’.\- ]{1,40}?),\s*[^–—\-\n]{0,25}?\s*[-–—]\s*(?P<agency1>[^\W\d][\w .-]{1,30}?)\.\s"
)
# "BISHKEK. KAZINFORM - ", "ASTANA. KAZINFORM –"
_DATELINE_DOT_RE = re.compile(r"^(?P<place>[A-ZА-ЯЁ][A-ZА-ЯЁ'’\- ]{1,40})\.\s+(?P<agency1>[A-ZА-ЯЁ][\w-]{1,30})\s+[-–—]\s+")
_SENTENCE_END = tuple('.!?…"”»)\'’:;')
SECTIONS = {
    s.casefold()
    for s in (
        "Politics", "Economy", "Economics", "Business", "World", "Society", "Security", "Defence",
        "Defense", "Technology", "Tech", "Science", "Culture", "Sport", "Sports", "Opinion",
        "Analysis", "Regions", "Region", "International", "Incidents", "Health", "Environment",
        "Politika", "Политика", "Экономика", "В мире", "Мир", "Общество", "Происшествия",
        "Безопасность", "Технологии", "Наука", "Культура", "Спорт", "Регионы", "Мнения",
        "Армия", "Интернет и СМИ", "Europe", "Asia", "Central Asia", "CIS", "СНГ", "Russia",
        "Россия", "Belarus", "Беларусь", "Kazakhstan", "Казахстан", "National Security",
        "Cybersecurity", "Cyber", "Diplomacy", "Military", "Law", "Crime", "Official",
    )
}


def _labels(lines: list[str]) -> tuple[dict[str, str], set[int]]:
    found: dict[str, str] = {}
    used: set[int] = set()
    for i, line in enumerate(lines):
        m = _LABEL_RE.match(line)
        if not m:
            continue
        label = m.group("label").casefold()
        key = next(k for k, v in LABELS.items() if re.fullmatch(v, label, re.IGNORECASE))
        if key == "source" and m.group("value").strip().startswith(("http://", "https://")):
            key = "url"
        if key not in found:
            found[key] = m.group("value").strip()
            used.add(i)
    return found, used


def _is_prose(line: str) -> bool:
    words = line.split()
    if len(words) >= 25:
        return True
    return len(words) >= 8 and len(line) >= 60 and line.rstrip().endswith(_SENTENCE_END)


def _body_span(lines: list[str], skip: set[int]) -> tuple[int, int] | None:
    """First and last index of the longest stretch of prose (short lines inside allowed)."""
    prose = [i for i, ln in enumerate(lines) if i not in skip and _is_prose(ln)]
    if not prose:
        return None
    # Prefix sums of line lengths: the weight of a stretch in O(1), so a 20 MB scrape stays linear.
    prefix = list(itertools.accumulate((len(ln) for ln in lines), initial=0))
    best, start = (prose[0], prose[0]), prose[0]
    for prev, cur in itertools.pairwise(prose):
        gap = sum(1 for ln in lines[prev + 1 : cur] if ln.strip())
        if gap > 3:  # a block of short lines between prose: a teaser list, not the body
            start = cur
        if prefix[cur + 1] - prefix[start] > prefix[best[1] + 1] - prefix[best[0]]:
            best = (start, cur)
    return best


def _dateline(first: str) -> tuple[str, str, str]:
    """(place, agency, paragraph without the dateline) for a body's first paragraph."""
    m = _DATELINE_RE.match(first) or _DATELINE_DOT_RE.match(first)
    if not m:
        m = _DATELINE_DASH_RE.match(first)
        if m and not publishers.by_alias(m.group("agency1")):
            m = None
    if not m or len(m.group("place").strip()) < 2:
        return "", "", first
    place = m.group("place").strip().rstrip(".")
    if place.upper() != place:  # datelines shout the place; "The minister (Ret.)" is not one
        return "", "", first
    agency = (m.groupdict().get("agency1") or m.groupdict().get("agency2") or "").strip()
    return place, agency, first


def _is_header_noise(line: str) -> bool:
    return is_date_line(line) or bool(_BYLINE_RE.match(line)) or len(line.split()) < 3


def read(data: bytes, source_file: str) -> list[Article]:
    """Parse one text scrape into one article (or raise ImportProblem)."""
    text = decode_text(data)
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    if not any(lines):
        raise ImportProblem("empty file")
    labels, used = _labels(lines)
    span = _body_span(lines, used)
    if span is None and "title" not in labels:
        raise ImportProblem("no article text found (no paragraph of prose)")
    start, end = span if span else (len(lines), len(lines) - 1)

    body_lines = [ln for i, ln in enumerate(lines[start : end + 1], start) if i not in used]
    paragraphs = _paragraphs(body_lines)
    place, agency, _ = _dateline(paragraphs[0]) if paragraphs else ("", "", "")

    header = [(i, ln) for i, ln in enumerate(lines[:start]) if ln and i not in used]
    title = labels.get("title") or _find_title(header)
    if not title:
        raise ImportProblem("no headline found above the article text")
    title_at = next((i for i, ln in header if ln == title), start)

    article = Article(title=title, dateline=place)
    article.body = paragraphs_to_markdown(paragraphs)
    article.source_url = labels.get("url", "")
    publisher = publishers.by_alias(labels.get("source", "") or agency) or (
        publishers.by_url(article.source_url) if article.source_url else None
    )
    article.source = (publisher or {}).get("name") or labels.get("source", "") or agency
    article.lang = (labels.get("lang") or detect_language(title + " " + article.body)).lower()[:2]
    pub_at = _set_dates(article, paragraphs, header, labels, title_at, publisher)
    article.category = labels.get("category") or _find_section(header, {title_at, pub_at})
    author = labels.get("author") or next(
        (m.group("name").strip() for _, ln in header if (m := _BYLINE_RE.match(ln))), ""
    )
    article.authors = [a.strip() for a in re.split(r"[,;]| and | и ", author) if a.strip()]
    if labels.get("tags"):
        article.keywords = [t.strip() for t in re.split(r"[,;]", labels["tags"]) if t.strip()]
    return [article]


def _paragraphs(lines: list[str]) -> list[str]:
    paras: list[str] = []
    current: list[str] = []
    for ln in lines:
        if not ln:
            if current:
                paras.append(" ".join(current))
                current = []
        elif _is_prose(ln) or not current:
            # Scrapes of visible text put each paragraph on its own line.
            if current:
                paras.append(" ".join(current))
            current = [ln]
        else:
            current.append(ln)
    if current:
        paras.append(" ".join(current))
    return paras


def _find_title(header: list[tuple[int, str]]) -> str:
    counts: dict[str, int] = {}
    for _, ln in header:
        counts[ln] = counts.get(ln, 0) + 1
    for _, ln in reversed(header):
        if counts[ln] > 1 or _is_header_noise(ln) or ln.casefold() in SECTIONS:
            continue
        return ln
    return ""


def _find_section(header: list[tuple[int, str]], anchors: set[int]) -> str:
    """A known section name printed right above the headline or the publication date."""
    for pos, (_, ln) in enumerate(header):
        below = header[pos + 1][0] if pos + 1 < len(header) else None
        if below in anchors and ln.casefold() in SECTIONS:
            return ln
    return ""


def _set_dates(
    article: Article,
    paragraphs: list[str],
    header: list[tuple[int, str]],
    labels: dict[str, str],
    title_at: int,
    publisher: dict | None,
) -> int:
    """Set date and accessed; returns the header line index of the publication date (-1 if none)."""
    month_first = article.lang == "en" and not publisher
    candidates = []
    for i, ln in header:
        for f in find_dates(ln, month_first):
            candidates.append((i, f))
    pub, pub_at = None, -1
    if "date" in labels:
        found = find_dates(labels["date"], month_first)
        pub = found[0] if found else None
    if pub is None and candidates:
        # Nearest to the headline; prefer ones with a time of day on ties.
        pub_at, pub = min(candidates, key=lambda c: (abs(c[0] - title_at), not c[1].has_time))
    if pub is None and paragraphs:
        # "MINSK, 12 February 2024 (BelTA) - ...": a full date inside the dateline.
        found = [f for f in find_dates(paragraphs[0][:80], month_first) if f.start < 40]
        pub = found[0] if found else None
    if pub is not None:
        article.date = publishers.localise(pub.value, publisher) if pub.has_time else pub.value
        if pub.ambiguous:
            article.notes.append(f"ambiguous date read as {pub.value:%Y-%m-%d}")
    if "accessed" in labels:
        found = find_dates(labels["accessed"])
        article.accessed = found[0].value.date() if found else None
    elif pub is not None:
        later = [f for _, f in candidates if f is not pub and f.value.date() > pub.value.date()]
        if later:
            article.accessed = max(later, key=lambda f: f.value).value.date()
    return pub_at


def decode_text(data: bytes) -> str:
    """Decode a text file: BOMs first, then UTF-8, then the best guess."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if b"\x00" in data[:4096]:
        raise ImportProblem("binary file (NUL bytes), not a text scrape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise ImportProblem("cannot tell the text encoding") from None
        return str(best)



