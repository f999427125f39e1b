"""The fast Markdown path gives exactly Python-Markdown's HTML, and hands everything else to it.

``microsite.plugins.markdown_fast.render`` emulates Python-Markdown (the site's
MARKDOWN settings) on the plain subset the import writes and returns None for
anything else.  These tests compare the two byte for byte on large, varied
inputs: the demo corpus as the import writes it, generated benchmark articles,
and seeded random documents mixing plain text with every construct that
differs between Markdown dialects (lists in all spacings, nesting, code,
tables, raw HTML, footnotes, attribute lists, emphasis edge cases, escapes,
entities, hard breaks, odd links, non-ASCII and odd white space).  Whatever
the fast path accepts must match; what it cannot match must fall back.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from markdown import Markdown

from microsite.plugins import markdown_fast
from microsite.write import frontmatter

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"extensions": ["markdown.extensions.extra", "markdown.extensions.sane_lists"], "output_format": "html5"}


@pytest.fixture(scope="module")
def reference():
    md = Markdown(**SETTINGS)
    return lambda text: md.reset().convert(text)


# --- a seeded generator of varied and hostile Markdown -----------------------------------------------

WORDS = [
    "the", "security", "council", "said", "Minsk", "CSTO", "2021", "3.5", "e-mail", "don't", "U.S.", "x",
    "информационной", "безопасности", "Москва", "信息安全", "会议", "Ελλάδα", "naïve", "café", "🙂", "ŉ", "ǅ",
    "a_b", "snake_case", "5*3", "C#", "C++", "50%", "$100", "AT&T", "R&D", "1.", "2)", "3.14", "#tag", "@user",
]
PUNCT = [*".,;:!?()«»\"'“”—–-/…", "...", "?!", " - ", " — "]
URLS = [
    "https://example.org/a", "https://example.org/и-931900", "https://example.org/a_b*c", "http://x.io/?a=1&b=2",
    "http://x.io/?a=1&amp;b=2", "https://example.org/#frag", "mailto:desk@news.example", "https://e.org/a%20b",
    "https://e.org/x'y", "https://e.org/(x)", "https://e.org/a[1]", "https://e.org/a b", "<https://e.org/a>",
    "https://e.org/\\_x", "https://e.org/{x}", "https://e.org/a~b", "https://e.org/a!b", "https://e.org/a&copy;b",
    "", "https://e.org/\"q\"", "https://e.org/a`b`",
]


def _word(rng: random.Random) -> str:
    word = rng.choice(WORDS)
    return word if "_" not in word or rng.random() < 0.2 else "word"


def _inline_token(rng: random.Random, hostile: bool) -> str:
    r = rng.random()
    if r < 0.45:
        return _word(rng)
    if r < 0.55:
        return rng.choice(PUNCT)
    if r < 0.65:  # emphasis, in simple and odd shapes
        inner = " ".join(_word(rng) for _ in range(rng.randint(1, 3)))
        mark = rng.choice(["*", "**", "*", "**", "***", "_", "__", "****"] if hostile else ["*", "**"])
        shape = rng.random()
        if shape < 0.7 or (not hostile and shape < 0.9):
            return f"{mark}{inner}{mark}"
        if shape < 0.8:
            return f"{mark} {inner}{mark}"
        if shape < 0.9:
            return f"{mark}{inner} {mark}"
        if shape < 0.95:
            return f"{mark}{inner}{rng.choice(['*', '**', '_'])}"
        return mark
    if r < 0.73:  # links and images
        text = " ".join(_word(rng) for _ in range(rng.randint(0, 3)))
        if rng.random() < 0.3:
            text = rng.choice([f"*{text}*", f"**{text}**", f"`{text}`", f"{text} \\[1\\]", f"{text}  \n{text}", text])
        urls = URLS if hostile else URLS[:9]
        url = rng.choice(urls)
        form = rng.random()
        if form < 0.55 or (not hostile and form < 0.8):
            return f"[{text}]({url})"
        if form < 0.75 or not hostile:
            return f"![{text}]({url})"
        if form < 0.82:
            return f"[![{text}]({url})]({rng.choice(urls)})"
        if form < 0.86:
            return f'[{text}]({url} "title")'
        if form < 0.9:
            return f"[{text}]"
        if form < 0.93:
            return f"[{text}][ref]"
        if form < 0.96:
            return f"[{text}] ({url})"
        return f"[^{rng.randint(1, 3)}]"
    if r < 0.79:  # escapes
        return "\\" + rng.choice("\\`*_{}[]()>#+-.!|~:=\"&<" if hostile else "*_[]()>#+-.!|~:=\"&{}")
    if r < 0.83:  # code spans
        bodies = ["x", "a&b", "**not em**", "[x](y)", "`", " spaced ", "a\\b", "{x}", "_x_", "a > b", "a<b", "a|b"]
        body = rng.choice(bodies if hostile else bodies[:-2])
        ticks = rng.choice(["`", "`", "``"])
        return f"{ticks}{body}{ticks}" if rng.random() < 0.9 else f"{ticks}{body}"
    if r < 0.87:  # entities and HTML-ish
        if not hostile:
            return rng.choice(["&amp;", "&lt;", "&gt;", "&#169;", "&#x1F600;", "&#X41;", "&copy;", "&", "&foo", "& b", "a > b"])
        return rng.choice(["<b>x</b>", "<br>", "<https://e.org>", "<me@e.org>", "a<b", "&nbsp;"])
    if r < 0.90 and hostile:
        return rng.choice(["{#id}", "{: .cls}", "{", "}", "|", "~~x~~", "^", "\\\\", "\\"])
    if r < 0.95:
        return rng.choice(["  \n", "\n", "   \n", "\\\n", "  \n  "])
    return rng.choice(["\xa0", "\u2003", "\t", "\u2028", "\x0c", "\x02", "\x03", "\r", "\u200b", "  ", "\r\n"])


def _inline(rng: random.Random, n: int | None = None, hostile: bool = False) -> str:
    n = n if n is not None else rng.randint(1, 14)
    text = ""
    for _ in range(n):
        tok = _inline_token(rng, hostile)
        if text and not text.endswith(("\n", " ")) and rng.random() < 0.8:
            text += " "
        text += tok
    return text


def _item_marker(rng: random.Random, ordered: bool, i: int) -> str:
    if ordered:
        num = rng.choice([i + 1, i + 1, i + 3, 0, 10 + i])
        return f"{num}.".ljust(rng.choice([2, 3, 4])) + " "
    return rng.choice(["-", "-", "*", "+"]) + " " * rng.choice([1, 3, 3, 2])


def _block(rng: random.Random, hostile: bool) -> str:
    r = rng.random()
    if not hostile and 0.87 <= r < 0.97:
        r = rng.random() * 0.87
    if r < 0.40:
        lines = [_inline(rng, hostile=hostile) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        return "\n".join(lines)
    if r < 0.50:
        level = rng.choice([1, 2, 2, 3, 4, 6, 7])
        trail = rng.choice(["", "", " ##", "#", " \\#"])
        return "#" * level + rng.choice([" ", " ", "", "  "]) + _inline(rng, rng.randint(1, 5), hostile) + trail
    if r < 0.68:
        ordered = rng.random() < 0.4
        items = []
        for i in range(rng.randint(1, 5)):
            item = _item_marker(rng, ordered, i) + _inline(rng, rng.randint(1, 8), hostile)
            extra = rng.random()
            if extra < 0.08:
                item += "\n" + rng.choice(["    ", "  ", ""]) + _inline(rng, 3, hostile)
            elif extra < 0.14:
                item += "\n    " + _item_marker(rng, rng.random() < 0.5, 0) + _inline(rng, 3, hostile)
            elif extra < 0.18:
                item += "\n\n    " + _inline(rng, 3, hostile)
            elif extra < 0.22:
                item += "   \n    " + _inline(rng, 3, hostile)
            items.append(item)
        sep = rng.choice(["\n", "\n", "\n", "\n\n"])
        return sep.join(items)
    if r < 0.78:
        inner = [_block(rng, hostile) if rng.random() < 0.3 else _inline(rng, hostile=hostile) for _ in range(rng.randint(1, 3))]
        text = "\n\n".join(inner)
        prefix = rng.choice(["> ", "> ", ">", "  > "])
        lines = []
        for line in text.split("\n"):
            lines.append(prefix + line if line or rng.random() < 0.5 else ">" if rng.random() < 0.7 else "")
        if rng.random() < 0.1:
            lines.append(_inline(rng, 3, hostile))  # lazy continuation
        return "\n".join(lines)
    if r < 0.84:
        fence = rng.choice(["```", "```", "~~~", "````"])
        lang = rng.choice(["", "", "python", " js", "c++", "{.x}", 'hl_lines="1"'][: 7 if hostile else 5])
        body = "\n".join(rng.choice(["x = 1", "  indented", "a < b && c", "\"quoted\"", "", "   ", "\tTab", "```", "# c"])
                         for _ in range(rng.randint(0, 4)))
        close = fence if rng.random() < 0.9 else "```"
        return f"{fence}{lang}\n{body}\n{close}" if body else f"{fence}{lang}\n{close}"
    if r < 0.87:
        return rng.choice(["---", "***", "* * *", "___", "- - -", "-----", "==="])
    if r < 0.89:
        return "    " + _inline(rng, 4, hostile)  # indented code
    if r < 0.91:
        return _inline(rng, 3, hostile) + "\n" + rng.choice(["---", "===", "-", "=="])  # setext
    if r < 0.93:
        return "| a | b |\n| --- | --- |\n| " + _inline(rng, 2, hostile) + " | c |"
    if r < 0.95:
        return rng.choice(["<div>\n" + _inline(rng, 3, hostile) + "\n</div>", "<!-- c -->", "<p>raw</p>"])
    if r < 0.97:
        return rng.choice(["[^1]: a note", "*[CSTO]: Collective Security Treaty Organisation", "[ref]: https://e.org",
                           "[ref]: https://e.org \"T\"", "Term\n: Definition"])
    return rng.choice(["#hashtag start", "1\\. Finland", "\\- not a list", "\\> not a quote", "2) Sweden", "+ plus",
                       "*[x]*", "-x", "=x", "1.5 million", "---x", "\\#\\# x", ":", "[x]:", "!", "\\", "   \xa0"])


def random_document(rng: random.Random) -> str:
    """One document: mostly near the fast path's edges, sometimes dense with constructs it refuses."""
    hostile = rng.random() < 0.2
    blocks = [_block(rng, hostile and rng.random() < 0.5) for _ in range(rng.randint(1, 8))]
    text = ""
    for block in blocks:
        if text:
            text += rng.choice(["\n\n", "\n\n", "\n\n", "\n", "\n\n\n", "\n  \n", "\n\xa0\n"])
        text += block
    return text + rng.choice(["", "\n", "\n\n", "  ", " "])


# --- tests -----------------------------------------------------------------------------------------


def _check(reference, text: str) -> bool:
    """True when the fast path took ``text``; it must then equal Python-Markdown."""
    fast = markdown_fast.render(text)
    if fast is None:
        return False
    assert fast == reference(text), text
    return True


def test_generated_documents_match_python_markdown(reference):
    rng = random.Random(20240611)
    taken = sum(_check(reference, random_document(rng)) for _ in range(6000))
    assert taken > 900  # the generator exercises the fast path, not only the fallback


def test_benchmark_articles_take_the_fast_path_and_match(reference):
    from microsite.bench.corpus import Spec, articles

    bodies = [frontmatter.split(text)[1] for _, text in articles(Spec(300, 7))]
    assert all(_check(reference, body) for body in bodies)


def test_emphasis_shapes_match_python_markdown(reference):
    """Nested, adjacent and intraword "*" runs next to punctuation, links, code and escapes."""
    rng = random.Random(77)
    fill = ["a", "bc", "слово", "信", " ", " ", ".", ",", "(", ")", "«", "»", "'", "-", "!", ":", "—", "\xa0",
            "[l](http://x.y/)", "[*l*](http://x.y/)", "![i](http://x.y/i)", "`c`", "\\*", "&amp;", "&", "  \n", "\n"]

    def run(lo: int, hi: int) -> str:
        return "".join(rng.choice(fill) for _ in range(rng.randint(lo, hi)))

    def span(depth: int) -> str:
        mark = rng.choice(["*", "**", "***", "*", "**"])
        inner = rng.choice(["a", "ж", "(", "«", "`c`", "[l](http://x.y/)"]) + run(0, 3)
        if depth < 2 and rng.random() < 0.5:
            inner += span(depth + 1) + run(0, 2)
        inner += rng.choice(["a", "ж", ")", "»", ".", "`c`", ""])
        return mark + inner + (mark if rng.random() < 0.9 else rng.choice(["*", "**", "***"]))

    taken = 0
    for _ in range(6000):
        text = "x" + "".join(run(0, 2) + span(0) for _ in range(rng.randint(1, 3))) + run(0, 2)
        taken += _check(reference, text)
    assert taken > 1000


def test_demo_corpus_import_matches(reference, tmp_path):
    from microsite.pipeline import import_dir

    content = tmp_path / "content"
    import_dir(ROOT / "scraped", content, ROOT / "taxonomy.yml")
    bodies = [frontmatter.split(p.read_text("utf-8"))[1] for p in sorted(content.rglob("*.md"))]
    assert bodies
    assert all(_check(reference, body) for body in bodies)


@pytest.mark.parametrize(
    "text",
    [
        "Para with **strong**, *em*, [a link](https://e.org/x) and ![img](https://e.org/i.png).",
        "## Heading\n\nText.\n\n-   one\n-   two\n\n-   three\n-   four\n\n1.  a\n2.  b\n\n3.  c",
        "> quote one\n>\n> quote two\n\n> same quote\n\nafter",
        "Line one  \nline two  \n*em*  \n[x](https://e.org)",
        "```python\nif a < b and c & d:\n    print(\"x\")\n```\n\nText `code & <x>` and \\*escaped\\* \\~",
        "AT&T &amp; R&D &copy; &#169; 5 > 3",
        "---\n\n***\n\ntext\n\n- - -",
        "7.  seven\n8.  eight",
        "-   item   \n    continued\n-   [![logo](https://e.org/l.png)](https://e.org/)",
        "Text\n# heading inside a block\nmore text",
        "информационной *безопасности* — «**СНГ**» 信息安全",
        "\xa0leading nbsp\n\n\xa0\n\ntext",
        "***strong em*** and **strong *em* inside** and *em **strong** inside*",
        "Escaped \\` backtick, \\\\ backslash, \\| pipe, \\[brackets\\] and [](https://e.org/empty)",
    ],
)
def test_common_constructs_take_the_fast_path(reference, text):
    assert _check(reference, text)


@pytest.mark.parametrize(
    "text",
    [
        "| a | b |\n| --- | --- |\n| 1 | 2 |",  # table
        "<div>raw</div>",  # raw HTML block
        "Text<br>more",  # inline HTML
        "Note[^1].\n\n[^1]: The note.",  # footnotes
        "*[CSTO]: Collective Security Treaty Organisation\n\nCSTO",  # abbreviations
        "## Heading {#id}",  # attr_list
        "Term\n: Definition",  # definition list
        "[ref link][r]\n\n[r]: https://e.org",  # reference links
        "-   outer\n    -   inner",  # nested list
        "    indented code",  # indented code
        "Title\n=====",  # setext heading
        "***a* b**",  # emphasis runs of unequal lengths
        "**a **b** c**",  # emphasis nested in its own kind
        "_underscore_",  # underscore emphasis
        "[link](https://e.org \"title\")",  # link title
        "[text]",  # bare brackets
        "<https://e.org>",  # autolink
        "```{.python #id}\ncode\n```",  # fence attributes
    ],
)
def test_unsupported_constructs_fall_back(text):
    assert markdown_fast.render(text) is None


def test_settings_guard():
    assert markdown_fast.supports(dict(SETTINGS))
    assert not markdown_fast.supports({**SETTINGS, "output_format": "xhtml"})
    assert not markdown_fast.supports({**SETTINGS, "extensions": [*SETTINGS["extensions"], "markdown.extensions.toc"]})
    assert not markdown_fast.supports({**SETTINGS, "extension_configs": {"markdown.extensions.extra": {}}})


def test_reader_renders_like_python_markdown(tmp_path):
    """The site's reader takes the fast path and gives what Python-Markdown gives for the same file."""
    from pelican.settings import read_settings

    from microsite.plugins.reader import FrontMatterReader

    body = "Intro with *em* and [a link](https://e.org/a).\n\n-   one\n-   two\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n"
    plain = tmp_path / "plain.md"
    plain.write_text(frontmatter.dump({"title": "Plain"}, body.split("\n\n| a")[0]), "utf-8")
    table = tmp_path / "table.md"
    table.write_text(frontmatter.dump({"title": "Table"}, body), "utf-8")
    settings = read_settings(str(ROOT / "pelicanconf.py"))
    fast, slow = FrontMatterReader(settings), FrontMatterReader(settings)
    slow._render("")
    slow._fast = False
    for path in (plain, table):
        assert fast.read(str(path))[0] == slow.read(str(path))[0]
    assert fast._fast
    assert markdown_fast.render(frontmatter.split(plain.read_text("utf-8"))[1]) is not None
    assert markdown_fast.render(frontmatter.split(table.read_text("utf-8"))[1]) is None
