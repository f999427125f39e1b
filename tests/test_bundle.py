"""invoke bundle: one zip that works wherever it is unpacked, with a manifest that checks out."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest
from conftest import ROOT, make_site

from microsite.bundle import BundleError, bundle_name, make_bundle, read_articles
from microsite.check import check_site, search_term
from microsite.write import frontmatter

SITENAME = "Regional Security Press Archive"
EPOCH = "1714521600"  # 2024-05-01T00:00:00Z


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """The demo scrapes built into ``my site ü/`` (a space, a non-ASCII letter), with corpus exports."""
    work = tmp_path_factory.mktemp("bundle") / "my site ü"
    output = make_site(ROOT / "scraped", work)
    # Exports come from the corpus-exports plugin when it is installed; stand-ins otherwise.
    if not (output / "corpus.csv").exists():
        (output / "corpus.csv").write_text("title,source_url\nCSTO,https://example.org/a\n", "utf-8")
    if not (output / "corpus.jsonl").exists():
        (output / "corpus.jsonl").write_text('{"title": "CSTO"}\n', "utf-8")
    return work


@pytest.fixture(scope="module")
def bundle(work, tmp_path_factory) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        return make_bundle(work / "output", tmp_path_factory.mktemp("dist"), SITENAME, work / "content")


@pytest.fixture(scope="module")
def unpacked(bundle, tmp_path_factory) -> Path:
    """The zip unpacked into a fresh folder elsewhere, as a reader would."""
    target = tmp_path_factory.mktemp("reader") / "Downloads ü" / "from a USB stick"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(target)
    (folder,) = target.iterdir()
    return folder


def test_the_zip_is_named_after_the_site_and_build_date_and_holds_one_folder(bundle):
    assert bundle.name == "regional-security-press-archive-2024-05-01.zip"
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert zf.testzip() is None
    assert {n.split("/", 1)[0] for n in names} == {"regional-security-press-archive-2024-05-01"}
    top = {n.split("/", 1)[1] for n in names}
    assert {"index.html", "README.txt", "manifest.json", "SHA256SUMS", "site/index.html"} <= top
    assert {"site/corpus.csv", "site/corpus.jsonl"} <= top
    assert bundle_name("Пресс-архив: ОДКБ", dt.date(2026, 1, 2)) == "press-arkhiv-odkb-2026-01-02"


def test_the_manifest_lists_every_file_with_its_sha256_and_every_article(unpacked, work):
    manifest = json.loads((unpacked / "manifest.json").read_text("utf-8"))
    files_on_disk = {p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file()}
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == files_on_disk - {"manifest.json", "SHA256SUMS"}
    for rel, entry in listed.items():
        data = (unpacked / rel).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), rel
        assert entry["bytes"] == len(data)

    pages = sorted((work / "output" / "articles").glob("*.html"))
    assert len(manifest["articles"]) == len(pages) >= 1
    for article in manifest["articles"]:
        assert (unpacked / article["page"]).is_file()
        assert article["title"] and article["date"]
    by_title = {a["title"]: a for a in manifest["articles"]}
    for md in (work / "content" / "articles").glob("*.md"):
        meta, _ = frontmatter.load(md.read_text("utf-8"))
        entry = by_title[meta["title"]]
        assert entry["source_url"] == meta.get("source_url", "")
        assert entry["page"].startswith(f"site/articles/{meta['slug']}")
    exports = sorted(f"site/{p.name}" for p in (work / "output").glob("corpus.*"))
    assert manifest["exports"] == exports
    assert {"site/corpus.csv", "site/corpus.jsonl"} <= set(exports)
    assert manifest["name"] == SITENAME and manifest["built"] == "2024-05-01"


def test_sha256sums_verifies_with_the_standard_tool(unpacked):
    if shutil.which("sha256sum") is None:
        pytest.skip("no sha256sum")
    done = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=unpacked, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = (unpacked / "SHA256SUMS").read_text("utf-8").splitlines()
    assert len(lines) == sum(1 for p in unpacked.rglob("*") if p.is_file()) - 1


def test_readme_tells_the_offline_reader_how_to_open_and_verify(unpacked):
    readme = (unpacked / "README.txt").read_text("utf-8")
    assert readme.startswith(SITENAME)
    assert "open index.html" in readme
    assert "sha256sum -c SHA256SUMS" in readme
    assert "site/corpus.csv" in readme and "site/corpus.jsonl" in readme


def test_the_unpacked_site_passes_the_check(unpacked):
    report = check_site(unpacked / "site")
    assert report.ok, "\n".join(map(str, report.problems))


def test_opened_from_disk_every_link_followed_works(unpacked, page):
    """From file://: the top index.html leads into the site; nav, article and tag links load, with styles."""
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto((unpacked / "index.html").as_uri())
    page.wait_for_url("**/site/index.html")
    styled = "[...document.styleSheets].some(s => s.href && s.href.startsWith('file:') && s.cssRules.length)"
    assert page.evaluate(styled)

    site = (unpacked / "site").as_uri()
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    local = sorted({h.split("#")[0] for h in hrefs if h.startswith(site) and "search.html" not in h})
    assert any("/articles/" in h for h in local) and any("tags.html" in h for h in local)
    for href in local:
        assert Path(url2pathname(urlsplit(href).path)).is_file(), href
    # Every kind of page the home page links to (one of each folder; `invoke check` covers every link).
    kinds: dict[str, str] = {}
    for href in local:
        rel = href[len(site) + 1:]
        kinds.setdefault(rel.split("/")[0], href)  # "articles", "tag", ... or a top-level page itself
    for href in sorted(kinds.values()):
        if href.endswith(".html"):  # other files (corpus.csv, .bib) are downloads
            page.goto(href)
            assert page.title(), href
            assert page.evaluate(styled), href
    article = next(h for h in local if "/articles/" in h)
    page.goto(article)
    tag_links = page.eval_on_selector_all("a[href*='tag/']", "els => els.map(a => a.href)")
    assert tag_links
    page.goto(tag_links[0])
    assert page.locator(f"a[href*='{Path(article).name}']").count() >= 1  # the tag page lists the article back
    assert not failed

    if (unpacked / "site" / "search.html").exists():
        term = search_term(unpacked / "site")
        page.goto(f"{site}/search.html?q={term}")
        page.wait_for_selector("#search-results a", timeout=15_000)


def test_same_build_bundles_to_the_same_bytes(work, bundle, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    again = make_bundle(work / "output", tmp_path, SITENAME, work / "content")
    assert again.read_bytes() == bundle.read_bytes()


def test_articles_come_from_the_export_or_else_the_front_matter(work, tmp_path):
    site = Path(shutil.copytree(work / "output", tmp_path / "site"))
    (site / "corpus.jsonl").write_text(
        json.dumps({"title": "A", "date": "2024-01-02", "source": "BelTA", "source_url": "https://x.test/a",
                    "lang": "en", "url": "articles/a.html", "text": "..."}) + "\nnot json\n", "utf-8")
    assert read_articles(work / "content", site) == [
        {"title": "A", "date": "2024-01-02", "source": "BelTA", "source_url": "https://x.test/a", "lang": "en",
         "page": "articles/a.html"}
    ]
    # Without the export, the front matter gives the same articles the build's export lists.
    (site / "corpus.jsonl").unlink()
    from_front_matter = read_articles(work / "content", site)
    from_export = read_articles(None, work / "output")
    assert sorted(a["page"] for a in from_front_matter) == sorted(a["page"] for a in from_export)
    assert len(from_front_matter) == len(list((site / "articles").glob("*.html")))


def test_unbuilt_site_is_one_clear_line(tmp_path):
    with pytest.raises(BundleError, match=r"^bundle: .* has no index\.html; build the site first"):
        make_bundle(tmp_path, tmp_path / "dist", SITENAME)


def test_invoke_bundle(work, tmp_path):
    dest = tmp_path / "dist ü"
    cmd = [sys.executable, "-m", "invoke", "bundle", "--output", str(work / "output"),
           "--content", str(work / "content"), "--dest", str(dest)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    (zipped,) = dest.glob("regional-security-press-archive-*.zip")
    assert f"Bundle written to {zipped}" in done.stdout
