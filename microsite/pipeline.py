"""``invoke import``: every scrape under ``--src`` becomes a Markdown file in ``--content``.

read (by suffix) -> extract -> normalise (Markdown, summary, tags) -> dedupe
-> write.  Reading and normalising run in worker processes, one file per
task, so a broken file only ever costs its own line in the report.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from microsite import read
from microsite.errors import ImportProblem
from microsite.model import Article
from microsite.normalise import dedupe, tags
from microsite.normalise.summary import summarise
from microsite.write import frontmatter, paths, writer

MAX_BYTES = 64 * 1024 * 1024
REPORT_NAME = ".import-report.json"


@dataclass
class ImportReport:
    """What one import did; ``summary()`` is the line the user sees."""

    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_hand_edits: list[str] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    missing_sources: list[str] = field(default_factory=list)
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


def iter_inputs(src: Path) -> Iterator[Path]:
    """Files under ``src``, sorted; hidden entries and links leading out of ``src`` are left out."""
    root = src.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (Path(dirpath) / d).is_symlink())
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                continue
            yield path


def process_file(path: Path, src: Path, taxonomy_path: str | None) -> list[Article | ImportProblem]:
    """Read and normalise one input file; never raises."""
    rel = path.relative_to(src.resolve()).as_posix()
    try:
        reader = read.reader_for(path)
        if reader is None:
            return []
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ImportProblem(f"file too large ({size // 1_048_576} MB > {MAX_BYTES // 1_048_576} MB)")
        data = path.read_bytes()
        if not data.strip():
            raise ImportProblem("empty file")
        sha = hashlib.sha256(data).hexdigest()
        results = reader(data, rel)
        taxonomy = tags.load_taxonomy(taxonomy_path) if taxonomy_path else ()
        out: list[Article | ImportProblem] = []
        for item in results:
            if isinstance(item, ImportProblem):
                out.append(item)
                continue
            item.source_file, item.sha256 = rel, sha
            try:
                out.append(normalise(item, taxonomy))
            except ImportProblem as problem:
                problem.record = problem.record or item.record
                out.append(problem)
        return out
    except ImportProblem as problem:
        return [problem]
    except OSError as exc:
        return [ImportProblem(f"cannot read file: {exc.strerror or exc}")]
    except RecursionError:
        return [ImportProblem("document nested too deeply to parse")]
    except Exception as exc:
        return [ImportProblem(f"unexpected {type(exc).__name__}: {exc}")]


def normalise(article: Article, taxonomy: tuple) -> Article:
    """Markdown body, summary, tags: everything that does not depend on other articles."""
    if article.html and not article.body:
        from microsite.normalise.markdown import html_to_markdown

        article.body = html_to_markdown(article.html, base_url=article.source_url or article.canonical_url)
    article.html = ""
    article.title = " ".join(article.title.split())
    if not article.title:
        raise ImportProblem("no title found")
    if not article.body.strip():
        raise ImportProblem("no article text found")
    article.summary = " ".join((article.summary or article.description).split()) or summarise(article.body)
    article.tags = tags.assign_tags(article, taxonomy)
    return article


def _day_if_no_time(value):
    """A date printed without a time of day is written as a plain ISO date."""
    if value is not None and value.tzinfo is None and (value.hour, value.minute, value.second) == (0, 0, 0):
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
    if workers <= 1 or len(files) < 16:
        for path in files:
            yield path, process_file(path, src, taxonomy_path)
            progress()
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, min(32, len(files) // (workers * 8)))
        n = len(files)
        for path, result in zip(files, pool.map(process_file, files, [src] * n, [taxonomy_path] * n, chunksize=chunk), strict=True):
            yield path, result
            progress()


def import_dir(
    src: Path,
    content: Path,
    taxonomy_path: Path | None = None,
    workers: int | None = None,
    on_progress=None,
    on_problem=None,
) -> ImportReport:
    """Import every scrape under ``src`` into ``content/articles``; see the module docstring."""
    start = time.perf_counter()
    report = ImportReport()
    src, content = src.resolve(), content.resolve()
    if not src.is_dir():
        raise FileNotFoundError(f"source folder not found: {src}")
    content.mkdir(parents=True, exist_ok=True)
    existing, taken, scan_problems = writer.scan(content)
    report.notes.extend(scan_problems)
    files = list(iter_inputs(src))
    workers = workers or os.cpu_count() or 1
    tax = str(taxonomy_path) if taxonomy_path and taxonomy_path.is_file() else None

    def problem(origin: str, reason: str) -> None:
        report.skipped.append({"file": origin, "reason": reason})
        if on_problem:
            on_problem(f"{origin}: {reason}")

    articles: list[Article] = []
    seen_files: set[str] = set()
    for path, results in _map(files, src, tax, workers, on_progress or (lambda: None)):
        rel = path.relative_to(src.resolve()).as_posix()
        seen_files.add(rel)
        if not results and read.reader_for(path) is None:
            report.ignored.append(rel)
        for item in results:
            if isinstance(item, ImportProblem):
                problem(f"{rel}#{item.record}" if item.record else rel, item.reason)
            else:
                articles.append(item)
                report.notes.extend(f"{item.origin}: {n}" for n in item.notes)

    kept, merged = dedupe.merge_duplicates(articles)
    report.duplicates = [{"file": d.origin, "same_as": k.origin} for d, k in merged]
    _write_all(kept, content, existing, taken, report)
    for ex in existing.values():
        if ex.source_file not in seen_files:
            report.missing_sources.append(ex.path.relative_to(content).as_posix())
    report.seconds = time.perf_counter() - start
    write_report(report, content)
    return report


def _write_all(articles: list[Article], content: Path, existing: dict, taken: set[str], report: ImportReport) -> None:
    for art in articles:
        key = (art.source_file, art.record)
        ex = existing.get(key)
        if ex is not None:
            if ex.hand_edited:
                report.kept_hand_edits.append(art.origin)
                if ex.sha256 != art.sha256:
                    report.notes.append(f"{art.origin}: the scrape changed but {ex.path.name} was edited by hand; kept the edit")
                continue
            art.slug = ex.path.stem
            target = ex.path
        else:
            art.slug = paths.unique_slug(paths.slugify(art.title, art.origin), taken, art.origin)
            target = paths.inside(content, "articles", art.slug + ".md")
            taken.add(art.slug)
        text = writer.seal(frontmatter.dump(to_meta(art), art.body))
        changed = writer.write_if_changed(target, text)
        bucket = report.unchanged if not changed else (report.updated if ex else report.new)
        bucket.append(target.relative_to(content).as_posix())


def write_report(report: ImportReport, content: Path) -> Path:
    """The machine-readable report, next to the articles (hidden, so Pelican skips it)."""
    path = content / REPORT_NAME
    data = asdict(report) | {"summary": report.summary()}
    writer.write_if_changed(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return path
