"""Write articles into ``content/`` without ever losing what a person wrote.

Every file the import writes carries ``import_digest``: the SHA-256 of the
file as written, minus that line.  On the next import:

* a file without ``source_file`` was not written by us: never touched;
* a file whose text no longer matches its digest was edited by hand: kept,
  and the report says the scrape changed (when it did);
* otherwise the new text is written only if it differs, atomically, so an
  unchanged import leaves every byte and mtime alone (Pelican's cache stays warm).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from microsite.write import frontmatter, paths

_DIGEST_LINE = re.compile(r"^import_digest: ([0-9a-f]{64})\n", re.M)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(text: str) -> str:
    """Add the ``import_digest`` line as the last front-matter key."""
    head, sep, rest = text.partition("\n---\n")
    unsealed = f"{head}\n---\n{rest}" if sep else text
    return f"{head}\nimport_digest: {_digest(unsealed)}\n---\n{rest}"


def is_hand_edited(text: str) -> bool:
    """True when a file we wrote has been changed since (or never carried a digest)."""
    m = _DIGEST_LINE.search(text)
    if not m:
        return True
    return _digest(text[: m.start()] + text[m.end() :]) != m.group(1)


@dataclass
class Existing:
    """An article file already in ``content/``, as far as the import cares."""

    path: Path
    source_file: str
    record: str
    sha256: str
    hand_edited: bool


def scan(content: Path) -> tuple[dict[tuple[str, str], Existing], set[str], list[str]]:
    """Index ``content/``: imported files by (source_file, record), all slugs, problems.

    A file whose front matter no longer parses (a hand edit gone wrong) still
    counts as the article of its ``source_file`` when that line can be read,
    so the import keeps it instead of writing a second copy.  Slugs Pelican
    will derive from the titles of hand-written files are taken too.
    """
    found: dict[tuple[str, str], Existing] = {}
    slugs: set[str] = set()
    problems: list[str] = []
    for path in sorted(content.rglob("*.md")):
        if path.is_symlink() or not path.is_file():
            continue
        slugs.add(path.stem.lower())
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read ({exc})")
            continue
        try:
            meta, _ = frontmatter.load(text)
        except frontmatter.FrontMatterError as exc:
            meta = _lenient_keys(text)
            problems.append(f"{path}: {exc}" + ("; treated as edited by hand" if meta else ""))
        slug = meta.get("slug")
        if isinstance(slug, str):
            slugs.add(slug)
        elif isinstance(meta.get("title"), str):
            slugs.add(paths.slugify(meta["title"]))
        source_file = meta.get("source_file")
        if isinstance(source_file, str) and source_file:
            key = (source_file, str(meta.get("source_record") or ""))
            found[key] = Existing(path, source_file, key[1], str(meta.get("sha256", "")), is_hand_edited(text))
    return found, slugs, problems


_KEY_LINE = re.compile(r"^(source_file|source_record|sha256|slug): *(.+)$", re.M)


def _lenient_keys(text: str) -> dict[str, str]:
    """The import's own keys, read line by line from front matter that does not parse as a whole."""
    out: dict[str, str] = {}
    for m in _KEY_LINE.finditer(text.split("\n---", 2)[0] if text.startswith("---") else ""):
        try:
            value = yaml.safe_load(m.group(2))
        except yaml.YAMLError:
            continue
        if isinstance(value, (str, int)):
            out.setdefault(m.group(1), str(value))
    return out


def write_if_changed(path: Path, text: str) -> bool:
    """Atomically write ``text`` unless the file already holds exactly it."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".md")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
