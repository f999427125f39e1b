"""``invoke build``: run Pelican on ``content/`` with our settings and theme.

Pelican runs in a child process (``python -m microsite.run_pelican``, Pelican's command line) so that its global
logging and plugin state never leak between builds (tests build many sites in
one process).  ``strict`` passes ``--fatal warnings``: any warning fails.

Rebuilds are incremental (see ``microsite.plugins.speed``): each output folder
has its own Pelican cache (see ``cache_dir``), and the cache is dropped whenever
anything other than the articles could change the site (settings, theme, our
code, library versions).  When neither the inputs nor the output folder
changed since the last successful build, the build is skipped outright, the
way ``make`` skips an up-to-date target; ``force`` runs Pelican anyway (with
its caches) and ``fresh`` ignores every cache (a clean build).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE_ROOT = ROOT / "cache"
STATE_FILE = "build-state.json"
OUTPUT_STAMP = "microsite-output-stamp.json"  # ``tree_stamp`` of the output, left by the speed plugin
# Code and data that shape the site besides the articles; a change to any of them drops the caches.
_CODE_SUFFIXES = {".py", ".yml", ".yaml", ".json", ".toml", ".html", ".css", ".js", ".txt", ".svg"}
_ENV_READ = re.compile(r"""(?:environ\.get\(|environ\[|getenv\()\s*["'](\w+)["']""")
_LIBRARIES = (
    "pelican", "markdown", "markdown-it-py", "nh3", "jinja2", "markupsafe", "lunr", "pyyaml",
    "snowballstemmer", "feedgenerator",
)


class BuildError(RuntimeError):
    """Pelican reported an error (or a warning, in strict mode)."""


@dataclass(frozen=True)
class Built:
    """What ``build_site`` did: ``ran`` is False when the site was already up to date."""

    ran: bool
    cache: Path


def cache_dir(output: Path) -> Path:
    """This output folder's own cache folder (several sites never share one).

    ``cache/`` in the project for sites built inside it; next to the output
    folder otherwise, so that a site built elsewhere (a test's temporary
    folder) takes its cache with it when it goes.
    """
    output = output.resolve()
    if not output.is_relative_to(ROOT):
        return output.parent / ".microsite-cache" / output.name
    return CACHE_ROOT / f"{output.name}-{hashlib.sha1(str(output).encode()).hexdigest()[:10]}"


def build_site(
    content: Path,
    output: Path,
    settings: Path | None = None,
    strict: bool = False,
    extra: dict[str, str] | None = None,
    force: bool = False,
    fresh: bool = False,
) -> Built:
    """Render ``content`` into ``output``; BuildError when Pelican fails."""
    settings = (settings or ROOT / "pelicanconf.py").resolve()
    cache = cache_dir(output)
    inputs = _fingerprint(settings, content, output, extra)
    state = _read_state(cache)
    # the articles as this build reads them: an article saved while Pelican runs is seen next time
    content_stamp = tree_stamp(content)
    if fresh or state.get("inputs") != inputs:
        shutil.rmtree(cache, ignore_errors=True)
    elif not force and state.get("content") == content_stamp and state.get("output") == tree_stamp(output):
        print(f"{output}: up to date (nothing changed since the last build)")
        return Built(ran=False, cache=cache)
    cache.mkdir(parents=True, exist_ok=True)
    (cache / STATE_FILE).unlink(missing_ok=True)
    cmd = [
        sys.executable, "-m", "microsite.run_pelican", str(content),
        "--settings", str(settings), "--output", str(output), "--cache-path", str(cache),
    ]
    if fresh:
        # Every page is rendered again, but the output folder is not wiped: files whose bytes did not
        # change stay as they are and files the build no longer makes are removed at its end
        # (``speed_write.remove_stale``), so the folder equals a build into an empty one.  Deleting
        # and creating again some 50,000 files made a clean rebuild of 10,000 articles 3-10 s slower
        # (ext4 scans the inodes it freed in the last minutes for every file it creates).
        cmd += ["--ignore-cache"]
    if strict:
        cmd += ["--fatal", "warnings"]
    if extra:
        cmd += ["--extra-settings", *(f"{k}={v}" for k, v in extra.items())]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env["PYTHONHASHSEED"] = "0"  # sets iterate in the same order every build: stable page digests
    (cache / OUTPUT_STAMP).unlink(missing_ok=True)
    started = time.time_ns()
    result = subprocess.run(cmd, env=env, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise BuildError(f"Pelican failed (exit {result.returncode}); see the messages above")
    new_state = {"inputs": inputs, "content": content_stamp, "output": _output_stamp(output, cache, started)}
    cache.mkdir(parents=True, exist_ok=True)
    (cache / STATE_FILE).write_text(json.dumps(new_state), "utf-8")
    return Built(ran=True, cache=cache)


def _fingerprint(settings: Path, content: Path, output: Path, extra: dict[str, str] | None) -> str:
    """Digest of everything but the articles that decides the site."""
    h = hashlib.sha256()
    h.update(repr((str(content.resolve()), str(output.resolve()), sorted((extra or {}).items()))).encode())
    h.update(f"{sys.version} {platform.machine()}".encode())
    for name in _LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=-;".encode())
    files = {settings} | {p for p in ROOT.iterdir() if p.is_file() and p.suffix in _CODE_SUFFIXES}
    for path in sorted(p for p in files if p.suffix == ".py"):  # SITEURL=... invoke publish differs from a local build
        for name in sorted(set(_ENV_READ.findall(path.read_text("utf-8", errors="replace")))):
            h.update(f"${name}={os.environ.get(name)};".encode())
    files |= {p for p in (ROOT / "microsite").rglob("*") if p.is_file() and p.suffix in _CODE_SUFFIXES}
    files |= {p for p in (ROOT / "theme").rglob("*") if p.is_file()}
    for path in sorted(files):
        h.update(f"{path}\0".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def tree_stamp(folder: Path | str, remove=None, empty: list[str] | None = None, keep: frozenset | set = frozenset(),
               known: dict | None = None) -> str:
    """Digest of every file's path, size and mtime under ``folder`` ("" when it does not exist).

    A site has tens of thousands of files: one ``scandir`` per folder and one
    ``stat`` per file, with paths built by concatenation (``relpath`` per file
    cost twice the stats).  ``remove(path, rel, stat)``, when given, may delete
    a file (it returns True; it is not asked about the paths in ``keep``): the
    digest is then that of the folder after; ``empty`` gets the folders found
    empty; ``known`` gives the ``(size, mtime_ns)`` of files stated already
    (among ``keep``: they are not asked about).
    The speed plugin deletes a build's stale files this way and leaves the
    digest for ``build_site`` (``OUTPUT_STAMP``): one walk of the site, not two.
    """
    folder = str(folder)
    if not os.path.isdir(folder):
        return ""
    lines: list[str] = []
    pending = [(folder, "")]
    while pending:
        path, rel = pending.pop()
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        if not entries and empty is not None:
            empty.append(path)
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, f"{rel}{entry.name}/"))
                    continue
                hit = known.get(entry.path) if known and entry.path in keep else None
                if hit is not None:
                    lines.append(f"{rel}{entry.name}\0{hit[0]}\0{hit[1]}\n")
                    continue
                st = entry.stat(follow_symlinks=True)
            except OSError:
                continue
            if remove is not None and entry.path not in keep and remove(entry.path, f"{rel}{entry.name}", st):
                continue
            lines.append(f"{rel}{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\n")
    return hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def _output_stamp(output: Path, cache: Path, since: int) -> str:
    """``tree_stamp(output)``, as the build left it: from the speed plugin when it wrote one in
    this build (it walked the site anyway), else walked here."""
    path = cache / OUTPUT_STAMP
    try:
        if path.stat().st_mtime_ns >= since:
            data = json.loads(path.read_text("utf-8"))
            if data.get("output") == os.path.abspath(output) and isinstance(data.get("stamp"), str):
                return data["stamp"]
    except (OSError, ValueError, AttributeError):
        pass
    return tree_stamp(output)


def _read_state(cache: Path) -> dict:
    try:
        return json.loads((cache / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
