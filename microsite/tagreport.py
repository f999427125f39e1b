"""``invoke tags``: what the tags of a corpus look like, and what the taxonomy still lacks.

Reads the Markdown articles in ``content/`` (front matter as the import or a
person left it), counts tags under their canonical names (as the site will
show them), lists tags that only one article carries, and proposes candidate
phrases: key phrases and defined acronyms found in several articles that no
taxonomy entry covers yet, with counts and example articles, so that a
researcher can grow ``taxonomy.yml`` from evidence.  Candidates are counted
per article (document frequency), which is the corpus-wide view that the
per-article tagger deliberately does not take.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from microsite.model import Article
from microsite.normalise import keyphrases
from microsite.normalise.tags import Taxonomy, canonical_names, display_name, load_taxonomy, phrase_key
from microsite.write import frontmatter


@dataclass
class TagReport:
    """The figures ``format_report`` prints."""

    articles: int = 0
    tag_counts: Counter = field(default_factory=Counter)
    tag_articles: dict[str, list[str]] = field(default_factory=dict)
    merged: dict[str, str] = field(default_factory=dict)  # spelling in front matter -> name on the site
    untagged: list[str] = field(default_factory=list)
    candidates: list[tuple[str, int, list[str]]] = field(default_factory=list)  # phrase, articles, examples
    problems: list[str] = field(default_factory=list)


def _articles(content: Path, problems: list[str]) -> list[tuple[str, dict, str]]:
    found = []
    for path in sorted(content.rglob("*.md")):
        if path.is_symlink() or any(part.startswith(".") for part in path.relative_to(content).parts):
            continue
        try:
            meta, body = frontmatter.load(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, frontmatter.FrontMatterError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        found.append((path.relative_to(content).as_posix(), meta, body))
    return found


def build_report(content: Path, taxonomy: Taxonomy | None = None, min_articles: int = 2, top: int = 30) -> TagReport:
    """Count tags and find candidate phrases in the articles under ``content``."""
    taxonomy = taxonomy or Taxonomy()
    report = TagReport()
    docs = _articles(content, report.problems)
    report.articles = len(docs)
    written: dict[str, list[str]] = {}
    for rel, meta, _ in docs:
        raw = meta.get("tags") or []
        raw = [raw] if isinstance(raw, str) else raw
        written[rel] = [" ".join(str(t).split()) for t in raw if str(t).strip()]
    names = canonical_names([t for ts in written.values() for t in ts], taxonomy)
    report.merged = {k: v for k, v in names.items() if k != v}
    for rel, tags in written.items():
        canon = list(dict.fromkeys(names[t] for t in tags))
        if not canon:
            report.untagged.append(rel)
        for tag in canon:
            report.tag_counts[tag] += 1
            report.tag_articles.setdefault(tag, []).append(rel)
    report.candidates = _candidates(docs, taxonomy, min_articles, top)
    return report


def _candidates(docs: list[tuple[str, dict, str]], taxonomy: Taxonomy, min_articles: int, top: int):
    seen: dict[str, list[str]] = {}
    spellings: dict[str, list[str]] = {}
    for rel, meta, body in docs:
        article = Article(title=str(meta.get("title") or ""), body=body, lang=str(meta.get("lang") or "en"))
        article.source, article.dateline = str(meta.get("source") or ""), str(meta.get("dateline") or "")
        for phrase in dict.fromkeys(keyphrases.candidates(article, taxonomy)):
            key = phrase_key(phrase)
            if rel not in seen.setdefault(key, []):
                seen[key].append(rel)
            spellings.setdefault(key, []).append(phrase)
    ranked = sorted(seen.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [(display_name(spellings[k]), len(v), v[:3]) for k, v in ranked if len(v) >= min_articles][:top]


def format_report(report: TagReport) -> str:
    """The report as plain text (what ``invoke tags`` prints)."""
    lines = []
    total = sum(report.tag_counts.values())
    per = total / report.articles if report.articles else 0.0
    lines.append(f"{report.articles} articles, {len(report.tag_counts)} tags, {per:.1f} tags per article")
    lines.append("")
    lines.append("Tag counts (articles per tag):")
    for tag, n in sorted(report.tag_counts.items(), key=lambda kv: (-kv[1], kv[0].casefold())):
        lines.append(f"  {n:5d}  {tag}")
    singles = sorted((t for t, n in report.tag_counts.items() if n == 1), key=str.casefold)
    lines.append("")
    lines.append(f"Tags with one article ({len(singles)}):")
    lines += [f"  {t}  ({report.tag_articles[t][0]})" for t in singles] or ["  none"]
    if report.merged:
        lines.append("")
        lines.append("Spellings shown under another name on the site:")
        lines += [f"  {k!r} -> {v!r}" for k, v in sorted(report.merged.items())]
    if report.untagged:
        lines.append("")
        lines.append(f"Articles without tags ({len(report.untagged)}):")
        lines += [f"  {rel}" for rel in report.untagged]
    lines.append("")
    lines.append("Candidate phrases not in the taxonomy (articles, examples):")
    lines += [f"  {n:5d}  {phrase}  e.g. {', '.join(ex)}" for phrase, n, ex in report.candidates] or ["  none"]
    lines += [f"skipped {p}" for p in report.problems]
    return "\n".join(lines) + "\n"


def run(content: Path, taxonomy_path: Path | None, min_articles: int = 2, top: int = 30) -> str:
    """Build and format the report; FileNotFoundError when ``content`` is missing."""
    if not content.is_dir():
        raise FileNotFoundError(f"content folder not found: {content}")
    taxonomy = load_taxonomy(taxonomy_path) if taxonomy_path and taxonomy_path.is_file() else None
    return format_report(build_report(content, taxonomy, min_articles, top))
