"""The speed plugin changes how fast the site is built, never what is built.

* with it, the site equals the one stock Pelican's generator and writer build
  (articles read on two processes, taxonomy pages without the quadratic scan);
* a reader warning raised in a worker process still fails a strict build;
* months whose articles are not consecutive in time order (mixed UTC offsets)
  get one archive page each, where stock Pelican stops with an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import tree

from microsite.bench.corpus import Spec, write_corpus
from microsite.build import BuildError, build_site

ROOT = Path(__file__).resolve().parent.parent
N = 70  # enough for the parallel read (64 files and up)


def settings_without_speed(folder: Path) -> Path:
    """Our settings with the speed plugin taken out and the output wiped, as stock Pelican builds."""
    path = folder / "stockconf.py"
    path.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *  # noqa: F403\n"
        "PLUGINS = [p for p in PLUGINS if p != 'microsite.plugins.speed']  # noqa: F405\n"
        "DELETE_OUTPUT_DIRECTORY = True\nCACHE_CONTENT = False\nLOAD_CONTENT_CACHE = False\n",
        "utf-8",
    )
    return path


def test_same_site_as_stock_generator_and_writer(tmp_path):
    content = tmp_path / "content"
    write_corpus(content, Spec(N, seed=3))
    ours = tmp_path / "ours"
    build_site(content, ours, ROOT / "pelicanconf.py", strict=True, fresh=True, extra={"SPEED_WORKERS": "2"})
    stock = tmp_path / "stock"
    build_site(content, stock, settings_without_speed(tmp_path), strict=True, fresh=True)
    got, want = tree(ours), tree(stock)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []
    assert len([n for n in got if n.startswith("articles/") and n.endswith(".html")]) == N


def test_warning_in_a_worker_fails_a_strict_build(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one log record, one line
    content = tmp_path / "content"
    write_corpus(content, Spec(N, seed=4))
    bad = content / "articles" / "zz-unsafe.md"
    bad.write_text("---\ntitle: Unsafe\ndate: 2024-01-01\nsave_as: ../../outside.html\n---\n\nBody.\n", "utf-8")
    with pytest.raises(BuildError):
        build_site(content, tmp_path / "out", ROOT / "pelicanconf.py", strict=True, extra={"SPEED_WORKERS": "2"})
    captured = capfd.readouterr()
    assert "zz-unsafe.md: ignored save_as" in captured.out + captured.err
    assert not (tmp_path / "outside.html").exists()


def test_month_archives_with_mixed_utc_offsets(tmp_path):
    articles = tmp_path / "content" / "articles"
    articles.mkdir(parents=True)
    dates = {  # newest first by instant: May, June, May (the June one is 22:00 UTC on 31 May)
        "late-may": "2022-05-31T23:00:00+00:00",
        "early-june": "2022-06-01T01:00:00+03:00",
        "mid-may": "2022-05-15T12:00:00+00:00",
    }
    for slug, date in dates.items():
        (articles / f"{slug}.md").write_text(f"---\ntitle: {slug}\ndate: '{date}'\nslug: {slug}\n---\n\nText.\n", "utf-8")
    out = tmp_path / "out"
    build_site(tmp_path / "content", out, ROOT / "pelicanconf.py", strict=True)
    may = (out / "archives" / "2022-05.html").read_text("utf-8")
    june = (out / "archives" / "2022-06.html").read_text("utf-8")
    assert "late-may" in may and "mid-may" in may and "early-june" not in may
    assert "early-june" in june and "late-may" not in june and "mid-may" not in june
