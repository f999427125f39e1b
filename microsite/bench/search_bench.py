"""Search benchmark: index build time, bytes on disk, bytes read and time to first results from disk.

``run_search_bench(n, workdir)`` takes the seeded corpus of ``bench/corpus.py``
(~940 words an article, 30% Russian), turns it into search documents the way
the Pelican plugin does, times the index build (text extraction, indexing,
writing the payload) and the update after one article gained a sentence
(from the saved state, as a rebuild does), then opens ``search.html?q=...`` from ``file://`` in
headless Chromium (Debian's binary) for a few queries and records when the
first results were on screen and which files the page loaded.

The site shell (``search.html``, theme, lunr.js) comes from a one-article
Pelican build; its payload is then replaced by the corpus's, so that the
benchmark measures search and not the rest of the site build.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
import time
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from markdown import Markdown

from microsite.bench.corpus import Spec, articles
from microsite.search.documents import SearchDocument, html_to_text
from microsite.search.payload import update_payload
from microsite.search.split import SplitIndex
from microsite.write import frontmatter

ROOT = Path(__file__).resolve().parents[2]
# One-word queries (common, rare, Russian inflection), then the harder kinds.
QUERIES = ("security", "Ransomware", "безопасности", "information security cooperation", "secur*", "sekurity~1")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def corpus_pages(n: int, seed: int = 42) -> list[tuple[str, dict, str]]:
    """The benchmark corpus as Pelican would hand it over: (URL, metadata, rendered HTML) per article."""
    md = Markdown(extensions=["markdown.extensions.extra"], output_format="html5")
    pages = []
    for name, text in articles(Spec(n, seed)):
        meta, body = frontmatter.load(text)
        pages.append((f"articles/{name[:-3]}.html", meta, md.reset().convert(body)))
    return pages


def to_documents(pages: list[tuple[str, dict, str]]) -> list[SearchDocument]:
    """What the plugin's ``to_document`` does for each article (text extraction included)."""
    documents = []
    for url, meta, html in pages:
        date = str(meta.get("date", ""))[:10]
        documents.append(SearchDocument(
            url=url, title=meta["title"], body=html_to_text(html), summary=meta.get("summary", ""),
            source=meta.get("source", ""), tags=meta.get("tags", []), lang=meta.get("lang", ""),
            date=date, date_text=date,
        ))
    return documents


def _shell(workdir: Path) -> Path:
    """A built one-article site: search.html, theme and lunr.js in place."""
    from microsite.build import build_site

    content = workdir / "shell-content" / "articles"
    content.mkdir(parents=True, exist_ok=True)
    (content / "one.md").write_text("---\ntitle: One\ndate: '2020-01-01'\n---\n\nOne article.\n", "utf-8")
    output = workdir / "site"
    build_site(content.parent, output, ROOT / "pelicanconf.py")
    return output


def _browser_runs(site: Path, queries: tuple[str, ...]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    runs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for q in queries:
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{(site / 'search.html').as_uri()}?q={quote(q)}")
            page.wait_for_function("window.micrositeSearch && window.micrositeSearch.timing.firstResults", timeout=60_000)
            first = page.evaluate("window.micrositeSearch.timing.firstResults")
            urls = page.evaluate(
                "Array.from(document.querySelectorAll('script[src], link[rel=stylesheet]'), e => e.src || e.href)"
            )
            heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
            count = page.locator("#search-status").inner_text()
            paths = [Path(unquote(urlsplit(u).path)) for u in urls if u.startswith("file:")]
            loaded = [p for p in paths if p.is_file()] + [site / "search.html"]
            runs.append({
                "query": q, "status": count, "first_results_ms": round(first), "files_loaded": len(loaded),
                "bytes_loaded": sum(p.stat().st_size for p in loaded), "heap_mb": round(heap / 1e6, 1),
            })
            context.close()
        browser.close()
    return runs


def run_search_bench(n: int, workdir: Path, queries: tuple[str, ...] = QUERIES, browser: bool = True) -> dict:
    """Build the search payload for ``n`` synthetic articles under ``workdir`` and measure it."""
    workdir.mkdir(parents=True, exist_ok=True)
    site = _shell(workdir)
    pages = corpus_pages(n)

    started, cpu = time.perf_counter(), time.process_time()
    documents = to_documents(pages)
    state, stats = update_payload(documents, site / "search")
    build_s, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    words = sum(len(d.body.split()) for d in documents)

    # The same payload after one article gained a sentence, from the saved state (as a rebuild does).
    edited = len(documents) // 2
    documents[edited] = dataclasses.replace(
        documents[edited], body=documents[edited].body + " Correction: an earlier version misspelt a name.")
    cpu = time.process_time()
    state = pickle.loads(pickle.dumps(state, pickle.HIGHEST_PROTOCOL))
    _, update = update_payload(documents, site / "search", previous=state)
    update_cpu = time.process_time() - cpu

    python_side = []
    for q in queries:
        split = SplitIndex(site / "search")
        results = split.search(q)
        python_side.append({"query": q, "results": len(results), "index_bytes_read": split.bytes_read,
                            "index_files_read": len(split.files_read)})
    report = {
        "n": n, "words": words, "index_build_s": round(build_s, 1), "index_build_cpu_s": round(build_cpu, 1),
        "index_update_cpu_s": round(update_cpu, 2), "files_rewritten": update.written,
        "files": stats.files, "bytes_on_disk": stats.bytes,
        "largest_file": stats.largest_file, "shards": stats.shards, "terms": stats.terms, "queries": python_side,
    }
    if browser:
        for row, run in zip(python_side, _browser_runs(site, queries), strict=True):
            row.update(run)
    return report


def format_report(reports: list[dict]) -> str:
    """Markdown tables: one line per corpus size, then one per query."""
    lines = [
        "| N | words | index build (CPU) | after one edit: CPU, files rewritten | on disk | files | largest file "
        "| shards | terms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in reports:
        lines.append(
            f"| {r['n']:,} | {r['words']:,} | {r['index_build_s']} s ({r.get('index_build_cpu_s', '-')} s) | "
            f"{r.get('index_update_cpu_s', '-')} s, {r.get('files_rewritten', '-')} | {r['bytes_on_disk'] / 1e6:.1f} MB | "
            f"{r['files']:,} | {r['largest_file'] / 1e3:.0f} kB | {r['shards']} | {r['terms']:,} |"
        )
    lines += ["", "| N | query | results | index read | page loaded (files) | first results | JS heap |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in reports:
        for q in r["queries"]:
            loaded = f"{q['bytes_loaded'] / 1e6:.2f} MB ({q['files_loaded']})" if "bytes_loaded" in q else "-"
            first = f"{q['first_results_ms']} ms" if "first_results_ms" in q else "-"
            heap = f"{q['heap_mb']} MB" if "heap_mb" in q else "-"
            lines.append(f"| {r['n']:,} | `{q['query']}` | {q['results']:,} | {q['index_bytes_read'] / 1e3:.0f} kB "
                         f"({q['index_files_read']}) | {loaded} | {first} | {heap} |")
    return "\n".join(lines)
