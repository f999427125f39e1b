"""Related lists and citation files of an incremental rebuild: a clean build's bytes, for the work of what changed.

One generated site is built clean, then changed twice and rebuilt each time
with every cache warm; after each rebuild the whole output is compared with a
clean build of the same content.  The changes are chosen to reach other
articles: an article given another's text moves document
frequencies (other articles' signatures and related lists, computed from the
previous build's state); an added article whose citation key clashes with an
existing one changes that article's key (its files are rewritten, no others);
a damaged and a deleted citation file are restored.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import assert_same_site, clean_build

from microsite.bench.corpus import Spec, write_corpus
from microsite.build import build_site
from microsite.cite.record import base_key, from_metadata

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "pelicanconf.py"
CITATION_SUFFIXES = (".bib", ".ris", ".csl.json")


def citation_files(output: Path) -> dict[str, int]:
    """Every citation file by relative path, with its mtime."""
    return {p.relative_to(output).as_posix(): p.stat().st_mtime_ns
            for p in (output / "articles").iterdir() if p.name.endswith(CITATION_SUFFIXES)}


def related_sections(output: Path) -> dict[str, str]:
    found = {}
    for page in (output / "articles").glob("*.html"):
        match = re.search(r'<section class="related".*?</section>', page.read_text("utf-8"), re.S)
        found[page.name] = match.group(0) if match else ""
    return found


def front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text("utf-8")
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head), body


def write_front_matter(path: Path, meta: dict, body: str) -> None:
    path.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n" + body, "utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    work = tmp_path_factory.mktemp("related-site")
    content = work / "content"
    write_corpus(content, Spec(30, seed=23))
    output = work / "output"
    built = build_site(content, output, SETTINGS, strict=True, fresh=True)
    yield work, content, output
    shutil.rmtree(built.cache, ignore_errors=True)


def test_article_given_another_text(site):
    work, content, output = site
    files = sorted((content / "articles").glob("*.md"))
    edited = files[4]
    lang = front_matter(edited)[0].get("lang")
    donor = next(f for f in files[5:] if front_matter(f)[0].get("lang") == lang)  # same language, same stems
    meta, _ = front_matter(edited)
    write_front_matter(edited, meta, front_matter(donor)[1])  # the donor's text under the edited one's title
    before_related, before_files = related_sections(output), citation_files(output)

    assert build_site(content, output, SETTINGS, strict=True).ran
    assert_same_site(output, clean_build(content, work, "clean-1"))
    after_related = related_sections(output)
    moved = {name for name in before_related if before_related[name] != after_related[name]}
    assert len(moved) >= 2, "the edit was meant to change several related lists"
    pages = {Path(p).stem: p for p in after_related}
    edited_page = next(p for s, p in pages.items() if s.startswith(meta["slug"]))
    donor_page = next(p for s, p in pages.items() if s.startswith(front_matter(donor)[0]["slug"]))
    assert donor_page in after_related[edited_page] and edited_page in after_related[donor_page]
    assert citation_files(output) == before_files, "a body edit changes no citation file"


def stem_of(name: str) -> str:
    return re.sub(r"\.(bib|ris|csl\.json)$", "", name)


def test_key_clash_retitle_and_damaged_files(site):
    work, content, output = site
    files = sorted((content / "articles").glob("*.md"))
    clashing, retitled, damaged_of, deleted_of = files[9], files[22], files[2], files[3]
    before = citation_files(output)

    def stem(article: Path) -> str:
        meta, _ = front_matter(article)
        names = {f"articles/{meta['slug']}", f"articles/{meta['slug']}-{meta.get('lang')}"}
        return next(stem_of(name) for name in before if stem_of(name) in names)

    meta, _ = front_matter(clashing)
    ref = from_metadata(meta)
    note = {"title": f"{meta['title']}: a note written by hand", "date": ref.issued.replace(day=1).isoformat(),
            "source": meta["source"], "lang": meta.get("lang", "en"), "tags": ["CSTO"]}
    if meta.get("authors"):
        note["authors"] = meta["authors"]
    assert base_key(from_metadata(note)) == base_key(ref)  # the two now need "a" and "b"
    write_front_matter(content / "articles" / "hand-written-note.md", note, "\nShort *body*.\n")
    meta, body = front_matter(retitled)
    meta["title"] += " (corrected)"  # same first word: same key, other files
    write_front_matter(retitled, meta, body)
    damaged, deleted = stem(damaged_of) + ".bib", stem(deleted_of) + ".ris"
    (output / damaged).write_text("damaged", "utf-8")
    os.remove(output / deleted)
    before = citation_files(output)

    assert build_site(content, output, SETTINGS, strict=True).ran
    assert_same_site(output, clean_build(content, work, "clean-2"))
    after = citation_files(output)
    rewritten = {name for name in after if before.get(name) != after[name]}
    (note_stem,) = {stem_of(name) for name in after if name not in before} - {stem_of(deleted)}
    whole = {stem + suffix for stem in (note_stem, stem(retitled), stem(clashing)) for suffix in CITATION_SUFFIXES}
    assert rewritten == whole | {damaged, deleted}
