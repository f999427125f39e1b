"""Turn plain text into Markdown that renders back to exactly that text.

Scraped text is data, not markup: a paragraph "1. Finland" must stay a
paragraph, ``<script>`` must stay visible text, ``[x](javascript:...)`` must
not become a link.  Both the text-scrape reader and the HTML converter use
these helpers, so the escaping policy lives in one place.
"""

from __future__ import annotations

import re

# Characters with inline meaning in Python-Markdown (+ "extra") and CommonMark.
_INLINE = re.compile(r"([\\`*_{}\[\]|~])")
# Block syntax that only matters at the start of a line.
_LINE_START = re.compile(
    r"^(?P<indent>\s*)(?P<mark>#{1,6}(?=\s|$)|[>:]|[-+*](?=\s)|\d{1,9}(?P<delim>[.)])(?=\s|$)|=+\s*$|-+\s*$)"
)


def escape_text(text: str) -> str:
    """Escape one line or paragraph of plain text for Markdown.

    ``&`` and ``<`` become entities (not backslash escapes) because
    Python-Markdown shows ``\\&`` literally, while entities render as the
    character in every Markdown engine.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _INLINE.sub(r"\\\1", text)
    return "\n".join(_escape_line_start(line) for line in text.split("\n"))


def _escape_line_start(line: str) -> str:
    m = _LINE_START.match(line)
    if not m:
        return line
    indent, mark = m.group("indent"), m.group("mark")
    rest = line[m.end() :]
    if m.group("delim"):  # "1. Finland" -> "1\. Finland"
        return f"{indent}{mark[:-1]}\\{mark[-1]}{rest}"
    return f"{indent}\\{mark}{rest}" if mark.strip() else line


def paragraphs_to_markdown(paragraphs: list[str]) -> str:
    """Join plain-text paragraphs into an escaped Markdown body."""
    out = []
    for para in paragraphs:
        lines = [ln.strip() for ln in para.splitlines() if ln.strip()]
        if lines:
            out.append(escape_text(" ".join(lines)))
    return "\n\n".join(out) + ("\n" if out else "")


# --- Markdown bodies from any reader: enforce "no raw HTML, no unsafe link" -------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_RAW_TAG = re.compile(
    r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>"
    r"|<!--|<\?|<![A-Za-z\[]"
)
_ATTR = re.compile(r"(?P<name>[^\s=/>\"']+)(?:\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+)))?")
_MD_LINK = re.compile(r"(?P<bang>!?)\[(?P<text>(?:\\.|[^\]\\\n])*)\]\((?P<target>(?:[^()\n]|\([^()\n]*\))*)\)")
_AUTOLINK = re.compile(r"<(?:https?://|mailto:)[^\s<>]*>\Z", re.I)
_MD_REF = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*<?(?P<target>\S+?)>?(?:[ \t].*)?$", re.M)


def neutralise_markdown(body: str) -> str:
    """A Markdown body with every unsafe construct turned into visible text.

    The contract is that bodies hold no raw HTML; converters may still let
    some through (a ``<br>``, a table).  Tags the site's sanitiser would keep
    stay; any other tag, comment or processing instruction gets its ``<``
    escaped, and a link or image whose URL is ``javascript:``, ``data:`` and
    the like keeps only its text.  Code spans and fenced blocks are left as
    they are: there ``<script>`` is already just text.  This way the Markdown
    in ``content/`` is safe for any other tool that renders it, too.
    """
    if "<" not in body and "](" not in body and "]:" not in body:
        return body
    return _outside_code(body, _neutralise_prose)


def _outside_code(body: str, fix) -> str:
    """Apply ``fix`` to the parts of ``body`` outside fenced blocks and code spans."""
    chunks: list[str] = []
    prose: list[str] = []
    fence = ""

    def flush() -> None:
        if prose:
            chunks.append(_fix_spans("\n".join(prose), fix))
            prose.clear()

    for line in body.split("\n"):
        m = _FENCE.match(line)
        if fence:
            chunks.append(line)
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = ""
            continue
        if m:
            flush()
            fence = m.group(1)
            chunks.append(line)
            continue
        prose.append(line)
    flush()
    return "\n".join(chunks)


def _fix_spans(text: str, fix) -> str:
    pieces, last = [], 0
    for m in _CODE_SPAN.finditer(text):
        pieces.append(fix(text[last : m.start()]))
        pieces.append(m.group(0))
        last = m.end()
    pieces.append(fix(text[last:]))
    return "".join(pieces)


def _neutralise_prose(text: str) -> str:
    from microsite.normalise.sanitize import is_safe_link

    text = _MD_LINK.sub(lambda m: m.group(0) if is_safe_link(_link_url(m.group("target"))) else m.group("text"), text)
    text = _MD_REF.sub(lambda m: m.group(0) if is_safe_link(m.group("target")) else "", text)
    return _RAW_TAG.sub(lambda m: m.group(0) if _tag_allowed(m) else "&lt;" + m.group(0)[1:], text)


def _link_url(target: str) -> str:
    target = target.strip()
    if target.startswith("<"):
        return target[1:].split(">", 1)[0]
    return target.split(" ", 1)[0]


def _tag_allowed(m: re.Match) -> bool:
    from microsite.normalise.sanitize import ATTRIBUTES, TAGS, is_safe_link

    name = (m.group("name") or "").lower()
    if _AUTOLINK.match(m.group(0)):
        return True
    if name not in TAGS:
        return False
    if m.group("close"):
        return not m.group("attrs").strip()
    allowed = ATTRIBUTES["*"] | ATTRIBUTES.get(name, set())
    for a in _ATTR.finditer(m.group("attrs").rstrip("/")):
        attr = a.group("name").lower()
        value = a.group("dq") or a.group("sq") or a.group("bare") or ""
        if attr not in allowed or (attr in ("href", "src") and not is_safe_link(value)):
            return False
    return True
