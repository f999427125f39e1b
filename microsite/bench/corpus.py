"""A seeded generator of realistic article corpora, for benchmarks.

Real collections are what the speed targets are about, so the shape matters
more than the words: ~940 words per article in 4-14 paragraphs, 70% English
and 30% Russian, a Zipf-like spread of publishers, tags and vocabulary (a few
very common words and tags, a long tail of rare ones, which is what makes tag
pages and the search index grow), dates spread over eight years with UTC
offsets, and the occasional heading, list, quote, link and emphasis that the
import's Markdown contains.  Files are written exactly as the import writes
them (``frontmatter.dump`` + ``seal``), so every reader sees the contract.

The same ``seed`` and ``n`` always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from microsite.write import frontmatter
from microsite.write.writer import seal

WORDS_PER_ARTICLE = 940
RU_SHARE = 0.3



def _words(text: str) -> list[str]:
    return text.split()


TAGS = [
    "CSTO", "SCO", "CIS", "EAEU", "information security", "cybersecurity", "cybercrime", "cyber threats",
    "Operation PROXY", "drug trafficking", "illegal migration", "terrorism", "extremism", "digital sovereignty",
    "critical infrastructure", "personal data", "ransomware", "disinformation", "hackers", "military exercises",
    "Belarus", "Russia", "Kazakhstan", "Kyrgyzstan", "Armenia", "Tajikistan", "Uzbekistan",
    "artificial intelligence", "election security",
]
SOURCES = [
    ("BelTA", "www.belta.by", "en"), ("TASS", "tass.com", "en"), ("РИА Новости", "ria.ru", "ru"),
    ("Интерфакс", "www.interfax.ru", "ru"), ("Kazinform", "www.inform.kz", "en"), ("AKIpress", "akipress.com", "en"),
    ("Armenpress", "armenpress.am", "en"), ("Коммерсантъ", "www.kommersant.ru", "ru"), ("Reuters", "www.reuters.com", "en"),
    ("The Diplomat", "thediplomat.com", "en"), ("Eurasianet", "eurasianet.org", "en"), ("ТАСС", "tass.ru", "ru"),
    ("Trend", "www.trend.az", "en"), ("24.kg", "24.kg", "en"), ("Asia-Plus", "asiaplustj.info", "en"),
    ("UzDaily", "www.uzdaily.uz", "en"), ("Известия", "iz.ru", "ru"), ("Sputnik", "sputniknews.com", "en"),
    ("Orda.kz", "orda.kz", "ru"), ("Radio Free Europe", "www.rferl.org", "en"), ("BBC Monitoring", "monitoring.bbc.co.uk", "en"),
    ("Новая газета", "novayagazeta.ru", "ru"), ("Xinhua", "english.news.cn", "en"), ("Jamestown", "jamestown.org", "en"),
]
CATEGORIES = {
    "en": ["Politics", "Security", "World", "Economy", "Technology", "Society", "Defence", "Analysis"],
    "ru": ["Политика", "Безопасность", "В мире", "Экономика", "Технологии", "Общество"],
}
DATELINES = ["MOSCOW", "MINSK", "ASTANA", "BISHKEK", "YEREVAN", "DUSHANBE", "TASHKENT", "BEIJING", "BRUSSELS", ""]
FIRST = {
    "en": ["Anna", "Sergei", "Olga", "Dmitry", "Aigerim", "Timur", "Elena", "Ivan", "Nurlan", "Maria", "Pavel", "Gulnara"],
    "ru": ["Анна", "Сергей", "Ольга", "Дмитрий", "Айгерим", "Тимур", "Елена", "Иван", "Нурлан", "Мария"],
}
LAST = {
    "en": ["Petrova", "Ivanov", "Smirnova", "Kuznetsov", "Nurlanova", "Abdullaev", "Sokolova", "Volkov", "Grigoryan"],
    "ru": ["Петрова", "Иванов", "Смирнова", "Кузнецов", "Нурланова", "Абдуллаев", "Соколова", "Волков", "Григорян"],
}
_EN = _words(
    "the of and to in a that for on is with said was as by at security from information it be has are this "
    "have will an which its their were not been more also countries state member organization meeting cooperation "
    "national states secretary general minister ministry government international regional threats crimes "
    "technology internet cyber digital protection data systems networks attacks operation forces military "
    "exercises joint agreement countries development policy law enforcement agencies officials experts report "
    "year years first new last week month today president parliament committee council summit talks heads "
    "delegation representatives defence border drug trafficking migration terrorism extremism groups criminal "
    "activities measures efforts fight combat prevent ensure strengthen improve support continue discussed noted "
    "stressed according added during within between against under over after before about through across "
    "public private sector companies infrastructure critical services platforms software access users accounts "
    "personal sovereignty space environment challenges risks opportunities priority areas level framework "
    "strategy plan programme project training centre headquarters units specialists authorities investigation "
    "cases arrested detained suspects court sentence million billion percent number growth increase decrease"
)
_RU = _words(
    "и в не на что с по как о к из за для от это также был была были его их при государств безопасности "
    "информационной организации сотрудничества договора коллективной членов заседание совет министров "
    "генеральный секретарь заявил отметил подчеркнул сообщил глава делегации стран участников рамках "
    "мероприятий угроз преступлений технологий интернета кибератак защиты данных систем сетей операции "
    "учения вооружённых сил совместных соглашение развития политики правоохранительных органов экспертов "
    "доклад года лет первый новый неделе месяце сегодня президент парламент комитет саммит переговоры "
    "границы наркотиков миграции терроризма экстремизма групп преступной деятельности меры усилия борьбы "
    "противодействия обеспечения укрепления продолжить обсудили между против после перед около через "
    "государственного частного сектора компаний инфраструктуры критической сервисов платформ программного "
    "обеспечения доступа пользователей персональных суверенитета пространства вызовов рисков возможностей "
    "приоритетных направлений уровне стратегии плана программы проекта центра штаба подразделений специалистов "
    "властей расследования уголовных дел задержаны подозреваемых суда приговор миллионов миллиардов процентов"
)
_SYLLABLES = {
    "en": _words("ka ri to sha mir bek ov an el tur gul za dar nik sol vin ter bal kor lin mas pet ros"),
    "ru": _words("ка ри то ша мир бек ов ан ель тур гуль за дар ник сол вин тер бал кор лин мас пет рос"),
}


@dataclass(frozen=True)
class Spec:
    """What to generate: ``n`` articles from ``seed``."""

    n: int
    seed: int = 42


def _zipf_weights(count: int, s: float = 1.1) -> list[float]:
    return [1 / (rank**s) for rank in range(1, count + 1)]


class _Vocabulary:
    """Common words plus a seeded long tail of rare names (the search index's real shape)."""

    def __init__(self, rng: random.Random, lang: str, tail: int = 6000) -> None:
        common = _EN if lang == "en" else _RU
        seen = set(common)
        rare: list[str] = []
        sylls = _SYLLABLES[lang]
        while len(rare) < tail:
            word = "".join(rng.choice(sylls) for _ in range(rng.randint(2, 4)))
            if word not in seen:
                seen.add(word)
                rare.append(word.capitalize() if rng.random() < 0.4 else word)
        self.words = common + rare
        self.cum = _cumulative(_zipf_weights(len(self.words), 1.05))

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=k)


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _sentence(rng: random.Random, vocab: _Vocabulary, words: int) -> str:
    tokens = vocab.sample(rng, words)
    tokens[0] = tokens[0][:1].upper() + tokens[0][1:]
    if words > 8 and rng.random() < 0.15:
        i = rng.randrange(1, words - 2)
        tokens[i] = f"*{tokens[i]}*" if rng.random() < 0.5 else f"**{tokens[i]}**"
    if words > 8 and rng.random() < 0.08:
        i = rng.randrange(1, words - 2)
        tokens[i] = f"[{tokens[i]}](https://example.org/{tokens[i].lower().strip('*')}-{rng.randrange(10**6)})"
    return " ".join(tokens) + rng.choice(".....?!")


def _body(rng: random.Random, vocab: _Vocabulary, lang: str, words: int) -> str:
    blocks: list[str] = []
    left = words
    while left > 0:
        roll = rng.random()
        if roll < 0.05 and blocks:
            blocks.append("## " + " ".join(vocab.sample(rng, rng.randint(3, 7))).capitalize())
        elif roll < 0.09:
            items = [" ".join(vocab.sample(rng, rng.randint(4, 12))) for _ in range(rng.randint(2, 5))]
            blocks.append("\n".join(f"- {item}" for item in items))
            left -= sum(len(i.split()) for i in items)
        elif roll < 0.12:
            quote = _sentence(rng, vocab, rng.randint(12, 30))
            blocks.append(f"> {quote}")
            left -= len(quote.split())
        else:
            para = " ".join(_sentence(rng, vocab, rng.randint(8, 28)) for _ in range(rng.randint(2, 6)))
            if lang == "ru" and rng.random() < 0.2:
                para = f"«{para}», — сообщил {rng.choice(FIRST['ru'])} {rng.choice(LAST['ru'])}."
            blocks.append(para)
            left -= len(para.split())
    return "\n\n".join(blocks)


def _summary(body: str, limit: int = 300) -> str:
    text = " ".join(body.replace("*", "").split("\n\n", 1)[0].split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def articles(spec: Spec) -> Iterator[tuple[str, str]]:
    """(file name, Markdown text) for each article, in a fixed order."""
    rng = random.Random(spec.seed)
    vocab = {lang: _Vocabulary(random.Random(f"{spec.seed}-{lang}"), lang) for lang in ("en", "ru")}
    tag_cum = _cumulative(_zipf_weights(len(TAGS), 0.9))
    src_cum = _cumulative(_zipf_weights(len(SOURCES), 1.0))
    start = dt.datetime(2018, 1, 1, tzinfo=dt.UTC)
    for i in range(spec.n):
        source, host, source_lang = rng.choices(SOURCES, cum_weights=src_cum)[0]
        lang = source_lang if rng.random() < 0.9 else ("ru" if source_lang == "en" else "en")
        offset = dt.timezone(dt.timedelta(hours=rng.choice([0, 3, 3, 3, 5, 6, 8])))
        date = (start + dt.timedelta(seconds=rng.randrange(8 * 365 * 86400))).astimezone(offset).replace(second=0)
        words = max(200, int(rng.gauss(WORDS_PER_ARTICLE - 55, 250)))
        body = _body(rng, vocab[lang], lang, words)
        title = " ".join(vocab[lang].sample(rng, rng.randint(5, 11))).capitalize()
        slug = f"{date:%Y-%m-%d}-{hashlib.sha1(f'{spec.seed}-{i}'.encode()).hexdigest()[:10]}"
        tags = sorted(set(rng.choices(TAGS, cum_weights=tag_cum, k=rng.randint(1, 7))), key=TAGS.index)
        authors = [f"{rng.choice(FIRST[lang])} {rng.choice(LAST[lang])}" for _ in range(rng.choice([0, 1, 1, 1, 2]))]
        source_file = f"{source_lang}/{host}/{i:06d}.html"
        meta = {
            "title": title,
            "date": date.isoformat(),
            "authors": authors,
            "category": rng.choice(CATEGORIES[lang]),
            "tags": tags,
            "source": source,
            "source_url": f"https://{host}/news/{date:%Y/%m/%d}/{slug}/",
            "dateline": rng.choice(DATELINES) if lang == "en" else "",
            "lang": lang,
            "summary": _summary(body),
            "accessed": (date + dt.timedelta(days=rng.randint(0, 900))).date().isoformat(),
            "source_file": source_file,
            "sha256": hashlib.sha256(source_file.encode()).hexdigest(),
            "slug": slug,
        }
        yield f"{slug}.md", seal(frontmatter.dump(meta, body))


def write_corpus(content: Path, spec: Spec) -> int:
    """Write the corpus into ``content/articles/``; returns the number of files."""
    folder = content / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for name, text in articles(spec):
        (folder / name).write_text(text, "utf-8")
        count += 1
    return count
