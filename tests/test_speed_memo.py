"""Memos and the article store survive builds through a base file and a small delta."""

from __future__ import annotations

from microsite.plugins.speed_memo import KeptDict


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
