"""The theme's memoised fragments print exactly what rendering them in place prints.

``microsite.theme_filters`` renders repeated pieces of pages (header, footer,
listing entries, date lines, tag lists, related links) once and reuses
them, some with a marker in place of ``SITEURL``.  These tests pin the
rules that keep every page byte-identical: a fragment is given every name
its template uses, the marker is only used where ``SITEURL`` is only
printed, equal environments share a memo and different ones do not, the
memoised string filters equal Jinja's and Pelican's, and a whole site built
with the memo equals the site built with every fragment rendered in place.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from jinja2 import DictLoader, Environment, FileSystemLoader, meta, nodes
from jinja2.filters import do_striptags
from markupsafe import Markup
from pelican.utils import SafeDatetime
from pelican.utils import strftime as pelican_strftime

from microsite import theme_filters as tf
from microsite.bench.corpus import Spec, write_corpus
from microsite.normalise.sanitize import safe_url as sanitize_safe_url
from microsite.plugins import timeline
from microsite.plugins.speed_digest import Digester

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "theme" / "templates"
OPTIONS = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True}


def theme_env(path: Path = TEMPLATES) -> Environment:
    env = Environment(loader=FileSystemLoader(str(path)), **OPTIONS)
    env.filters.update(tf.FILTERS)
    env.filters.update({"coverage_chart": timeline.coverage_chart, "date_span": timeline.date_span})
    return env


def used_names(env: Environment, name: str, seen: set[str] | None = None) -> set[str]:
    """Context names template ``name`` and the templates it includes (or renders through fragments) read."""
    seen = seen if seen is not None else set()
    seen.add(name)
    ast = env.parse(env.loader.get_source(env, name)[0])
    names = set(meta.find_undeclared_variables(ast))
    refs = list(meta.find_referenced_templates(ast))
    refs += [t for f in ast.find_all(nodes.Filter) for t in getattr(env.filters.get(f.name), "digest_templates", ())]
    for ref in refs:
        assert ref is not None, f"{name} includes a template named at render time"
        if ref not in seen:
            names |= used_names(env, ref, seen)
    return names


def test_every_fragment_is_given_every_name_its_template_uses():
    env = theme_env()
    for filter_name, fragment in tf.FRAGMENTS.items():
        template = fragment.digest_templates[0]
        names = used_names(env, template)
        per_article = getattr(fragment, "marks_siteurl", False)
        given = {"article", "SITEURL"} if per_article else {"SITEURL", *fragment.params}
        assert names <= given, f"{filter_name} ({template}) reads {sorted(names - given)} it is not given"


def test_every_call_of_a_site_fragment_passes_its_names():
    env = theme_env()
    calls = 0
    for name in env.list_templates():
        ast = env.parse(env.loader.get_source(env, name)[0])
        for node in ast.find_all(nodes.Filter):
            fragment = tf.FRAGMENTS.get(node.name)
            if fragment is None or getattr(fragment, "marks_siteurl", False):
                continue
            calls += 1
            assert isinstance(node.node, nodes.Name) and node.node.name == "SITEURL", f"{name}: {node.name}"
            assert sorted(k.key for k in node.kwargs) == sorted(fragment.params), f"{name}: {node.name}"
    assert calls >= 4


def fragment_env(templates: dict[str, str]) -> Environment:
    env = Environment(loader=DictLoader(templates), **OPTIONS)
    env.filters.update(tf.FILTERS)
    return env


def test_marker_is_used_only_where_siteurl_is_only_printed():
    env = fragment_env({
        "printed": '<a href="{{ SITEURL }}/{{ article.url }}">{{ article.title }}</a>',
        "nested": '{{ article|article_meta(SITEURL) }}<b>{{ SITEURL }}</b>{% include "printed" %}',
        "tested": "{% if SITEURL %}{{ SITEURL }}{% endif %}",
        "filtered": "{{ SITEURL|upper }}",
        "joined": "{{ SITEURL ~ '/x' }}",
        "assigned": "{% set SITEURL = 'x' %}{{ SITEURL }}",
        "includes_tested": '{{ SITEURL }}{% include "tested" %}',
        "computed_include": "{% include article.template %}",
        "partials/article_meta.html": "<p>{{ SITEURL }}/{{ article.url }}</p>",
    })
    verdicts = {name: tf._check_prints_only(env, name, "SITEURL", set()) for name in env.list_templates()}
    assert verdicts == {
        "printed": True, "nested": True, "partials/article_meta.html": True,
        "tested": False, "filtered": False, "joined": False, "assigned": False, "includes_tested": False,
        "computed_include": False,
    }


@pytest.mark.parametrize("siteurl", ["", ".", "..", "../..", "a&b<c>'\"", "https://example.org/site"])
def test_a_marked_fragment_prints_what_rendering_it_in_place_prints(siteurl):
    entry = (
        '<li>{{ article|article_meta(SITEURL) }}<a href="{{ SITEURL }}/{{ article.url }}">{{ article.title }}</a>'
        "{% if article.summary %}<p>{{ article.summary|striptags }}</p>{% endif %}{{ article|tag_list(SITEURL) }}</li>\n"
    )
    templates = {
        "partials/article_entry.html": entry,
        "partials/article_meta.html": '<p class="meta">{{ SITEURL }}/{{ article.source }}</p>',
        "partials/tag_list.html": "{% for t in article.tags %}<a href=\"{{ SITEURL }}/{{ t }}\">{{ t }}</a>{% endfor %}",
    }
    env = fragment_env(templates)
    plain = Environment(loader=DictLoader(templates), **OPTIONS)
    plain.filters.update(tf.FILTERS)
    article = SimpleNamespace(url="a&b.html", title="<T> & 'q'", summary="<b>S</b> &amp; s", source="Src",
                              tags=["x&y", "z"])
    for _ in range(2):  # the second time from the memo
        got = tf.list_entry(env, article, siteurl)
        tf.MEMO = False
        try:
            want = tf.list_entry(plain, article, siteurl)
        finally:
            tf.MEMO = True
        assert got == want
        assert "<!--SITEURL" not in got


def test_site_fragments_key_on_every_value_and_leave_undefined_names_undefined():
    env = fragment_env({"part": "{{ SITEURL }}|{{ A }}|{% if B is defined %}B={{ B }}{% else %}no B{% endif %}|"
                                "{% for p in P %}{{ p.title }}{% endfor %}"})
    part = tf._site_part("part", "part", "test", ("A", "B", "P"))
    pages = [SimpleNamespace(title="one")]
    assert part(env, "..", A="a", B=env.undefined(name="B"), P=pages) == "..|a|no B|one"
    assert part(env, ".", A="a", B=1, P=pages) == ".|a|B=1|one"
    assert part(env, ".", A=Markup("<i>"), B=True, P=pages) == ".|<i>|B=True|one"
    assert part(env, ".", A="<i>", B=True, P=pages) == ".|&lt;i&gt;|B=True|one"
    assert part(env, ".", A="a", B=1, P=[SimpleNamespace(title="two")]) == ".|a|B=1|two"
    with pytest.raises(TypeError):
        part(env, ".", A="a", P=pages)


def test_alike_environments_share_a_memo_and_others_do_not(tmp_path):
    theme = tmp_path / "templates"
    shutil.copytree(TEMPLATES, theme)
    first, second = theme_env(theme), theme_env(theme)
    assert tf._store(first) is tf._store(second)
    other_filters = theme_env(theme)
    other_filters.filters["extra"] = lambda value: value
    assert tf._store(other_filters) is not tf._store(first)
    other_options = Environment(loader=FileSystemLoader(str(theme)), trim_blocks=True, autoescape=True)
    other_options.filters.update(first.filters)
    assert tf._store(other_options) is not tf._store(first)
    (theme / "partials" / "site_footer.html").write_text("changed\n", "utf-8")
    edited = theme_env(theme)  # the theme changed between two builds in one process
    assert tf._store(edited) is not tf._store(first)


def test_a_changed_fragment_template_changes_the_digest_of_the_pages_using_it(tmp_path):
    theme = tmp_path / "templates"
    shutil.copytree(TEMPLATES, theme)
    before = {name: Digester(theme_env(theme)).template(name) for name in ("article.html", "tag.html")}
    (theme / "partials" / "tag_list.html").write_text("{{ article.title }}\n", "utf-8")
    after = {name: Digester(theme_env(theme)).template(name) for name in ("article.html", "tag.html")}
    for name in before:
        assert before[name] is not None and after[name] is not None
        assert before[name].digest != after[name].digest, name
    assert "SITESUBTITLE" in before["article.html"].names  # read only inside site_banner.html


def test_datefmt_formats_as_pelican_does():
    rnd = random.Random(5)
    formats = [
        "%-d %B %Y, %H:%M %z", "%-d %b %Y", "%Y-%m-%d", "%B %Y", "%-m/%-d/%y", "100%% %Y", "%e %k %s", "%-e", "%:z",
        "é %Y à %B", "%-%", "%%-d", "plain", "", "%Y-%", "%a %A %c %x %X %p %I %j %U %W %w %G %V %u %Z %f %%",
        "%-H:%-M:%-S %-j", "\t%Y\n", "%-é",
    ]
    zones = [None, dt.UTC, dt.timezone(dt.timedelta(hours=3)), dt.timezone(dt.timedelta(hours=-5, minutes=-30))]
    for _ in range(300):
        when = SafeDatetime(rnd.randint(1, 2100), rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23),
                            rnd.randint(0, 59), rnd.randint(0, 59), rnd.choice([0, 123]), tzinfo=rnd.choice(zones))
        for value in (when, dt.datetime(when.year, when.month, when.day, when.hour, tzinfo=when.tzinfo), when.date()):
            for fmt in formats:
                try:
                    want = pelican_strftime(value, fmt)
                except ValueError as exc:
                    with pytest.raises(type(exc)):
                        tf.datefmt(value, fmt)
                    continue
                assert tf.datefmt(value, fmt) == want, (value, fmt)


def test_memoised_string_filters_equal_the_originals():
    texts = ["<b>Bold</b> &amp;  spaced\n text", "plain", "", "a <!-- c --> b", "x &lt;y&gt;"]
    for text in texts + [Markup(t) for t in texts]:
        for _ in range(2):
            got = tf.striptags(text)
            assert got == do_striptags(text) and type(got) is type(do_striptags(text))
    for url in ["https://example.org/a b", " https://example.org/x ", "javascript:alert(1)", "http://a/<", "", None,
                Markup(" https://example.org/m "), 3]:
        for _ in range(2):
            got = tf.safe_url(url)
            assert got == sanitize_safe_url(url) and type(got) is type(sanitize_safe_url(url))


def build(content: Path, output: Path, memo: bool) -> dict[str, bytes]:
    env = dict(os.environ, MICROSITE_FRAGMENT_MEMO="1" if memo else "0")
    code = ("import sys; from pathlib import Path; from microsite.build import build_site; "
            "build_site(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), strict=True, fresh=True)")
    subprocess.run([sys.executable, "-c", code, str(content), str(output), str(ROOT / "pelicanconf.py")],
                   check=True, env=env, cwd=ROOT)
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*.html"))}


def test_a_site_built_with_the_memo_equals_one_rendered_in_place(tmp_path):
    content = tmp_path / "content"
    write_corpus(content, Spec(40, seed=3))
    memoised = build(content, tmp_path / "memo", memo=True)
    in_place = build(content, tmp_path / "plain", memo=False)
    assert len(memoised) > 60 and sorted(memoised) == sorted(in_place)
    differing = [name for name in memoised if memoised[name] != in_place[name]]
    assert not differing, f"{len(differing)} pages differ, e.g. {differing[:5]}"
    assert not any(b"<!--SITEURL" in page for page in memoised.values())
