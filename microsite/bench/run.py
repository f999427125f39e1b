"""``invoke bench``: time import, builds, rebuilds and search at research scale, beside stock Pelican.

Steps, on one seeded corpus (``corpus.py``) in a scratch folder:

1. import of N saved HTML pages (``pages.py``, when the import side provides it);
2. our full build from Markdown, every cache empty (search index included);
3. a rebuild with nothing changed (skipped as up to date), and the same forced
   through Pelican with warm caches;
4. a rebuild after one article's text was edited;
5. the search figures (``search_bench.py``);
6. stock Pelican 4.12 on the same Markdown: its Markdown reader plus
   pelican-yaml-metadata, default settings, the ``simple`` theme; a full
   build, then the same one-article edit (stock Pelican caches nothing).

Each step reports wall time, CPU time of the processes it ran, and the peak
resident memory of the whole process tree (sampled with psutil).  The figures,
the machine (CPUs, model, RAM, load average) and the date go to
``bench/results-N.json``; ``bench/results.md`` is regenerated from every
results file.  These are measurements for the record, not a test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from microsite.bench.corpus import Spec, write_corpus
from microsite.build import build_site

ROOT = Path(__file__).resolve().parents[2]
# A run works on a snapshot of the code (see ``snapshot``) but records into the real tree.
RESULTS = Path(os.environ.get("MICROSITE_BENCH_RESULTS") or ROOT / "bench")
TARGETS = {  # step -> (limit, unit, "max" or "min")
    "import": (50, "pages/s", "min"),
    "full build": (30, "s", "max"),
    "no-change rebuild": (3, "s", "max"),
    "one-article rebuild": (5, "s", "max"),
    "peak memory": (2048, "MB", "max"),
}
STOCK_SETTINGS = """\
# Stock Pelican for the benchmark: its Markdown reader + pelican-yaml-metadata, defaults, the simple theme.
PATH = {content!r}
THEME = "simple"
PLUGINS = ["pelican.plugins.yaml_metadata"]
TIMEZONE = "UTC"
SITEURL = ""
RELATIVE_URLS = True
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
"""


@dataclass
class Step:
    """One timed step."""

    name: str
    wall_s: float
    cpu_s: float
    peak_mb: float
    note: str = ""
    extra: dict = field(default_factory=dict)


class _PeakMemory:
    """Peak memory of this process and its descendants, sampled every ``INTERVAL`` seconds.

    Proportional set size (PSS) where the kernel gives it: forked workers share
    pages with their parent, and summing plain RSS would count those twice.
    Read from ``/proc/<pid>/smaps_rollup`` (psutil where there is none).  The
    kernel walks every page of a process for its PSS, ~6 ms per GB: sampling
    five processes every 50 ms took most of a core from the build being
    measured, so samples are 0.5 s apart (a build's processes live for
    seconds), and the sampler's own CPU time (``cpu``) is left out of the
    step's CPU figure.
    """

    INTERVAL = 0.5

    def __init__(self) -> None:
        self.peak = 0
        self.cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _size(proc) -> int:
        try:
            with open(f"/proc/{proc.pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        try:
            return proc.memory_full_info().pss
        except AttributeError:
            return proc.memory_info().rss

    def _run(self) -> None:
        import psutil

        started = time.thread_time()
        me = psutil.Process()
        while not self._stop.is_set():
            total = self._size(me)
            for proc in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += self._size(proc)
            self.peak = max(self.peak, total)
            self.cpu = time.thread_time() - started
            self._stop.wait(self.INTERVAL)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def timed(name: str, action: Callable[[], object], note: str = "") -> tuple[Step, object]:
    """Run ``action``; wall time, CPU of this process and its children (but the memory sampler), peak
    memory of the process tree."""
    def cpu_now() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    before = cpu_now()
    started = time.perf_counter()
    with _PeakMemory() as memory:
        value = action()
    wall = time.perf_counter() - started
    cpu = cpu_now() - before - memory.cpu  # the build's, not the memory sampler's
    peak = memory.peak / 2**20
    step = Step(name, round(wall, 2), round(cpu, 2), round(peak, 1), note)
    print(f"  {name}: {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:.0f} MB {note}", flush=True)
    return step, value


def edit_one(content: Path) -> Path:
    """Edit one article's text the way a person fixing a sentence would."""
    path = sorted((content / "articles").glob("*.md"))[len(list((content / "articles").glob("*.md"))) // 2]
    text = path.read_text("utf-8")
    path.write_text(text.rstrip("\n") + "\n\nCorrection: an earlier version misspelt a name.\n", "utf-8")
    return path


def last_build(cache: Path) -> dict:
    """What the last build did (pages rendered and kept, articles read and restored), from its cache."""
    try:
        return json.loads((cache / "microsite-last-build.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _pelican(content: Path, output: Path, settings: Path) -> None:
    cmd = [sys.executable, "-m", "pelican", str(content), "-s", str(settings), "-o", str(output), "-q"]
    subprocess.run(cmd, check=True, cwd=settings.parent)


def machine() -> dict:
    """CPUs, model, RAM, load: what the figures depend on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model, "ram_gb": round(mem_kb / 2**20, 1), "python": platform.python_version(),
        "pelican": metadata.version("pelican"), "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


def _import_step(n: int, work: Path, seed: int) -> Step | None:
    """``invoke import`` of N generated saved HTML pages (``microsite/bench/pages.py``)."""
    try:
        from microsite.bench.pages import measure_import_throughput
    except ImportError:
        print("  import: skipped (microsite/bench/pages.py is not there)")
        return None
    step, stats = timed("import", lambda: measure_import_throughput(
        n, seed=seed, workdir=work / "import", taxonomy=ROOT / "taxonomy.yml"))
    step.wall_s, step.extra = stats["seconds"], stats  # generating the pages is not part of the import
    step.note = f"({stats['pages_per_second']:.0f} pages/s, {stats['megabytes']:.0f} MB of HTML, {stats['workers']} workers)"
    return step


def run(n: int = 10_000, seed: int = 42, workdir: Path | None = None, stock: bool = True, search: bool = True,
        browser: bool = True, imports: bool = True) -> dict:
    """Run every step for ``n`` articles; returns (and records) the results."""
    work = workdir or RESULTS / "results" / "tmp" / f"n{n}"
    print(f"bench: code from {Path(__file__).resolve().parents[1]}", flush=True)
    # The last run's files (100,000 of them at 10k) are moved aside and deleted once every step is
    # timed: ext4 slows the creation of each file for minutes after a mass deletion, which would
    # fall on the builds measured here (ours and stock Pelican's alike).
    stale = work.with_name(f"{work.name}.old-{os.getpid()}")
    if work.exists():
        work.rename(stale)
    work.mkdir(parents=True)
    info = machine()
    print(f"bench: {n:,} articles in {work} ({info['nproc']} CPUs, load {info['load_average_start']})", flush=True)
    steps: list[Step] = []
    content, output, settings = work / "content", work / "output", ROOT / "pelicanconf.py"
    step, _ = timed("corpus", lambda: write_corpus(content, Spec(n, seed)), "(generating Markdown, not a target)")
    steps.append(step)
    if imports and (step := _import_step(n, work, seed)) is not None:
        steps.append(step)

    for name, kwargs in (("full build", {"fresh": True}), ("no-change rebuild", {}),
                         ("no-change rebuild, forced", {"force": True})):
        step, built = timed(name, lambda kw=kwargs: build_site(content, output, settings, **kw))
        step.note = "" if built.ran else "(up to date: skipped)"
        if built.ran:
            step.extra = last_build(built.cache)
        steps.append(step)
    edited = edit_one(content)
    step, built = timed("one-article rebuild", lambda: build_site(content, output, settings))
    step.extra = last_build(built.cache)
    step.note = f"({edited.name}: {step.extra.get('rendered', '?')} pages rendered)"
    steps.append(step)
    cache = built.cache

    if search:
        from microsite.bench.search_bench import run_search_bench

        step, report = timed("search index", lambda: run_search_bench(n, work / "search", browser=browser))
        step.extra = report
        steps.append(step)

    if stock:
        stock_settings = work / "stockconf.py"
        stock_settings.write_text(STOCK_SETTINGS.format(content=str(content)), "utf-8")
        for name in ("stock Pelican full build", "stock Pelican one-article rebuild"):
            if "one-article" in name:
                edit_one(content)
            step, _ = timed(name, lambda: _pelican(content, work / "stock-output", stock_settings))
            steps.append(step)

    shutil.rmtree(stale, ignore_errors=True)
    results = {
        "n": n, "seed": seed, "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _commit(), "machine": info | {"load_average_end": [round(x, 2) for x in os.getloadavg()]},
        "output_files": sum(1 for p in output.rglob("*") if p.is_file()),
        "steps": [asdict(s) for s in steps],
    }
    shutil.rmtree(cache, ignore_errors=True)
    if workdir is None:  # the scratch corpus and sites (a few GB at 10k) are not kept
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"results-{n}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (RESULTS / "results.md").write_text(render_all(), "utf-8")
    print(table(results))
    return results


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


def _step(results: dict, name: str) -> dict | None:
    return next((s for s in results["steps"] if s["name"] == name), None)


def table(results: dict) -> str:
    """The Markdown table of one run: ours, target, stock Pelican, ratio."""
    n = results["n"]
    rows = ["| step | ours (wall) | CPU | peak memory (PSS) | target | met | stock Pelican 4.12 | stock / ours |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    stock = {"full build": _step(results, "stock Pelican full build"),
             "one-article rebuild": _step(results, "stock Pelican one-article rebuild")}
    peak = peak_stock = 0.0
    for s in results["steps"]:
        if s["name"].startswith("stock"):
            peak_stock = max(peak_stock, s["peak_mb"])
            continue
        peak = max(peak, s["peak_mb"]) if s["name"] != "corpus" else peak
        value = s["extra"]["pages_per_second"] if s["name"] == "import" else s["wall_s"]
        target = TARGETS.get(s["name"])
        if target:
            limit, unit, kind = target
            met = "yes" if (value >= limit if kind == "min" else value <= limit) else "**no**"
            target_text = f"{'>=' if kind == 'min' else '<='} {limit} {unit}"
        else:
            met, target_text = "", ""
        shown = f"{value:.0f} pages/s" if s["name"] == "import" else f"{value:.2f} s"
        other = stock.get(s["name"])
        stock_text = f"{other['wall_s']:.2f} s" if other else ""
        ratio = f"{other['wall_s'] / s['wall_s']:.1f}x" if other and s["wall_s"] else ""
        rows.append(f"| {s['name']} {s['note']} | {shown} | {s['cpu_s']:.1f} s | {s['peak_mb']:.0f} MB | "
                    f"{target_text} | {met} | {stock_text} | {ratio} |")
    limit = TARGETS["peak memory"][0]
    stock_peak = f"{peak_stock:.0f} MB" if stock["full build"] else ""
    rows.append(f"| peak memory (any step) | {peak:.0f} MB | | | < {limit} MB | {'yes' if peak < limit else '**no**'} "
                f"| {stock_peak} | |")
    m = results["machine"]
    head = (f"### {n:,} articles, {results['date']} (commit {results['commit']})\n\n"
            f"{m['nproc']} CPUs ({m['cpu_model']}), {m['ram_gb']} GB RAM, Python {m['python']}, Pelican {m['pelican']}; "
            f"load average {m['load_average_start']} at start, {m['load_average_end']} at end (the machine is shared). "
            f"{results['output_files']:,} files in the site.\n")
    search = _step(results, "search index")
    tail = ""
    if search and search["extra"]:
        from microsite.bench.search_bench import format_report

        tail = "\n\nSearch (from `microsite/bench/search_bench.py`):\n\n" + format_report([search["extra"]])
    return head + "\n" + "\n".join(rows) + tail + "\n"


def render_all() -> str:
    """``bench/results.md``: every recorded run, largest corpus first."""
    runs = sorted((json.loads(p.read_text("utf-8")) for p in RESULTS.glob("results-*.json")), key=lambda r: -r["n"])
    intro = ("# Benchmark results\n\nWritten by `invoke bench` (`microsite/bench/run.py`); one section per corpus "
             "size, newest run of each. Wall times are what a person waits; CPU is the sum over processes.\n\n")
    return intro + "\n".join(table(r) for r in runs)


def snapshot(dest: Path) -> Path:
    """Copy the code a run uses (package, theme, settings): edits made meanwhile cannot change a run."""
    shutil.rmtree(dest, ignore_errors=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("microsite", "theme"):
        shutil.copytree(ROOT / name, dest / name, ignore=skip)
    for path in ROOT.iterdir():
        if path.is_file() and path.suffix in {".py", ".yml", ".yaml", ".json", ".toml"}:
            shutil.copy2(path, dest / path.name)
    (dest / "node_modules").symlink_to(ROOT / "node_modules")
    return dest


def run_snapshot(n: int, seed: int = 42, **flags: bool) -> None:
    """``run`` in a fresh process on a snapshot of the code, results recorded here."""
    code = snapshot(RESULTS / "results" / "tmp" / "code")
    args = [sys.executable, "-m", "microsite.bench.run", str(n), "--seed", str(seed)]
    args += [f"--no-{name}" for name, on in flags.items() if not on]
    env = dict(os.environ, PYTHONPATH=str(code), MICROSITE_BENCH_RESULTS=str(RESULTS))
    try:
        subprocess.run(args, cwd=code, env=env, check=True)
    finally:
        shutil.rmtree(code, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Benchmark import, builds, rebuilds and search.")
    parser.add_argument("n", type=int, nargs="?", default=10_000, help="articles (default: 10000)")
    parser.add_argument("--seed", type=int, default=42, help="corpus seed (default: 42)")
    for name in ("stock", "search", "browser", "imports"):
        parser.add_argument(f"--no-{name}", dest=name, action="store_false", help=f"skip the {name} step")
    args = parser.parse_args(argv)
    run(args.n, seed=args.seed, stock=args.stock, search=args.search, browser=args.browser, imports=args.imports)


if __name__ == "__main__":
    main()
