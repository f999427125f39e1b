"""Shared fixtures: project paths, site builds into temp folders, headless Chromium.

The browser is Debian's ``chromium`` driven by Playwright through
``executable_path`` (no browser download).  Browser tests are skipped with a
clear reason only when no Chromium is installed at all; CI installs it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from microsite.build import build_site
from microsite.pipeline import import_dir

ROOT = Path(__file__).resolve().parent.parent
# Every build in the tests checks that no plugin changes what an article read in place (the page
# digests kept from reading would miss it; see ``microsite.plugins.speed_digest``).
os.environ.setdefault("MICROSITE_CHECK_DIGESTS", "1")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--allow-file-access-from-files",
]


def chromium_path() -> str | None:
    """Debian's Chromium (or CHROMIUM_PATH), None when absent."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def make_site(src: Path, workdir: Path, strict: bool = True, extra_content: dict[str, str] | None = None) -> Path:
    """Import ``src`` and build a site under ``workdir``; returns the output folder."""
    content = workdir / "content"
    output = workdir / "output"
    import_dir(src, content, ROOT / "taxonomy.yml")
    for rel, text in (extra_content or {}).items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    build_site(content, output, ROOT / "pelicanconf.py", strict=strict)
    return output


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> Path:
    """The demo corpus in ``scraped/`` built once per test session (strict)."""
    return make_site(ROOT / "scraped", tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium for the session (Playwright, Debian's binary)."""
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page; fails the test on any uncaught JavaScript error."""
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


RESEARCH = FIXTURES / "research"  # text scrapes: the seed plus four outlets
RESEARCH_CONTENT = FIXTURES / "research_content"  # hand-written front matter (hostile, undated)


def research_extra(bulk: int = 22) -> dict[str, str]:
    """Hand-written articles plus ``bulk`` short ones (one tag, one source) to force pagination."""
    extra = {f"articles/{p.name}": p.read_text("utf-8") for p in sorted(RESEARCH_CONTENT.glob("*.md"))}
    for i in range(bulk):
        extra[f"articles/bulk-{i:02d}.md"] = (
            f"---\ntitle: Interfax brief {i:02d} on border security\ndate: '2022-{i % 12 + 1:02d}-{i % 27 + 1:02d}T12:00:00+03:00'\n"
            f"source: Interfax\ntags:\n- border security\nlang: {'ru' if i % 3 == 0 else 'en'}\nslug: bulk-{i:02d}\n---\n\n"
            f"Brief {i} on border guards, patrols and checkpoints number {i * 7}.\n"
        )
    return extra


@pytest.fixture(scope="session")
def research_site(tmp_path_factory) -> Path:
    """Research-outputs site (citations, sources, timeline, exports), built once per session (strict)."""
    return make_site(RESEARCH, tmp_path_factory.mktemp("research"), extra_content=research_extra())


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_same_site(built: Path, clean: Path) -> None:
    """The two output folders hold the same files with the same bytes (an incremental build equals a clean one)."""
    got, want = tree(built), tree(clean)
    assert sorted(got) == sorted(want), (
        f"missing {sorted(set(want) - set(got))[:5]}, extra {sorted(set(got) - set(want))[:5]}"
    )
    differing = [name for name in want if got[name] != want[name]]
    assert not differing, f"{len(differing)} files differ from a clean build, e.g. {differing[:5]}"


def clean_build(content: Path, workdir: Path, name: str) -> Path:
    """A strict build from scratch of ``content`` into ``workdir/name``."""
    output = workdir / name
    build_site(content, output, ROOT / "pelicanconf.py", strict=True, fresh=True)
    return output

