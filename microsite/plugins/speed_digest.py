"""Stable digests of what a template is rendered from, for skipping unchanged pages.

A page is the pure function of its template, the context names the template
(and every template it extends, includes or imports) refers to, and the
keyword arguments Pelican's generator passes to ``write_file``.  This module
turns those into a short digest that is equal across builds exactly when the
inputs are equal: articles and pages by their own fields (content, metadata,
dates, tags, neighbours by their own fields one level deep), tags and
categories by class and name (their URLs follow from the settings, which are
digested too), plain data by value.  An article's digest covers its own fields
and the own fields of the articles it points to (neighbours, related, translations),
but not theirs in turn, so one edit re-renders the pages that show it and no more.  Anything whose value cannot be written
down stably (an object with only an ``at 0x...`` repr) makes the digest
``None``: that page is always rendered, never skipped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import os
import pickle
import re
import types
from itertools import compress
from operator import is_, is_not

from jinja2 import meta, nodes
from jinja2.utils import _PassArg
from pelican.contents import Content
from pelican.urlwrappers import URLWrapper

_SKIP_ATTRS = {"_context", "settings", "_output_location_referenced"}
_PASS_ARG = "jinja_pass_arg"
_SEES_CONTEXT = {_PassArg.context, _PassArg.eval_context}


# Article fields that only some templates show, and the names through which a template shows them.
# A page whose templates use none of those names is not re-rendered when the field changes: a listing
# shows no article text, related articles or citation.  Pelican's own properties (url, summary...)
# read none of these fields but the text, which ``summary`` reads when no summary was given.
EXCLUDABLE = {
    "_content": frozenset({"content", "get_content", "_content", "_get_content"}),
    "related": frozenset({"related"}),
    "prev_article": frozenset({"prev_article"}),
    "next_article": frozenset({"next_article"}),
    "cite": frozenset({"cite"}),
    "declared": frozenset({"declared"}),
    "translations": frozenset({"translations"}),
    # Pelican sets ``modified`` to the file's time when the front matter has none (DEFAULT_DATE = "fs"):
    # saving an article changes it, and a listing does not show it.
    "modified": frozenset({"modified", "locale_modified"}),
    "locale_modified": frozenset({"modified", "locale_modified"}),
}
# Filters and tests that read no field of what they are given: Python's (len, abs...) and operators,
# markupsafe's escaping, and Pelican's ``strftime`` (a date) and ``plugin_enabled`` (a name).
_VALUE_MODULES = frozenset({"builtins", "_operator", "markupsafe"})
_PELICAN_READS = {"strftime": frozenset(), "plugin_enabled": frozenset()}
SUMMARY_NAMES = frozenset({"summary", "get_summary", "_summary"})


@dataclasses.dataclass(frozen=True)
class TemplateInputs:
    """What a template reads: context names, attribute names (and string constants), digest of its sources.

    ``opaque`` when it applies a filter or test of ours that does not say which fields it reads
    (``digest_reads``): every field then counts.
    """

    names: frozenset[str]
    digest: str
    attrs: frozenset[str]
    opaque: bool


def _attributes(ast) -> set[str]:
    """Attribute names a template reads (``a.b``, ``a['b']``) and every string constant
    (``map(attribute='b')``, ``sort(attribute='b')``, ``attr('b')``...)."""
    found = {node.attr for node in ast.find_all(nodes.Getattr)}
    found |= {node.value for node in ast.find_all(nodes.Const) if isinstance(node.value, str)}
    return found


@dataclasses.dataclass(frozen=True)
class TemplateSource:
    """What one template's own source reads (not what it pulls in), found by parsing it."""

    names: frozenset[str]
    attrs: frozenset[str]
    refs: tuple[str | None, ...]
    filters: tuple[tuple[str, str], ...]  # ("filter" or "test", name)
    digest: str


# Template analyses by (syntax, name, source digest).  Parsing every template, and each base
# template again for every template extending it, took about 0.2 s of each build.  They are kept
# from one build to the next (``load_templates``/``save_templates``); an edited template has another
# digest, so it is parsed again.
_TEMPLATES: dict[tuple[str, str, str], TemplateSource] = {}
_TEMPLATES_USED: dict[tuple[str, str, str], TemplateSource] = {}  # this build's: the ones to keep
_TEMPLATES_KEPT: set[tuple[str, str, str]] = set()  # the keys the kept file holds


def _syntax(env) -> str:
    """The Jinja settings a template's parse depends on."""
    return repr((env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
                 env.comment_start_string, env.comment_end_string, env.line_statement_prefix,
                 env.line_comment_prefix, env.trim_blocks, env.lstrip_blocks, env.newline_sequence,
                 env.keep_trailing_newline, sorted(env.extensions)))


def template_analysis(env, name: str, source: str) -> TemplateSource:
    """What ``source`` (the template ``name``) reads, parsed once per version of its text."""
    digest = _sha(source)
    key = (_syntax(env), name, digest)
    found = _TEMPLATES.get(key)
    if found is None:
        ast = env.parse(source)
        filters = tuple(("filter" if isinstance(node, nodes.Filter) else "test", node.name)
                        for node in ast.find_all((nodes.Filter, nodes.Test)))
        found = _TEMPLATES[key] = TemplateSource(
            frozenset(meta.find_undeclared_variables(ast)), frozenset(_attributes(ast)),
            tuple(meta.find_referenced_templates(ast)), filters, digest)
    _TEMPLATES_USED[key] = found
    return found


def load_templates(path) -> None:
    """Start of a build: take the template analyses an earlier build kept (none when ``path`` is None)."""
    from microsite.plugins.speed_memo import read_kept

    data = read_kept(path) if path is not None else None
    kept = (data or {}).get("templates")
    _TEMPLATES_USED.clear()
    _TEMPLATES_KEPT.clear()
    if isinstance(kept, dict):
        _TEMPLATES.update((k, v) for k, v in kept.items() if isinstance(v, TemplateSource))
        _TEMPLATES_KEPT.update(kept)


def save_templates(path) -> None:
    """Keep this build's template analyses for the next build (unless they are the kept ones)."""
    from microsite.plugins.speed_memo import write_kept

    if path is not None and _TEMPLATES_USED and _TEMPLATES_USED.keys() != _TEMPLATES_KEPT:
        write_kept(path, {"templates": dict(_TEMPLATES_USED)})
        _TEMPLATES_KEPT.clear()
        _TEMPLATES_KEPT.update(_TEMPLATES_USED)


_V_CONTENT, _V_STR, _V_REPR, _V_WRAPPER, _V_COLLECTION, _V_OTHER = (
    "content", "str", "repr", "wrapper", "collection", "other")
_VALUE_KINDS: dict[type, str] = {}


def _value_kind(cls: type) -> str:
    """How ``Digester._value`` writes down a value of class ``cls`` (decided once per class)."""
    if issubclass(cls, (bool, int, float, dt.date, dt.time, dt.timedelta, dt.tzinfo)):
        return _V_REPR
    if issubclass(cls, str):
        return _V_STR
    if issubclass(cls, Content):
        return _V_CONTENT
    if issubclass(cls, URLWrapper):
        return _V_WRAPPER
    if issubclass(cls, (list, tuple, set, frozenset, dict)):
        return _V_COLLECTION
    return _V_OTHER


class Unstable(Exception):
    """The value has no stable written form."""


class Digester:
    """Digests for one build: each article, list and template is digested once."""

    def __init__(self, env, excluded: frozenset[str] = frozenset(), summary_reads_content: bool = True,
                 shared: dict | None = None) -> None:
        self.env = env
        self._shared = shared if shared is not None else {}
        self.excluded = excluded
        self.summary_reads_content = summary_reads_content
        self._memo: dict[tuple[int, int], tuple[object, str, tuple]] = {}
        self._own_memo: dict[int, tuple[Content, str, tuple[Content, ...]]] = {}
        self._nested: list[Content] | None = None
        self._templates: dict[str, tuple[frozenset[str], str] | None] = {}
        self._skip = frozenset(_SKIP_ATTRS | excluded)
        self._skip_but_text = self._skip - {"_content"}
        self._reads_text = "_content" in excluded and summary_reads_content
        # Jinja's own map/select/... take the context only to look filters up; ours must not read it.
        # Those given only the environment (to render a partial) see nothing of the page.
        self.context_aware = any(
            getattr(f, _PASS_ARG, None) in _SEES_CONTEXT and not getattr(f, "__module__", "").startswith("jinja2.")
            for table in (env.filters, env.tests, env.globals)
            for f in table.values()
            if callable(f)
        )

    def digest(self, value: object) -> str | None:
        """Digest of ``value``; None when it has no stable form."""
        try:
            return _sha(self._value(value, 0))
        except Unstable:
            return None

    def arguments(self, kwargs: dict) -> str | None:
        """The text standing for a page's keyword arguments (its article, its tag...); None when one
        has no stable form.  Each page has a dict of its own: written down without memoising it."""
        try:
            return "|".join(sorted(f"{k}={self._value(v, 0)}" for k, v in kwargs.items()))
        except Unstable:
            return None

    def template(self, name: str) -> TemplateInputs | None:
        """What a template and all it pulls in read: context names, attributes, digest of sources."""
        if name not in self._templates:
            self._templates[name] = self._template(name, set())
        return self._templates[name]

    def variant(self, inputs: TemplateInputs) -> tuple[frozenset[str], bool]:
        """(article fields a page of this template cannot show, whether its ``summary`` may read the text)."""
        if inputs.opaque:
            return frozenset(), True
        excluded = frozenset(f for f, shown_by in EXCLUDABLE.items() if not (shown_by & inputs.attrs))
        return excluded, bool(SUMMARY_NAMES & inputs.attrs)

    def _template(self, name: str, seen: set[str]) -> TemplateInputs | None:
        seen.add(name)
        source, _filename, _ = self.env.loader.get_source(self.env, name)
        local = template_analysis(self.env, name, source)
        names, attrs, opaque = set(local.names), set(local.attrs), False
        parts = [name, local.digest]
        refs = list(local.refs)
        for kind, filter_name in local.filters:
            table = self.env.filters if kind == "filter" else self.env.tests
            func = table.get(filter_name)
            module = getattr(func, "__module__", None) or ""
            if func is None or module.startswith("jinja2.") or module in _VALUE_MODULES:
                continue
            reads = getattr(func, "digest_reads", _PELICAN_READS.get(filter_name))
            if reads is None:  # a filter of ours or a plugin's that may read any field of what it is given
                opaque = True
                continue
            attrs |= set(reads)
            refs += list(getattr(func, "digest_templates", ()))
        for ref in refs:
            if ref is None:  # a template name computed at render time: cannot know the inputs
                return None
            if ref in seen:
                continue
            sub = self._template(ref, seen)
            if sub is None:
                return None
            names |= sub.names
            attrs |= sub.attrs
            opaque |= sub.opaque
            parts.append(sub.digest)
        return TemplateInputs(frozenset(names), _sha("\n".join(parts)), frozenset(attrs), opaque)

    def _value(self, value: object, depth: int) -> str:
        kind = _VALUE_KINDS.get(type(value))
        if kind is None:
            kind = _VALUE_KINDS[type(value)] = _value_kind(type(value))
        if kind is _V_CONTENT:  # first: listings hold thousands
            return self._content(value, depth)
        if kind is _V_STR:
            return value if len(value) < 256 else "#" + _sha(value)
        if kind is _V_REPR:
            return repr(value)
        if kind is _V_WRAPPER:
            return f"{type(value).__name__}:{value.name}:{value.slug}"
        if kind is _V_COLLECTION:
            return self._collection(value, depth)
        if value is None:
            return "None"
        if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type, types.ModuleType)):
            return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value.__name__)}"
        if isinstance(value, re.Pattern):
            return f"re:{value.pattern}:{value.flags}"
        if dataclasses.is_dataclass(value):
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return f"{type(value).__qualname__}{self._collection(fields, depth)}"
        text = repr(value)
        if " at 0x" in text or " object at " in text:
            raise Unstable(text)
        return f"{type(value).__qualname__}:{text}"

    def _collection(self, value, depth: int) -> str:
        hit = self._memo.get((id(value), depth))
        if hit is not None and hit[0] is value:
            if self._nested is not None:
                self._nested.extend(hit[2])
            return hit[1]
        outer, self._nested = self._nested, ([] if self._nested is not None else None)
        try:
            if isinstance(value, dict):
                items = sorted(f"{self._value(k, depth)}={self._value(v, depth)}" for k, v in value.items())
            elif isinstance(value, (set, frozenset)):
                items = sorted(self._value(v, depth) for v in value)
            else:
                items = [self._value(v, depth) for v in value]
            nested = tuple(self._nested or ())
        finally:
            self._nested = outer
        if outer is not None:
            outer.extend(nested)
        text = f"{type(value).__name__}[{'|'.join(items)}]"
        if len(text) > 256:
            text = "#" + _sha(text)
        self._memo[(id(value), depth)] = (value, text, nested)
        return text

    def _content(self, content: Content, depth: int) -> str:
        """At the top: its own fields plus its neighbours' own fields; inside another article: its path."""
        if depth > 0:
            if self._nested is not None:
                self._nested.append(content)
            return f"{type(content).__name__}:{content.source_path}"
        hit = self._memo.get((id(content), 0))
        if hit is not None and hit[0] is content:
            return hit[1]
        own, nested = self._own(content)
        text = "#" + _sha(own + "".join(self._own(n)[0] for n in nested))
        self._memo[(id(content), 0)] = (content, text, ())
        return text

    def view_of(self, content: Content) -> frozenset[str]:
        """The fields of ``content`` this digester leaves out."""
        if self._reads_text and "summary" not in content.metadata:
            return self._skip_but_text  # Pelican's summary is cut from the text
        return self._skip

    def own_digest(self, content: Content) -> tuple[str, tuple[Content, ...]] | None:
        """``_own`` for ``prime``: None when the article has no stable digest."""
        try:
            return self._own(content)
        except Unstable:
            return None

    def prime(self, content: Content, text: str, nested: tuple[Content, ...]) -> None:
        """Take an own-field digest worked out elsewhere (another process) for ``content``."""
        self._shared[(id(content), self.view_of(content))] = (content, text, nested)

    def _own(self, content: Content) -> tuple[str, tuple[Content, ...]]:
        """Digest of one article's own fields (other articles by path), and the articles it refers to."""
        hit = self._own_memo.get(id(content))
        if hit is not None and hit[0] is content:
            return hit[1], hit[2]
        skip = self.view_of(content)
        shared_key = (id(content), skip)  # digesters of other templates with the same view share the work
        hit = self._shared.get(shared_key)
        if hit is not None and hit[0] is content:
            self._own_memo[id(content)] = hit
            return hit[1], hit[2]
        if _links_elsewhere(content):
            raise Unstable("links resolved against the whole site ({filename} etc.)")
        parts = self._shared.get(("fields", id(content)))
        if parts is None or parts[0] is not content:
            parts = self._shared["fields", id(content)] = (content, *field_parts(content))
        _content, total, read_skippable, late = parts
        drop_modified = "modified" in self.excluded
        for name, (top, value) in read_skippable.items():
            if top in skip or (drop_modified and name == _MODIFIED):
                total -= value
        nested: list[Content] = []
        for top, name, value, refs in late:
            if top in skip or (drop_modified and name == _MODIFIED):
                continue
            total += value
            nested.extend(refs)
        header = f"{type(content).__qualname__}\0{content.source_path}\0".encode("utf-8", "surrogatepass")
        text = hashlib.blake2b(header + (total % _MODULUS).to_bytes(16, "little"), digest_size=16).hexdigest()
        result = (content, text, tuple(nested))
        self._own_memo[id(content)] = self._shared[shared_key] = result
        return text, result[2]


# --- an article's fields, one digest each, summed ----------------------------------------------
#
# An article's own digest is a sum (modulo 2**128) of digests: one of everything it held as read
# but the fields a view may leave out (``EXCLUDABLE``: its text, dates...), one for each of those,
# and one for each field (each key of a dict field such as ``metadata``) set, replaced or removed
# since it was read.  ``speed_read`` works out the as-read part where the article is read, on the
# reading workers, and keeps it with the article; a build then digests only what plugins set since
# (canonical tags, related articles, neighbours, citation), and a view subtracts the fields it
# leaves out.  A field read and then replaced counts twice (as read, and now): still a function of
# what the page can show, which is all a digest must be.  A plugin must replace what it changes,
# not change it in place (``MICROSITE_CHECK_DIGESTS=1``, set by the tests, checks that).

_MODIFIED = b"metadata\0modified"
_MODULUS = 1 << 128
_DICT_VALUE = object()  # stands for "this field is a dict" (its entries follow)
_NAMES: dict[tuple[str, str | None], bytes] = {}
_REMOVED = object()  # stands for a field or key that was read and is gone
_SENTINELS = {id(_DICT_VALUE): b"\0dict", id(_REMOVED): b"\0removed"}  # as written down among others


def _name(top: str, key: str | None) -> bytes:
    name = _NAMES.get((top, key))
    if name is None:
        name = _NAMES[top, key] = (top if key is None else f"{top}\0{key}").encode("utf-8", "surrogatepass")
    return name


def _is_keyed(value) -> bool:
    return type(value) is dict and all(type(k) is str for k in value)


def _entries_of(top: str, value):
    """(field, entry name, value) for the entries of one field: ``metadata`` key by key (a view may
    leave its ``modified`` out, and plugins change it key by key), any other field whole."""
    if top == "metadata" and _is_keyed(value):
        yield top, _name(top, None), _DICT_VALUE
        for key, item in value.items():
            yield top, _name(top, key), item
    else:
        yield top, _name(top, None), value


class _EntryDigests:
    """Digests entries one after another with one pickler; a value met twice in a row of entries
    (``tags`` is also ``metadata["tags"]``) is pickled once."""

    def __init__(self, settings: dict) -> None:
        self._buffer = io.BytesIO()
        self._found: list[Content] = []
        self._pickler = _OwnPickler(self._buffer, self._found, settings)
        self._settings = settings
        self._seen: dict[int, tuple[object, bytes, tuple[Content, ...]]] = {}

    def __call__(self, name: bytes, value: object) -> tuple[int, tuple[Content, ...]]:
        """Digest (an int) of one entry's name and value; the articles the value refers to count
        by path (and are returned)."""
        h = hashlib.blake2b(name, digest_size=16)
        nested: tuple[Content, ...] = ()
        kind = type(value)
        if kind is str:
            h.update(b"\0s")
            h.update(value.encode("utf-8", "surrogatepass"))
        elif value is None or kind is bool or kind is int:
            h.update(f"\0{value!r}".encode())
        elif value is _DICT_VALUE or value is _REMOVED:
            h.update(_SENTINELS[id(value)])
        elif isinstance(value, Content):
            h.update(f"\0C{type(value).__name__}:{value.source_path}".encode("utf-8", "surrogatepass"))
            nested = (value,)
        elif (_KINDS.get(kind) or _KINDS.setdefault(kind, _kind(kind))) is _DATE:  # without a pickler
            h.update(f"\0D{kind.__qualname__}:{value.isoformat()}:{getattr(value, 'tzinfo', None)!r}".encode())
        else:
            hit = self._seen.get(id(value))
            if hit is None or hit[0] is not value:
                hit = self._seen[id(value)] = self._encode(value)
            h.update(b"\0")
            h.update(hit[1])
            nested = hit[2]
        return int.from_bytes(h.digest(), "little"), nested

    def _encode(self, value: object) -> tuple[object, bytes, tuple[Content, ...]]:
        """(value, its stable bytes, the articles it refers to): by ``_plain_parts`` when it holds
        only the values met in late fields (lists of tags, articles, related articles, a citation),
        else by the pickler."""
        parts: list[str] = []
        found: list[Content] = []
        if _plain_parts(value, parts, found, self._settings):
            return value, "".join(parts).encode("utf-8", "surrogatepass"), tuple(found)
        self._buffer.seek(0)
        self._buffer.truncate()
        self._found.clear()
        try:
            self._pickler.dump(value)
        except Unstable:
            raise
        except Exception as exc:  # anything that does not pickle has no stable form
            raise Unstable(str(exc)) from exc
        return value, b"P" + self._buffer.getvalue(), tuple(self._found)


_PLAIN_DEPTH = 6  # deeper values go to the pickler (and a cycle cannot recurse for ever)
# An article as other articles' fields refer to it (related, neighbours): (article, article, its part),
# once per build (its source path does not change once read).
_CONTENT_PARTS: dict[int, tuple[Content, Content, str]] = {}


def _plain_parts(value: object, out: list[str], found: list[Content], settings: dict, depth: int = 0) -> bool:
    """Write ``value`` into ``out`` as unambiguous text (each part says its type, strings their
    length); False when it holds anything but strings, numbers, lists, tuples, dicts with string
    keys, articles, tags, dates and values with a ``__digest__``.

    The pickler calls ``reducer_override`` (Python) for every container and object it meets, and
    a late field (an article's tags, related articles, neighbours, citation) is mostly that:
    written here they cost half as much.  The pickler's bytes start with "P", these never do, so
    the two forms of one value never meet.
    """
    kind = type(value)
    if kind is str:
        out.append(f"s{len(value)}:")
        out.append(value)
    elif value is None or kind is bool or kind is int or kind is float:
        out.append(f"{value!r};")
    elif kind is list or kind is tuple:
        if depth >= _PLAIN_DEPTH:
            return False
        out.append("[" if kind is list else "(")
        for item in value:  # the usual items inline: strings, numbers, tags, articles
            inner = type(item)
            if inner is str:
                out.append(f"s{len(item)}:")
                out.append(item)
                continue
            if inner is float or inner is int or inner is bool or item is None:
                out.append(f"{item!r};")
                continue
            if inner is bytes:  # (entry names)
                out.append(f"b{len(item)}:")
                out.append(item.decode("latin-1"))
                continue
            hit = _WRAPPED.get(id(item))
            if hit is None or hit[0] is not item:
                hit = _CONTENT_PARTS.get(id(item))
            if hit is not None and hit[0] is item:
                out.append(hit[2])
                if type(hit[1]) is not str:  # an article: (article, itself, part)
                    found.append(item)
                continue
            if not _plain_parts(item, out, found, settings, depth + 1):
                return False
        out.append("]")
    elif kind is dict:
        if depth >= _PLAIN_DEPTH or value is settings:
            return False
        out.append("{")
        for key, item in value.items():
            if type(key) is not str:
                return False
            out.append(f"s{len(key)}:")
            out.append(key)
            if not _plain_parts(item, out, found, settings, depth + 1):
                return False
        out.append("}")
    elif kind is bytes:
        out.append(f"b{len(value)}:")
        out.append(value.decode("latin-1"))
    else:
        how = _KINDS.get(kind) or _KINDS.setdefault(kind, _kind(kind))
        if how is _WRAPPER:
            out.append(_wrapped(value)[2])
        elif how is _CONTENT:
            hit = _CONTENT_PARTS.get(id(value))
            if hit is None or hit[0] is not value:
                text = f"{kind.__name__}:{value.source_path}"
                hit = _CONTENT_PARTS[id(value)] = (value, value, f"c{len(text)}:{text}")
            out.append(hit[2])
            found.append(value)
        elif how is _STANDS:
            if depth >= _PLAIN_DEPTH:
                return False
            out.append(f"r{kind.__qualname__}<")
            if not _plain_parts(value.__digest__(), out, found, settings, depth + 1):
                return False
            out.append(">")
        elif how is _DATE:
            text = f"{kind.__qualname__}:{value.isoformat()}:{getattr(value, 'tzinfo', None)!r}"
            out.append(f"d{len(text)}:")
            out.append(text)
        elif isinstance(value, dt.tzinfo):  # an article's ``timezone``: its zone by name, as dates show it
            text = f"{kind.__qualname__}:{value!r}"
            out.append(f"z{len(text)}:")
            out.append(text)
        else:
            return False
    return True


def entry_digest(name: bytes, value: object, settings: dict) -> tuple[int, tuple[Content, ...]]:
    """Digest (an int) of one entry's name and value (see ``_EntryDigests``)."""
    return _EntryDigests(settings)(name, value)


def read_digests(fields: dict, settings: dict) -> tuple[int, dict[bytes, tuple[str, int]]] | None:
    """For ``speed_read`` to keep with an article as read: the sum of its digests, and the digests
    of the entries a view may leave out (its text, its dates...).  Everything else is digested in
    one piece (one pickle, not one per field: this runs for every article a clean build reads).
    None when a field refers to another article or has no stable form (the article is then digested
    whole at every build)."""
    digests = _EntryDigests(settings)
    total, skippable, rest = 0, {}, {}
    try:
        for top, value in fields.items():
            if top in _SKIP_ATTRS:
                continue
            if top in EXCLUDABLE:
                entries = list(_entries_of(top, value))
            elif top == "metadata" and _is_keyed(value) and "modified" in value:
                entries = [(top, _MODIFIED, value["modified"])]
                rest[top] = {k: v for k, v in value.items() if k != "modified"}
            else:
                rest[top] = value
                continue
            for _top, name, item in entries:
                digest, nested = digests(name, item)
                if nested:
                    return None
                skippable[name] = (top, digest)
                total += digest
        digest, nested = digests(b"\0as read", rest)
    except Unstable:
        return None
    return (None if nested else (total + digest, skippable))


def field_parts(content: Content) -> tuple[int, dict[bytes, tuple[str, int]], list]:
    """(sum kept from reading, its entries a view may leave out, [(field, name, digest, articles)]
    for the entries set, replaced or removed since reading).  For an article not restored from the
    store, every entry counts as set since."""
    from microsite.plugins import speed_read

    now = vars(content)
    origin = speed_read.origin(content)
    if origin is None:
        total, skippable = 0, {}
        changed = [(top, now[top], None) for top in now if top not in _SKIP_ATTRS]
    else:
        fields, frozen_items, (total, skippable) = origin
        changed = _changed(now, fields, frozen_items)
        if os.environ.get("MICROSITE_CHECK_DIGESTS") == "1":
            _check(content, fields, frozen_items, total)
    late = []
    shown: list = []  # entries no view leaves out (canonical tags, flags...): digested as one
    digests = _EntryDigests(content.settings)
    try:
        for top, value, keys in changed:
            pairs = _entries_of(top, value) if keys is None else ((top, _name(top, k), v) for k, v in keys)
            for _top, name, item in pairs:
                if top not in EXCLUDABLE and name != _MODIFIED:
                    shown += (name, _SENTINELS.get(id(item), item))
                    continue
                digest, nested = digests(name, item)
                late.append((top, name, digest, nested))
        if shown:
            digest, nested = digests(b"\0shown", shown)
            late.append(("", b"\0shown", digest, nested))
    except Unstable as exc:
        raise Unstable(f"{content.source_path}: {exc}") from exc
    return total, skippable, late


def own_views(env, contents: list[Content], summarised: bool, variants: set | None = None,
              claim=None) -> dict[tuple, list]:
    """Every article's own digest in each view, for another process: ``{variant: [(digest, indices
    in contents of the articles it refers to) or None]}``.  With ``claim`` (a function giving the
    next ``(start, stop)`` run of articles from the front, None when none is left: another process
    works from the back), for the articles it claimed: the first ones of ``contents``.

    For ``speed_write.digest_ahead``: the costly part (what plugins set since reading) runs while
    Pelican does its output bookkeeping.  The views are ``variants`` (those the last build's pages
    used), else worked out the way ``MemoWriter.prime`` does for every top-level template (a view
    no page uses costs a sum per article).
    """
    probe = Digester(env)
    if probe.context_aware:
        return {}
    if claim is None:  # all of them, in one run
        runs = [(0, len(contents))]
        claim = lambda: runs.pop() if runs else None  # noqa: E731
    if variants:
        return _views(env, contents, variants, claim)
    variants = set()
    # pages are made from the theme's top-level templates (partials live in folders; "!simple/..."
    # and "!theme/..." are Pelican's names for templates a theme extends)
    for name in env.list_templates(filter_func=lambda n: n.endswith(".html") and "/" not in n):
        try:
            inputs = probe.template(name)
        except Exception:  # a template that does not parse is reported when (if) it is used
            continue
        if inputs is not None:
            variants.add(view_variant(probe, inputs, summarised))
    return _views(env, contents, variants, claim)


def _views(env, contents: list[Content], variants: set, claim) -> dict[tuple, list]:
    index = {id(c): i for i, c in enumerate(contents)}
    shared: dict = {}
    digesters = {variant: Digester(env, *variant, shared=shared) for variant in variants}
    out: dict[tuple, list] = {variant: [] for variant in variants}
    while (run := claim()) is not None:
        for variant, digester in digesters.items():
            rows = out[variant]
            for content in contents[run[0]:run[1]]:
                own = digester.own_digest(content)
                rows.append(None if own is None else (own[0], tuple(index.get(id(n), -1) for n in own[1])))
    return out


def view_variant(digester: Digester, inputs: TemplateInputs, summarised: bool) -> tuple[frozenset[str], bool]:
    """``Digester.variant``, and no summary reading the text when every article has its own."""
    variant = digester.variant(inputs)
    if variant[1] and "_content" in variant[0] and summarised:
        variant = (variant[0], False)
    return variant


def take_own_views(digesters: dict, contents: list[Content], views: dict[tuple, list]) -> None:
    """Give ``own_views`` worked out elsewhere (for the first articles of ``contents``) to the
    digesters (by variant) that need them."""
    for variant, rows in views.items():
        digester = digesters.get(variant)
        if digester is None:
            continue
        for content, row in zip(contents[:len(rows)], rows, strict=True):
            if row is not None and -1 not in row[1]:
                digester.prime(content, row[0], tuple(contents[i] for i in row[1]))


def _changed(now: dict, fields: dict, frozen_items: dict) -> list[tuple[str, object, list | None]]:
    """The fields set or replaced since reading: (field, value, None for the whole field, or the
    [(key, value)] of a dict field's keys set, replaced or removed).

    An article restored from the store holds its fields in the order read, and what plugins set
    comes after: the values are compared by identity in one pass in C, and only the containers
    (which may have changed in place) are looked into one by one."""
    keys, count = list(now), len(fields)
    if keys[:count] != list(fields):  # a field was removed (or removed and set again)
        return _changed_by_field(now, fields, frozen_items)
    values = list(now.values())
    out = [(keys[i], values[i], None) for i in compress(range(count), map(is_not, values, fields.values()))
           if keys[i] not in _SKIP_ATTRS]  # replaced: what was read stays in the sum, what it holds now is added
    out += [(top, now[top], None) for top in keys[count:] if top not in _SKIP_ATTRS]  # set since
    for top, items in frozen_items.items():
        if top not in _SKIP_ATTRS and now[top] is fields[top]:
            found = _changed_items(now[top], items)
            if found is not _UNCHANGED:
                out.append((top, now[top], found))
    return out


_UNCHANGED = object()


def _changed_items(value, items: dict | tuple):
    """For a container field still holding the object read: what changed in place (a dict's keys,
    [(key, value)]; None for a list, set or tuple holding other items: the whole field), else
    ``_UNCHANGED``."""
    if type(items) is dict:  # a dict field: key by key
        keys = [(k, v) for k, v in value.items() if items.get(k, _REMOVED) is not v]
        keys += [(k, _REMOVED) for k in items.keys() - value.keys()]
        return keys or _UNCHANGED
    return _UNCHANGED if _same_items(value, items) else None


def _changed_by_field(now: dict, fields: dict, frozen_items: dict) -> list[tuple[str, object, list | None]]:
    """``_changed`` field by field (fields removed, or set again in another order)."""
    out = []
    for top, value in now.items():
        if top in _SKIP_ATTRS:
            continue
        if value is not fields.get(top, _REMOVED):
            out.append((top, value, None))
            continue
        items = frozen_items.get(top)
        found = _UNCHANGED if items is None else _changed_items(value, items)
        if found is not _UNCHANGED:
            out.append((top, value, found))
    out += [(top, _REMOVED, None) for top in fields.keys() - now.keys() if top not in _SKIP_ATTRS]
    return out


_SEQUENCES = (list, tuple, set, frozenset)


def frozen(fields: dict) -> dict[str, dict | tuple]:
    """Shallow copies of an article's container fields as restored, for telling later which were
    changed in place.  One level deep: a list inside ``metadata`` is also a field of its own
    (Pelican sets ``article.tags = metadata["tags"]``), where a change in place is seen."""
    return {k: (dict(v) if type(v) is dict else tuple(v)) for k, v in fields.items()
            if type(v) is dict or type(v) in _SEQUENCES}


def _same_items(value, items: tuple) -> bool:
    """Whether a list or set still holds the very items it held when restored."""
    return type(value) in _SEQUENCES and len(value) == len(items) and all(map(is_, value, items))


def _check(content: Content, fields: dict, frozen_items: dict, total: int) -> None:
    """``MICROSITE_CHECK_DIGESTS=1``: fail when what was read was changed in place since (deeper than
    ``_changed`` sees), which would leave a page stale."""
    was: dict = {}
    for top, value in fields.items():  # a container may have been changed in place: what it held
        items = frozen_items.get(top)
        was[top] = value if items is None or type(items) is dict else type(value)(items)
    held = {id(fields[top]): was[top] for top in frozen_items if type(frozen_items[top]) is not dict}
    for top, items in frozen_items.items():  # a dict's lists are mostly fields too (``metadata["tags"]``)
        if type(items) is dict:
            was[top] = {k: held.get(id(v), v) for k, v in items.items()}
    again = read_digests(was, content.settings)
    if again is None or again[0] != total:
        raise RuntimeError(f"{content.source_path}: a field was changed in place after reading; a plugin "
                           "must replace a value it changes (see speed_digest)")


_PLAIN, _CONTENT, _WRAPPER, _CODE, _RECORD, _TEXT, _TUPLE, _DATE, _STANDS = (
    "plain", "content", "wrapper", "code", "record", "text", "tuple", "date", "stands")
_KINDS: dict[type, str] = {}
_WRAPPED: dict[int, tuple[URLWrapper, str, str]] = {}  # a tag is shared by many articles: its text once


def _wrapped(obj: URLWrapper) -> tuple[URLWrapper, str, str]:
    """(tag, its text for the pickler, its part for ``_plain_parts``), once per tag object."""
    hit = _WRAPPED.get(id(obj))
    if hit is None or hit[0] is not obj:
        text = f"{type(obj).__name__}:{obj.name}:{obj.slug}"
        hit = _WRAPPED[id(obj)] = (obj, text, f"w{len(text)}:{text}")
    return hit


def _kind(cls: type) -> str:
    if issubclass(cls, Content):
        return _CONTENT
    if issubclass(cls, URLWrapper):
        return _WRAPPER
    if issubclass(cls, (types.FunctionType, types.BuiltinFunctionType, types.ModuleType)):
        return _CODE
    if callable(getattr(cls, "__digest__", None)):
        return _STANDS
    if issubclass(cls, (dt.date, dt.time)):
        return _DATE
    # Records are pickled as their class name and fields, without copyreg's slower generic path
    # (a dataclass with its own ``__reduce__``, ``__getstate__`` or slots keeps Python's way).
    plain = all(getattr(cls, name, None) is getattr(object, name, None)
                for name in ("__reduce__", "__reduce_ex__", "__getstate__"))
    if dataclasses.is_dataclass(cls) and plain and not hasattr(cls, "__slots__"):
        return _RECORD
    if issubclass(cls, str) and cls is not str:  # Markup: its class and text
        return _TEXT
    if issubclass(cls, tuple) and cls is not tuple and hasattr(cls, "_fields"):  # a namedtuple
        return _TUPLE
    return _PLAIN


def reset() -> None:
    """Start of a build: forget the texts of the last build's tags and articles."""
    _WRAPPED.clear()
    _CONTENT_PARTS.clear()


def _record(*args):  # stands for a record's class in a digest; never called (nothing is unpickled)
    raise NotImplementedError


class _OwnPickler(pickle.Pickler):
    """Pickles an article's own fields as its digest input: fast (C), and every byte is a stable value.

    Other articles become their source path (their own fields are digested
    separately, one level deep), tags and categories their class, name and
    slug, sets of plain values their sorted items; the settings are digested
    once per build.  Whatever else would pickle unstably (objects compared by
    identity) pickles by value or fails, and a failure makes the page
    always rendered.  A digest that differs when nothing changed only costs a
    render; one that stays equal when something changed cannot happen, since
    every value is pickled.
    """

    def __init__(self, file, nested: list, settings: dict) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._nested, self._settings = nested, settings
        self.fast = True  # no memo: how objects are shared (a fresh read or the cache) must not show

    def reducer_override(self, obj):
        # Called for everything but plain str/int/float/bytes/list/tuple/dict/set instances (those pickle
        # by value; set order is stable because ``microsite.build`` fixes PYTHONHASHSEED).  What to do
        # depends on the type only (but for the settings dict): decided once per type.
        kind = _KINDS.get(type(obj))
        if kind is None:
            kind = _KINDS[type(obj)] = _kind(type(obj))
        if kind is _PLAIN:
            return NotImplemented if obj is not self._settings else (str, ("settings",))
        if kind is _CONTENT:
            self._nested.append(obj)
            return str, (f"{type(obj).__name__}:{obj.source_path}",)
        if kind is _WRAPPER:
            return str, (_wrapped(obj)[1],)
        if kind is _DATE:  # the instant and the zone's name (``%Z``) and offset
            return _record, (type(obj).__qualname__, obj.isoformat(), repr(getattr(obj, "tzinfo", None)))
        if kind is _STANDS:  # a value that says what stands for all its fields
            return _record, (type(obj).__qualname__, obj.__digest__())
        if kind is _RECORD:
            return _record, (type(obj).__qualname__, obj.__dict__)
        if kind is _TEXT:
            return _record, (type(obj).__qualname__, str.__str__(obj))
        if kind is _TUPLE:
            return _record, (type(obj).__qualname__, tuple(obj))
        return str, (f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', obj.__name__)}",)


def _links_elsewhere(content: Content) -> bool:
    """Whether the text links to other content (its HTML then depends on the whole site); once per article."""
    from microsite.plugins.speed_memo import links_elsewhere

    return links_elsewhere(content)


def _sha(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
