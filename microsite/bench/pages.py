"""Seeded saved news pages for import benchmarks, and a throughput measurement.

Speed targets are about real pages, and real pages are mostly not article:
each generated page has a site header and navigation, a cookie banner,
breadcrumbs, a byline and date in one of several shapes, a share bar, a
figure with a caption, sometimes a list, quote or table, teasers of related
articles, reader comments, a newsletter box, a footer, inline analytics
scripts and CSS (which make up most of a real page's bytes), and metadata
as Open Graph tags and (on most pages) JSON-LD.  About 30% of pages are
Russian, a third of those saved in windows-1251.

The same ``seed`` and ``n`` always give the same bytes.

    python -m microsite.bench.pages --n 1000            # generate, import, print pages/s
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import random
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def _words(text: str) -> list[str]:
    return text.split()


EN_WORDS = _words(
    "the of and to in a is that for on was with as by at from security ministers said officials agreement "
    "information cyber attacks member states organisation cooperation meeting regional defence exercise "
    "government national centre critical infrastructure response threats data protection law parliament "
    "border terrorism extremism drug trafficking migration summit leaders talks treaty joint military "
    "experts report week year country capital president foreign minister spokesman statement plans "
    "network systems banks energy grid investigation court police agency budget sanctions election"
)
RU_WORDS = _words(
    "и в на с по что не о для от к из за как это был было также заявил сообщил безопасность министры "
    "организации информационной государства члены сотрудничество заседание учения совместные центр "
    "инфраструктуры критической угрозы данные защита закон парламент граница терроризм экстремизм "
    "наркотиков миграции саммит лидеры переговоры договор военные эксперты доклад неделе году страны "
    "столице президент министр представитель заявление планы сети системы банки энергетики"
)
EN_SITES = [("Eurasia Monitor", "eurasia-monitor.example"), ("Central Asia Daily", "ca-daily.example"),
            ("Caspian Herald", "caspian-herald.example"), ("Steppe Times", "steppe-times.example")]
RU_SITES = [("Новости Евразии", "novosti-evrazii.example"), ("Вестник СНГ", "vestnik-sng.example"),
            ("Регион Сегодня", "region-segodnya.example")]
EN_NAMES = ["Anna Petrova", "Marat Sultanov", "James Whitfield", "Dana Akhmetova", "Olga Ivanova", "Gor Hakobyan"]
RU_NAMES = ["Иван Смирнов", "Мария Кузнецова", "Алексей Морозов", "Елена Волкова"]
SECTIONS = {"en": ["Politics", "Security", "Economy", "World"], "ru": ["Политика", "Безопасность", "Экономика"]}
RU_SHARE = 0.3
CP1251_SHARE_OF_RU = 1 / 3


@dataclass
class PageSpec:
    """What one generated page says about its article (for checks of the import)."""

    file: str
    title: str
    lang: str
    site: str
    author: str
    date: dt.datetime


def _sentence(rng: random.Random, words: list[str], n: int) -> str:
    text = " ".join(rng.choice(words) for _ in range(n))
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?", "!"])


def _paragraph(rng: random.Random, words: list[str]) -> str:
    return " ".join(_sentence(rng, words, rng.randint(9, 24)) for _ in range(rng.randint(2, 5)))


def _script_blob(rng: random.Random, kb: int) -> str:
    parts = []
    while sum(len(p) for p in parts) < kb * 1024:
        key = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
        parts.append(f'window.__cfg["{key}"]={{"id":{rng.randint(0, 10**9)},"on":true,"v":"{key * 3}"}};')
    return "window.__cfg={};" + "".join(parts)


def _css_blob(rng: random.Random, kb: int) -> str:
    parts = []
    while sum(len(p) for p in parts) < kb * 1024:
        cls = "".join(rng.choice("abcdefghij") for _ in range(6))
        parts.append(f".c-{cls}{{margin:{rng.randint(0, 40)}px;color:#{rng.randint(0, 0xFFFFFF):06x}}}")
    return "".join(parts)


def render_page(rng: random.Random, index: int) -> tuple[bytes, PageSpec]:
    """One page's bytes and what it says (see the module docstring)."""
    lang = "ru" if rng.random() < RU_SHARE else "en"
    words = RU_WORDS if lang == "ru" else EN_WORDS
    site, host = rng.choice(RU_SITES if lang == "ru" else EN_SITES)
    author = rng.choice(RU_NAMES if lang == "ru" else EN_NAMES)
    section = rng.choice(SECTIONS[lang])
    when = dt.datetime(2017, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=3))) + dt.timedelta(
        minutes=rng.randint(0, 8 * 365 * 24 * 60))
    title = _sentence(rng, words, rng.randint(6, 12)).rstrip(".?!")
    slug = f"{when:%Y/%m/%d}/story-{index}"
    url = f"https://{host}/{slug}"
    e = html.escape

    body = [f"<p>{e(_paragraph(rng, words))}</p>" for _ in range(rng.randint(4, 12))]
    pos = rng.randint(1, len(body) - 1)
    body.insert(pos, f'<figure><img src="/media/{index}.jpg" alt="{e(_sentence(rng, words, 6))}">'
                     f"<figcaption>{e(_sentence(rng, words, 8))}</figcaption></figure>")
    if rng.random() < 0.3:
        body.insert(rng.randint(1, len(body)), "<ul>" + "".join(
            f"<li>{e(_sentence(rng, words, 5))}</li>" for _ in range(rng.randint(2, 5))) + "</ul>")
    if rng.random() < 0.2:
        body.insert(rng.randint(1, len(body)), f"<blockquote><p>{e(_sentence(rng, words, 14))}</p></blockquote>")
    if rng.random() < 0.1:
        rows = "".join(f"<tr><td>{e(rng.choice(words))}</td><td>{rng.randint(1, 999)}</td></tr>" for _ in range(4))
        body.insert(rng.randint(1, len(body)), f"<table><tr><th>Item</th><th>Count</th></tr>{rows}</table>")
    date_shown = when.strftime(rng.choice(["%d %B %Y, %H:%M", "%B %d, %Y %I:%M %p", "%d.%m.%Y %H:%M"]))
    nav = "".join(f'<li><a href="/{s.lower()}">{e(s)}</a></li>' for s in SECTIONS[lang] + ["Video", "Podcasts"])
    teasers = "".join(f'<li><a href="/story-{rng.randint(0, 10**6)}">{e(_sentence(rng, words, 8))}</a></li>'
                      for _ in range(rng.randint(4, 8)))
    comments = "".join(f'<div class="comment"><span class="comment-author">user{rng.randint(1, 9999)}</span>'
                       f"<p>{e(_sentence(rng, words, rng.randint(8, 30)))}</p></div>"
                       for _ in range(rng.randint(0, 6)))
    ld = ""
    if rng.random() < 0.7:
        ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                         "datePublished": when.isoformat(), "author": {"@type": "Person", "name": author},
                         "publisher": {"@type": "Organization", "name": site}}, ensure_ascii=False)
        ld = f'<script type="application/ld+json">{ld}</script>'
    cp1251 = lang == "ru" and rng.random() < CP1251_SHARE_OF_RU
    charset = "windows-1251" if cp1251 else "utf-8"
    page = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="{charset}">
<title>{e(title)} | {e(site)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{e(_sentence(rng, words, 16))}">
<meta property="og:title" content="{e(title)}"><meta property="og:site_name" content="{e(site)}">
<meta property="og:url" content="{url}"><meta property="article:published_time" content="{when.isoformat()}">
<meta property="article:section" content="{e(section)}"><link rel="canonical" href="{url}">
{ld}<style>{_css_blob(rng, rng.randint(8, 30))}</style>
<script>{_script_blob(rng, rng.randint(20, 80))}</script></head>
<body><div class="cookie-banner"><p>We use cookies. <a href="/privacy">Learn more</a></p><button>OK</button></div>
<header class="site-header"><a class="logo" href="/">{e(site)}</a><nav class="main-nav"><ul>{nav}</ul></nav></header>
<main><article>
<div class="breadcrumbs"><a href="/">Home</a> / <a href="/{e(section.lower())}">{e(section)}</a></div>
<h1>{e(title)}</h1>
<div class="byline"><span class="author">{e(author)}</span> <time datetime="{when.isoformat()}">{date_shown}</time></div>
<div class="share-bar"><a href="https://twitter.com/share">Twitter</a> <a href="https://facebook.com/share">Facebook</a></div>
<div class="article-body">{"".join(body)}</div>
<div class="article-tags"><a href="/tag/a">{e(rng.choice(words))}</a> <a href="/tag/b">{e(rng.choice(words))}</a></div>
</article>
<section class="related"><h3>Related</h3><ul>{teasers}</ul></section>
<section class="comments"><h3>Comments</h3>{comments}</section></main>
<aside class="sidebar"><h3>Most read</h3><ol>{teasers}</ol></aside>
<div class="newsletter"><p>{e(_sentence(rng, words, 12))}</p></div>
<footer class="site-footer"><p>© {when.year} {e(site)}</p><a href="/about">About</a> <a href="/contacts">Contacts</a></footer>
<script>{_script_blob(rng, rng.randint(5, 20))}</script>
</body></html>
"""
    data = page.encode("cp1251", errors="replace") if cp1251 else page.encode("utf-8")
    name = f"{index:05d}-{host.split('.')[0]}.html"
    return data, PageSpec(name, title, lang, site, author, when)


def generate_html_pages(dest: Path, n: int, seed: int = 0) -> list[PageSpec]:
    """Write ``n`` saved news pages into ``dest`` (created); returns what each page says."""
    dest.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    specs = []
    for i in range(n):
        data, spec = render_page(rng, i)
        (dest / spec.file).write_bytes(data)
        specs.append(spec)
    return specs


def measure_import_throughput(n: int = 1000, seed: int = 0, workers: int | None = None,
                              workdir: Path | None = None, taxonomy: Path | None = None) -> dict:
    """Generate ``n`` pages, run the whole ``invoke import`` pipeline on them, and time it.

    Generation is not timed.  Returns pages, seconds, pages_per_second,
    cpu_ms_per_page, imported (new files), skipped, workers and the pages'
    total megabytes.
    """
    from microsite.pipeline import import_dir

    own = workdir is None
    root = Path(tempfile.mkdtemp(prefix="bench-pages-")) if own else workdir
    try:
        src, content = root / "src", root / "content"
        if content.exists():
            shutil.rmtree(content)
        generate_html_pages(src, n, seed)
        megabytes = sum(p.stat().st_size for p in src.iterdir()) / 1_048_576
        workers = workers or os.cpu_count() or 1
        cpu_start = _cpu_seconds()
        start = time.perf_counter()
        report = import_dir(src, content, taxonomy, workers=workers)
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu_start
    finally:
        if own:
            shutil.rmtree(root, ignore_errors=True)
    return {"pages": n, "seconds": round(seconds, 2), "pages_per_second": round(n / seconds, 1),
            "cpu_ms_per_page": round(1000 * cpu / n, 1), "imported": len(report.new),
            "skipped": len(report.skipped), "workers": workers, "megabytes": round(megabytes, 1)}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the import's worker pool).

    Pages per second depend on what else the machine runs; CPU milliseconds
    per page do not, so the benchmark reports both.
    """
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time `invoke import` on generated saved news pages.")
    parser.add_argument("--n", type=int, default=1000, help="number of pages")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--taxonomy", type=Path, default=None, help="taxonomy.yml to tag with (default: none)")
    args = parser.parse_args(argv)
    print(json.dumps(measure_import_throughput(args.n, args.seed, args.workers, taxonomy=args.taxonomy)))


if __name__ == "__main__":
    main()
