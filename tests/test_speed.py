"""The speed plugin changes how fast the site is built, never what is built.

* with it, the site equals the one stock Pelican's generator and writer build
  (articles read on two processes, taxonomy pages without the quadratic scan);
* a reader warning raised in a worker process still fails a strict build;
* months whose articles are not consecutive in time order (mixed UTC offsets)
  get one archive page each, where stock Pelican stops with an error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import tree

from microsite.bench.corpus import Spec, write_corpus
from microsite.build import BuildError, build_site

ROOT = Path(__file__).resolve().parent.parent
N = 70  # enough for the parallel read (64 files and up)


def settings_without_speed(folder: Path) -> Path:
    """Our settings with the speed plugin taken out and the output wiped, as stock Pelican builds."""
    path = folder / "stockconf.py"
    path.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *  # noqa: F403\n"
        "PLUGINS = [p for p in PLUGINS if p != 'microsite.plugins.speed']  # noqa: F405\n"
        "DELETE_OUTPUT_DIRECTORY = True\nCACHE_CONTENT = False\nLOAD_CONTENT_CACHE = False\n",
        "utf-8",
    )
    return path


def test_same_site_as_stock_generator_and_writer(tmp_path):
    content = tmp_path / "content"
    write_corpus(content, Spec(N, seed=3))
    ours = tmp_path / "ours"
    build_site(content, ours, ROOT / "pelicanconf.py", strict=True, fresh=True, extra={"SPEED_WORKERS": "2"})
    stock = tmp_path / "stock"
    build_site(content, stock, settings_without_speed(tmp_path), strict=True, fresh=True)
    got, want = tree(ours), tree(stock)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []
    assert len([n for n in got if n.startswith("articles/") and n.endswith(".html")]) == N


def test_warning_in_a_worker_fails_a_strict_build(tmp_path, capfd, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one log record, one line
    content = tmp_path / "content"
    write_corpus(content, Spec(N, seed=4))
    bad = content / "articles" / "zz-unsafe.md"
    bad.write_text("---\ntitle: Unsafe\ndate: 2024-01-01\nsave_as: ../../outside.html\n---\n\nBody.\n", "utf-8")
    with pytest.raises(BuildError):
        build_site(content, tmp_path / "out", ROOT / "pelicanconf.py", strict=True, extra={"SPEED_WORKERS": "2"})
    captured = capfd.readouterr()
    assert "zz-unsafe.md: ignored save_as" in captured.out + captured.err
    assert not (tmp_path / "outside.html").exists()


def test_month_archives_with_mixed_utc_offsets(tmp_path):
    articles = tmp_path / "content" / "articles"
    articles.mkdir(parents=True)
    dates = {  # newest first by instant: May, June, May (the June one is 22:00 UTC on 31 May)
        "late-may": "2022-05-31T23:00:00+00:00",
        "early-june": "2022-06-01T01:00:00+03:00",
        "mid-may": "2022-05-15T12:00:00+00:00",
    }
    for slug, date in dates.items():
        (articles / f"{slug}.md").write_text(f"---\ntitle: {slug}\ndate: '{date}'\nslug: {slug}\n---\n\nText.\n", "utf-8")
    out = tmp_path / "out"
    build_site(tmp_path / "content", out, ROOT / "pelicanconf.py", strict=True)
    may = (out / "archives" / "2022-05.html").read_text("utf-8")
    june = (out / "archives" / "2022-06.html").read_text("utf-8")
    assert "late-may" in may and "mid-may" in may and "early-june" not in may
    assert "early-june" in june and "late-may" not in june and "mid-may" not in june


MUTATOR = '''
import os
from pelican import signals
from pelican.urlwrappers import Author, Tag


def mutate(generator):
    if os.environ.get("MUTATE_TAG"):  # gives half the articles one more tag, once the tags are final
        for n, article in enumerate(sorted(generator.articles, key=lambda a: a.source_path)[::2]):
            tag = Tag(os.environ["MUTATE_TAG"], article.settings)
            if (n % 2 or os.environ.get("MUTATE_IN_PLACE")) and getattr(article, "tags", None):
                article.tags.append(tag)  # in place
            else:
                article.tags = [*getattr(article, "tags", []), tag]
        return
    for article in generator.articles:
        if os.environ.get("MUTATE_TITLE"):  # replaces a field search shows, once the tags are final
            article.title = article.title + " " + os.environ["MUTATE_TITLE"]
            continue
        if os.environ.get("MUTATE_DEEP"):  # changes an object read from the file, two levels down
            for author in getattr(article, "authors", []):
                author.name += " Jr"
        elif getattr(article, "authors", None):  # adds to a list read from the file, in place
            article.authors.append(Author(os.environ["MUTATE_AUTHOR"], article.settings))


def register():
    signals.article_generator_finalized.connect(mutate)
'''


def settings_with_mutator(folder: Path, first: bool = False) -> Path:
    """Our settings plus a plugin (``mutator``, importable from ``folder``) that changes what articles
    read; ``first``: its receivers run before ours."""
    (folder / "mutator.py").write_text(MUTATOR, "utf-8")
    path = folder / "mutatorconf.py"
    plugins = "['mutator'] + PLUGINS" if first else "PLUGINS + ['mutator']"
    path.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nsys.path.insert(0, {str(folder)!r})\n"
        f"from pelicanconf import *  # noqa: F403\nPLUGINS = {plugins}  # noqa: F405\n",
        "utf-8",
    )
    return path


def test_a_list_changed_in_place_after_reading_re_renders_its_pages(tmp_path, monkeypatch):
    """Page digests kept from reading (``speed_digest``) see a list a plugin changed in place."""
    content = tmp_path / "content"
    write_corpus(content, Spec(30, seed=5))
    settings = settings_with_mutator(tmp_path)
    monkeypatch.setenv("MICROSITE_CHECK_DIGESTS", "1")
    monkeypatch.setenv("MUTATE_AUTHOR", "Alpha Writer")
    output = tmp_path / "out"
    build_site(content, output, settings, strict=True)
    assert "Alpha Writer" in "".join(p.read_text("utf-8") for p in (output / "articles").glob("*.html"))
    monkeypatch.setenv("MUTATE_AUTHOR", "Beta Writer")  # read by a plugin outside the project: caches stay
    built = build_site(content, output, settings, strict=True, force=True)
    clean = tmp_path / "clean"
    build_site(content, clean, settings, strict=True, fresh=True)
    # the pages; exports and feeds are memoised per source file (``speed_memo``), which assumes what
    # plugins add depends on the file alone: this plugin reads the environment instead
    got, want = tree(output), tree(clean)
    assert [name for name in want if name.endswith(".html") and got.get(name) != want[name]] == []
    assert "Beta Writer" in "".join(p.read_text("utf-8") for p in (output / "articles").glob("*.html"))
    stats = json.loads((built.cache / "microsite-last-build.json").read_text("utf-8"))
    assert stats["articles"]["restored"] == 30 and stats["rendered"] > 0, stats  # digests kept from reading


def test_an_object_changed_in_place_two_levels_down_fails_the_digest_check(tmp_path, monkeypatch, capfd):
    """What ``speed_digest`` cannot see (an author renamed in place) fails the build under the check."""
    content = tmp_path / "content"
    write_corpus(content, Spec(30, seed=5))
    settings = settings_with_mutator(tmp_path)
    monkeypatch.setenv("MICROSITE_CHECK_DIGESTS", "1")
    monkeypatch.setenv("MUTATE_DEEP", "1")
    monkeypatch.setenv("MUTATE_AUTHOR", "Alpha Writer")
    with pytest.raises(BuildError):
        build_site(content, tmp_path / "out", settings)
    captured = capfd.readouterr()
    assert "was changed in place after reading" in captured.out + captured.err


def test_linear_process_translations_gives_pelican_s_lists_and_warnings(caplog):
    """``speed_generator.process_translations`` (linear) returns what Pelican's (N squared) does."""
    from pelican.contents import Article
    from pelican.log import LimitFilter
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import SafeDatetime
    from pelican.utils import process_translations as stock

    from microsite.plugins.speed_generator import process_translations as ours

    settings = dict(DEFAULT_CONFIG, DEFAULT_LANG="en")

    def articles() -> list:
        made = []
        cases = [  # (slug, lang, translation flag): originals, translations, clashes, all-translations
            ("a", "en", None), ("a", "ru", None), ("b", "ru", None), ("c", "en", None), ("c", "en", None),
            ("d", "ru", "true"), ("d", "en", "true"), ("e", "en", "true"), ("e", "ru", None), ("f", "de", None),
        ]
        for i, (slug, lang, flag) in enumerate(cases):
            meta = {"title": f"{slug} {lang}", "slug": slug, "lang": lang, "date": SafeDatetime(2024, 1, 1 + i)}
            if flag:
                meta["translation"] = flag
            made.append(Article("<p>x</p>", metadata=meta, settings=settings, source_path=f"/c/{i}-{slug}.md"))
        return made

    def run(func) -> tuple[list, list, dict, list]:
        caplog.clear()
        LimitFilter._raised_messages.clear()  # Pelican drops a warning it has logged before
        LimitFilter._ignore.clear()
        items = articles()
        index, translations = func(items, "slug")
        links = {a.source_path: sorted(t.source_path for t in a.translations) for a in items}
        return ([a.source_path for a in index], [a.source_path for a in translations], links,
                [r.getMessage() for r in caplog.records])

    want, got = run(stock), run(ours)
    assert got == want
    assert want[3], "the cases should make Pelican warn (clashing and all-translation groups)"


def test_template_analyses_are_kept_and_follow_edits(tmp_path, monkeypatch):
    """What a template reads is parsed once per version of its text, and kept for the next build:
    a kept analysis is used without parsing; an edited template (or one it extends) is parsed again."""
    from jinja2 import DictLoader, Environment

    from microsite.plugins import speed_digest

    sources = {"base.html": "<title>{{ SITENAME }}</title>{% block body %}{% endblock %}",
               "page.html": '{% extends "base.html" %}{% block body %}{{ article.title }}{% endblock %}'}
    env = Environment(loader=DictLoader(sources))
    first = speed_digest.Digester(env).template("page.html")
    assert {"SITENAME", "article"} <= first.names and "title" in first.attrs
    kept = tmp_path / "templates.pickle"
    speed_digest.save_templates(kept)

    monkeypatch.setattr(speed_digest, "_TEMPLATES", {})  # a new build: nothing parsed in this process
    speed_digest.load_templates(kept)
    monkeypatch.setattr(env, "parse", lambda *a, **k: pytest.fail("a kept template was parsed again"))
    assert speed_digest.Digester(env).template("page.html") == first

    monkeypatch.undo()
    sources["base.html"] = "<title>{{ SITENAME }} {{ SITESUBTITLE }}</title>{% block body %}{% endblock %}"
    edited = speed_digest.Digester(env).template("page.html")
    assert "SITESUBTITLE" in edited.names and edited.digest != first.digest


def test_content_written_reaches_receivers_connected_any_way():
    """The writer sends ``content_written`` for every page without blinker's per-send copying, to
    the same receivers: ones connected later, and ones waiting for one sender only."""
    from blinker import NamedSignal

    from microsite.plugins.speed_write import _plain_send, _quick_send

    signal, calls = NamedSignal("test-written"), []

    def first(sender, **kwargs):
        calls.append(("first", sender, kwargs["context"]))

    def later(sender, **kwargs):
        calls.append(("later", sender, kwargs["context"]))

    def only_b(sender, **kwargs):
        calls.append(("only_b", sender, kwargs["context"]))

    signal.connect(first)
    _quick_send(signal)
    signal.send("a.html", context=1)
    signal.connect(later)
    signal.send("a.html", context=2)
    signal.connect(only_b, sender="b.html")
    signal.send("a.html", context=3)
    signal.send("b.html", context=4)
    _plain_send(signal)
    assert "send" not in vars(signal)
    assert sorted(calls, key=repr) == sorted([
        ("first", "a.html", 1), ("first", "a.html", 2), ("later", "a.html", 2), ("first", "a.html", 3),
        ("later", "a.html", 3), ("first", "b.html", 4), ("later", "b.html", 4), ("only_b", "b.html", 4),
    ], key=repr)


@pytest.mark.parametrize("field, env", [
    ("title", {"MUTATE_TITLE": "{}word"}),  # replaced
    ("tags", {"MUTATE_TAG": "{}tag", "MUTATE_IN_PLACE": "1"}),  # the same list, changed in place
])
def test_a_field_search_shows_changed_after_the_index_started_is_indexed(tmp_path, monkeypatch, field, env):
    """A rebuild's search index starts once the tags are final (``search.start``); a plugin that
    changes a title or tags later stops it, and the index is made again from the articles as they end up."""
    content = tmp_path / "content"
    write_corpus(content, Spec(30, seed=5))
    settings = settings_with_mutator(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value.format("Alpha"))
    output = tmp_path / "out"
    build_site(content, output, settings, strict=True)
    for name, value in env.items():  # read by a plugin outside the project: caches stay
        monkeypatch.setenv(name, value.format("Beta"))
    assert build_site(content, output, settings, strict=True, force=True).ran
    clean = tmp_path / "clean"
    build_site(content, clean, settings, strict=True, fresh=True)
    got, want = tree(output / "search"), tree(clean / "search")
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []
    assert b"Beta" in got["meta.js"] + b"".join(v for k, v in got.items() if k.startswith("d/"))


def test_tags_a_plugin_changes_after_related_articles_started_are_used(tmp_path, monkeypatch):
    """Related articles start in another process once the tags are final (``related.start``); a
    plugin that changes tags later stops it, and they are worked out from the tags as they end up,
    as a build on one core does."""
    content = tmp_path / "content"
    write_corpus(content, Spec(30, seed=5))
    settings = settings_with_mutator(tmp_path, first=True)
    monkeypatch.setenv("MUTATE_TAG", "Zzmutated")
    both, one = tmp_path / "both", tmp_path / "one"
    build_site(content, both, settings, strict=True, extra={"SPEED_WORKERS": "2"})
    build_site(content, one, settings, strict=True, extra={"SPEED_WORKERS": "1"})
    got, want = tree(both), tree(one)
    pages = [name for name in want if name.startswith("articles/") and name.endswith(".html")]
    assert len(pages) == 30
    assert [name for name in pages if got[name] != want[name]] == []
    shared = sum(want[name].count(b"Zzmutated") for name in pages)
    assert shared > 15, "the added tag is shown on pages and shared by related articles"
