"""tasks.py is the user interface: every task documented, every option explained."""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys

import pytest
from conftest import ROOT
from invoke import Collection

spec = importlib.util.spec_from_file_location("project_tasks", ROOT / "tasks.py")
tasks_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tasks_module)
COLLECTION = Collection.from_module(tasks_module)
README = (ROOT / "README.md").read_text("utf-8")


@pytest.mark.parametrize("name", sorted(COLLECTION.task_names))
def test_task_has_docstring_help_and_readme_entry(name):
    task = COLLECTION[name]
    assert (task.__doc__ or "").strip(), f"{name} has no docstring"
    params = [p for p in inspect.signature(task.body).parameters if p != "c"]
    missing = [p for p in params if p not in task.help]
    assert not missing, f"{name}: no help for {missing}"
    assert f"invoke {name}" in README, f"{name} is not documented in README.md"


def test_quick_start_has_exactly_two_command_lines():
    section = README.split("## Quick start", 1)[1]
    block = section.split("```", 2)[1]
    lines = [ln for ln in block.splitlines() if ln.strip()]
    assert len(lines) == 2
    assert lines[0].endswith("invoke build")
    assert lines[1].endswith("invoke test")


def test_import_strict_fails_on_a_broken_file(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.txt").write_bytes((ROOT / "scraped" / "000_2434bbe934104fab.txt").read_bytes())
    (src / "broken.txt").write_bytes(b"\x00\x01\x02" * 100)
    cmd = [sys.executable, "-m", "invoke", "import", "--src", str(src), "--content", str(tmp_path / "content")]
    lenient = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert lenient.returncode == 0, lenient.stderr
    assert "broken.txt: binary file" in lenient.stderr
    assert lenient.stderr.count("broken.txt") == 1
    assert "Traceback" not in lenient.stderr
    assert "1 new" in lenient.stdout and "1 skipped" in lenient.stdout
    strict = subprocess.run([*cmd, "--strict"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert strict.returncode != 0
    assert list((tmp_path / "content" / "articles").glob("*.md")), "the good file still imports"
