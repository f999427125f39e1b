"""Scraper output: ``.json`` (one record, a list, or a list under "articles"/"items"/...) and ``.jsonl``.

Every scraper names its fields differently (news-please writes ``maintext``
and ``date_publish``, Scrapy projects ``published_at``, others
``articleBody``), so field names are matched case- and separator-
insensitively against the alias lists in ``FIELDS``.  A record with HTML
goes through the same extraction as a saved page (its explicit fields win
over what the page says); a record with text only becomes paragraphs.

Each record becomes its own article, numbered in ``source_record`` ("line 7"
for JSONL, "record 3" for a JSON list); a broken line or record is reported
with that number and the rest of the file imports.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from microsite.errors import ImportProblem
from microsite.extract import publishers
from microsite.extract.language import detect_language, normalise_language
from microsite.extract.metadata import names_from_bylines, parse_datetime
from microsite.model import Article
from microsite.normalise.escape import paragraphs_to_markdown
from microsite.read.encoding import decode_html
from microsite.read.html import article_from_html

# Our field -> the names scrapers use for it (compared without case, "_", "-", " ").
FIELDS: dict[str, tuple[str, ...]] = {
    "url": ("url", "link", "source_url", "page_url", "canonical_url", "permalink", "href", "uri", "article_url",
            "final_url", "loc"),
    "title": ("title", "headline", "name", "og_title", "article_title"),
    "page_html": ("raw_html", "page_html", "html", "full_html", "source_html", "document"),
    "html": ("content_html", "body_html", "article_html", "html_content", "main_html", "text_html"),
    "text": ("text", "content", "body", "article_body", "articlebody", "maintext", "main_text", "full_text",
             "fulltext", "plain_text", "article_text", "article", "story", "body_text", "content_text"),
    "date": ("date", "published", "published_at", "publish_date", "date_publish", "date_published",
             "datepublished", "pubdate", "pub_date", "published_date", "publication_date", "publishedat",
             "created_at", "created", "timestamp", "time", "datetime", "issued"),
    "modified": ("modified", "updated", "updated_at", "date_modify", "date_modified", "datemodified",
                 "last_modified", "modified_at"),
    "accessed": ("accessed", "accessed_at", "scraped_at", "scraped", "crawled_at", "crawled", "fetched_at",
                 "fetched", "retrieved", "retrieved_at", "date_download", "downloaded_at", "crawl_date",
                 "download_date"),
    "authors": ("authors", "author", "byline", "creator", "creators", "by", "author_name", "author_names",
                "writers", "writer"),
    "source": ("source", "site_name", "sitename", "publisher", "source_name", "source_domain", "site", "outlet",
               "newspaper", "publication", "domain", "hostname", "media", "feed"),
    "tags": ("tags", "keywords", "news_keywords", "topics", "subjects", "labels"),
    "category": ("category", "section", "categories", "rubric", "article_section", "articlesection"),
    "lang": ("lang", "language", "locale", "inlanguage", "language_code"),
    "description": ("description", "summary", "excerpt", "lead", "subtitle", "standfirst", "abstract", "dek"),
}
_CONTAINERS = ("articles", "items", "results", "data", "records", "entries", "posts", "documents", "docs",
               "stories", "news", "hits")


def _key(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name).casefold()


_ALIASES = {field: tuple(_key(a) for a in names) for field, names in FIELDS.items()}


def read(data: bytes, source_file: str) -> list[Article | ImportProblem]:
    """Read a JSON or JSONL file of scraped articles (see the module docstring)."""
    text, _ = decode_html(data)
    text = text.lstrip("\ufeff")
    if source_file.lower().endswith((".jsonl", ".ndjson")):
        return _read_lines(text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # JSON Lines saved as .json
            return _read_lines(text)
        raise ImportProblem(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ImportProblem("JSON nested too deeply") from None
    records = _records(doc)
    if records is None:
        return [_one(doc, "")]
    if not records:
        raise ImportProblem("no records in the JSON file")
    return [_one(rec, f"record {i}") for i, rec in enumerate(records, 1)]


def _records(doc: object) -> list | None:
    """The list of records in a JSON document, or None when the document is one record."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        keys = {_key(k): k for k in doc}
        for name in _CONTAINERS:
            if name in keys and isinstance(doc[keys[name]], list):
                return doc[keys[name]]
        return None
    raise ImportProblem("JSON file holds neither a record nor a list of records")


def _read_lines(text: str) -> list[Article | ImportProblem]:
    out: list[Article | ImportProblem] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"line {n}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            out.append(ImportProblem(f"not valid JSON ({exc.msg}, column {exc.colno})", record=where))
            continue
        except RecursionError:
            out.append(ImportProblem("JSON nested too deeply", record=where))
            continue
        out.append(_one(record, where))
    if not out:
        raise ImportProblem("no records in the JSON Lines file")
    return out


def _one(record: object, where: str) -> Article | ImportProblem:
    """One record as an Article, or the problem with it (never raises)."""
    try:
        if not isinstance(record, dict):
            raise ImportProblem(f"a record must be a JSON object, not {type(record).__name__}")
        article = record_to_article(record)
    except ImportProblem as problem:
        problem.record = problem.record or where
        return problem
    except (RecursionError, ValueError, TypeError) as exc:
        return ImportProblem(f"unreadable record ({type(exc).__name__}: {exc})", record=where)
    article.record = where
    return article


def _fields(record: dict) -> dict[str, object]:
    """Our field name -> the record's value, first alias present wins."""
    by_key: dict[str, object] = {}
    for k, v in record.items():
        if isinstance(k, str) and v not in (None, "", [], {}):
            by_key.setdefault(_key(k), v)
    found: dict[str, object] = {}
    for field, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in by_key:
                found[field] = by_key[alias]
                break
    return found


def _text(value: object) -> str:
    """A string from a scalar, a list of strings (joined) or an object with a name/text."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        for k in ("name", "text", "value", "@value", "title", "url", "href"):
            if isinstance(value.get(k), str):
                return value[k].strip()
        return ""
    if isinstance(value, list):
        return "\n\n".join(t for t in (_text(v) for v in value) if t)
    return ""


def _strings(value: object) -> list[str]:
    if isinstance(value, list):
        return [t for t in (_text(v) for v in value) if t]
    text = _text(value)
    return [t.strip() for t in re.split(r"[,;|]", text) if t.strip()] if text else []


def _datetime(value: object) -> dt.datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        seconds = value / 1000 if value > 1e11 else value  # epoch milliseconds
        try:
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) in (10, 13):
        return _datetime(int(value.strip()))
    return parse_datetime(_text(value))


def _looks_like_html(text: str) -> bool:
    return bool(re.search(r"<(?:p|div|br|h[1-6]|ul|ol|li|article|section|span|a|img|table|blockquote)\b[^>]*>",
                          text[:20_000], re.IGNORECASE))


def record_to_article(record: dict) -> Article:
    """One scraper record as an Article (see the module docstring)."""
    f = _fields(record)
    url = _text(f.get("url"))
    if not url.startswith(("http://", "https://")):
        url = ""
    page_html, html, text = _text(f.get("page_html")), _text(f.get("html")), _text(f.get("text"))
    if text and not html and _looks_like_html(text):
        html, text = text, ""
    accessed = _datetime(f.get("accessed"))
    if page_html and re.search(r"<(?:html|body|head)\b", page_html[:50_000], re.IGNORECASE):
        article = article_from_html(page_html, url, accessed=accessed)
    else:
        html = html or page_html
        article = Article(source_url=url, accessed=accessed)
        if html:
            article.html = html
        elif text:
            paragraphs = [p for p in re.split(r"\n\s*\n|\r?\n", text) if p.strip()]
            article.body = paragraphs_to_markdown(paragraphs)
        else:
            raise ImportProblem("record has no text or html field (looked for " + ", ".join(FIELDS["text"][:4])
                                + ", html, ...)")
    if accessed:
        article.accessed = accessed.date()
    _apply_fields(article, f)
    if not article.title:
        raise ImportProblem("record has no title (looked for title, headline, name)")
    return article


def _apply_fields(article: Article, f: dict[str, object]) -> None:
    """The record's own fields, which win over anything extracted from its HTML."""
    article.title = _text(f.get("title")) or article.title
    article.date = _datetime(f.get("date")) or article.date
    article.modified = _datetime(f.get("modified")) or article.modified
    article.authors = names_from_bylines(_strings(f.get("authors")), "") or article.authors
    publisher = publishers.by_url(article.source_url) if article.source_url else None
    source = _text(f.get("source"))
    if source.startswith(("http://", "https://")):
        source = ""
    article.source = source or (publisher or {}).get("name", "") or article.source
    if article.date and publisher:
        article.date = publishers.localise(article.date, publisher)
    article.keywords = _strings(f.get("tags")) or article.keywords
    category = f.get("category")
    article.category = (_strings(category)[:1] or [""])[0] if isinstance(category, list) else _text(category) \
        or article.category
    article.description = _text(f.get("description")) or article.description
    lang = normalise_language(_text(f.get("lang")))
    article.lang = lang or article.lang or detect_language(article.title + " " + (article.body or article.html)[:5000])
