"""``invoke publish``: commit the built site to a branch (``gh-pages``) and push it.

The commit is made by ghp-import (the tool Pelican's and MkDocs' own deploy
commands use): it writes the whole folder as one new commit on the branch with
``git fast-import``, never touching the working tree or the current branch.
Before that we fetch the remote's branch so the new commit lands on top of what
GitHub already serves (a plain, non-forced push), and we check the things that
otherwise end in a screen of git output: no repository, no such remote, a
remote that cannot be reached or refuses the push.  Each becomes one line.

``.nojekyll`` is written into the site (GitHub's Jekyll would otherwise hide
``_*`` files and spend minutes "building" a finished site), and ``CNAME`` when
a custom domain is configured.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class PublishError(RuntimeError):
    """Publishing stopped; the message is one line saying why and what to do."""


@dataclass(frozen=True)
class Published:
    """Where the site went: the commit on ``branch``, pushed to ``remote`` (``url``)."""

    remote: str
    url: str
    branch: str
    commit: str
    files: int


def read_setting(settings: Path, key: str, default: Any = "") -> Any:
    """One value of a Pelican settings file (``CNAME`` in publishconf.py, ``SITENAME``)."""
    from pelican.settings import read_settings

    return read_settings(str(settings)).get(key, default)


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=False)


def _last_line(text: str) -> str:
    """git's reason in one line: a rejected ref (``! [rejected] ... (fetch first)``) first,
    then its last ``fatal:``/``error:`` line, else its last line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for prefixes in (("! [",), ("fatal:",), ("error:",)):
        found = [ln for ln in lines if ln.startswith(prefixes)]
        if found:
            return " ".join(found[-1].split())
    return lines[-1] if lines else "no message from git"


def mark_for_pages(site: Path, cname: str = "") -> None:
    """Write ``.nojekyll`` (and ``CNAME`` for a custom domain) into the built site."""
    (site / ".nojekyll").write_bytes(b"")
    cname_file = site / "CNAME"
    if cname.strip():
        cname_file.write_text(cname.strip() + "\n", "utf-8")
    elif cname_file.exists():
        cname_file.unlink()


def remote_url(repo: Path, remote: str) -> str:
    """The URL of ``remote``; PublishError naming the fix when there is no repository or remote."""
    if _git(repo, "rev-parse", "--git-dir").returncode != 0:
        raise PublishError(f"publish: {repo} is not a git repository (run: git init, then git remote add {remote} URL)")
    found = _git(repo, "remote", "get-url", remote)
    if found.returncode != 0:
        raise PublishError(f"publish: no git remote named {remote!r} (add one: git remote add {remote} URL)")
    return found.stdout.strip()


def publish(
    site: Path,
    repo: Path,
    remote: str = "origin",
    branch: str = "gh-pages",
    cname: str = "",
    message: str = "",
    push: bool = True,
) -> Published:
    """Commit ``site`` as the whole content of ``branch`` in ``repo`` and push it to ``remote``."""
    if not (site / "index.html").is_file():
        raise PublishError(f"publish: {site} has no index.html; build the site first")
    if (site / ".git").exists():
        raise PublishError(f"publish: {site} holds a .git folder that would be published too; move it away first")
    url = remote_url(repo, remote)
    fetched = _git(repo, "fetch", "--quiet", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
    if fetched.returncode != 0 and "couldn't find remote ref" not in fetched.stderr:
        raise PublishError(f"publish: cannot fetch {branch} from {remote} ({url}): {_last_line(fetched.stderr)}")
    mark_for_pages(site, cname)
    before = _git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}").stdout.strip()
    env = dict(os.environ)
    for key, name in (("GIT_COMMITTER_NAME", "user.name"), ("GIT_COMMITTER_EMAIL", "user.email")):
        if key not in env and not _git(repo, "config", name).stdout.strip():
            env[key] = "microsite" if name == "user.name" else "microsite@localhost"
    args = [sys.executable, "-m", "ghp_import", "--no-jekyll", "--branch", branch, "--remote", remote,
            "--message", message or f"Publish site from {_head(repo)}", str(site.resolve())]
    imported = subprocess.run(args, cwd=repo, capture_output=True, text=True, env=env, check=False)
    after = _git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}").stdout.strip()
    if imported.returncode != 0 or not after or after == before:
        reason = _last_line(imported.stderr + imported.stdout)
        raise PublishError(f"publish: ghp-import could not commit {site} to {branch}: {reason}")
    if push:
        pushed = _git(repo, "push", remote, f"refs/heads/{branch}:refs/heads/{branch}")
        if pushed.returncode != 0:
            reason = _last_line(pushed.stderr)
            said = [ln.removeprefix("remote:").strip() for ln in pushed.stderr.splitlines() if ln.startswith("remote:")]
            if any(said):
                reason += f"; the remote said: {[s for s in said if s][-1]}"
            raise PublishError(f"publish: {remote} ({url}) refused the push of {branch}: {reason}")
    files = len(_git(repo, "ls-tree", "-r", "--name-only", after).stdout.splitlines())
    return Published(remote=remote, url=url, branch=branch, commit=after, files=files)


def _head(repo: Path) -> str:
    """The source commit, for the gh-pages commit message ("Publish site from 1a2b3c4")."""
    head = _git(repo, "rev-parse", "--short", "HEAD").stdout.strip()
    return head or "an uncommitted tree"
