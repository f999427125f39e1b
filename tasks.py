"""Tasks: ``invoke --list`` shows them, ``invoke --help TASK`` explains one.

Each task is a few lines calling the ``microsite`` package; the work (and its
tests) live there.
"""

from __future__ import annotations

import os
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
        "report": "where the JSON report goes (default: import-report.json next to the content folder)",
    },
)
def import_(c, src=SRC, content=CONTENT, strict=False, taxonomy="taxonomy.yml", report=""):
    """Import scrapes (text, HTML, JSON/JSONL, WARC) into Markdown files with YAML front matter."""
    from microsite.console import run_import
    from microsite.normalise.tags import TaxonomyError

    try:
        report = run_import(Path(src), Path(content), Path(taxonomy), strict=strict, report=Path(report) if report else None)
    except (OSError, TaxonomyError) as exc:
        raise Exit(f"import failed: {exc}") from None
    except Exception as exc:  # one line, never a traceback (MICROSITE_DEBUG=1 shows it)
        if os.environ.get("MICROSITE_DEBUG"):
            raise
        raise Exit(f"import failed: unexpected {type(exc).__name__}: {exc}") from None
    if strict and report.skipped:
        raise Exit(f"--strict: {len(report.skipped)} input(s) skipped", code=1)


@task(
    help={
        "src": "folder of scrapes to import first (default: scraped; '' to skip the import)",
        "content": "folder of Markdown articles (default: content)",
        "output": "folder the site is written to (default: output)",
        "strict": "fail on any skipped input and on any Pelican warning (for CI)",
        "settings": "Pelican settings file (default: pelicanconf.py)",
        "fresh": "ignore every cache and rebuild from scratch (rebuilds are incremental otherwise)",
    }
)
def build(c, src=SRC, content=CONTENT, output=OUTPUT, strict=False, settings="pelicanconf.py", fresh=False):
    """Import the scrapes, then build the site with Pelican into the output folder."""
    from microsite.build import BuildError, build_site

    if src:
        import_(c, src=src, content=content, strict=strict)
    try:
        build_site(Path(content), Path(output), Path(settings), strict=strict, fresh=fresh)
    except BuildError as exc:
        raise Exit(str(exc)) from None
    print(f"Site written to {Path(output).resolve()}/index.html")


@task(help={"output": "folder to serve (default: output)", "port": "port on localhost (default: 8000)"})
def serve(c, output=OUTPUT, port=8000):
    """Preview the built site at http://localhost:PORT (Ctrl-C stops)."""
    c.run(f"{sys.executable} -m http.server {int(port)} --bind 127.0.0.1 --directory {output}", pty=False)


@task(
    name="check",
    help={
        "output": "built site to check (default: output)",
        "browser": "also open search.html in headless Chromium when installed (--no-browser skips)",
    },
)
def check_(c, output=OUTPUT, browser=True):
    """Check the built site as a reader meets it: links, fragments, assets, nothing from other hosts, search."""
    from microsite.check import run_check, summary

    report = run_check(Path(output), browser=browser)
    for note in report.notes:
        print(note, flush=True)
    if report.problems:
        raise Exit("\n".join(map(str, report.problems)) + "\n" + summary(report), code=1)
    print(summary(report))


@task(
    help={
        "remote": "git remote to push to (default: origin)",
        "branch": "branch GitHub Pages serves (default: gh-pages)",
        "src": "folder of scrapes to import first (default: scraped; '' to skip the import)",
        "content": "folder of Markdown articles (default: content)",
        "output": "folder the site is built into and published from (default: output)",
        "cname": "custom domain for a CNAME file (default: CNAME in publishconf.py, from the environment)",
        "check": "run invoke check before pushing (--no-check skips)",
    }
)
def publish(c, remote="origin", branch="gh-pages", src=SRC, content=CONTENT, output=OUTPUT, cname="", check=True):
    """Build with publishconf.py and push the site to a gh-pages branch for GitHub Pages."""
    from microsite.publish import PublishError, read_setting
    from microsite.publish import publish as publish_site

    build(c, src=src, content=content, output=output, settings="publishconf.py")
    if check:
        check_(c, output=output)
    try:
        done = publish_site(Path(output), ROOT, remote, branch, cname or read_setting(ROOT / "publishconf.py", "CNAME"))
    except PublishError as exc:
        raise Exit(str(exc)) from None
    print(f"Published {done.files} files to {done.branch} on {done.remote} ({done.url}) as {done.commit[:10]}")


@task(
    help={
        "dest": "folder the zip is written to (default: dist)",
        "output": "built site to pack (default: output; run invoke build first)",
        "content": "Markdown articles, listed in the manifest when the site has no corpus.jsonl (default: content)",
        "settings": "settings file whose SITENAME names the zip (default: pelicanconf.py)",
    }
)
def bundle(c, dest="dist", output=OUTPUT, content=CONTENT, settings="pelicanconf.py"):
    """Pack the built site, corpus exports, a manifest and a README into one zip for offline reading."""
    from microsite.bundle import BundleError, make_bundle
    from microsite.publish import read_setting

    try:
        path = make_bundle(Path(output), Path(dest), read_setting(Path(settings), "SITENAME"), Path(content))
    except BundleError as exc:
        raise Exit(str(exc)) from None
    print(f"Bundle written to {path.resolve()} ({path.stat().st_size / 1000:,.0f} kB)")


@task(
    help={
        "content": "folder of Markdown articles (default: content)",
        "taxonomy": "tag taxonomy file (default: taxonomy.yml)",
        "min_articles": "candidate phrases must occur in at least this many articles (default: 2)",
        "top": "how many candidate phrases to list (default: 30)",
    }
)
def tags(c, content=CONTENT, taxonomy="taxonomy.yml", min_articles=2, top=30):
    """Report tag counts, tags with one article, and frequent phrases the taxonomy lacks."""
    from microsite.tagreport import run

    try:
        print(run(Path(content), Path(taxonomy), int(min_articles), int(top)), end="")
    except (FileNotFoundError, ValueError) as exc:
        raise Exit(str(exc)) from None


@task(
    help={
        "n": "articles in the generated corpus (default: 10000)",
        "seed": "corpus seed (default: 42)",
        "stock": "also time stock Pelican 4.12 on the same corpus (--no-stock skips)",
        "search": "also run the search benchmark (--no-search skips)",
        "browser": "time search in headless Chromium too (--no-browser skips)",
    }
)
def bench(c, n=10_000, seed=42, stock=True, search=True, browser=True):
    """Benchmark import, full build, rebuilds, search and memory on a generated corpus; record bench/results*."""
    from microsite.bench.run import run_snapshot

    run_snapshot(int(n), seed=int(seed), stock=stock, search=search, browser=browser)


@task(
    name="search-bench",
    help={
        "n": "corpus sizes, comma-separated (default: 1000,10000)",
        "workdir": "folder for the generated sites (default: bench/results/tmp/search)",
        "browser": "time first results in headless Chromium (--no-browser skips)",
    },
)
def search_bench(c, n="1000,10000", workdir="bench/results/tmp/search", browser=True):
    """Benchmark search alone: index build, bytes on disk, bytes read and time to first results from disk."""
    from microsite.bench.search_bench import format_report, run_search_bench

    sizes = [int(x) for x in str(n).split(",") if x.strip()]
    print(format_report([run_search_bench(size, Path(workdir) / str(size), browser=browser) for size in sizes]))


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
