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
import pickle
import re
import types

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
        ast = self.env.parse(source)
        names = set(meta.find_undeclared_variables(ast))
        parts = [name, _sha(source)]
        attrs, opaque = _attributes(ast), False
        refs = list(meta.find_referenced_templates(ast))
        for node in ast.find_all((nodes.Filter, nodes.Test)):
            table = self.env.filters if isinstance(node, nodes.Filter) else self.env.tests
            func = table.get(node.name)
            module = getattr(func, "__module__", None) or ""
            if func is None or module.startswith("jinja2.") or module in _VALUE_MODULES:
                continue
            reads = getattr(func, "digest_reads", _PELICAN_READS.get(node.name))
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
        if value is None or isinstance(value, (bool, int, float)):
            return repr(value)
        if isinstance(value, str):
            return value if len(value) < 256 else "#" + _sha(value)
        if isinstance(value, (dt.date, dt.time, dt.timedelta, dt.tzinfo)):
            return repr(value)
        if isinstance(value, Content):
            return self._content(value, depth)
        if isinstance(value, URLWrapper):
            return f"{type(value).__name__}:{value.name}:{value.slug}"
        if isinstance(value, (list, tuple, set, frozenset, dict)):
            return self._collection(value, depth)
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
        skip = _SKIP_ATTRS | self.excluded
        if "_content" in self.excluded and self.summary_reads_content and "summary" not in content.metadata:
            skip -= {"_content"}  # Pelican's summary is cut from the text
        return frozenset(skip)

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
        nested: list[Content] = []
        meta = getattr(content, "metadata", None) or {}
        # A field that is its metadata value (the same object) is pickled once, in ``metadata``.
        fields = {k: v for k, v in vars(content).items() if k not in skip and not (k in meta and meta[k] is v)}
        if "modified" in self.excluded and "modified" in fields.get("metadata", {}):
            fields["metadata"] = {k: v for k, v in fields["metadata"].items() if k != "modified"}
        buffer = io.BytesIO()
        try:
            _OwnPickler(buffer, nested, content.settings).dump((type(content).__qualname__, content.source_path, fields))
        except Unstable:
            raise
        except Exception as exc:  # anything that does not pickle has no stable form
            raise Unstable(f"{content.source_path}: {exc}") from exc
        text = hashlib.blake2b(buffer.getbuffer(), digest_size=16).hexdigest()
        nested = tuple(nested)
        self._own_memo[id(content)] = self._shared[shared_key] = (content, text, nested)
        return text, nested


_PLAIN, _CONTENT, _WRAPPER, _CODE = "plain", "content", "wrapper", "code"
_KINDS: dict[type, str] = {}


def _kind(cls: type) -> str:
    if issubclass(cls, Content):
        return _CONTENT
    if issubclass(cls, URLWrapper):
        return _WRAPPER
    if issubclass(cls, (types.FunctionType, types.BuiltinFunctionType, types.ModuleType)):
        return _CODE
    return _PLAIN


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
            return str, (f"{type(obj).__name__}:{obj.name}:{obj.slug}",)
        return str, (f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', obj.__name__)}",)


def _links_elsewhere(content: Content) -> bool:
    """Whether the text links to other content (its HTML then depends on the whole site); once per article."""
    from microsite.plugins.speed_memo import links_elsewhere

    return links_elsewhere(content)


def _sha(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
