"""Deferred output jobs: files, results, errors and logs come back from the workers."""

from __future__ import annotations

import logging
import os

import pytest

from microsite.plugins import speed_jobs


@pytest.fixture(autouse=True)
def fresh_jobs():
    speed_jobs.reset(enabled=True)
    yield
    speed_jobs.reset(enabled=False)


@pytest.mark.parametrize("workers", [1, 2])
def test_jobs_write_files_and_report_back(tmp_path, workers, caplog):
    results = []

    def job(i):
        def run():
            logging.getLogger("microsite.test").warning("job %d ran in %d", i, os.getpid())
            speed_jobs.write_if_changed(tmp_path / f"f{i}.txt", f"file {i}\n")
            return i * i
        return run

    for i in range(5):
        speed_jobs.defer(job(i), results.append, cost=i, name=f"job {i}")
    with caplog.at_level(logging.WARNING):
        speed_jobs.run_all({"SPEED_WORKERS": workers})
    assert sorted(results) == [0, 1, 4, 9, 16]
    assert {p.name for p in tmp_path.iterdir()} == {f"f{i}.txt" for i in range(5)}
    assert all(speed_jobs.is_produced(tmp_path / f"f{i}.txt") for i in range(5))
    assert sum("ran in" in r.getMessage() for r in caplog.records) == 5
    if workers == 2:  # really ran elsewhere
        assert all(f"ran in {os.getpid()}" not in r.getMessage() for r in caplog.records)


def test_a_failing_job_fails_the_run_with_its_traceback():
    def broken():
        raise KeyError("no such field")

    speed_jobs.defer(broken, name="broken job")
    speed_jobs.defer(lambda: 1, name="fine job")
    with pytest.raises(speed_jobs.JobError, match=r"(?s)broken job.*KeyError"):
        speed_jobs.run_all({"SPEED_WORKERS": 2})


def test_write_if_changed_keeps_unchanged_files_untouched(tmp_path):
    path = tmp_path / "a" / "b.txt"
    assert speed_jobs.write_if_changed(path, "same")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert not speed_jobs.write_if_changed(path, "same")
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert speed_jobs.write_if_changed(path, b"other")
    assert path.read_bytes() == b"other"


def test_without_the_plugin_jobs_run_at_once():
    speed_jobs.reset(enabled=False)
    seen = []
    speed_jobs.defer(lambda: 7, seen.append)
    assert seen == [7]


def test_jobs_started_early_run_beside_the_later_ones(tmp_path):
    results = []

    def early():
        speed_jobs.write_if_changed(tmp_path / "early.txt", "early")
        return "early"

    speed_jobs.defer(early, results.append)
    speed_jobs.start_early({"SPEED_WORKERS": 2})
    speed_jobs.defer(lambda: "late", results.append)
    speed_jobs.run_all({"SPEED_WORKERS": 2})
    assert sorted(results) == ["early", "late"]
    assert (tmp_path / "early.txt").read_text() == "early" and speed_jobs.is_produced(tmp_path / "early.txt")
