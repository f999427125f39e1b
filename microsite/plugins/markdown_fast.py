"""Markdown -> HTML for the plain Markdown the import writes, byte-identical to Python-Markdown.

Why: converting article bodies with Python-Markdown (``extra`` + ``sane_lists``,
``output_format="html5"``, the site's ``MARKDOWN`` setting) was the largest part
of a clean build, and most of that time goes into its generic inline-pattern
machinery.  Our bodies are plain: paragraphs, ``##`` headings, flat lists,
quotes, fenced code, ``*em*``/``**strong**``, ``[links](url)``, images, escapes.

How: ``render`` re-does, for that subset only, exactly what Python-Markdown
3.11 does -- the same preprocessing, the same block-processor order and tests
(using Python-Markdown's own regular expressions), the same inline-pattern
order with placeholders, the same "prettify" line breaks and the same
serializer escaping functions -- but with plain strings instead of an
ElementTree.  Anything it does not emulate raises ``_Unsupported`` and
``render`` returns None, so the caller converts that body with
Python-Markdown: tables (an unescaped ``|``), raw HTML and autolinks,
footnotes, abbreviations, attribute lists, definition lists, reference links,
setext headings, indented code, nested lists, ``_`` emphasis, ``*`` runs that
do not pair simply, link titles and targets with spaces, quotes or brackets,
fence attributes, quotes nested deeper than ``MAX_QUOTE_DEPTH``.  The output
never differs; only the share of bodies taking the fast path does (all of
the benchmark corpus, ~86% of the real-world devset).
``tests/test_markdown_fast.py`` compares both on large generated and imported
corpora.

markdown-it-py is not used: its CommonMark rules differ from Python-Markdown's
(list looseness, emphasis, entities, escapes, quotes), so every construct
would need translating; emulating Python-Markdown directly is closer and,
without a token stream, faster (about 8x Python-Markdown instead of 3x).

The emulation is tied to the Python-Markdown version it was verified against
(``VERIFIED_VERSION``) and to the exact settings (``supports``): with any
other version or configuration every body goes to Python-Markdown.
"""

from __future__ import annotations

import logging
import re

import markdown
from markdown.blockprocessors import (
    BlockQuoteProcessor,
    HashHeaderProcessor,
    HRProcessor,
    ReferenceProcessor,
    SetextHeaderProcessor,
)
from markdown.extensions.abbr import AbbrBlockprocessor
from markdown.extensions.def_list import DefListProcessor
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.extensions.footnotes import FootnoteBlockProcessor
from markdown.serializers import _escape_attrib_html, _escape_cdata
from markdown.util import code_escape

logger = logging.getLogger(__name__)

VERIFIED_VERSION = (3, 11)
# Python-Markdown stops reading ">" as a quote near the recursion limit; stay far from that.
MAX_QUOTE_DEPTH = 8
EXTENSIONS = frozenset({"markdown.extensions.extra", "markdown.extensions.sane_lists"})


class _Unsupported(Exception):
    """The body uses something this renderer does not emulate: use Python-Markdown."""


def supports(settings: dict) -> bool:
    """True when ``settings`` (Pelican's MARKDOWN, without ``meta``) are the ones emulated here."""
    if markdown.__version_info__[:2] != VERIFIED_VERSION:
        return False
    extensions = settings.get("extensions", [])
    if not all(isinstance(e, str) for e in extensions) or frozenset(extensions) != EXTENSIONS or len(extensions) != 2:
        return False
    known = {"extensions", "output_format", "extension_configs"}
    if set(settings) - known or settings.get("extension_configs"):
        return False
    return settings.get("output_format") == "html5"


def render(source: str) -> str | None:
    """The HTML Python-Markdown would give for ``source``, or None when ``source`` is outside the subset."""
    try:
        return _Document(source).html()
    except _Unsupported:
        return None
    except Exception:  # an emulation bug must never break a build: Python-Markdown is always right
        logger.debug("markdown_fast failed; using Python-Markdown", exc_info=True)
        return None


# --- block level ---------------------------------------------------------------------------------

_STX, _ETX = "\x02", "\x03"
_FENCE_RE = FencedBlockPreprocessor.FENCED_BLOCK_RE
# NormalizeWhitespace's (?<=\n) +\n -> \n, written with a literal prefix (same result, much faster).
_SPACE_LINE_RE = re.compile(r"\n +(?=\n)")
_HASH_RE = HashHeaderProcessor.RE
_SETEXT_RE = SetextHeaderProcessor.RE
_HR_RE = HRProcessor.SEARCH_RE
_QUOTE_RE = BlockQuoteProcessor.RE
_DEF_RE = DefListProcessor.RE
_FOOTNOTE_DEF_RE = FootnoteBlockProcessor.RE
_ABBR_RE = AbbrBlockprocessor.RE
_REFERENCE_RE = ReferenceProcessor.RE
# sane_lists, tab_length 4: test (start of block) and item regular expressions.
_OL_RE = re.compile(r"^[ ]{0,3}\d+\.[ ]+(.*)")
_OL_CHILD_RE = re.compile(r"^[ ]{0,3}((\d+\.))[ ]+(.*)")
_UL_RE = re.compile(r"^[ ]{0,3}[*+-][ ]+(.*)")
_UL_CHILD_RE = re.compile(r"^[ ]{0,3}(([*+-]))[ ]+(.*)")
_INTEGER_RE = re.compile(r"(\d+)")
_LIST_INDENT_RE = re.compile(r"^[ ]{4,7}((\d+\.)|[*+-])[ ]+.*")
# A line start that could make any block processor but the paragraph one act.  Deliberately wider
# than needed: a block without such a line is a paragraph; one with it goes through every test.
_DANGER_RE = re.compile(r"^(?:[ #>:]|[*+-] |[*_=-][*_= -]*$|\d+\. |\*\[|\[\^|\[[^\[\]]*\]:)", re.MULTILINE)
_PIPE_RE = re.compile(r"(?<!\\)(?:\\\\)*\|")  # a "|" after an even number of backslashes
_FENCE_PLACEHOLDER_RE = re.compile(r"\x02f(\d+)\x03")


_MARKDOWN: list[markdown.Markdown] = []


def _html_block_identity(text: str) -> bool:
    """True when Python-Markdown's html_block preprocessor leaves ``text`` as it is and stashes nothing."""
    if not _MARKDOWN:
        _MARKDOWN.append(markdown.Markdown(extensions=sorted(EXTENSIONS), output_format="html5"))
    md = _MARKDOWN[0]
    md.reset()
    lines = md.preprocessors["html_block"].run(text.split("\n"))
    return md.htmlStash.html_counter == 0 and "\n".join(lines) == text


class _El:
    """A block element: tag, attributes, Markdown text (inline-rendered later), children."""

    __slots__ = ("attrs", "children", "tag", "text")

    def __init__(self, tag: str, text: str | None = None) -> None:
        self.tag = tag
        self.text = text
        self.attrs: list[tuple[str, str]] = []
        self.children: list[_El] = []


class _Document:
    def __init__(self, source: str) -> None:
        self.source = source
        self.fences: list[str] = []
        self.state: list[str] = []
        self.inline = _Inline()

    # Markdown.convert + preprocessors ------------------------------------------------------------

    def html(self) -> str:
        source = self.source
        if not source.strip():
            return ""
        # NormalizeWhitespace
        source = source.replace(_STX, "").replace(_ETX, "")
        source = source.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
        source = source.expandtabs(4)
        if " \n" in source:
            source = _SPACE_LINE_RE.sub("\n", source)
        # FencedBlockPreprocessor
        if "```" in source or "~~~" in source:
            source = self._fences(source)
        # HtmlBlockPreprocessor: identity on text without "<"; with "<" (in code spans, say) it is run
        # and must have changed nothing.  A table needs a "|" that is not backslash-escaped.
        if "<" in source and not _html_block_identity(source):
            raise _Unsupported("raw html")
        if "|" in source and _PIPE_RE.search(source):
            raise _Unsupported("table")
        root = _El("div")
        self.parse_blocks(root, source.split("\n\n"))
        out: list[str] = []
        for child in root.children:
            self.serialize(child, out)
            out.append("\n")
        return "".join(out).strip()

    def _fences(self, text: str) -> str:
        index = 0
        while True:
            m = _FENCE_RE.search(text, index)
            if not m:
                return text
            if m.group("attrs") is not None or m.group("hl_lines") is not None:
                raise _Unsupported("fence attributes")
            lang = m.group("lang")
            lang_attr = f' class="language-{_escape_attrib_html(lang)}"' if lang else ""
            code = m.group("code").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            placeholder = f"{_STX}f{len(self.fences)}{_ETX}"
            self.fences.append(f"<pre><code{lang_attr}>{code}</code></pre>")
            text = f"{text[: m.start()]}\n{placeholder}\n{text[m.end() :]}"
            index = m.start() + 1 + len(placeholder)

    # BlockParser -------------------------------------------------------------------------------------

    def parse_blocks(self, parent: _El, blocks: list[str]) -> None:
        while blocks:
            block = blocks[0]
            if not block or block[0] == "\n":  # EmptyBlockProcessor (no code blocks to extend here)
                blocks.pop(0)
                if block[1:]:
                    blocks.insert(0, block[1:])
                continue
            if (_DANGER_RE.search(block) if "\n" in block else _DANGER_RE.match(block)) is None:
                self.paragraph(parent, blocks.pop(0))
                continue
            if block.startswith("    "):  # ListIndent, DefListIndent, CodeBlock
                raise _Unsupported("indented block")
            # TableProcessor needs a "|" (refused in html()).
            m = _HASH_RE.search(block)
            if m:
                blocks.pop(0)
                before, after = block[: m.start()], block[m.end() :]
                if before:
                    self.parse_blocks(parent, [before])
                h = _El(f"h{len(m.group('level'))}", m.group("header").strip())
                parent.children.append(h)
                if after:
                    if self.state and self.state[-1] == "looselist":
                        raise _Unsupported("header in loose list")
                    blocks.insert(0, after)
                continue
            if _SETEXT_RE.match(block):
                raise _Unsupported("setext header")
            m = _HR_RE.search(block)
            if m:
                blocks.pop(0)
                prelines = block[: m.start()].rstrip("\n")
                if prelines:
                    self.parse_blocks(parent, [prelines])
                parent.children.append(_El("hr"))
                postlines = block[m.end() :].lstrip("\n")
                if postlines:
                    blocks.insert(0, postlines)
                continue
            if _OL_RE.match(block):
                self.list(parent, blocks, "ol", _OL_CHILD_RE)
                continue
            if _UL_RE.match(block):
                self.list(parent, blocks, "ul", _UL_CHILD_RE)
                continue
            if _DEF_RE.search(block):
                raise _Unsupported("definition list")
            m = _QUOTE_RE.search(block)
            if m:
                self.quote(parent, blocks, m)
                continue
            if _FOOTNOTE_DEF_RE.search(block) or _ABBR_RE.search(block) or _REFERENCE_RE.search(block):
                raise _Unsupported("footnote, abbreviation or reference definition")
            self.paragraph(parent, blocks.pop(0))

    def paragraph(self, parent: _El, block: str) -> None:
        if not block.strip():
            return
        if self.state and self.state[-1] == "list":
            if parent.children or parent.text:
                raise _Unsupported("tight list item with more than one block")
            parent.text = block.lstrip()
        else:
            parent.children.append(_El("p", block.lstrip()))

    def list(self, parent: _El, blocks: list[str], tag: str, child_re: re.Pattern) -> None:
        block = blocks.pop(0)
        # OListProcessor.get_items
        items: list[str] = []
        start = "1"
        for line in block.split("\n"):
            m = child_re.match(line)
            if m:
                if not items and tag == "ol":
                    start = _INTEGER_RE.match(m.group(1)).group()
                items.append(m.group(3))
            elif _LIST_INDENT_RE.match(line):
                raise _Unsupported("nested list")
            else:
                items[-1] = f"{items[-1]}\n{line}"
        sibling = parent.children[-1] if parent.children else None
        if sibling is not None and sibling.tag == tag:
            lst = sibling
            last = lst.children[-1]
            if last.text:
                last.children.insert(0, _El("p", last.text))
                last.text = ""
            li = _El("li")
            lst.children.append(li)
            self.state.append("looselist")
            self.parse_blocks(li, [items.pop(0)])
            self.state.pop()
        elif parent.tag in ("ol", "ul"):
            raise _Unsupported("list directly in list")
        else:
            lst = _El(tag)
            if tag == "ol" and start != "1":
                lst.attrs.append(("start", start))
            parent.children.append(lst)
        self.state.append("list")
        for item in items:
            if item.startswith("    "):
                raise _Unsupported("indented list item")  # pragma: no cover (nested lists are refused above)
            li = _El("li")
            lst.children.append(li)
            self.parse_blocks(li, [item])
        self.state.pop()

    def quote(self, parent: _El, blocks: list[str], m: re.Match) -> None:
        if self.state.count("blockquote") >= MAX_QUOTE_DEPTH:
            raise _Unsupported("deeply nested quotes")
        block = blocks.pop(0)
        self.parse_blocks(parent, [block[: m.start()]])
        block = "\n".join(_clean_quote_line(line) for line in block[m.start() :].split("\n"))
        sibling = parent.children[-1] if parent.children else None
        if sibling is not None and sibling.tag == "blockquote":
            quote = sibling
        else:
            quote = _El("blockquote")
            parent.children.append(quote)
        self.state.append("blockquote")
        self.parse_blocks(quote, block.split("\n\n"))
        self.state.pop()

    # PrettifyTreeprocessor + serializer + RawHtmlPostprocessor ------------------------------------------

    def serialize(self, el: _El, out: list[str]) -> None:
        tag = el.tag
        if tag == "p" and el.text and el.text[0] == _STX:
            m = _FENCE_PLACEHOLDER_RE.fullmatch(el.text)
            if m:
                out.append(self.fences[int(m.group(1))])
                return
        attrs = "".join(f' {k}="{_escape_attrib_html(v)}"' for k, v in sorted(el.attrs)) if el.attrs else ""
        if tag == "hr":
            out.append(f"<hr{attrs}>")
            return
        out.append(f"<{tag}{attrs}>")
        if el.text:
            out.append(self.inline.render(el.text))
        if el.children:
            if not el.text or not el.text.strip():
                out.append("\n")
            for child in el.children:
                self.serialize(child, out)
                out.append("\n")
        out.append(f"</{tag}>")


def _clean_quote_line(line: str) -> str:
    m = _QUOTE_RE.match(line)
    if line.strip() == ">":
        return ""
    if m:
        return m.group(2)
    return line


# --- inline level ----------------------------------------------------------------------------------

_ESCAPED_CHARS = frozenset("\\`*_{}[]()>#+-.!|")
_INLINE_SPECIAL_RE = re.compile(r"[\\`\[\]*_{}<\x02]|  \n")
_ESCAPE_RE = re.compile(r"\\(.)")
_BACKTICK_RE = re.compile(r"(?<!\\)`")
_BACKSLASHES_BEFORE_TICK_RE = re.compile(r"\\+(?=`)")
_PLACEHOLDER_RE = re.compile(r"\x02(\d+)\x03")
# A link or image target: no white space, quotes, parentheses, brackets, braces, backslashes, placeholders.
_TARGET_RE = re.compile(r"\(([^\s()'\"<>\\\[\]`\x02\x03{}]+)\)")
_LINK_TEXT_RE = re.compile(r"[^\[\]]*")
_STARS_RE = re.compile(r"\*+")


def _text_end(data: str, index: int) -> int:
    """LinkInlineProcessor.getText: the index of the "]" closing the text (nested brackets counted)."""
    count = 1
    for pos in range(index, len(data)):
        c = data[pos]
        if c == "]":
            count -= 1
            if count == 0:
                return pos
        elif c == "[":
            count += 1
    return len(data)


class _Inline:
    """Python-Markdown's InlineProcessor on one element's text, for the subset (see module docstring).

    Like Python-Markdown, each pattern runs over the whole text in priority order and replaces what
    it matched with a placeholder (STX index ETX) into ``stash``; ``_expand`` then builds the HTML.
    Stash entries: ("c", char, "") an escaped character (text), ("code", html, text content),
    ("img", html, ""), ("a", href, link text), ("br", "", ""), ("em"|"strong", inner text, "").
    """

    __slots__ = ("stash",)

    def __init__(self) -> None:
        self.stash: list[tuple[str, str, str]] = []

    def render(self, text: str) -> str:
        if _INLINE_SPECIAL_RE.search(text) is None:
            return _escape_cdata(text)
        if _STX in text:
            raise _Unsupported("fence placeholder inside text")
        if "`" in text:
            text = self._code_spans(text)
        if "<" in text:
            raise _Unsupported("inline html or autolink")
        if "\\" in text:
            text = _ESCAPE_RE.sub(self._escape, text)
        if "{" in text:
            raise _Unsupported("attribute list")
        if "[" in text or "]" in text:
            text = self._links(text)
        out: list[str] = []
        self._expand(self._rest(text), out)
        return "".join(out)

    def _put(self, kind: str, a: str = "", b: str = "") -> str:
        self.stash.append((kind, a, b))
        return f"{_STX}{len(self.stash) - 1}{_ETX}"

    # backtick (190)
    def _code_spans(self, data: str) -> str:
        if "\\`" in data and any(len(m.group()) % 2 == 0 for m in _BACKSLASHES_BEFORE_TICK_RE.finditer(data)):
            # An even run of backslashes before a backtick is BACKTICK_RE's other alternative; an odd
            # run is left to the escape pattern, as here.
            raise _Unsupported("backslashes before backtick")
        index = 0
        while True:
            m = _BACKTICK_RE.search(data, index)
            if not m:
                return data
            begin = m.start()
            start, end = _find_code_spans(begin, data)
            if end is None:
                index = start
                continue
            code = code_escape(data[start:end].strip())
            placeholder = self._put("code", f"<code>{code}</code>", code)
            data = f"{data[:begin]}{placeholder}{data[end + (start - begin):]}"
            index = begin + len(placeholder)

    # escape (180)
    def _escape(self, m: re.Match) -> str:
        char = m.group(1)
        if char in _ESCAPED_CHARS:
            return self._put("c", char)
        return m.group(0)

    # footnote (175), reference (170), link (160), image_link (150), image_reference (140), short
    # references (130, 125): only complete "[text](target)" and "![alt](target)" with plain text
    # (no brackets) and a plain target are emulated; with those the reference patterns match nothing.
    def _links(self, data: str, images_only: bool = False) -> str:
        if "[^" in data:
            raise _Unsupported("footnote reference")
        out: list[str] = []
        pos = 0
        while True:
            open_ = data.find("[", pos)
            close = data.find("]", pos)
            if open_ < 0:
                if close >= 0:
                    raise _Unsupported("stray ]")
                out.append(data[pos:])
                return "".join(out)
            if 0 <= close < open_:
                raise _Unsupported("stray ]")
            image = open_ > pos and data[open_ - 1] == "!"
            if image:
                text_end = _LINK_TEXT_RE.match(data, open_ + 1).end()
            elif images_only:
                raise _Unsupported("link inside link text")
            else:
                text_end = _text_end(data, open_ + 1)
            if text_end >= len(data) or data[text_end] != "]":
                raise _Unsupported("nested or unclosed [")
            text = data[open_ + 1 : text_end]
            m = _TARGET_RE.match(data, text_end + 1)
            if m is None:
                raise _Unsupported("not a plain inline link")
            target = _escape_attrib_html(m.group(1))
            if image:
                out.append(data[pos : open_ - 1])
                alt = _escape_attrib_html(_PLACEHOLDER_RE.sub(self._alt_text, text))
                out.append(self._put("img", f'<img alt="{alt}" src="{target}">'))
            else:
                if "[" in text or "]" in text:
                    # Link text is processed from image_link on: images only, never links.
                    text = self._links(text, images_only=True)
                out.append(data[pos:open_])
                out.append(self._put("a", target, text))
            pos = m.end()

    def _alt_text(self, m: re.Match) -> str:
        # ImageInlineProcessor: InlineProcessor.unescape, then UnescapeTreeprocessor on the attribute.
        kind, a, b = self.stash[int(m.group(1))]
        if kind == "c":
            return a
        if kind == "code":
            return b
        raise _Unsupported("element inside image text")  # pragma: no cover (nothing else is stashed yet)

    # linebreak (100), entity (80: same bytes as the serializer's escaping), em_strong (60)
    def _rest(self, data: str) -> str:
        if "  \n" in data:
            data = data.replace("  \n", self._put("br"))
        if "_" in data:
            raise _Unsupported("underscore emphasis")
        if "*" not in data:
            return data
        # DelimiterProcessor, for runs of one to three "*" that nest properly: an opener has no white
        # space after it, a closer none before it and the length of the innermost open run; nesting
        # alternates "*" and "**" at most two deep, and "***x***" stands alone (<strong><em>).
        # (Checked against Python-Markdown by tests/test_markdown_fast.py.)
        levels: list[list[str]] = [[]]
        sizes: list[int] = []
        pos = 0
        for m in _STARS_RE.finditer(data):
            start, stop = m.span()
            size = stop - start
            levels[-1].append(data[pos:start])
            pos = stop
            if sizes and sizes[-1] == size and start > 0 and not data[start - 1].isspace():
                sizes.pop()
                inner = "".join(levels.pop())
                if size == 3:
                    inner = self._put("em", inner)
                levels[-1].append(self._put("em" if size == 1 else "strong", inner))
            elif (
                size <= 3
                and stop < len(data)
                and not data[stop].isspace()
                and (not sizes or (len(sizes) == 1 and size != 3 and sizes[0] != 3 and sizes[0] != size))
            ):
                sizes.append(size)
                levels.append([])
            else:
                raise _Unsupported("unsupported * run")
        if sizes:
            raise _Unsupported("unbalanced *")
        levels[0].append(data[pos:])
        return "".join(levels[0])

    # __processPlaceholders + UnescapeTreeprocessor + PrettifyTreeprocessor (br tails) + serializer:
    # text between elements is joined, unescaped and escaped as one piece.
    def _expand(self, data: str, out: list[str]) -> None:
        text: list[str] = []
        after_br = False
        pos = 0
        for m in _PLACEHOLDER_RE.finditer(data):
            text.append(data[pos : m.start()])
            pos = m.end()
            kind, a, b = self.stash[int(m.group(1))]
            if kind == "c":
                text.append(a)
                continue
            after_br = self._flush(text, after_br, out)
            if kind == "br":
                out.append("<br>")
                after_br = True
            elif kind == "code" or kind == "img":
                out.append(a)
            elif kind == "a":
                out.append(f'<a href="{a}">')
                self._expand(self._rest(b), out)
                out.append("</a>")
            else:
                out.append(f"<{kind}>")
                self._expand(a, out)
                out.append(f"</{kind}>")
        text.append(data[pos:])
        self._flush(text, after_br, out)

    @staticmethod
    def _flush(text: list[str], after_br: bool, out: list[str]) -> bool:
        chunk = "".join(text)
        text.clear()
        if after_br:  # prettify: a <br>'s tail starts with a newline (white space alone becomes one)
            chunk = "\n" + chunk if chunk.strip() else "\n"
        if chunk:
            out.append(_escape_cdata(chunk))
        return False


def _find_code_spans(start: int, text: str) -> tuple[int, int | None]:
    """BacktickInlineProcessor.find_code_spans (Python-Markdown 3.11), verbatim."""
    last = len(text)
    max_ticks = 0
    while start < last and text[start] == "`":
        max_ticks += 1
        start += 1
    longest_span = 0
    end = 0
    i = start
    while i < last:
        span_length = 0
        while i < last and text[i] == "`":
            span_length += 1
            i += 1
        if not span_length:
            i += 1
            continue
        if max_ticks == span_length:
            return start, i - span_length
        if span_length > longest_span:
            longest_span = span_length
            end = i
    if 0 < longest_span < max_ticks:
        return start - (max_ticks - longest_span), end - longest_span
    return start + max_ticks, None
