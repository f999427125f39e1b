"""What the user sees: a progress bar for long work, one line per problem, one summary line."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from microsite import intake, pipeline

err = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def progress_bar(total: int, label: str):
    """A rich progress bar on a terminal; nothing when output is piped (CI, tests)."""
    if not err.is_terminal or total < 50:
        yield lambda: None
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def run_import(
    src: Path, content: Path, taxonomy: Path | None = None, strict: bool = False, report: Path | None = None
) -> pipeline.ImportReport:
    """Import with progress and messages; returns the report (callers decide the exit).

    Every problem is one line naming the file: ``skipped FILE: reason``; notes
    (dates guessed, URLs dropped, hand edits kept) follow; the last line on
    stdout is the summary.  ``strict`` is the caller's to act on.
    """
    files, _ = intake.scan(src) if src.is_dir() else ([], [])
    report_path = report or pipeline.default_report_path(content)
    with progress_bar(len(files), "Importing") as advance:
        result = pipeline.import_dir(
            src, content, taxonomy, on_progress=advance, report_path=report_path,
            on_problem=lambda line: err.print(f"skipped {line}", markup=False),
        )
    for note in result.notes:
        err.print(intake.shown(note), markup=False, style="dim")
    for gone in result.missing_sources:
        err.print(intake.shown(f"kept {gone['file']}: its source {gone['source_file']} is gone from {src}"), markup=False)
    print(f"{result.summary()}; report: {report_path}", file=sys.stdout)
    return result
