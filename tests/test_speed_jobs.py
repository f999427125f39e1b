"""Deferred output jobs: files, results, errors and logs come back from the workers."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

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


def test_claims_from_both_ends_cover_every_item_once():
    """The process working the page digests out ahead takes runs from the front, the main process
    from the back: together every article exactly once, whoever is faster."""
    import multiprocessing

    claims = speed_jobs.Claims(1000, 7)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def front() -> None:
        got = []
        while (run := claims.front()) is not None:
            got.append(run)
        send.send(got)

    child = ctx.Process(target=front)
    child.start()
    from_back = []
    while (run := claims.back()) is not None:
        from_back.append(run)
    from_front = receive.recv()
    child.join()
    covered = sorted(i for start, stop in from_front + from_back for i in range(start, stop))
    assert covered == list(range(1000))
    front_items = [i for start, stop in from_front for i in range(start, stop)]
    assert front_items == list(range(len(front_items)))  # the first items, in order: rows for contents[:k]


def test_short_early_jobs_wait_for_the_output_phase_long_ones_start_at_once(tmp_path):
    """A rebuild's early jobs (cheap) must not take a core from the page digests; a clean build's
    (the search index: the longest job) start as soon as the context is complete."""
    import time

    def job(name):
        def run():
            (tmp_path / name).write_text(str(time.time()))
            speed_jobs.keep(tmp_path / name)
        return run

    speed_jobs.defer(job("short"), cost=0.1, name="short")
    speed_jobs.start_early({"SPEED_WORKERS": 2})
    time.sleep(1.0)
    assert not (tmp_path / "short").exists(), "a short early job ran before the output phase"
    released = time.time()
    speed_jobs.release_early()
    speed_jobs.run_all({"SPEED_WORKERS": 2})
    assert float((tmp_path / "short").read_text()) >= released

    speed_jobs.reset(enabled=True)
    speed_jobs.defer(job("long"), cost=speed_jobs.EARLY_SHORT + 1, name="long")
    speed_jobs.start_early({"SPEED_WORKERS": 2})
    deadline = time.time() + 10
    while not (tmp_path / "long").exists() and time.time() < deadline:
        time.sleep(0.05)
    assert (tmp_path / "long").exists(), "a long early job waited"
    speed_jobs.run_all({"SPEED_WORKERS": 2})


@pytest.mark.parametrize("late", [False, True], ids=["at-once", "started-after-the-build-died"])
def test_a_waiting_early_process_ends_with_a_failed_build(tmp_path, late):
    """A build that fails before its output phase never releases the early jobs: their process
    must not wait forever (``microsite.run_pelican`` skips the interpreter's teardown).

    ``late``: the forked process gets the CPU only after the build has died (a loaded machine);
    it must still know which process it was waiting for."""
    import signal
    import subprocess
    import sys
    import time

    delay = (
        "import time\n"
        "_run = speed_jobs._Early._run\n"
        "def _late(*args):\n"
        "    time.sleep(1.0)\n"
        "    _run(*args)\n"
        "speed_jobs._Early._run = staticmethod(_late)\n"
    ) if late else ""
    script = (
        "import os, sys\n"
        "from microsite.plugins import speed_jobs\n"
        + delay +
        "speed_jobs.reset(enabled=True)\n"
        "speed_jobs.defer(lambda: None, cost=0.1, name='short')\n"
        "speed_jobs.start_early({'SPEED_WORKERS': 2})\n"
        "print(speed_jobs._EARLY.process.pid, flush=True)\n"
        "os._exit(1)\n"
    )
    with open(tmp_path / "pid", "w") as out:  # (not a pipe: the process would hold it open)
        subprocess.run([sys.executable, "-c", script], stdout=out, timeout=60,
                       cwd=Path(__file__).resolve().parent.parent)
    pid = int((tmp_path / "pid").read_text().split()[0])

    def alive() -> bool:
        try:
            state = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        return "\nState:\tZ" not in state  # a zombie has ended (nobody reaped it)

    deadline = time.time() + 10
    while alive() and time.time() < deadline:
        time.sleep(0.1)
    survived = alive()
    if survived:
        os.kill(pid, signal.SIGKILL)  # (not left behind by a failing test)
    assert not survived, "the early jobs' process outlived the failed build"


def test_an_ahead_started_after_the_others_waits_for_them_and_reports_back(tmp_path, caplog):
    import time

    settings = {"SPEED_WORKERS": 2}

    def first():
        (tmp_path / "first-start").write_text(str(time.time()))
        time.sleep(0.6)
        (tmp_path / "first-end").write_text(str(time.time()))
        return "first"

    def second():
        (tmp_path / "second-start").write_text(str(time.time()))
        logging.getLogger("microsite.test").warning("second ran in %d", os.getpid())
        speed_jobs.write_if_changed(tmp_path / "second.txt", "made by the second\n")
        return "second"

    one = speed_jobs.Ahead(first, settings, "first")
    two = speed_jobs.Ahead(second, settings, "second", after_others=True)
    assert one.started and two.started
    assert one.result() == "first"
    with caplog.at_level(logging.WARNING):
        speed_jobs.run_all(settings)  # nobody asked for the second's result: it comes back here
    assert float((tmp_path / "second-start").read_text()) >= float((tmp_path / "first-end").read_text())
    assert speed_jobs.is_produced(tmp_path / "second.txt")
    ran = [r.getMessage() for r in caplog.records if "second ran" in r.getMessage()]
    assert len(ran) == 1 and int(ran[0].split()[-1]) != os.getpid()  # its log, from its own process


def test_a_cancelled_ahead_writes_nothing_and_reports_nothing(tmp_path):
    import time

    settings = {"SPEED_WORKERS": 2}

    def slow():
        time.sleep(1.0)
        speed_jobs.write_if_changed(tmp_path / "stale.txt", "from stale articles\n")
        raise AssertionError("should have been stopped")

    ahead = speed_jobs.Ahead(slow, settings, "stale")
    assert ahead.started
    ahead.cancel()
    speed_jobs.run_all(settings)  # no error from the stopped process
    time.sleep(1.2)
    assert not (tmp_path / "stale.txt").exists()
    assert not speed_jobs.is_produced(tmp_path / "stale.txt")


def test_an_ahead_waiting_for_a_cancelled_one_still_runs(tmp_path):
    """Search starts after related articles (``after_others``); related stopped because a plugin
    changed the tags must not leave search waiting for it forever."""
    import threading

    settings = {"SPEED_WORKERS": 2}
    go = tmp_path / "go"

    def first():  # would run until the test ends
        while not go.exists():
            time.sleep(0.02)

    one = speed_jobs.Ahead(first, settings, "first")
    two = speed_jobs.Ahead(lambda: "second", settings, "second", after_others=True)
    assert one.started and two.started
    one.cancel()
    got: list = []
    waiter = threading.Thread(target=lambda: got.append(two.result()), daemon=True)
    waiter.start()
    waiter.join(30)
    go.touch()  # (lets a process the kill missed end)
    assert got == ["second"], "the second waited for the cancelled first"
    speed_jobs.run_all(settings)


def test_chosen_jobs_run_here_first_while_the_early_process_is_busy(tmp_path):
    """At the end of a build the main process runs the jobs that need no page digests (citation
    files, feeds) while the other core finishes them; the rest wait for ``run_all``."""
    import time

    settings = {"SPEED_WORKERS": 2}
    ran: list[tuple[str, int]] = []

    go = tmp_path / "go"

    def busy():  # busy until the test says so (not for a time: a loaded machine may be slow)
        deadline = time.time() + 60
        while not go.exists() and time.time() < deadline:
            time.sleep(0.02)

    speed_jobs.defer(busy, cost=0.1, name="early")
    speed_jobs.start_early(settings)
    speed_jobs.release_early()
    speed_jobs.defer(lambda: ran.append(("files", os.getpid())), cost=0.2, name="citation-files")
    speed_jobs.defer(lambda: ran.append(("pages", os.getpid())), cost=0.1, name="pages")
    speed_jobs.run_serial_first(settings, lambda job: job.name != "pages")
    assert ran == [("files", os.getpid())]  # here, at once; the pages not yet
    go.touch()
    speed_jobs.run_all(settings)
    assert [name for name, _ in ran] == ["files", "pages"]


def test_files_found_intact_are_noted_until_written_again(tmp_path):
    """The end-of-build walk takes the sizes and times ``files_intact`` read, not a second ``stat``;
    a file written since is not among them."""
    page = tmp_path / "page.html"
    speed_jobs.write_if_changed(page, "<p>one</p>")
    st = page.stat()
    assert speed_jobs.files_intact([(str(page), st.st_size, st.st_mtime_ns)])
    assert speed_jobs.seen()[str(page)] == (st.st_size, st.st_mtime_ns)
    from microsite.build import tree_stamp

    assert tree_stamp(tmp_path, keep={str(page)}, known=speed_jobs.seen()) == tree_stamp(tmp_path)
    speed_jobs.write_if_changed(page, "<p>a longer second text</p>")
    assert str(page) not in speed_jobs.seen()
    assert tree_stamp(tmp_path, keep={str(page)}, known=speed_jobs.seen()) == tree_stamp(tmp_path)
