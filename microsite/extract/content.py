"""Find the article in a saved page: keep the text, drop the site around it.

Two well-kept extractors disagree in useful ways: readability-lxml keeps the
article's own structure (figures, captions, lists, tables) and rarely lets a
link list in, but now and then settles on too small a container;
trafilatura rarely misses a paragraph, but lets hidden or teaser text in and
sometimes drops short paragraphs.  We run both on the same cleaned page and
pick, per page, with rules that look only at the *shape* of what they
disagree about (see ``choose``), never at a site:

* where one candidate covers the other, the longer one wins only when its
  extra text reads like prose (long blocks, few links); link lists,
  captions of teasers and share bars are what an extractor wrongly adds;
* a page's own JSON-LD ``articleBody``, when long enough, is the referee,
  and stands in for both when neither found it (pages rendered by script).

Hidden elements, scripts, forms and similar are removed before either
extractor sees the page, and parsing is guarded for size and depth.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections import Counter
from dataclasses import dataclass

import lxml.etree as etree
import lxml.html

from microsite.errors import ImportProblem
from microsite.extract import htmlparse
from microsite.extract.timeout import time_limit

# Beyond this a page is mostly inline scripts/data; we parse at most this much text.
MAX_HTML_CHARS = 24_000_000
# Above this much markup (after cleaning) the library extractors take seconds to minutes;
# the page's densest block of paragraphs is taken instead.
LIBRARY_EXTRACTORS_MAX = 1_500_000
# ...and when they take longer than this on a smaller page.
EXTRACT_SECONDS = 20.0

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Not <form>: ASP.NET pages wrap the whole page in one.
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed",
              "button", "input", "select", "textarea", "dialog")
_WORD = re.compile(r"\w+")
_BOILERPLATE_TAGS = {"nav", "aside"}
_BOILERPLATE_ROLES = {"navigation", "complementary", "banner", "contentinfo", "search", "dialog", "alertdialog"}
_BOILERPLATE_NAMES = re.compile(
    r"(?:^|[\s_-])(?:comments?|comment-list|share|sharing|sharebar|share-bar|social|related|newsletter|cookies?|"
    r"consent|gdpr|advert|advertisement|ads?|adslot|ad-slot|promo|subscribe|subscription|recommended|"
    r"recommendations?|breadcrumbs?|sidebar|popular|trending|most-read|mostread|outbrain|taboola|disqus|paywall|"
    r"read-more|readmore|more-stories|also-read|see-also|teasers?|tags-list|article-tags)(?:$|[\s_-])",
    re.IGNORECASE,
)
_TEASER_LABELS = (
    r"(?:read more|read also|also read|related|see also|more on this|recommended|watch|listen|advertisement|"
    r"sponsored|читайте также|читайте нас|смотрите также|подробнее|по теме|реклама)\b"
)
_TEASER_START = re.compile(r"^\W*" + _TEASER_LABELS, re.IGNORECASE)
_TEASER_ANY = re.compile(_TEASER_LABELS, re.IGNORECASE)
_AD_LABEL = re.compile(r"\W*(?:advertisement|sponsored|реклама|anzeige|publicité)\W*", re.IGNORECASE)
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "td", "th", "dd", "dt",
           "figcaption", "div", "section", "article", "table", "ul", "ol", "dl", "figure", "header", "footer",
           "aside", "nav", "main", "caption", "tr"}


@dataclass
class Extraction:
    """The article's HTML fragment, and which extractor it came from (for tests and debugging)."""

    html: str
    method: str


def parse_html(html: str) -> lxml.html.HtmlElement:
    """The page as an lxml tree; raises ImportProblem for what is not a usable page."""
    if len(html) > MAX_HTML_CHARS:
        html = _shrink(html)
        if len(html) > MAX_HTML_CHARS:
            raise ImportProblem(f"page too large to parse ({len(html) // 1_000_000} million characters of markup)")
    html = htmlparse.strip_controls(html)
    if not html.strip():
        raise ImportProblem("empty page")
    try:
        tree = htmlparse.parse_document(html)
    except (etree.ParserError, ValueError) as exc:
        raise ImportProblem(f"cannot parse the page as HTML ({exc})") from None
    if tree is None:
        raise ImportProblem("cannot parse the page as HTML")
    return tree


def _shrink(html: str) -> str:
    """Drop inline scripts/styles/comments with a regex before a huge page is parsed."""
    return re.sub(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", "", html, flags=re.IGNORECASE | re.DOTALL)


def clean_tree(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """Remove what no reader sees: scripts, forms' controls, embeds, hidden elements (in place).

    A hidden element stays when too little would be left without it: pages
    saved while a cookie dialog was open mark the whole page ``aria-hidden``,
    and some hide the article until a script reveals it.
    """
    etree.strip_elements(tree, *_DROP_TAGS, with_tail=False)
    total = _words_in(tree.find(".//body"))
    hidden = [
        el for el in tree.iter()
        if isinstance(el.tag, str)
        and el.tag not in ("html", "body")
        and (
            el.get("hidden") is not None
            or el.get("aria-hidden") == "true"
            or _HIDDEN_STYLE.search(el.get("style") or "")
        )
    ]
    for el in hidden:
        if el.getparent() is not None and total - _words_in(el) >= 0.2 * total:
            el.drop_tree()  # (what stays visible is still a page, not just the modal that was open)
    drop_boilerplate(tree)
    htmlparse.flatten_tree(tree)
    return tree


def _words_in(el: lxml.html.HtmlElement | None) -> int:
    return len(_WORD.findall(el.text_content())) if el is not None else 0


def drop_boilerplate(tree: lxml.html.HtmlElement) -> None:
    """Remove navigation, share bars, comments, teasers, banners and ads (in place).

    Matched by tag, ARIA role and class/id words, but never an element that
    holds a large share of the page's text: a site that wraps its article in
    ``<div class="share-wrapper">`` keeps its article.
    """
    total = _words_in(tree.find(".//body"))
    if not total:
        return
    doomed = []
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "article", "main"):
            continue
        names = " ".join(filter(None, (el.get("class"), el.get("id"))))
        if (
            el.tag in _BOILERPLATE_TAGS
            or (el.get("role") or "").lower() in _BOILERPLATE_ROLES
            or (names and _BOILERPLATE_NAMES.search(names))
        ):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is None or any(a in doomed for a in el.iterancestors()):
            continue
        if _words_in(el) <= 0.25 * total:
            el.drop_tree()


def json_ld(tree: lxml.html.HtmlElement) -> list[dict]:
    """Every JSON-LD object on the page (``@graph`` flattened); broken blocks are skipped."""
    out: list[dict] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        text = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$", "", script.text.strip())
        try:
            data = json.loads(text.strip().rstrip(";"), strict=False)
        except (ValueError, RecursionError):
            continue
        todo = data if isinstance(data, list) else [data]
        while todo and len(out) < 200:
            item = todo.pop(0)
            if isinstance(item, list):
                todo.extend(item)
            elif isinstance(item, dict):
                out.append(item)
                if isinstance(item.get("@graph"), list):
                    todo.extend(item["@graph"])
    return out


def article_body(ld: list[dict]) -> str:
    """The longest JSON-LD ``articleBody`` / ``text`` of an article-like object."""
    bodies = [
        item.get("articleBody") or (item.get("text") if "Article" in str(item.get("@type")) else "")
        for item in ld
    ]
    return max((b for b in bodies if isinstance(b, str)), key=len, default="")


def extract_content(tree: lxml.html.HtmlElement, url: str = "", ld_body: str = "") -> Extraction:
    """The main content of a *cleaned* page tree as an HTML fragment."""
    html = lxml.html.tostring(tree, encoding="unicode")
    if len(html) > LIBRARY_EXTRACTORS_MAX:
        return Extraction(densest_block(tree), "densest")
    try:
        with time_limit(EXTRACT_SECONDS):
            candidates = {"trafilatura": _trafilatura(html, url), "readability": _readability(html, url)}
    except TimeoutError:
        return Extraction(densest_block(tree), "densest")
    if len(_WORD.findall(ld_body)) >= 150:
        candidates["json-ld"] = _paragraphs_html(ld_body)
    method = choose(candidates, ld_body)
    return Extraction(drop_inline_teasers(candidates[method]), method)


def drop_inline_teasers(fragment: str) -> str:
    """The article HTML without "Read more: <link>" lines and lone "Advertisement" labels.

    News sites put links to other stories and ad slots between paragraphs;
    both extractors keep them when they sit inside the article's container.
    Only short blocks that start with such a label and are mostly a link
    (or are the label alone) go.
    """
    if not _TEASER_ANY.search(fragment):
        return fragment
    root = htmlparse.fragment_root(fragment)
    doomed = []
    for el in root.iter("p", "li", "h3", "h4"):
        text = " ".join(el.text_content().split())
        if not text or len(text.split()) > 25 or not _TEASER_START.match(text):
            continue
        words = len(_WORD.findall(text))
        link_words = sum(len(_WORD.findall(a.text_content())) for a in el.iter("a"))
        if _AD_LABEL.fullmatch(text) or link_words >= 0.5 * words:
            doomed.append(el)
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    return lxml.html.tostring(root, encoding="unicode") if doomed else fragment


def _paragraphs_html(text: str) -> str:
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n|\r?\n", text) if p.strip()]
    return "".join(f"<p>{html_lib.escape(p)}</p>" for p in paragraphs)


def densest_block(tree: lxml.html.HtmlElement) -> str:
    """The element whose own paragraphs hold the most words (linear time, for huge pages)."""
    best, best_words = None, 0
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        words = sum(len(_WORD.findall(p.text_content())) for p in el.iterchildren("p", "h2", "h3", "ul", "ol",
                                                                               "blockquote", "pre", "table"))
        if words > best_words:
            best, best_words = el, words
    if best is None:
        body = tree.find(".//body")
        best = body if body is not None else tree
    return lxml.html.tostring(best, encoding="unicode")


def _trafilatura(html: str, url: str) -> str:
    import trafilatura

    try:
        out = trafilatura.extract(
            html, url=url or None, output_format="html", include_comments=False, include_tables=True,
            include_images=True, include_links=True, include_formatting=True, with_metadata=False,
            deduplicate=False,  # fast=True (no internal fallbacks) scored 0.003 lower on the devset, same speed
        )
    except (ValueError, TypeError, AttributeError, RecursionError, etree.LxmlError):
        return ""
    return out or ""


def _readability(html: str, url: str) -> str:
    from readability import Document
    from readability.readability import Unparseable

    try:
        return Document(html).summary(html_partial=True)  # links are resolved later, unsafe ones dropped
    except (Unparseable, ValueError, TypeError, AttributeError, RecursionError, etree.LxmlError):
        return ""


# --- choosing between candidates -------------------------------------------------------------


@dataclass
class _Block:
    text: str
    words: int
    link_words: int


def blocks(fragment: str) -> list[_Block]:
    """The text blocks (paragraph-level) of an HTML fragment, with their link share."""
    if not fragment.strip():
        return []
    root = htmlparse.fragment_root(fragment)
    out: list[_Block] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag not in _BLOCKS:
            continue
        if any(isinstance(c.tag, str) and c.tag in _BLOCKS for c in el.iterdescendants()):
            # only leaf blocks; a container's loose text counts as its own block
            own = " ".join(t for t in [el.text, *(c.tail for c in el)] if t and t.strip())
            if own.strip():
                out.append(_Block(own, len(_WORD.findall(own)), 0))
            continue
        text = el.text_content()
        words = len(_WORD.findall(text))
        if words:
            link_words = sum(len(_WORD.findall(a.text_content())) for a in el.iter("a"))
            out.append(_Block(text, words, link_words))
    return out


def _shingles(text: str, n: int = 4) -> Counter:
    toks = _WORD.findall(text)
    if len(toks) <= n:
        return Counter([tuple(toks)] if toks else [])
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def _coverage(inner: Counter, outer: Counter) -> float:
    """Share of ``inner``'s shingles also in ``outer``."""
    total = sum(inner.values())
    return sum((inner & outer).values()) / total if total else 0.0


def _is_prose(b: _Block) -> bool:
    return b.words >= 12 and b.link_words <= 0.3 * b.words


def _extra(a: list[_Block], other: Counter) -> tuple[float, float, float]:
    """(words, share in prose blocks, share in link-list blocks) of ``a``'s text that ``other`` lacks."""
    total = prose = links = 0.0
    for b in a:
        missing = b.words * (1 - _coverage(_shingles(b.text), other))
        total += missing
        prose += missing if _is_prose(b) else 0.0
        links += missing if b.link_words > 0.5 * b.words else 0.0
    return total, (prose / total if total else 0.0), (links / total if total else 0.0)


def choose(candidates: dict[str, str], ld_body: str = "") -> str:
    """Which candidate holds the article (see the module docstring)."""
    r_html, t_html = candidates.get("readability", ""), candidates.get("trafilatura", "")
    rb, tb = blocks(r_html), blocks(t_html)
    r_text, t_text = " ".join(b.text for b in rb), " ".join(b.text for b in tb)
    rs, ts = _shingles(r_text), _shingles(t_text)
    if len(_WORD.findall(ld_body)) >= 80:
        ls = _shingles(ld_body)
        score_r, score_t = (_f1(ls, rs), _f1(ls, ts))
        if "json-ld" in candidates and max(score_r, score_t) < 0.5:
            return "json-ld"  # the page's HTML lacks the article (rendered by script): its JSON-LD has it
        if rs and ts and abs(score_r - score_t) >= 0.05:
            return "readability" if score_r > score_t else "trafilatura"
    if not rs:
        return "trafilatura"
    if not ts:
        return "readability"
    r_words = sum(b.words for b in rb)
    t_in_r, r_in_t = _coverage(ts, rs), _coverage(rs, ts)
    if t_in_r < 0.5 and r_in_t < 0.5:  # two different texts: the one with more prose
        r_prose = sum(b.words for b in rb if _is_prose(b))
        t_prose = sum(b.words for b in tb if _is_prose(b))
        return "readability" if r_prose > 1.2 * t_prose else "trafilatura"
    r_extra, r_prose_share, r_link_share = _extra(rb, ts)
    t_extra, t_prose_share, _ = _extra(tb, rs)
    if r_words >= 150 and t_extra > r_words:
        return "readability"  # trafilatura more than doubled an article: it took in its neighbours
    if t_extra * t_prose_share >= max(30.0, 2 * r_extra * r_prose_share):
        return "trafilatura"  # readability missed paragraphs
    if r_link_share >= 0.5 and r_extra >= 20 and t_extra < 0.5 * r_extra:
        return "trafilatura"  # readability took in a list of links (teasers, tags, navigation)
    return "readability"  # the same text, or readability's extra is the article's: keep its structure


def _f1(truth: Counter, pred: Counter) -> float:
    tp = sum((truth & pred).values())
    if not tp:
        return 0.0
    p, r = tp / sum(pred.values()), tp / sum(truth.values())
    return 2 * p * r / (p + r)
