"""Article metadata from a saved page: what the publisher declared, then what it printed.

Declared metadata (JSON-LD, Open Graph, ``<meta>`` names several CMSs write,
``<time>``) is precise and cheap, so it comes first; trafilatura's metadata
reader (which runs htmldate over the whole page) fills the gaps.  That
second step can be slow on huge pages, so it runs under a per-page time
limit and is simply skipped when the limit is hit.

Titles: the page's ``<title>`` usually carries the site's name, and an
``og:title`` / JSON-LD headline sometimes too; the headline is the title
candidate with the site's name and separators trimmed, checked against the
page's ``<h1>``.  Authors must look like people's names (see ``is_person``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html

from microsite.extract import dates
from microsite.extract.language import normalise_language
from microsite.extract.timeout import time_limit

METADATA_SECONDS = 3.0

_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|:|«|»|·|•|/|\\|~)\s+")
_ARTICLE_TYPES = re.compile(r"Article|BlogPosting|Report|NewsArticle|Posting|Story|LiveBlog", re.IGNORECASE)
_BY = re.compile(r"^\s*(?:by|from|von|par|por|di|door|av|af|автор[ыа]?|текст|posted by|written by)\s*[:\-]?\s+",
                 re.IGNORECASE)
_NOT_NAMES = {
    "username", "user", "admin", "administrator", "author", "authors", "name", "your name", "staff", "editor",
    "editors", "editorial", "editorial staff", "guest", "anonymous", "unknown", "email", "e-mail", "password",
    "login", "log in", "sign in", "subscribe", "search", "comments", "comment", "share", "follow", "contact",
    "redaktion", "rédaction", "редакция", "автор", "пользователь", "имя", "webmaster", "team", "news desk",
    "newsroom", "web desk", "press release", "posted", "facebook", "twitter", "more", "menu",
}
# Lower-case words that belong inside names ("Ludwig van Beethoven", "Michiel de Jong").
_PARTICLES = {"de", "da", "di", "du", "del", "della", "der", "den", "van", "von", "la", "le", "bin", "ibn", "al",
              "el", "dos", "das", "do", "y", "e", "ter", "zu", "af", "av"}
_BYLINE_XPATH = (
    "//*[@rel='author' or @itemprop='author' or contains(concat(' ', normalize-space(@class), ' '), ' byline ')"
    " or contains(@class, 'author-name') or contains(@class, 'byline__name') or contains(@class, 'author__name')"
    " or contains(@class, 'article-author') or contains(@class, 'post-author') or @class='author'"
    " or contains(@class, 'byline-name') or contains(@class, 'meta-author')]"
)


@dataclass
class Metadata:
    """What the page says about its article; empty strings/None where it says nothing."""

    title: str = ""
    date: dt.datetime | None = None
    modified: dt.datetime | None = None
    authors: list[str] = field(default_factory=list)
    sitename: str = ""
    url: str = ""
    canonical_url: str = ""
    lang: str = ""
    description: str = ""
    section: str = ""
    keywords: list[str] = field(default_factory=list)


# --- declared metadata ---------------------------------------------------------------------


def _meta(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """``<meta>`` name/property/itemprop -> content (first one wins), keys lower-cased."""
    out: dict[str, str] = {}
    for el in tree.iter("meta"):
        content = el.get("content")
        if content is None or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            for key in (el.get(attr) or "").lower().split():  # RDFa allows several, space-separated
                out.setdefault(key, " ".join(content.split()))
    return out


def _first(meta: dict[str, str], *keys: str) -> str:
    return next((meta[k] for k in keys if meta.get(k)), "")


def _ld_names(value: object, persons_only: bool = False) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            if persons_only and "Organization" in str(item.get("@type", "")):
                continue
            name = item.get("name")
            if isinstance(name, str):
                names.append(name)
            elif isinstance(name, list):
                names.extend(n for n in name if isinstance(n, str))
    return names


def _ld_persons(value: object) -> list[str]:
    """Names of JSON-LD objects typed Person (trusted even when a blog is named after its author)."""
    items = value if isinstance(value, list) else [value]
    return [n for i in items if isinstance(i, dict) and "Person" in str(i.get("@type", "")) for n in _ld_names(i)]


def _ld_article(ld: list[dict]) -> dict:
    """The JSON-LD object describing the article (an Article type, else a WebPage with a headline)."""
    articles = [i for i in ld if _ARTICLE_TYPES.search(str(i.get("@type", "")))]
    if articles:
        return max(articles, key=lambda i: len(str(i.get("articleBody", ""))) + 10 * bool(i.get("headline")))
    pages = [i for i in ld if i.get("headline") or i.get("datePublished")]
    return pages[0] if pages else {}


def parse_datetime(value: object) -> dt.datetime | None:
    """An ISO 8601 or human-written date, timezone-aware when an offset is given."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    iso = re.sub(r"(\.\d+)?(Z|[+-]\d\d:?\d\d)?$", lambda m: (m.group(2) or "").replace("Z", "+00:00"), text)
    iso = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", iso)
    with contextlib.suppress(ValueError):
        value_dt = dt.datetime.fromisoformat(iso.replace(" ", "T", 1) if re.match(r"\d{4}-\d\d-\d\d \d", iso) else iso)
        if 1990 <= value_dt.year <= dt.date.today().year + 1:
            return value_dt
    return dates.parse_date(text)


def _time_elements(tree: lxml.html.HtmlElement) -> dt.datetime | None:
    for xpath in ("//time[@itemprop='datePublished']", "//*[@itemprop='datePublished']",
                  "//time[@pubdate]", "//time[contains(@class, 'publish') or contains(@class, 'date')]",
                  "//article//time", "//time"):
        for el in tree.xpath(xpath)[:3]:
            found = parse_datetime(el.get("datetime") or el.get("content") or el.text_content())
            if found:
                return found
    return None


# --- cleaning ------------------------------------------------------------------------------


def clean_author(raw: str) -> str:
    """A byline reduced to a name: "By Jane Doe, Staff Writer | 3 May" -> "Jane Doe"."""
    text = " ".join(raw.split())
    text = _BY.sub("", text)
    text = re.split(r"\s*(?:\||•|·|—|–|\b(?:edited|photos?|photographs|illustrations?|video|reporting) by\b|\bon\b|\bupdated\b|\bpublished\b|\d{1,2}[:.]\d\d|\d{4})", text, maxsplit=1,
                    flags=re.IGNORECASE)[0]
    text = re.split(r",\s*(?:staff|senior|chief|special|contributing|associate|political|foreign|reporter|"
                    r"correspondent|editor|writer|columnist|for\b)", text, maxsplit=1, flags=re.IGNORECASE)[0]
    return text.strip(" ,;:-@")


def is_person(name: str, sitename: str = "") -> bool:
    """True when ``name`` looks like a person's name, not a label, site or handle."""
    words = name.split()
    if not 1 <= len(words) <= 6 or len(name) > 60:
        return False
    low = name.casefold()
    if low in _NOT_NAMES or (sitename and low == sitename.casefold()):
        return False
    if re.search(r"[@/\\<>{}=_#]|https?:|www\.|\.(?:com|org|net|ru)\b|\d", name):
        return False
    if re.search(r"[\u3040-\u9fff\uac00-\ud7af]", name):
        return 2 <= len(name) <= 12  # Chinese, Japanese, Korean names: no spaces, few characters
    if not any(ch.isalpha() and ch.isupper() for ch in name) and not re.search(r"[^\x00-\x7f]", name):
        return False  # "john" or "admin": a handle, not a byline
    if any(w[0].islower() and w.casefold() not in _PARTICLES for w in words if w[0].isalpha()):
        return False  # "Authority control": a heading, not a name
    if len(words) <= 2 and len(words[0]) == 1:
        return False  # "J J", "S Sky": avatars' initials, not a byline
    return len(words) >= 2 or len(name) >= 4


def split_authors(raw: str) -> list[str]:
    parts = re.split(r"\s*(?:,|;|&|\band\b|\bund\b|\bet\b|\bи\b|\by\b)\s*", raw)
    return [p for p in (clean_author(x) for x in parts) if p]


def names_from_bylines(candidates: list[str], sitename: str) -> list[str]:
    """People's names from byline strings, in order, without repeats."""
    out: list[str] = []
    for raw in candidates:
        whole = clean_author(raw)
        for name in [whole] if is_person(whole, sitename) else split_authors(raw):
            if is_person(name, sitename) and name.casefold() not in (n.casefold() for n in out):
                out.append(name)
    return out[:8]


def _sitename_from_url(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return host


def clean_title(raw: str, sitename: str, h1s: list[str]) -> str:
    """The headline from a title candidate: site name and separators trimmed, checked against ``<h1>``s."""
    title = " ".join(raw.split())
    if not title:
        return ""
    folded = _letters(title)
    for h1 in h1s:
        h = _letters(h1)
        if h and len(h) * 2 >= len(folded) and h in folded:
            return " ".join(h1.split())  # the page's own headline, without the site's name
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        site = _letters(sitename)
        keep = [p for p in parts if not site or (_letters(p) not in site and site not in _letters(p))]
        if keep and len(keep) < len(parts):
            candidate = max(keep, key=len) if len(keep) > 1 else keep[0]
            if len(candidate.split()) >= 3 or len(keep) == 1:
                return candidate.strip()
        longest = max(parts, key=len)
        if len(longest.split()) >= 4 and len(longest) * 2 >= len(title):
            return longest.strip()
    return title


def pick_title(candidates: list[str], sitename: str, h1s: list[str]) -> str:
    """The first candidate confirmed by an ``<h1>``, else the first candidate, cleaned."""
    cleaned = [clean_title(c, sitename, h1s) for c in candidates if c and c.strip()]
    confirmed = [c for c in cleaned if any(_letters(c) == _letters(h) for h in h1s)]
    return (confirmed or cleaned or [h1s[0] if h1s else ""])[0]


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


# --- the whole step ------------------------------------------------------------------------


def extract_metadata(tree: lxml.html.HtmlElement, url: str = "", ld: list[dict] | None = None,
                     seconds: float = METADATA_SECONDS) -> Metadata:
    """Metadata for the page ``tree`` (uncleaned: scripts and ``<meta>`` still in it)."""
    ld = ld or []
    meta = _meta(tree)
    art = _ld_article(ld)
    md = Metadata()

    # where the page lives
    canonical = next((el.get("href") for el in tree.xpath("//link[@rel='canonical'][@href]")), "") or ""
    md.canonical_url = _absolute(canonical, url)
    md.url = url or _absolute(_first(meta, "og:url", "twitter:url"), "") or md.canonical_url

    publisher = art.get("publisher") or next(
        (i for i in ld if "Organization" in str(i.get("@type", "")) or i.get("@type") == "WebSite"), {}
    )
    md.sitename = _first(meta, "og:site_name", "application-name", "apple-mobile-web-app-title", "twitter:app:name:iphone") \
        or next(iter(_ld_names(publisher)), "")
    md.sitename = " ".join(md.sitename.split())

    h1s = [" ".join(h.text_content().split()) for h in tree.iter("h1")][:5]
    title_el = tree.find(".//title")
    page_title = " ".join(title_el.text_content().split()) if title_el is not None else ""
    headline = art.get("headline") if isinstance(art.get("headline"), str) else ""
    md.title = pick_title(
        [_first(meta, "dc:title", "dcterm:title", "og:title", "twitter:title", "parsely-title", "dc.title",
                "sailthru.title"), page_title, headline],
        md.sitename, h1s,
    )

    md.date = (
        parse_datetime(art.get("datePublished"))
        or parse_datetime(art.get("dateCreated"))
        or parse_datetime(_first(meta, "article:published_time", "datepublished", "og:published_time",
                                 "parsely-pub-date", "publish-date", "pubdate", "publishdate", "publication_date",
                                 "sailthru.date", "dc.date.issued", "dcterms.created", "dc.date", "date",
                                 "citation_publication_date", "article.published", "published_time", "dcterms.date",
                                 "og:article:published_time", "article:published", "cxenseparse:recs:publishtime"))
        or _time_elements(tree)
    )
    md.modified = parse_datetime(art.get("dateModified")) or parse_datetime(
        _first(meta, "article:modified_time", "datemodified", "og:updated_time", "last-modified", "dcterms.modified"))

    declared_persons = [
        *_ld_persons(art.get("author")),
        *_ld_persons(art.get("creator")),
    ]
    md.authors = names_from_bylines(declared_persons, "")
    ld_authors = [*_ld_names(art.get("author"), persons_only=True), *_ld_names(art.get("creator"), persons_only=True)]
    meta_authors = [
        _first(meta, "dc:creator", "dcterm:creator", "author", "parsely-author", "sailthru.author", "dc.creator", "citation_author", "byl",
               "article:author_name", "twitter:data1" if meta.get("twitter:label1", "").lower() == "written by" else ""),
        *(a for a in [meta.get("article:author", "")] if a and not a.startswith("http")),
    ]
    md.authors = (
        md.authors
        or names_from_bylines(ld_authors, md.sitename)
        or names_from_bylines([c for c in meta_authors if c], md.sitename)
    )
    if not md.authors:
        bylines = (
            names_from_bylines([" ".join(el.text_content().split())], md.sitename)
            for el in tree.xpath(_BYLINE_XPATH)[:6]
        )
        md.authors = next((names for names in bylines if names), [])

    lang_el = tree.find(".//html") if tree.tag != "html" else tree
    md.lang = normalise_language(
        (lang_el.get("lang") or lang_el.get("xml:lang") or "") if lang_el is not None else ""
    ) or normalise_language(_first(meta, "content-language", "og:locale", "language", "inlanguage")) \
        or normalise_language(str(art.get("inLanguage") or ""))
    md.description = _first(meta, "description", "og:description", "twitter:description") or str(
        art.get("description") or "")
    section = art.get("articleSection")
    md.section = (section[0] if isinstance(section, list) and section else section if isinstance(section, str) else "") \
        or _first(meta, "article:section", "parsely-section", "section", "category")
    kw = art.get("keywords")
    raw_kw = ", ".join(k for k in kw if isinstance(k, str)) if isinstance(kw, list) else kw if isinstance(kw, str) else ""
    raw_kw = raw_kw or _first(meta, "news_keywords", "keywords", "parsely-tags") or ", ".join(
        m.get("content", "") for m in tree.xpath("//meta[@property='article:tag'][@content]"))
    md.keywords = _keywords(raw_kw)

    if not (md.date and md.authors and md.sitename and md.title):
        _fill_from_trafilatura(md, tree, url, seconds)
    if not md.sitename and md.url:
        md.sitename = _sitename_from_url(md.url)
    return md


def _keywords(raw: str) -> list[str]:
    out: list[str] = []
    for k in re.split(r"[,;|]", raw):
        k = " ".join(k.split())
        if k and len(k) <= 60 and k.casefold() not in (o.casefold() for o in out):
            out.append(k)
    return out[:30]


def _absolute(href: str, base: str) -> str:
    href = (href or "").strip()
    if not href:
        return ""
    full = urljoin(base, href) if base else href
    return full if urlsplit(full).scheme in ("http", "https") else ""


def _fill_from_trafilatura(md: Metadata, tree: lxml.html.HtmlElement, url: str, seconds: float) -> None:
    """Gaps filled by trafilatura/htmldate (date in page text, bylines, site name), time-limited."""
    from trafilatura.metadata import extract_metadata as traf_metadata

    try:
        with time_limit(seconds):
            doc = traf_metadata(lxml.html.fromstring(lxml.html.tostring(tree)), default_url=url or None)
    except (TimeoutError, ValueError, TypeError, AttributeError, RecursionError, lxml.etree.LxmlError):
        return
    if not md.date and doc.date:
        md.date = parse_datetime(doc.date)
    if not md.authors and doc.author:
        md.authors = names_from_bylines(re.split(r";", doc.author), md.sitename)
    if not md.sitename and doc.sitename:
        md.sitename = doc.sitename
    if not md.title and doc.title:
        md.title = doc.title
