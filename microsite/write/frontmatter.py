"""Front matter: YAML between ``---`` lines, written by an emitter, read safely.

The contract (documented in the README) is what other tools rely on, so the
key order is fixed and every value goes through ``yaml.safe_dump``: a title
such as ``yes``, ``a: b`` or ``---`` is quoted by the emitter, never by hand.
libyaml's C loader/dumper are used when present (about 10x faster) and give
the same result as the pure-Python ones.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

try:
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml is in PyYAML's wheels
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

KEY_ORDER = [
    "title", "date", "modified", "authors", "category", "tags", "source", "source_url",
    "canonical_url", "dateline", "lang", "summary", "description", "accessed", "source_file",
    "source_record", "sha256", "also_scraped_as", "slug", "import_digest",
]
_FRONT = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n(?P<meta>.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)(?P<body>.*)\Z", re.S | re.M)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader, except that an unknown tag (``!!python/object``, ``!foo``) gives its plain value.

    Refusing the whole front matter would drop every other key of a file
    because of one, and change its status; building the tagged object is
    what a safe loader must never do.  So the tag is ignored, the value kept.
    """


def _untagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


_Loader.add_constructor(None, _untagged)


class FrontMatterError(ValueError):
    """The file has no readable YAML front matter."""


def _plain(value: Any) -> Any:
    """Dates become ISO strings so that they round-trip as written (offset kept)."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def dump(meta: dict[str, Any], body: str) -> str:
    """Render front matter plus body; empty values are left out."""
    ordered = {k: _plain(meta[k]) for k in KEY_ORDER if k in meta and meta[k] not in (None, "", [])}
    ordered.update({k: _plain(v) for k, v in meta.items() if k not in ordered and v not in (None, "", [])})
    text = yaml.dump(ordered, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{text}---\n\n{body.rstrip()}\n"


def split(text: str) -> tuple[str, str]:
    """(YAML text, body) of a Markdown file; FrontMatterError if there is none."""
    m = _FRONT.match(text)
    if not m:
        raise FrontMatterError("no YAML front matter between --- lines")
    return m.group("meta"), m.group("body")


def load(text: str) -> tuple[dict[str, Any], str]:
    """Parse front matter with the safe loader: YAML tags like !!python/object build nothing."""
    raw, body = split(text)
    try:
        meta = yaml.load(raw, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark else ""
        raise FrontMatterError(f"invalid YAML front matter{where}: {getattr(exc, 'problem', exc)}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise FrontMatterError("front matter is not a mapping of keys to values")
    return meta, body
