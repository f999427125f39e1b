"""Article HTML to Markdown: one rule per assertion, input HTML against the exact Markdown."""

from __future__ import annotations

import markdown
import pytest

from microsite.normalise.markdown import html_to_markdown, safe_href

BASE = "https://news.example/world/2024/story.html"


def md(html: str, base: str = BASE) -> str:
    return html_to_markdown(html, base).strip()


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>1. Finland</p>", "1\\. Finland"),
        ("<p>2) Sweden joined later.</p>", "2\\) Sweden joined later."),
        ("<p>- not a list</p>", "\\- not a list"),
        ("<p># not a heading</p>", "\\# not a heading"),
        ("<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"),
        ("<p>a * b _c_ [x](y)</p>", "a \\* b \\_c\\_ \\[x\\](y)"),
        ("<h1>Section</h1>", "## Section"),
        ("<h3>Sub</h3>", "### Sub"),
        ("<ul><li>one</li><li>two</li></ul>", "-   one\n-   two"),
        ("<ol start='3'><li>three</li><li>four</li></ol>", "3.  three\n4.  four"),
        ("<ul><li>outer<ul><li>inner</li></ul></li></ul>", "-   outer\n    -   inner"),
        ("<blockquote><p>Quoted words.</p></blockquote>", "> Quoted words."),
        ("<p><a href='/a/b.html'>rel</a></p>", "[rel](https://news.example/a/b.html)"),
        ("<p><a href='other.html'>sibling</a></p>", "[sibling](https://news.example/world/2024/other.html)"),
        ("<p><a href='javascript:alert(1)'>js</a></p>", "js"),
        ("<p><a href=' JaVa&#10;Script:alert(1)'>js</a></p>", "js"),
        ("<p><a href='data:text/html,x'>data</a></p>", "data"),
        ("<p><a href='#note-1'>1</a></p>", "1"),
        ("<p><a href='mailto:desk@news.example'>mail</a></p>", "[mail](mailto:desk@news.example)"),
        ("<p><a href='/x (1).html'>paren</a></p>", "[paren](https://news.example/x%20%281%29.html)"),
        ("<img src='/i.jpg' alt='A [cat]'>", "![A \\[cat\\]](https://news.example/i.jpg)"),
        ("<img src='data:image/png;base64,AAAA' data-src='/lazy.jpg' alt='lazy'>", "![lazy](https://news.example/lazy.jpg)"),
        ("<img src='data:image/png;base64,AAAA' alt='inline data'>", "inline data"),
        ("<figure><img src='/p.jpg' alt='Photo'><figcaption>The caption.</figcaption></figure>",
         "![Photo](https://news.example/p.jpg)\n\n*The caption.*"),
        ("<figure><img src='/p.jpg' alt='The caption'><figcaption>The caption.</figcaption></figure>",
         "![](https://news.example/p.jpg)\n\n*The caption.*"),
        ("<pre>if a &lt; b:\n    print('```')</pre>", "````\nif a < b:\n    print('```')\n````"),
        ("<p>Use <code>a &lt; b</code> here.</p>", "Use `a < b` here."),
        ("<table><tr><th>Country</th><th>Experts</th></tr><tr><td>Armenia</td><td>12</td></tr></table>",
         "| Country | Experts |\n| --- | --- |\n| Armenia | 12 |"),
        ("<table><tr><td><p>Layout cell one.</p></td><td><p>Layout cell two.</p></td></tr></table>",
         "Layout cell one.\n\nLayout cell two."),
        ("<p>Line one<br>line two</p>", "Line one  \nline two"),
        ("<script>alert(1)</script><style>p{}</style><p>text</p>", "text"),
        ("<iframe src='https://evil.example'></iframe><form><input value='x'></form><p>kept</p>", "kept"),
    ],
)
def test_conversion(html, expected):
    assert md(html) == expected


def test_relative_links_without_a_page_url_keep_only_their_text():
    assert md("<p><a href='/local'>local</a> <img src='/i.jpg' alt='pic'></p>", base="") == "local pic"
    assert md("<p><a href='https://abs.example/x'>abs</a></p>", base="") == "[abs](https://abs.example/x)"


def test_safe_href():
    assert safe_href("//cdn.example/a.jpg", BASE) == "https://cdn.example/a.jpg"
    assert safe_href("vbscript:x", BASE) == ""
    assert safe_href("https://a.example/<x>", "") == "https://a.example/%3Cx%3E"


def test_output_renders_without_raw_html_in_python_markdown():
    html = ("<p>&lt;img src=x onerror=alert(1)&gt; and <b>bold</b> &amp; <i>it</i></p><ol><li>a</li></ol>"
            "<p>1. Finland</p><p><a href='javascript:alert(1)'>click</a></p>")
    rendered = markdown.markdown(html_to_markdown(html, BASE), extensions=["extra", "sane_lists"])
    assert "<img" not in rendered and "javascript:" not in rendered
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered
    assert "<strong>bold</strong>" in rendered
    assert rendered.count("<li>") == 1  # only the real list; "1. Finland" stays a paragraph
    assert "<p>1. Finland</p>" in rendered


def test_nested_lists_render_nested_in_python_markdown():
    rendered = markdown.markdown(md("<ul><li>outer<ul><li>inner</li></ul></li></ul>"), extensions=["sane_lists"])
    assert rendered.count("<ul>") == 2


def test_deep_nesting_converts_without_recursion_error():
    html = "<div>" * 5000 + "<p>bottom text</p>" + "</div>" * 5000 + "<p>after</p>"
    assert md(html) == "bottom text\n\nafter"
    html = "<ul><li>" * 800 + "deep item" + "</li></ul>" * 800
    assert "deep item" in md(html)


def test_empty_and_junk_input():
    assert html_to_markdown("") == ""
    assert html_to_markdown("   ") == ""
    assert html_to_markdown("<html><head><title>t</title></head></html>") == ""
    assert md("<<<>>> & <") == "&lt;&lt;&lt;&gt;&gt;&gt; &amp; &lt;"
