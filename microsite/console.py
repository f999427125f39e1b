"""What the user sees: a progress bar for long work, one line per problem, one summary line."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from microsite import pipeline
from microsite.read import reader_for

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


def run_import(src: Path, content: Path, taxonomy: Path | None = None, strict: bool = False) -> pipeline.ImportReport:
    """Import with progress and messages; returns the report (callers decide the exit)."""
    total = sum(1 for p in pipeline.iter_inputs(src) if reader_for(p)) if src.is_dir() else 0
    with progress_bar(total, "Importing") as advance:
        report = pipeline.import_dir(
            src, content, taxonomy, on_progress=advance, on_problem=lambda line: err.print(f"skipped {line}", markup=False)
        )
    for note in report.notes:
        err.print(note, markup=False, style="dim")
    for name in report.missing_sources:
        err.print(f"kept {name}: its source file is gone from {src}", markup=False)
    print(report.summary(), file=sys.stdout)
    return report
