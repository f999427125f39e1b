"""invoke publish against a local bare repository, and the GitHub Actions workflow."""

from __future__ import annotations

import functools
import shlex
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from microsite.build import build_site
from microsite.check import check_site
from microsite.pipeline import import_dir
from microsite.publish import PublishError, publish

README = (ROOT / "README.md").read_text("utf-8")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def published_site(tmp_path_factory) -> Path:
    """The demo scrapes built with publishconf.py into a path with a space and a non-ASCII letter."""
    work = tmp_path_factory.mktemp("publish") / "my site ü"
    import_dir(ROOT / "scraped", work / "content", ROOT / "taxonomy.yml")
    build_site(work / "content", work / "output", ROOT / "publishconf.py", strict=True)
    return work / "output"


@pytest.fixture
def repo(tmp_path) -> Path:
    """A project repository with one commit and an ``origin`` that is a local bare repository."""
    remote = tmp_path / "remote ü.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    work = tmp_path / "project ü"
    subprocess.run(["git", "init", "-q", "-b", "main", str(work)], check=True)
    (work / "README.md").write_text("project\n", "utf-8")
    git(work, "add", "README.md")
    git(work, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", "start")
    git(work, "remote", "add", "origin", str(remote))
    return work


def _remote(repo: Path) -> Path:
    return Path(git(repo, "remote", "get-url", "origin").strip())


def test_publish_lands_the_site_on_gh_pages(published_site, repo):
    site_files = {p.relative_to(published_site).as_posix() for p in published_site.rglob("*") if p.is_file()}
    done = publish(published_site, repo, cname="archive.example.org")

    remote = _remote(repo)
    tree = set(git(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines())
    assert {".nojekyll", "CNAME", "index.html"} <= tree
    assert tree >= site_files - {"CNAME"}
    assert git(remote, "show", "gh-pages:CNAME") == "archive.example.org\n"
    assert git(remote, "show", "gh-pages:index.html") == (published_site / "index.html").read_text("utf-8")
    assert done.commit == git(remote, "rev-parse", "gh-pages").strip()
    assert done.files == len(tree)
    # The project's own branch and working tree are untouched.
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(repo, "status", "--porcelain") == ""

    # Publishing again adds a commit on top (a plain push); without a domain the CNAME goes.
    again = publish(published_site, repo)
    assert git(remote, "rev-parse", "gh-pages^").strip() == done.commit
    assert again.commit != done.commit
    assert "CNAME" not in git(remote, "ls-tree", "--name-only", "gh-pages").split()


def test_the_published_branch_serves_under_a_project_sub_path(published_site, repo, tmp_path, page):
    """Checked out as GitHub Pages would serve it (https://user.github.io/repo/), every page works."""
    publish(published_site, repo)
    served = tmp_path / "pages root"
    subprocess.run(["git", "clone", "-q", "-b", "gh-pages", str(_remote(repo)), str(served / "repo")], check=True)
    report = check_site(served / "repo")
    assert report.ok, "\n".join(map(str, report.problems))

    handler = functools.partial(QuietHandler, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    failures: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: failures.append(f"failed {r.url}"))
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/repo/"
        page.goto(base + "index.html")
        loaded = "[...document.styleSheets].some(s => (s.href || '').includes('/repo/theme/') && s.cssRules.length)"
        assert page.evaluate(loaded)
        page.locator("main a[href*='articles/']").first.click()
        page.wait_for_load_state()
        assert page.url.startswith(base + "articles/")
        page.locator("a[href*='tag/']").first.click()
        page.wait_for_load_state()
        assert page.url.startswith(base + "tag/")
    finally:
        server.shutdown()
    assert not failures


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # the test's output stays readable
        pass


def test_missing_remote_is_one_clear_line(published_site, repo):
    git(repo, "remote", "remove", "origin")
    with pytest.raises(PublishError) as err:
        publish(published_site, repo)
    assert str(err.value) == "publish: no git remote named 'origin' (add one: git remote add origin URL)"


def test_not_a_repository_is_one_clear_line(published_site, tmp_path):
    with pytest.raises(PublishError, match=r"^publish: .* is not a git repository \(run: git init"):
        publish(published_site, tmp_path)


def test_unreachable_remote_is_one_clear_line(published_site, repo, tmp_path):
    git(repo, "remote", "set-url", "origin", str(tmp_path / "nowhere.git"))
    with pytest.raises(PublishError) as err:
        publish(published_site, repo)
    message = str(err.value)
    assert message.startswith("publish: cannot fetch gh-pages from origin (")
    assert "\n" not in message
    assert git(repo, "branch", "--list", "gh-pages") == ""  # nothing committed when the remote is unusable


def test_refused_push_is_one_clear_line_with_the_remotes_reason(published_site, repo):
    hook = _remote(repo) / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'gh-pages is protected' >&2\nexit 1\n", "utf-8")
    hook.chmod(0o755)
    with pytest.raises(PublishError) as err:
        publish(published_site, repo)
    message = str(err.value)
    assert message.startswith("publish: origin (")
    assert "refused the push of gh-pages: ! [remote rejected] gh-pages -> gh-pages (pre-receive hook declined)" in message
    assert message.endswith("the remote said: gh-pages is protected")
    assert "\n" not in message


def test_unbuilt_site_is_refused(repo, tmp_path):
    with pytest.raises(PublishError, match=r"has no index\.html; build the site first"):
        publish(tmp_path, repo)


# --- The GitHub Actions workflow -------------------------------------------------------------


def _workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text("utf-8"))


def _quick_start_first_line() -> str:
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    return next(ln for ln in block.splitlines() if ln.strip())


def _commands(line: str) -> list[str]:
    return [" ".join(shlex.split(part)) for part in line.split("&&")]


def test_workflow_builds_with_the_readme_line_and_deploys_with_the_official_actions():
    flow = _workflow()
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "push" in triggers and "workflow_dispatch" in triggers
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = [s for job in flow["jobs"].values() for s in job["steps"]]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    for action in ("actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"):
        assert action in uses
    assert uses.index("actions/configure-pages") < uses.index("actions/upload-pages-artifact")
    assert flow["jobs"]["deploy"]["environment"]["name"] == "github-pages"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "output"

    # The run steps call the README's Quick start first line, in order; the build adds publishconf.py.
    runs = [c for s in steps if "run" in s for c in _commands(s["run"])]
    readme = _commands(_quick_start_first_line())
    assert readme[-1] == "invoke build"
    assert runs[: len(readme) - 1] == readme[:-1]
    assert runs[len(readme) - 1] == "invoke build --settings publishconf.py"
    assert "invoke check" in runs[len(readme):]


def test_readme_documents_the_one_github_setting():
    section = README.split("## Publishing and offline bundles", 1)[1]
    assert "Settings → Pages → Build and deployment → Source: GitHub Actions" in section
    assert ".github/workflows/pages.yml" in section


def test_a_git_folder_inside_the_site_is_never_published(published_site, repo, tmp_path):
    site = Path(shutil.copytree(published_site, tmp_path / "output"))
    (site / ".git").mkdir()
    with pytest.raises(PublishError, match=r"holds a \.git folder that would be published too"):
        publish(site, repo)
    assert git(repo, "branch", "--list", "gh-pages") == ""
