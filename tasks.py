"""Tasks: ``invoke --list`` shows them, ``invoke --help TASK`` explains one.

Each task is a few lines calling the ``microsite`` package; the work (and its
tests) live there.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from invoke import Exit, task

ROOT = Path(__file__).resolve().parent
SRC, CONTENT, OUTPUT = "scraped", "content", "output"


@task(
    name="import",
    help={
        "src": "folder of scrapes to import, searched recursively (default: scraped)",
        "content": "folder the Markdown articles go to (default: content)",
        "strict": "exit non-zero when any file or record was skipped",
        "taxonomy": "tag taxonomy file (default: taxonomy.yml)",
    },
)
def import_(c, src=SRC, content=CONTENT, strict=False, taxonomy="taxonomy.yml"):
    """Import scrapes (text, HTML, JSON/JSONL, WARC) into Markdown files with YAML front matter."""
    from microsite.console import run_import

    try:
        report = run_import(Path(src), Path(content), Path(taxonomy), strict=strict)
    except FileNotFoundError as exc:
        raise Exit(str(exc)) from None
    if strict and report.skipped:
        raise Exit(f"--strict: {len(report.skipped)} input(s) skipped", code=1)


@task(
    help={
        "src": "folder of scrapes to import first (default: scraped; '' to skip the import)",
        "content": "folder of Markdown articles (default: content)",
        "output": "folder the site is written to (default: output)",
        "strict": "fail on any skipped input and on any Pelican warning (for CI)",
        "settings": "Pelican settings file (default: pelicanconf.py)",
    }
)
def build(c, src=SRC, content=CONTENT, output=OUTPUT, strict=False, settings="pelicanconf.py"):
    """Import the scrapes, then build the site with Pelican into the output folder."""
    from microsite.build import BuildError, build_site

    if src:
        import_(c, src=src, content=content, strict=strict)
    try:
        build_site(Path(content), Path(output), Path(settings), strict=strict)
    except BuildError as exc:
        raise Exit(str(exc)) from None
    print(f"Site written to {Path(output).resolve()}/index.html")


@task(help={"output": "folder to serve (default: output)", "port": "port on localhost (default: 8000)"})
def serve(c, output=OUTPUT, port=8000):
    """Preview the built site at http://localhost:PORT (Ctrl-C stops)."""
    c.run(f"{sys.executable} -m http.server {int(port)} --bind 127.0.0.1 --directory {output}", pty=False)


@task(name="clean", help={"output": "folder to delete (default: output)"})
def clean_(c, output=OUTPUT):
    """Delete the built site and caches (never content/ or scraped/)."""
    for path in (Path(output), ROOT / "cache"):
        shutil.rmtree(path, ignore_errors=True)


@task(help={"k": "only run tests matching this expression (pytest -k)", "x": "stop at the first failure"})
def test(c, k="", x=False):
    """Run ruff and the test suite (unit, site builds, headless Chromium)."""
    c.run("ruff check .", pty=False)
    args = ["-q"] + (["-k", k] if k else []) + (["-x"] if x else [])
    c.run(f"{sys.executable} -m pytest {' '.join(args)}", pty=False)
