"""Reference-manager formats: BibTeX, RIS and CSL-JSON.

Each format has its own way for a hostile string to escape its field (a
brace in BibTeX, a newline in RIS); values are escaped here for the format
they go into.  Types follow what Zotero itself exports for a newspaper
article: ``@article`` with ``journal``, ``TY  - NEWS`` with ``T2``, CSL
``article-newspaper``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from json.encoder import encode_basestring as _json_string
from urllib.parse import quote

from microsite.cite.record import Name, Reference, one_line

_BIB_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_BIB_RE = re.compile("[" + re.escape("".join(_BIB_SPECIAL)) + "]")
_MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def bib_escape(value: str) -> str:
    """LaTeX-escape a value so it stays inside its braces and prints as written."""
    return _BIB_RE.sub(lambda m: _BIB_SPECIAL[m.group()], one_line(value))


def _bib_url(url: str) -> str:
    """URLs are verbatim in biblatex: only braces, backslashes and spaces need encoding."""
    return quote(url, safe="".join(chr(c) for c in range(33, 127) if chr(c) not in "{}\\"))


def _bib_name(name: Name) -> str:
    if name.literal:
        return "{" + bib_escape(name.literal) + "}"  # braces: one name, never split
    return f"{bib_escape(name.family)}, {bib_escape(name.given)}" if name.given else bib_escape(name.family)


def bibtex(ref: Reference) -> str:
    """One ``@article`` entry; the title is double-braced to keep its capitals."""
    fields: list[tuple[str, str]] = [("title", "{" + bib_escape(ref.title) + "}")]
    if ref.authors:
        fields.append(("author", " and ".join(_bib_name(n) for n in ref.authors)))
    if ref.container:
        fields.append(("journal", bib_escape(ref.container)))
    if ref.issued:
        fields += [("date", ref.issued.isoformat()), ("year", str(ref.issued.year))]
    if ref.url:
        fields.append(("url", _bib_url(ref.url)))
    if ref.accessed:
        fields.append(("urldate", ref.accessed.isoformat()))
    if ref.lang:
        fields.append(("langid", bib_escape(ref.lang)))
    if ref.keywords:
        fields.append(("keywords", bib_escape(", ".join(k.replace(",", " ") for k in ref.keywords))))
    lines = [f"@article{{{ref.key or 'article'},"]
    lines += [f"  {name} = {{{value}}}," for name, value in fields]
    if ref.issued:
        lines.append(f"  month = {_MONTH_MACROS[ref.issued.month - 1]},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def bibtex_collection(refs: Iterable[Reference], comment: str = "") -> str:
    """A whole .bib file: an optional ``@comment`` header, then the entries."""
    head = f"@comment{{{bib_escape(comment)}}}\n\n" if comment else ""
    return head + "\n".join(bibtex(r) for r in refs)


def _ris_name(name: Name) -> str:
    return name.literal or (f"{name.family}, {name.given}" if name.given else name.family)


def ris(ref: Reference) -> str:
    """One RIS record (``TY  - NEWS`` ... ``ER  -``), every value on one line."""
    tags: list[tuple[str, str]] = [("TY", "NEWS"), ("TI", ref.title)]
    tags += [("AU", _ris_name(n)) for n in ref.authors]
    if ref.container:
        tags.append(("T2", ref.container))
    if ref.issued:
        tags += [("PY", str(ref.issued.year)), ("DA", ref.issued.strftime("%Y/%m/%d/"))]
    if ref.url:
        tags.append(("UR", ref.url))
    if ref.accessed:
        tags.append(("Y2", ref.accessed.isoformat()))
    if ref.lang:
        tags.append(("LA", ref.lang))
    if ref.section:
        tags.append(("SE", ref.section))
    if ref.dateline:
        tags.append(("CY", ref.dateline))
    tags += [("KW", k) for k in ref.keywords]
    if ref.abstract:
        tags.append(("AB", ref.abstract))
    if ref.key:
        tags.append(("ID", ref.key))
    lines = [f"{tag}  - {one_line(value)}" for tag, value in tags]
    return "\n".join([*lines, "ER  - "]) + "\n"


def ris_collection(refs: Iterable[Reference]) -> str:
    """Several RIS records, one blank line apart."""
    return "\n".join(ris(r) for r in refs)


def _date_parts(day) -> dict:
    return {"date-parts": [[day.year, day.month, day.day]]}


def csl(ref: Reference) -> dict:
    """A CSL-JSON item (the format citeproc, Zotero and Pandoc read)."""
    item: dict = {"id": ref.key or ref.slug or "article", "type": "article-newspaper", "title": ref.title}
    if ref.authors:
        item["author"] = [
            {"literal": n.literal} if n.literal else {"family": n.family, **({"given": n.given} if n.given else {})}
            for n in ref.authors
        ]
    if ref.container:
        item["container-title"] = ref.container
    if ref.issued:
        item["issued"] = _date_parts(ref.issued)
    if ref.accessed:
        item["accessed"] = _date_parts(ref.accessed)
    if ref.url:
        item["URL"] = ref.url
    if ref.lang:
        item["language"] = ref.lang
    if ref.section:
        item["section"] = ref.section
    if ref.dateline:
        item["event-place"] = ref.dateline
    if ref.keywords:
        item["keyword"] = ", ".join(ref.keywords)
    if ref.abstract:
        item["abstract"] = ref.abstract
    return item


def csl_json(refs: Iterable[Reference]) -> str:
    """A CSL-JSON file: always an array, even for one article."""
    return _indented([csl(r) for r in refs], "\n") + "\n"


def _indented(value: object, newline: str) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, at the depth ``newline`` (a newline and indent) says.

    With ``indent`` the json module encodes in pure Python, a whole article's
    file every 170 us; this writes the same text (strings through the json
    module's own C escaping) in a tenth of that.  Anything but the dicts,
    lists, strings and numbers CSL items hold goes to ``json.dumps`` itself.
    """
    if isinstance(value, str):
        return _json_string(value)
    inner = newline + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        if all(type(k) is str for k in value):
            items = (_json_string(k) + ": " + _indented(v, inner) for k, v in value.items())
            return "{" + inner + ("," + inner).join(items) + newline + "}"
    elif isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[" + inner + ("," + inner).join(_indented(v, inner) for v in value) + newline + "]"
    elif type(value) is int:
        return repr(value)
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", newline)
