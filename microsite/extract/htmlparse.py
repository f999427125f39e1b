"""Parse untrusted HTML into lxml trees without losing text to deep nesting.

libxml2 stops building the tree at 256 levels (with ``huge_tree``, a few
thousand) and silently drops everything below, and markdownify recurses once
per level.  So: parse; when the tree reaches the parser's limit, drop the
opening/closing tags beyond ``STRING_DEPTH`` from the markup itself (their
text stays) and parse again; then unwrap whatever is deeper than
``MAX_DEPTH`` in the tree.  Every step is iterative.
"""

from __future__ import annotations

import re

import lxml.etree as etree
import lxml.html

MAX_DEPTH = 60
STRING_DEPTH = 200
_PARSER_LIMIT = 250
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)\b[^>]*?(/?)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
         "wbr", "keygen", "command"}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(html: str) -> str:
    """Markup without C0 control characters: never text, and lxml refuses them when a tree is edited."""
    return _CONTROL.sub("", html)


# Void in HTML5 but containers to libxml2, which would nest the rest of the page inside
# them (and so drop it with the element): "<embed src=x><p>text</p>" loses "text".
_UNKNOWN_VOIDS = re.compile(r"<(embed|source|track|wbr|keygen)\b([^>]*?)/?>", re.IGNORECASE)


def close_voids(html: str) -> str:
    """Give the HTML5 void elements libxml2 does not know an explicit end tag."""
    return _UNKNOWN_VOIDS.sub(r"<\1\2></\1>", html)


def _parser() -> lxml.html.HTMLParser:
    # huge_tree: without it libxml2 silently stops at a text node over 10 MB (an inline script).
    return lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)


def tree_depth(root) -> int:
    """The deepest element level under ``root`` (iterative)."""
    deepest, stack = 0, [(root, 0)]
    while stack:
        el, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in el if isinstance(child.tag, str))
    return deepest


def flatten_markup(html: str, limit: int = STRING_DEPTH) -> str:
    """Remove start/end tags nested deeper than ``limit`` from the markup, keeping all text."""
    out: list[str] = []
    depth, pos = 0, 0
    dropped: dict[str, int] = {}
    for m in _TAG.finditer(html):
        closing, name, selfclosing = m.group(1), m.group(2).lower(), m.group(3)
        out.append(html[pos : m.start()])
        pos = m.end()
        if name in _VOID or selfclosing:
            out.append(m.group(0))
        elif closing:
            if dropped.get(name):
                dropped[name] -= 1
            else:
                depth = max(0, depth - 1)
                out.append(m.group(0))
        elif depth >= limit:
            dropped[name] = dropped.get(name, 0) + 1
            out.append(" ")
        else:
            depth += 1
            out.append(m.group(0))
    out.append(html[pos:])
    return "".join(out)


def flatten_tree(root, limit: int = MAX_DEPTH) -> None:
    """Unwrap elements nested deeper than ``limit`` (their text stays), in place."""
    stack = [(root, 0)]
    while stack:
        el, depth = stack.pop()
        if depth >= limit:
            etree.strip_tags(el, "*")
            continue
        stack.extend((child, depth + 1) for child in el if isinstance(child.tag, str))


def parse_document(html: str) -> lxml.html.HtmlElement:
    """A whole page as a tree (raises lxml's ParserError on markup that holds nothing)."""
    html = close_voids(html)
    tree = lxml.html.document_fromstring(html.encode("utf-8"), parser=_parser())
    if tree_depth(tree) >= _PARSER_LIMIT:
        tree = lxml.html.document_fromstring(flatten_markup(html).encode("utf-8"), parser=_parser())
    return tree


def fragment_root(html: str) -> lxml.html.HtmlElement:
    """An HTML fragment (or a whole document's body) inside one ``<div>``; never raises."""
    data = close_voids(html).encode("utf-8")
    try:
        return lxml.html.fragment_fromstring(data, create_parent="div", parser=_parser())
    except (etree.ParserError, ValueError, AssertionError):  # lxml asserts on "<html>" without a body
        pass
    try:
        doc = lxml.html.document_fromstring(data, parser=_parser())
    except (etree.ParserError, ValueError):
        return lxml.html.Element("div")
    body = doc.find("body")
    if body is None:
        return lxml.html.Element("div")
    body.tag = "div"
    body.attrib.clear()
    return body


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """An HTML fragment inside one ``<div>``, flattened to ``MAX_DEPTH``; never raises."""
    root = fragment_root(html)
    if tree_depth(root) >= _PARSER_LIMIT - 5:
        root = fragment_root(flatten_markup(html))
    flatten_tree(root)
    return root
