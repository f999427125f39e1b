"""Pelican glue for ``microsite.cite``: "Cite this article" and its files.

After the articles are read, each one gets ``article.cite`` (formatted APA
and Chicago references, the embedded metadata for its ``<head>``, the links
to its ``.bib``/``.ris``/``.csl.json`` files); once the articles are written
those files are written next to them.  Citation keys are assigned over the
whole collection in date order, so the per-article files and the corpus
BibTeX (``exports`` plugin) agree.

Speed at research scale: everything but the key depends on one article (and
on its page URL and the site name, which are checked), so it is memoised
across builds (``speed_memo``); only the keys are assigned again each build.
The three files of an article are written in a deferred job (``speed_jobs``),
and only for articles whose file or key changed or whose files on disk are no
longer as the last build left them (``FILES_RECORD`` in the cache): a
one-article rebuild formats and writes three files, not 30,000.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import posixpath
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from markupsafe import Markup
from pelican import signals

from microsite.cite import Reference, base_key, embedded, formats, from_metadata, styles, unique_keys, with_key
from microsite.plugins import speed_jobs, speed_memo
from microsite.plugins.siteurl import absolute_base
from microsite.plugins.speed_digest import entry_digest

FORMATS = {"bib": ".bib", "ris": ".ris", "csl": ".csl.json"}
MEMO = "citations-2"  # (the pieces' shape changed: a memo of the first shape is not read)


class Citation:
    """What the templates (and the exports plugin) read from ``article.cite``.

    The key and the file names are there at once; the reference and the
    formatted parts are unpickled when first read (``_parts``).  A rebuild
    renders a few pages, so most citations are never read, and making all of
    them was a tenth of a one-article rebuild at 10,000 articles.
    """

    __slots__ = ("_packed", "_unpacked", "files", "key", "made_from")

    def __init__(self, key: str, files: dict[str, str], made_from: tuple[int, str], packed: bytes) -> None:
        self.key, self.files, self.made_from = key, files, made_from
        self._packed, self._unpacked = packed, None

    def _parts(self) -> tuple:
        if self._unpacked is None:
            ref, *rest = pickle.loads(self._packed)
            self._unpacked = (with_key(ref, self.key), *rest)
        return self._unpacked

    ref = property(lambda self: self._parts()[0], doc="The reference, with its key.")
    apa = property(lambda self: self._parts()[1])
    apa_text = property(lambda self: self._parts()[2])
    chicago = property(lambda self: self._parts()[3])
    chicago_text = property(lambda self: self._parts()[4])
    highwire = property(lambda self: self._parts()[5])
    opengraph = property(lambda self: self._parts()[6])
    jsonld = property(lambda self: self._parts()[7])

    def __digest__(self) -> object:
        """What stands for this citation in page digests (``speed_digest``): the digest of the
        article's pieces and the key, from which every field is made."""
        return self.made_from

    def __reduce__(self):
        return Citation, (self.key, self.files, self.made_from, self._packed)


def _mtime(article) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(os.stat(article.source_path).st_mtime)
    except (OSError, TypeError):
        return None


def declared(article) -> dict[str, object]:
    """``date``, ``modified`` and ``category`` as the file declared them, else None.

    With ``DEFAULT_DATE = "fs"`` Pelican fills a missing date (and always
    ``modified``) from the file's mtime, and a missing category from the
    folder name or ``DEFAULT_CATEGORY``; a citation must not present those as
    the publisher's.  Pelican's values are naive datetimes equal to the mtime
    to the microsecond, which no front-matter date is.
    """
    meta = article.metadata
    mtime = _mtime(article)
    out: dict[str, object] = {}
    for key in ("date", "modified"):
        value = meta.get(key)
        is_fs = isinstance(value, dt.datetime) and value.tzinfo is None and value == mtime
        out[key] = None if is_fs else value
    category = str(meta.get("category") or "")
    folder = os.path.basename(os.path.dirname(getattr(article, "source_path", "") or ""))
    defaults = {str(article.settings.get("DEFAULT_CATEGORY", "")), folder}
    out["category"] = "" if category in defaults else category
    return out


def last_changed(article) -> dt.datetime:
    """The declared update time, else the publication time (feeds, sitemap)."""
    own = getattr(article, "declared", None) or declared(article)
    return own["modified"] or article.date


def metadata_of(article) -> dict[str, object]:
    """Front-matter values of a Pelican article as plain Python values.

    Only what the file said: no default author, no "misc" category, no date
    Pelican took from the file's mtime (see ``declared``).
    """
    meta = article.metadata
    own = getattr(article, "declared", None) or declared(article)
    return {
        "title": article.title,
        "date": own["date"],
        "modified": own["modified"],
        "authors": [str(a) for a in meta.get("authors", [])],
        "source": getattr(article, "source", ""),
        "source_url": getattr(article, "source_url", ""),
        "canonical_url": getattr(article, "canonical_url", ""),
        "accessed": getattr(article, "accessed", ""),
        "lang": meta.get("lang", ""),
        "category": own["category"],
        "tags": [str(t) for t in meta.get("tags", [])],
        "summary": meta.get("summary", ""),
        "dateline": getattr(article, "dateline", ""),
        "slug": article.slug,
    }


def all_articles(generator) -> list:
    """Every article Pelican will write, drafts and hidden ones included."""
    return list(chain(
        generator.articles, generator.translations, generator.hidden_articles,
        generator.hidden_translations, generator.drafts, generator.drafts_translations,
    ))


def _file_paths(save_as: str) -> dict[str, str]:
    stem = save_as[: -len(".html")] if save_as.endswith(".html") else save_as
    return {name: stem + ext for name, ext in FORMATS.items()}


class _Pieces(NamedTuple):
    """Everything of an article's citation that does not depend on other articles (all but the key).

    Made from the article's file and the settings, as ``speed_memo`` requires,
    and from its tags as shown: a tag's shown name follows its most used
    spelling over the whole collection.  The two settings and the tags are
    kept and checked, and the pieces made again when they differ.  The
    reference and the formatted parts are kept pickled (``packed``): loading
    them for 10,000 articles at every build cost more than the rest of the
    citations; ``Citation`` unpickles the few a build reads.
    """

    inputs: tuple  # absolute_base, SITENAME and the tags as shown (other articles can rename a tag)
    declared: dict[str, object]
    base_key: str
    files: dict[str, str]  # bib, ris, csl: next to the page (Pelican computes ``save_as`` anew each time)
    has: tuple[bool, bool, bool]  # the reference has a date, an update date, a section
    packed: bytes  # pickled (reference without its key, apa, apa_text, chicago, chicago_text,
    #                highwire, opengraph, jsonld)
    digest: int  # of all the above, for ``Citation.made_from``


def shown_tags(article) -> tuple[str, ...]:
    """The article's tags as shown: their names follow the whole collection (a free tag takes its
    most used spelling, see ``tagslugs``), so what is kept by source file is checked against them."""
    return tuple(map(str, (getattr(article, "metadata", None) or {}).get("tags", ()) or ()))


def _inputs(article, base: str, site_name: str) -> tuple:
    """What an article's pieces depend on besides its file: the two settings, its tags as shown."""
    return base, site_name, shown_tags(article)


def _pieces(article, base: str, site_name: str) -> _Pieces:
    article.declared = declared(article)
    ref = from_metadata(metadata_of(article))
    url = article.url
    page_url = f"{base}/{url}" if base else posixpath.basename(url)
    apa, chicago = styles.apa(ref), styles.chicago(ref)
    parts = (
        ref,
        Markup(styles.to_html(apa)),
        styles.to_text(apa),
        Markup(styles.to_html(chicago)),
        styles.to_text(chicago),
        embedded.highwire(ref, page_url),
        embedded.opengraph(ref, site_name, page_url),
        Markup(embedded.script_json(embedded.news_article(ref, page_url))),
    )
    pieces = _Pieces(
        inputs=_inputs(article, base, site_name),
        declared=article.declared,
        base_key=base_key(ref),
        files=_file_paths(article.save_as),
        has=(ref.issued is not None, ref.modified is not None, bool(ref.section)),
        packed=pickle.dumps(parts, pickle.HIGHEST_PROTOCOL),
        digest=0,
    )
    return pieces._replace(digest=entry_digest(b"citation", (pieces, parts), article.settings)[0])


def attach(generator) -> None:
    """Give every article its ``cite`` attribute (idempotent)."""
    with speed_memo.no_gc():
        _attach(generator)


def _attach(generator) -> None:
    memo = speed_memo.memo(generator.settings, MEMO)
    base = absolute_base(generator.settings)
    site_name = str(generator.settings.get("SITENAME", ""))
    pieces: dict[int, _Pieces] = {}
    everything = all_articles(generator)
    for article in everything:
        got = memo.get(article, lambda a=article: _pieces(a, base, site_name))
        if got.inputs != _inputs(article, base, site_name):
            got = memo.replace(article, _pieces(article, base, site_name))
        article.declared = got.declared
        pieces[id(article)] = got
    articles = sorted(everything, key=lambda a: (a.date.timestamp(), a.slug, a.lang or ""))
    keys = unique_keys([pieces[id(a)].base_key for a in articles])
    for article, key in zip(articles, keys, strict=True):
        got = pieces[id(article)]
        article.has_date, article.has_modified, article.has_category = got.has
        article.cite = Citation(key, dict(got.files), (got.digest, key), got.packed)


FILES_RECORD = "microsite-citation-files.pickle"
FILES_RECORD_VERSION = 2  # 2: kept by what the citation was made from, not its key alone


def _file_texts(ref: Reference) -> dict[str, str]:
    return {"bib": formats.bibtex(ref), "ris": formats.ris(ref), "csl": formats.csl_json([ref])}


def _record_path(settings: dict) -> Path | None:
    cache = settings.get("CACHE_PATH")
    return Path(cache) / FILES_RECORD if cache and settings.get("CACHE_CONTENT") else None


def _intact(files: list[tuple[str, int, int]], paths: list[str]) -> bool:
    """The files are where this build wants them, as the last build left them (size and mtime)."""
    return [f[0] for f in files] == paths and speed_jobs.files_intact(files)


def write_citation_files(entries: list[tuple[tuple | None, Reference | Citation, list[str]]], output: str,
                         record: Path | None, load: bool) -> int:
    """Write (or keep) each article's files; returns how many articles were formatted.

    ``entries`` are ``(article stamp or None, reference with key (or the
    ``Citation`` holding it), [bib, ris, csl paths])``.  An article whose stamp and key (a citation's
    ``made_from``: its pieces' digest and key) are those of the last build and whose files are intact
    keeps them (``speed_jobs.keep``): the texts would be the same.  The others are formatted and
    written when their bytes differ.
    """
    old: dict = {}
    if record is not None and load:
        try:
            with open(record, "rb") as f:
                data = pickle.load(f)
            if data.get("version") == FILES_RECORD_VERSION and data.get("output") == output:
                old = data["entries"]
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError, KeyError):
            old = {}
    new: dict = {}
    formatted = 0
    for stamp, cited, paths in entries:
        seen = old.get(stamp) if stamp is not None else None
        # a citation says what it was made from (its pieces and key: a tag renamed shows there)
        made_from = cited.made_from if isinstance(cited, Citation) else cited.key
        if seen is not None and seen[0] == made_from and _intact(seen[1], paths):
            for path in paths:
                speed_jobs.keep(path)
            new[stamp] = seen
            continue
        formatted += 1
        files = []
        ref = cited.ref if isinstance(cited, Citation) else cited
        for path, text in zip(paths, _file_texts(ref).values(), strict=True):
            speed_jobs.write_if_changed(path, text)
            st = os.stat(path)
            files.append((path, st.st_size, st.st_mtime_ns))
        if stamp is not None:
            new[stamp] = (made_from, files)
    if record is not None and new != old:
        speed_memo.write_pickle(record, {"version": FILES_RECORD_VERSION, "output": output, "entries": new})
    return formatted


def write_files(generator, writer=None) -> None:
    """Write each article's BibTeX, RIS and CSL-JSON next to its page (in a deferred job)."""
    with speed_memo.no_gc():
        _write_files(generator)


def _write_files(generator) -> None:
    out = os.path.abspath(generator.output_path)
    entries = []
    for article in all_articles(generator):
        cite = getattr(article, "cite", None)
        if cite is None:
            continue
        stamp = speed_memo.source_stamp(getattr(article, "source_path", None))
        key = (*stamp, article.lang) if stamp is not None else None
        entries.append((key, cite, [os.path.join(out, cite.files[name]) for name in FORMATS]))
    settings = generator.settings
    record, load = _record_path(settings), bool(settings.get("LOAD_CONTENT_CACHE"))

    def job() -> int:
        with speed_memo.no_gc():
            return write_citation_files(entries, out, record, load)

    speed_jobs.defer(job, cost=0.0002 * len(entries), name="citation-files")


def register() -> None:
    """Pelican plugin entry point."""
    signals.article_generator_finalized.connect(attach)
    signals.article_writer_finalized.connect(write_files)
