"""``invoke build``: run Pelican on ``content/`` with our settings and theme.

Pelican runs in a child process (``python -m pelican``) so that its global
logging and plugin state never leak between builds (tests build many sites in
one process).  ``strict`` passes ``--fatal warnings``: any warning fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BuildError(RuntimeError):
    """Pelican reported an error (or a warning, in strict mode)."""


def build_site(
    content: Path,
    output: Path,
    settings: Path | None = None,
    strict: bool = False,
    extra: dict[str, str] | None = None,
) -> None:
    """Render ``content`` into ``output``; BuildError when Pelican fails."""
    settings = settings or ROOT / "pelicanconf.py"
    cmd = [
        sys.executable, "-m", "pelican", str(content),
        "--settings", str(settings), "--output", str(output),
        "--delete-output-directory",
    ]
    if strict:
        cmd += ["--fatal", "warnings"]
    if extra:
        cmd += ["--extra-settings", *(f"{k}={v}" for k, v in extra.items())]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run(cmd, env=env, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise BuildError(f"Pelican failed (exit {result.returncode}); see the messages above")
