"""``invoke bundle``: the built site as one zip that works wherever it is unpacked.

The zip holds one folder, ``<site-name>-<build date>/``, so unpacking never
scatters files::

    index.html     opens site/index.html (a meta refresh, works from disk)
    README.txt     for the offline reader: how to open, what is inside, how to verify
    manifest.json  the articles (title, date, source, source URL, page) and every file's SHA-256
    SHA256SUMS     the same digests for ``sha256sum -c``
    site/          the built site, corpus exports (corpus.csv, corpus.jsonl, ...) included

The site itself needs nothing more: every URL in it is relative and search runs
from a script, so it works from any folder (``invoke check`` proves that).
Entries carry the build date as their timestamp and are written in sorted
order, so the same build bundles to the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pelican.settings import DEFAULT_CONFIG
from pelican.utils import slugify as pelican_slugify

from microsite.write import frontmatter
from microsite.write.paths import slugify

SKIPPED = {".nojekyll", "CNAME", ".git", ".DS_Store"}  # publishing artefacts, not content


class BundleError(RuntimeError):
    """The bundle could not be made; the message says which file and why."""


def build_date(site: Path) -> dt.date:
    """When the site was built: ``SOURCE_DATE_EPOCH`` if set, else index.html's time (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    stamp = int(epoch) if epoch and epoch.isdigit() else (site / "index.html").stat().st_mtime
    return dt.datetime.fromtimestamp(stamp, dt.UTC).date()


def bundle_name(sitename: str, day: dt.date) -> str:
    """``regional-security-press-archive-2026-11-25``: the site's name (slugified) and the build date."""
    return f"{slugify(sitename, fallback='site')}-{day.isoformat()}"


def site_files(site: Path) -> Iterator[tuple[str, Path]]:
    """(path relative to the site, file) for every file worth carrying, in sorted order."""
    for dirpath, dirnames, filenames in os.walk(site):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED)
        for name in sorted(filenames):
            if name not in SKIPPED:
                path = Path(dirpath) / name
                yield path.relative_to(site).as_posix(), path


def read_articles(content: Path | None, site: Path) -> list[dict[str, Any]]:
    """Articles on the built site, each with its page path relative to the site.

    The site's own ``corpus.jsonl`` (the exports plugin) is the exact record of
    what was built, translations included; without it, the front matter in
    ``content`` is read, and an article is listed only when its page exists
    (drafts and hidden articles have none).
    """
    if (site / "corpus.jsonl").is_file():
        return _articles_from_export(site / "corpus.jsonl")
    if content is None or not (content / "articles").is_dir():
        return []
    articles = []
    for path in sorted((content / "articles").rglob("*.md")):
        try:
            meta, _ = frontmatter.load(path.read_text("utf-8"))
        except (frontmatter.FrontMatterError, UnicodeDecodeError):
            continue  # the build reported it; it has no page to list
        if str(meta.get("status", "published")).lower() != "published" or not meta.get("title"):
            continue
        slug = str(meta.get("slug") or pelican_slugify(str(meta["title"]), DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"]))
        candidates = [f"articles/{slug}.html", f"articles/{slug}-{meta.get('lang', '')}.html"]
        page = next((c for c in candidates if (site / c).is_file()), None)
        if page:
            articles.append(_article(meta, page))
    return sorted(articles, key=lambda a: (a["date"], a["page"]))


def _article(meta: dict[str, Any], page: str) -> dict[str, Any]:
    date = meta.get("date", "")
    return {
        "title": str(meta.get("title", "")),
        "date": date.isoformat() if hasattr(date, "isoformat") else str(date or ""),
        "source": str(meta.get("source", "") or ""),
        "source_url": str(meta.get("source_url", "") or ""),
        "lang": str(meta.get("lang", "") or ""),
        "page": page,
    }


def _articles_from_export(export: Path) -> list[dict[str, Any]]:
    """One entry per record of corpus.jsonl (read line by line: it holds the full texts)."""
    articles = []
    with export.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("title"):
                articles.append(_article(record, str(record.get("url") or "")))
    return articles


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def readme_text(sitename: str, day: dt.date, articles: list[dict[str, Any]], exports: list[str]) -> str:
    """README.txt for someone who received the zip and nothing else."""
    lines = [
        sitename, "=" * len(sitename), "",
        f"An offline copy of the research site, built {day.isoformat()}, with {len(articles)} article(s).", "",
        "To read it, open index.html in this folder with any web browser (double-click it).",
        "Nothing is loaded from the internet: pages, links and search all work from this folder,",
        "wherever you put it. Links to the original articles need a connection, of course.", "",
        "What is inside:",
        "  index.html     opens the site (site/index.html)",
        "  site/          the site itself",
    ]
    if exports:
        lines.append("  site/corpus.*  the whole corpus for analysis and reference managers:")
        lines += [f"                 site/{name}" for name in exports]
    lines += [
        "  manifest.json  every article (title, date, source, original URL, page) and every file's SHA-256",
        "  SHA256SUMS     checksums: run  sha256sum -c SHA256SUMS  here to check that nothing changed", "",
        "Articles are quoted from their publishers for research; each article page names its source",
        "and links to the original.", "",
    ]
    return "\n".join(lines)


REDIRECT = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=site/index.html">
<title>{title}</title>
</head>
<body>
<p><a href="site/index.html">Open {title}</a></p>
</body>
</html>
"""


def make_bundle(site: Path, dest: Path, sitename: str, content: Path | None = None) -> Path:
    """Write ``dest/<name>-<date>.zip`` from the built ``site``; returns the zip's path."""
    if not (site / "index.html").is_file():
        raise BundleError(f"bundle: {site} has no index.html; build the site first (invoke build)")
    day = build_date(site)
    name = bundle_name(sitename, day)
    articles = read_articles(content, site)
    exports = sorted(p.name for p in site.glob("corpus.*") if p.is_file())  # csv, jsonl, bib... from the build
    extra = {
        "index.html": REDIRECT.format(title=html.escape(sitename)).encode("utf-8"),
        "README.txt": readme_text(sitename, day, articles, exports).encode("utf-8"),
    }
    files = [(rel, None, data) for rel, data in extra.items()]
    files += [(f"site/{rel}", path, None) for rel, path in site_files(site)]
    listed = []
    for rel, path, data in files:
        digest = hashlib.sha256(data).hexdigest() if data is not None else sha256(path)
        size = len(data) if data is not None else path.stat().st_size
        listed.append({"path": rel, "bytes": size, "sha256": digest})
    manifest = {
        "name": sitename,
        "built": day.isoformat(),
        "generator": "microsite",
        "open": "index.html",
        "exports": [f"site/{n}" for n in exports],
        "articles": [dict(a, page=f"site/{a['page']}" if a["page"] else "") for a in articles],
        "files": listed,
    }
    manifest_bytes = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    sums = [f"{f['sha256']}  {f['path']}" for f in listed]
    sums.append(f"{hashlib.sha256(manifest_bytes).hexdigest()}  manifest.json")
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / f"{name}.zip"
    partial = target.with_suffix(".zip.part")
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for rel, path, data in files:
            _write(zf, f"{name}/{rel}", stamp, data if data is not None else path.read_bytes())
        _write(zf, f"{name}/manifest.json", stamp, manifest_bytes)
        _write(zf, f"{name}/SHA256SUMS", stamp, ("\n".join(sums) + "\n").encode("utf-8"))
    partial.replace(target)
    return target


def _write(zf: zipfile.ZipFile, arcname: str, stamp: tuple[int, ...], data: bytes) -> None:
    info = zipfile.ZipInfo(arcname, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data, compresslevel=9)
