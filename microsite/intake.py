"""What the import checks before any reader sees a file: which files, and which bytes.

Readers are written for well-formed scrapes; the world sends FIFOs, links to
``/etc``, PNGs named ``.html``, gzip bodies saved by ``wget``, UTF-16 from
Windows tools and stray NUL bytes.  All of that is settled here, once, for
every format, so that each case either becomes ordinary bytes for a reader or
an ImportProblem with a one-line reason.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path

from microsite import read
from microsite.errors import ImportProblem

MAX_BYTES = 64 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_MAGIC = [
    (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
    (b"%PDF", "PDF document"), (b"PK\x03\x04", "zip archive"), (b"7z\xbc\xaf", "7-Zip archive"),
    (b"BZh", "bzip2 data"), (b"\xfd7zXZ", "xz data"), (b"Rar!", "RAR archive"),
    (b"\x7fELF", "executable"), (b"MZ", "Windows executable"), (b"RIFF", "RIFF media"),
    (b"\x00\x00\x00\x18ftyp", "MP4 video"), (b"\x00\x00\x00\x20ftyp", "MP4 video"), (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"), (b"wOFF", "web font"), (b"wOF2", "web font"), (b"SQLite format 3", "SQLite database"),
]
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
]
# C0 controls that never appear in text (tab, newlines, form feed and ESC do).
_BINARY_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
# Characters that make a UTF-16 reading implausible: controls, unassigned surrogates, private use.
_SHOWN_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_WIDE_NOISE = re.compile(r"[\x00-\x08\x0e-\x1f\ud800-\udfff\ue000-\uf8ff\ufffd]")


@dataclass(frozen=True)
class Refused:
    """A file under ``--src`` that is not read at all, and why ("" when no reader takes its kind)."""

    rel: str
    reason: str


def _reader_name(path: Path) -> str:
    """The name whose suffix picks the reader: ``page.html.gz`` is read as ``page.html``."""
    name = path.name
    if not read.suffix_of(name) and name.lower().endswith(".gz"):
        return name[:-3]
    return name


def has_reader(path: Path) -> bool:
    """True when some reader takes ``path`` (without importing the reader)."""
    return bool(read.suffix_of(_reader_name(path)))


def reader_for(path: Path) -> read.Reader | None:
    """The reader for ``path``; ``page.html.gz`` gets the reader of ``page.html``."""
    return read.reader_for(_reader_name(path))


def scan(src: Path) -> tuple[list[Path], list[Refused]]:
    """Input files under ``src`` (sorted) and the ones refused (with a reason) or ignored.

    Hidden files and folders are left out silently (``.git``, ``.DS_Store``);
    a symbolic link is followed only when it leads to a regular file inside
    ``src``; FIFOs, sockets and devices are refused (reading one would hang).
    """
    root = src.resolve()
    files: list[Path] = []
    refused: list[Refused] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            if (here / d).is_symlink():
                if not _inside(here / d, root):
                    refused.append(Refused(relative_name(here / d, root), "symbolic link to a folder outside the source folder; not followed"))
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = here / name
            problem = _refusal(path, root)
            if problem is None:
                files.append(path)
            else:
                refused.append(Refused(relative_name(path, root), problem))
    return files, refused


def relative_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as text that can be written anywhere (YAML, JSON, a terminal).

    A file name that is not valid UTF-8 (a Latin-1 name from an old archive)
    gets U+FFFD for its bad bytes, the same on every run, so re-imports still
    find its article.
    """
    rel = path.relative_to(root).as_posix()
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def shown(text: str) -> str:
    """``text`` on one line: control characters (a newline in a file name) written as escapes."""
    return _SHOWN_CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def _refusal(path: Path, root: Path) -> str | None:
    """None to read ``path``; a reason to refuse it; "" when no reader takes it (listed as ignored)."""
    if not has_reader(path):
        return ""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "broken symbolic link"
        if not target.is_relative_to(root):
            return "symbolic link leading outside the source folder; not followed"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot read file: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        return "not a regular file (FIFO, socket or device); not read"
    return None


def load(path: Path) -> bytes:
    """The file's bytes, refusing what is too large to be one scrape."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ImportProblem(f"file too large ({size // 1_048_576} MB > {MAX_BYTES // 1_048_576} MB)")
    return path.read_bytes()


def prepare(data: bytes, path: Path) -> bytes:
    """Bytes a reader can take: decompressed, UTF-16/32 made UTF-8, stray NULs gone.

    Raises ImportProblem for empty, binary and corrupt files.  WARC files are
    passed through untouched: their records legitimately hold binary payloads
    and their reader handles compression itself.
    """
    if "warc" in read.suffix_of(_reader_name(path)):
        if not data.strip():
            raise ImportProblem("empty file")
        return data
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data)
    if not data.strip():
        raise ImportProblem("empty file")
    data = _utf8_from_wide(data)
    sample = data[:65536]
    for magic, kind in _MAGIC:
        if sample.startswith(magic):
            raise ImportProblem(f"binary file ({kind}), not a scrape")
    controls = sum(sample.count(bytes([b])) for b in _BINARY_BYTES)
    if controls > max(8, len(sample) // 50):
        raise ImportProblem("binary file (control bytes), not a text, HTML or JSON scrape")
    data = data.translate(None, _BINARY_BYTES) if controls or b"\x00" in data else data
    if len(data) < 65536:
        text = data.decode("utf-8", "ignore").replace("\ufeff", "").replace("\u200b", "")
        if not text.strip():
            raise ImportProblem("empty file (only white space)")
    return data


def _gunzip(data: bytes) -> bytes:
    """gzip data decompressed, at most MAX_BYTES of it (a gzip bomb is refused, not unpacked)."""
    out = bytearray()
    d = zlib.decompressobj(wbits=47)
    try:
        chunk = d.decompress(data, MAX_BYTES + 1)
        out += chunk
        while d.unconsumed_tail and len(out) <= MAX_BYTES:
            out += d.decompress(d.unconsumed_tail, MAX_BYTES + 1 - len(out))
    except zlib.error as exc:
        raise ImportProblem(f"corrupt gzip data ({exc})") from None
    if len(out) > MAX_BYTES:
        raise ImportProblem(f"gzip data expands beyond {MAX_BYTES // 1_048_576} MB")
    if not d.eof:
        raise ImportProblem("truncated gzip data")
    return bytes(out)


def _utf8_from_wide(data: bytes) -> bytes:
    """UTF-16/UTF-32 (with a BOM, or UTF-16 without one) re-encoded as UTF-8 with a BOM.

    The UTF-8 BOM then outranks any ``<meta charset>`` or XML declaration
    still saying UTF-16, as it does in browsers.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return codecs.BOM_UTF8 + data[len(bom) :].decode(codec).encode("utf-8")
            except UnicodeDecodeError:
                raise ImportProblem(f"invalid {codec.upper()} text") from None
    sample = data[:4096]
    if len(sample) < 8 or b"\x00" not in sample:
        return data
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    # ASCII in UTF-16 has a NUL in every other byte; Cyrillic or CJK text still has some (spaces, digits).
    codec = "utf-16-le" if odd > half * 0.05 and even <= half * 0.005 else "utf-16-be" if even > half * 0.05 and odd <= half * 0.005 else ""
    if not codec:
        return data
    try:
        text = data[: len(data) // 2 * 2].decode(codec)
    except UnicodeDecodeError:
        return data
    if len(_WIDE_NOISE.findall(text[:2048])) > len(text[:2048]) // 100:
        return data
    return codecs.BOM_UTF8 + text.encode("utf-8")
