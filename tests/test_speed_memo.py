"""Memos and the article store survive builds through a base file and a small delta."""

from __future__ import annotations

import os
import pickle

from microsite.plugins.speed_memo import KeptDict, write_pickle


def test_small_changes_go_to_the_delta_and_large_ones_rewrite_the_base(tmp_path):
    path = tmp_path / "memo.pickle"
    entries = {i: f"value {i}" for i in range(1000)}
    KeptDict(path).save(entries, set(entries))
    base = path.read_bytes()

    kept = KeptDict(path)
    loaded = kept.load()
    assert loaded == entries
    loaded[5] = "edited"
    del loaded[7]
    kept.save(loaded, {5})
    assert path.read_bytes() == base  # one edit and one deletion: only the delta is written
    assert (tmp_path / "memo.pickle.delta").exists()
    assert KeptDict(path).load() == loaded

    again = KeptDict(path)
    current = again.load()
    for i in range(100, 300):
        current[i] = "rewritten"
    again.save(current, set(range(100, 300)))
    assert path.read_bytes() != base and not (tmp_path / "memo.pickle.delta").exists()
    assert KeptDict(path).load() == current


def test_a_delta_of_another_base_is_ignored(tmp_path):
    path = tmp_path / "memo.pickle"
    first = KeptDict(path)
    first.save({1: "a", 2: "b"}, {1, 2})
    loaded = first.load()
    loaded[1] = "changed"
    first.save(loaded, {1})
    delta = (tmp_path / "memo.pickle.delta").read_bytes()
    KeptDict(path).save({1: "x", 2: "y"}, {1, 2})  # a fresh base (another build from scratch)
    (tmp_path / "memo.pickle.delta").write_bytes(delta)  # a stale delta left behind
    assert KeptDict(path).load() == {1: "x", 2: "y"}


def test_what_a_dead_writer_left_is_cleared_and_a_live_ones_kept(tmp_path):
    """A process stopped while saving a state (``Ahead.cancel``) leaves ``<name>.<pid>.tmp``."""
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    path = tmp_path / "state.pickle"
    left = tmp_path / f"state.pickle.{int(dead.stdout)}.tmp"
    left.write_bytes(b"half a state")
    live = tmp_path / f"state.pickle.{os.getppid()}.tmp"  # (pytest's parent: alive)
    live.write_bytes(b"being written")
    other = tmp_path / f"other.pickle.{int(dead.stdout)}.tmp"  # another file's: not this write's business
    other.write_bytes(b"x")
    write_pickle(path, {"a": 1})
    assert pickle.loads(path.read_bytes()) == {"a": 1}
    assert not left.exists() and live.exists() and other.exists()
