"""``invoke import``: every scrape under ``--src`` becomes a Markdown file in ``--content``.

read (by suffix) -> extract -> normalise (Markdown, summary, tags) -> dedupe
-> write.  Reading and normalising run in worker processes, one file per
task, so a broken file only ever costs its own line in the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

from microsite import intake
from microsite.errors import ImportProblem
from microsite.model import Article
from microsite.normalise import dedupe, tags
from microsite.normalise.escape import neutralise_markdown
from microsite.normalise.sanitize import clean_fragment, plain_text, repair_text, safe_url
from microsite.normalise.summary import summarise
from microsite.write import frontmatter, paths, writer

MAX_BYTES = intake.MAX_BYTES
REPORT_NAME = "import-report.json"


@dataclass
class ImportReport:
    """What one import did; ``summary()`` is the line the user sees, ``as_json()`` the file machines read."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # {"file": article, "source_file": input, "scrape_changed": bool}
    kept_hand_edits: list[dict] = field(default_factory=list)
    # {"file": input that was merged, "same_as": input whose article holds it}
    duplicates: list[dict[str, str]] = field(default_factory=list)
    # {"file": input (#record), "reason": why}
    skipped: list[dict[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    # {"file": article, "source_file": the input that is gone}
    missing_sources: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line: the counts that matter."""
        parts = [
            f"{len(self.new)} new",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
            f"{len(self.kept_hand_edits)} kept hand edits",
            f"{len(self.duplicates)} duplicates",
            f"{len(self.skipped)} skipped",
        ]
        if self.missing_sources:
            parts.append(f"{len(self.missing_sources)} sources gone")
        return f"Imported: {', '.join(parts)} in {self.seconds:.1f} s"

    def as_json(self) -> str:
        """The machine-readable report (counts first, then the lists)."""
        lists = {k: v for k, v in asdict(self).items() if isinstance(v, list)}
        data = {"counts": {k: len(v) for k, v in lists.items()}, **lists, "seconds": round(self.seconds, 3)}
        return json.dumps(data | {"summary": self.summary()}, ensure_ascii=False, indent=1) + "\n"


def iter_inputs(src: Path) -> Iterator[Path]:
    """Input files under ``src``, sorted (see ``intake.scan`` for what is left out)."""
    yield from intake.scan(src)[0]


def process_file(path: Path, src: Path, taxonomy_path: str | None) -> list[Article | ImportProblem]:
    """Read and normalise one input file; never raises."""
    rel = intake.relative_name(path, src.resolve())
    try:
        reader = intake.reader_for(path)
        if reader is None:
            return []
        raw = intake.load(path)
        sha = hashlib.sha256(raw).hexdigest()
        data = intake.prepare(raw, path)
        del raw
        results = reader(data, rel)
        taxonomy = tags.load_taxonomy(taxonomy_path) if taxonomy_path else ()
        out: list[Article | ImportProblem] = []
        for item in results:
            if isinstance(item, ImportProblem):
                out.append(item)
                continue
            if not isinstance(item, Article):
                out.append(ImportProblem(f"reader returned {type(item).__name__}, not an article"))
                continue
            item.source_file, item.sha256 = rel, sha
            try:
                out.append(normalise(item, taxonomy))
            except ImportProblem as problem:
                problem.record = problem.record or item.record
                out.append(problem)
            except RecursionError:
                out.append(ImportProblem("document nested too deeply to convert", item.record))
        return out
    except ImportProblem as problem:
        return [problem]
    except OSError as exc:
        return [ImportProblem(f"cannot read file: {exc.strerror or exc}")]
    except RecursionError:
        return [ImportProblem("document nested too deeply to parse")]
    except MemoryError:
        return [ImportProblem("out of memory while reading the file")]
    except Exception as exc:
        return [ImportProblem(f"unexpected {type(exc).__name__}: {_one_line(str(exc))}")]


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LANG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")
# /2021/03/31/, /2021-03-31-slug, /20210331/ in an article URL.
_URL_DATES = (
    re.compile(r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?=/|$|[^\d])"),
    re.compile(r"(?<![\d])((?:19|20)\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?![\d])"),
    re.compile(r"/((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)"),
)
_MD_LINK_TEXT = re.compile(r"!?\[((?:\\.|[^\]\\])*)\]\([^)]*\)")
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def normalise(article: Article, taxonomy: tuple, now: dt.datetime | None = None) -> Article:
    """Make a reader's article safe and complete: everything that does not depend on other articles.

    This is the funnel every reader goes through, so the safety rules live
    here, not in each reader: HTML is sanitised before it becomes Markdown,
    the Markdown body may carry no raw HTML or unsafe link, every metadata
    string becomes plain text, URLs are http(s) or dropped, dates are
    plausible or dropped.
    """
    if article.html and not article.body:
        from microsite.normalise.markdown import html_to_markdown

        base = safe_url(article.source_url) or safe_url(article.canonical_url)
        article.body = html_to_markdown(clean_fragment(article.html), base_url=base)
    article.html = ""
    _clean_fields(article)
    article.body = neutralise_markdown(repair_text(article.body or "")).strip() + "\n"
    if not article.title:
        raise ImportProblem("no title found")
    if not article.body.strip():
        raise ImportProblem("no article text found")
    if _navigation_only(article.body):
        raise ImportProblem("no article text, only short lines and links (a navigation or index page)")
    _check_dates(article, now or dt.datetime.now(dt.UTC))
    article.summary = article.summary or article.description or plain_text(summarise(article.body), 1000)
    article.tags = tags.assign_tags(article, taxonomy)
    return article


def _plain_list(values: object, limit: int, most: int) -> list[str]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)):
        return []
    out: list[str] = []
    for v in values:
        text = plain_text(v, limit)
        if text and text not in out:
            out.append(text)
    return out[:most]


def _clean_fields(article: Article) -> None:
    """Every scraped string as plain text; URLs, language and dates checked (not trusted)."""
    article.title = plain_text(article.title, 300)
    for name, limit in (("category", 100), ("source", 200), ("dateline", 100), ("summary", 1000), ("description", 1000), ("record", 200)):
        setattr(article, name, plain_text(getattr(article, name), limit))
    article.authors = _plain_list(article.authors, 200, 50)
    article.tags = _plain_list(article.tags, 100, 100)
    article.keywords = _plain_list(article.keywords, 100, 100)
    lang = plain_text(article.lang).lower().replace("_", "-")
    article.lang = lang if _LANG.fullmatch(lang) else ""
    for name in ("source_url", "canonical_url"):
        value = getattr(article, name) or ""
        if not isinstance(value, str):
            value = ""
        url = safe_url(value)
        if value and not url:
            article.notes.append(f"dropped {name} {_one_line(repr(value), 80)}: not an http(s) URL")
        setattr(article, name, url)
    for name in ("date", "modified"):
        if getattr(article, name) is not None and not isinstance(getattr(article, name), dt.datetime):
            article.notes.append(f"dropped {name} {_one_line(repr(getattr(article, name)), 60)}: not a date")
            setattr(article, name, None)
    if article.accessed is not None and not isinstance(article.accessed, dt.date):
        article.accessed = None


def _navigation_only(body: str) -> bool:
    """True for a body with no line of prose that looks like a menu, link list or site map.

    A line of prose has six different words outside links (or, in scripts
    written without spaces, a run of twenty letters).  Without one, the body
    is navigation when it is mostly link text, or a list (five lines or more),
    or long (ten words or more: "Section 1 Section 2 ..." run together by a
    converter is still a menu).  A short note with no links ("Test", a
    one-line brief) is an article, however short.
    """
    plain = _MD_LINK_TEXT.sub(" ", body)
    lines = [ln for ln in plain.splitlines() if _LETTERS.search(ln)]
    for line in lines:
        words = _LETTERS.findall(line)
        if len({w.casefold() for w in words}) >= 6 or any(len(w) >= 20 for w in words):
            return False
    plain_words = len(_LETTERS.findall(plain))
    link_words = sum(len(_LETTERS.findall(m.group(1))) for m in _MD_LINK_TEXT.finditer(body) if m.group(0)[0] != "!")
    return link_words >= plain_words or len(lines) >= 5 or plain_words >= 10


def _after(value: dt.date | dt.datetime, limit: dt.datetime) -> bool:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value > limit.replace(tzinfo=None)
        return value > limit
    return value > limit.date()


def _check_dates(article: Article, now: dt.datetime) -> None:
    """Future dates are dropped (a typo or an event date, not a publication); the URL may supply one."""
    limit = now + dt.timedelta(days=1)
    for name in ("date", "modified", "accessed"):
        value = getattr(article, name)
        if value is not None and _after(value, limit):
            article.notes.append(f"{name} {value.isoformat()} is in the future; left out")
            setattr(article, name, None)
    if article.date is None:
        found = _date_from_url(article.canonical_url) or _date_from_url(article.source_url)
        if found and not _after(found, limit):
            article.date = found
            article.notes.append(f"date {found:%Y-%m-%d} taken from the URL")
        else:
            article.notes.append("no publication date found")


def _date_from_url(url: str) -> dt.datetime | None:
    path = url.split("?", 1)[0].split("#", 1)[0]
    for pattern in _URL_DATES:
        for m in pattern.finditer(path):
            try:
                return dt.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
    return None


def _day_if_no_time(value: dt.datetime | None) -> dt.date | dt.datetime | None:
    """A date known only to the day is written as a day ("2021-03-31"), not as a made-up midnight."""
    if isinstance(value, dt.datetime) and value.tzinfo is None and value.time() == dt.time():
        return value.date()
    return value


def to_meta(article: Article) -> dict:
    """The front matter for an article (the contract in the README)."""
    return {
        "title": article.title,
        "date": _day_if_no_time(article.date),
        "modified": article.modified,
        "authors": article.authors,
        "category": article.category,
        "tags": article.tags,
        "source": article.source,
        "source_url": article.source_url,
        "canonical_url": article.canonical_url if article.canonical_url != article.source_url else "",
        "dateline": article.dateline,
        "lang": article.lang,
        "summary": article.summary,
        "description": article.description if article.description != article.summary else "",
        "accessed": article.accessed,
        "source_file": article.source_file,
        "source_record": article.record,
        "sha256": article.sha256,
        "also_scraped_as": article.also_scraped_as,
        "slug": article.slug,
    }


def _map(files: list[Path], src: Path, taxonomy_path: str | None, workers: int, progress) -> Iterator[tuple[Path, list]]:
    """(file, results) for every file, in order; a worker that dies costs only its own file."""
    if workers <= 1 or len(files) < 16:
        for path in files:
            yield path, process_file(path, src, taxonomy_path)
            progress()
        return
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            chunk = max(1, min(32, len(files) // (workers * 8)))
            n = len(files)
            results = pool.map(process_file, files, [src] * n, [taxonomy_path] * n, chunksize=chunk)
            for path, result in zip(files, results, strict=True):
                yield path, result
                done += 1
                progress()
            return
    except BrokenProcessPool:
        pass
    # A reader crashed its process (a C library on hostile input): go on one file per process.
    for path in files[done:]:
        try:
            with ProcessPoolExecutor(max_workers=1) as single:
                result = single.submit(process_file, path, src, taxonomy_path).result()
        except BrokenProcessPool:
            result = [ImportProblem("the reader crashed on this file (its worker process died)")]
        yield path, result
        progress()


def default_report_path(content: Path) -> Path:
    """Where the JSON report goes by default: next to ``content/``, outside it.

    Outside, because a second import that changes nothing must leave every
    file in ``content/`` untouched, while the report of each run is new.
    """
    return content.resolve().parent / REPORT_NAME


def import_dir(
    src: Path,
    content: Path,
    taxonomy_path: Path | None = None,
    workers: int | None = None,
    on_progress=None,
    on_problem=None,
    report_path: Path | None = None,
) -> ImportReport:
    """Import every scrape under ``src`` into ``content/articles``; see the module docstring."""
    start = time.perf_counter()
    report = ImportReport()
    src, content = src.resolve(), content.resolve()
    if not src.is_dir():
        raise FileNotFoundError(f"source folder not found: {src}")
    if content == src or content.is_relative_to(src) or src.is_relative_to(content):
        raise FileNotFoundError(f"--content ({content}) and --src ({src}) must be separate folders")
    content.mkdir(parents=True, exist_ok=True)
    existing, taken, scan_problems = writer.scan(content)
    report.notes.extend(scan_problems)
    files, refused = intake.scan(src)
    workers = workers or os.cpu_count() or 1
    tax = str(taxonomy_path) if taxonomy_path and taxonomy_path.is_file() else None
    if tax:
        tags.load_taxonomy(tax)  # a broken taxonomy stops here with one line (TaxonomyError), not once per file

    def problem(origin: str, reason: str) -> None:
        report.skipped.append({"file": origin, "reason": reason})
        if on_problem:
            on_problem(f"{intake.shown(origin)}: {intake.shown(reason)}")

    for r in refused:
        if r.reason:
            problem(r.rel, r.reason)
        else:
            report.ignored.append(r.rel)
    articles: list[Article] = []
    seen_files: set[str] = {r.rel for r in refused if r.reason}
    for path, results in _map(files, src, tax, workers, on_progress or (lambda: None)):
        rel = intake.relative_name(path, src)
        seen_files.add(rel)
        for item in results:
            if isinstance(item, ImportProblem):
                problem(f"{rel}#{item.record}" if item.record else rel, item.reason)
            else:
                articles.append(item)
                report.notes.extend(f"{item.origin}: {n}" for n in item.notes)

    kept, merged = dedupe.merge_duplicates(articles, prefer=lambda a: (a.source_file, a.record) in existing)
    report.duplicates = [{"file": d.origin, "same_as": k.origin} for d, k in merged]
    for dup, first in merged:
        ex = existing.get((dup.source_file, dup.record))
        if ex is not None:
            report.notes.append(
                f"{ex.path.relative_to(content).as_posix()}: its scrape {dup.origin} is now a duplicate of {first.origin}; file left as it is"
            )
    _write_all(kept, content, existing, taken, report, problem)
    for ex in existing.values():
        if ex.source_file not in seen_files:
            report.missing_sources.append({"file": ex.path.relative_to(content).as_posix(), "source_file": ex.source_file + (f"#{ex.record}" if ex.record else "")})
    report.seconds = time.perf_counter() - start
    write_report(report, report_path or default_report_path(content))
    return report


def _write_all(articles: list[Article], content: Path, existing: dict, taken: set[str], report: ImportReport, problem) -> None:
    for art in articles:
        ex = existing.get((art.source_file, art.record))
        if ex is not None and ex.hand_edited:
            changed = ex.sha256 != art.sha256
            report.kept_hand_edits.append(
                {"file": ex.path.relative_to(content).as_posix(), "source_file": art.origin, "scrape_changed": changed}
            )
            if changed:
                report.notes.append(
                    f"{art.origin}: the scrape changed but {ex.path.relative_to(content).as_posix()} was edited by hand; kept the edit"
                )
            continue
        try:
            if ex is not None:
                art.slug = ex.path.stem
                target = ex.path
            else:
                art.slug = paths.unique_slug(paths.slugify(art.title, art.origin), taken, art.origin)
                target = paths.inside(content, "articles", art.slug + ".md")
                taken.add(art.slug)
            text = writer.seal(frontmatter.dump(to_meta(art), art.body))
            changed = writer.write_if_changed(target, text)
        except Exception as exc:  # one article that cannot be written must not stop the others
            problem(art.origin, f"cannot write the article: {type(exc).__name__}: {exc}")
            continue
        bucket = report.unchanged if not changed else (report.updated if ex else report.new)
        bucket.append(target.relative_to(content).as_posix())


def write_report(report: ImportReport, path: Path) -> Path | None:
    """Write the machine-readable report; a report that cannot be written is a note, not a failure."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report.as_json(), "utf-8")
    except OSError as exc:
        report.notes.append(f"cannot write the report {path}: {exc.strerror or exc}")
        return None
    return path
