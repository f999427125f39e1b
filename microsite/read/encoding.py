"""Decode the bytes of a saved web page into text, the way a careful browser would.

Order: a byte-order mark wins; then the charset the transport or the page
declares (HTTP header in a WARC, ``<meta charset>`` / http-equiv); then
detection.  One deliberate departure from browsers: a page declared as a
single-byte charset (windows-1251, latin-1, ...) whose bytes are valid UTF-8
with non-ASCII characters is read as UTF-8.  Scrapers commonly re-encode a
page to UTF-8 and keep its original ``<meta charset>``; the reverse accident
(windows-1251 Russian text that happens to be valid UTF-8) practically never
happens, because Cyrillic windows-1251 bytes are not valid UTF-8 sequences.
"""

from __future__ import annotations

import codecs
import re

from microsite.errors import ImportProblem

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.\-]+)""", re.IGNORECASE)
_TAGS = re.compile(rb"<script\b.*?</script>|<style\b.*?</style>|<[^>]*>", re.IGNORECASE | re.DOTALL)
# WHATWG: labels browsers treat as another encoding.
_ALIASES = {
    "iso-8859-1": "windows-1252", "latin1": "windows-1252", "latin-1": "windows-1252",
    "us-ascii": "windows-1252", "ascii": "windows-1252", "x-user-defined": "windows-1252",
    "iso-8859-9": "windows-1254", "tis-620": "windows-874", "gb2312": "gb18030", "gbk": "gb18030",
    "x-cp1251": "windows-1251", "cp-1251": "windows-1251", "win-1251": "windows-1251",
    "x-mac-cyrillic": "mac-cyrillic", "koi8": "koi8-r", "unicode": "utf-8",
}


def normalise_charset(label: str) -> str:
    """A Python codec name for a declared charset label, or "" when unknown."""
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return ""
    # A page declared UTF-16 without a BOM was re-encoded long ago: the bytes are ASCII-compatible.
    return "utf-8" if name.startswith(("utf-16", "utf-32")) else name


def declared_charset(data: bytes) -> str:
    """The charset a page declares in its first few KB (``<meta>`` or XML declaration)."""
    head = data[:8192]
    m = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return normalise_charset(m.group(1).decode("ascii", "replace")) if m else ""


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A truncated multi-byte sequence at the very end is a cut-off download, still UTF-8.
        return exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def detect_charset(data: bytes) -> str:
    """Best guess for undeclared, non-UTF-8 bytes, judged on the text without markup."""
    from charset_normalizer import from_bytes

    sample = _TAGS.sub(b" ", data[:400_000])
    if not sample.strip():
        sample = data[:400_000]
    best = from_bytes(sample, steps=8, chunk_size=2048).best()
    if best is None:
        return "windows-1252"
    name = normalise_charset(best.encoding) or "windows-1252"
    # Cyrillic single-byte guesses: windows-1251 is by far the most common on the web.
    if name in {"mac-cyrillic", "cp866", "iso8859-5", "kz1048", "ptcp154"}:
        return "cp1251"
    return name


def decode_html(data: bytes, transport_charset: str = "") -> tuple[str, str]:
    """``(text, codec)`` for a page's bytes; ``transport_charset`` is an HTTP header's charset."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace"), name
    if b"\x00" in data[:1024] and data.count(b"\x00") > len(data) // 8:
        raise ImportProblem("binary file (NUL bytes), not a web page")
    declared = normalise_charset(transport_charset) if transport_charset else ""
    declared = declared or declared_charset(data)
    if data.isascii():
        return data.decode("ascii", errors="replace"), declared or "ascii"
    if _is_utf8(data):
        return data.decode("utf-8", errors="replace"), "utf-8"
    # A page that says UTF-8 but is not (an old page re-served with a new header): detect.
    codec = declared if declared not in ("", "utf-8") else detect_charset(data)
    try:
        return data.decode(codec), codec
    except (UnicodeDecodeError, LookupError):
        codec = detect_charset(data)
        return data.decode(codec, errors="replace"), codec
