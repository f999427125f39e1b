"""Text to index terms, exactly as lunr.js + lunr-languages do it in the browser.

The browser side is ``lunr.multiLanguage('en', 'ru')`` from lunr-languages:

* index pipeline ``lunr-multi-trimmer-en-ru, stopWordFilter-ru, stopWordFilter,
  stemmer, stemmer-ru``;
* search pipeline ``stemmer, stemmer-ru``.

Every word goes through both stemmers; each only touches words of its own
script (the English rules end in Latin letters, the Russian ones in Cyrillic),
so English and Russian share one index and a query needs no language: a
Russian word is stemmed the Russian way whatever the language of the article
it sits in (Russian articles quote "CSTO", English ones quote "ОДКБ").

lunr.py's language support would call ``nltk.download`` (no network at build
time, ever), and its own Porter stemmer differs from lunr.js's; so the
functions here are our own, named with the lunr.js labels so that a
serialised index loads in lunr.js.  They are checked against the JavaScript in
the tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import snowballstemmer
from lunr.pipeline import Pipeline
from lunr.stop_word_filter import WORDS as ENGLISH_STOP_WORDS
from lunr.token import Token

from microsite.search import porter
from microsite.search.stopwords import RUSSIAN as RUSSIAN_STOP_WORDS

LANGUAGES = ("en", "ru")
INDEX_LABELS = ("lunr-multi-trimmer-en-ru", "stopWordFilter-ru", "stopWordFilter", "stemmer", "stemmer-ru")
SEARCH_LABELS = ("stemmer", "stemmer-ru")

# lunr.multiLanguage's word characters: "\w" (ASCII in JavaScript) + lunr.ru.wordCharacters + "0-9".
_WORD_CHARS = "A-Za-z0-9_" + "\u0400-\u0484\u0487-\u052f\u1d2b\u1d78\u2de0-\u2dff\ua640-\ua69f\ufe2e\ufe2f" + "0-9"
_TRIM_START = re.compile(f"^[^{_WORD_CHARS}]+")
_TRIM_END = re.compile(f"[^{_WORD_CHARS}]+$")

# lunr.tokenizer.separator is /[\s\-]+/; JavaScript's \s is this set, not Python's.
# Anything that lunr.py, Python or JavaScript could read as a space becomes " ", so
# that every tokenizer involved splits a normalised text the same way: Python's
# str.split() covers JavaScript's \s except the BOM, and more (\x1c-\x1f, \x85).
_BOM = "\ufeff"

_russian = snowballstemmer.stemmer("russian")
# Snowball 2+ folds "ё" into "е" first; lunr.ru.js (an older Snowball) does not and
# treats "ё" as a consonant.  A private-use stand-in keeps the old behaviour.
_YO, _YO_STAND_IN = "ё", "\ue000"
_RUSSIAN_LETTER = re.compile("[а-я]")


def normalise_space(text: str) -> str:
    """One plain space for every run of whitespace, trimmed."""
    return " ".join(text.replace(_BOM, " ").split())


def tokenize(text: str) -> list[str]:
    """lunr.tokenizer (split on /[\\s\\-]+/, lower-case) on a normalised string."""
    return text.lower().replace("-", " ").split()


def trim(word: str) -> str:
    """The multi-language trimmer: strip non-word characters at both ends."""
    return _TRIM_END.sub("", _TRIM_START.sub("", word, count=1), count=1)


@lru_cache(maxsize=200_000)
def stem_russian(word: str) -> str:
    """lunr.ru.js's stemmer (Snowball Russian as it was before "ё" folding).

    A word without a letter from "а" to "я" has no Russian vowel, hence no
    region the stemmer may change: it is returned as it is, without running
    Snowball (most of an English article's words).
    """
    if not _RUSSIAN_LETTER.search(word):
        return word
    if _YO in word:
        return _russian.stemWord(word.replace(_YO, _YO_STAND_IN)).replace(_YO_STAND_IN, _YO)
    return _russian.stemWord(word)


@lru_cache(maxsize=500_000)
def index_term(word: str) -> str | None:
    """One token through the index pipeline; None when a stop word filter drops it."""
    word = trim(word)
    if word in RUSSIAN_STOP_WORDS or word in ENGLISH_STOP_WORDS:
        return None
    return stem_russian(porter.stem(word))


def search_term(word: str) -> str:
    """One query term through the search pipeline (stemmers only, as lunr-languages does)."""
    return stem_russian(porter.stem(word))


def index_terms(text: str) -> list[str]:
    """The terms lunr stores for a field's text (empty strings included, as lunr keeps them)."""
    return [term for term in map(index_term, tokenize(text)) if term is not None]


def _token_fn(label: str, fn: Callable[[str], str | None]):
    """A lunr.py pipeline function carrying its lunr.js label (for serialisation)."""

    def run(token: Token, i=None, tokens=None):
        result = fn(token.string)
        if result is None:
            return None
        token.string = result
        return token

    run.label = label
    return run


_FUNCTIONS = {
    "lunr-multi-trimmer-en-ru": _token_fn("lunr-multi-trimmer-en-ru", trim),
    "stopWordFilter-ru": _token_fn("stopWordFilter-ru", lambda w: None if w in RUSSIAN_STOP_WORDS else w),
    "stopWordFilter": _token_fn("stopWordFilter", lambda w: None if w in ENGLISH_STOP_WORDS else w),
    "stemmer": _token_fn("stemmer", porter.stem),
    "stemmer-ru": _token_fn("stemmer-ru", stem_russian),
}


def functions(labels: tuple[str, ...]) -> list[Callable]:
    """lunr.py pipeline functions for lunr.js labels.

    They are not put in lunr.py's global registry: "stemmer" there is lunr.py's
    own stemmer, and overwriting it would log a warning (fatal in strict
    builds) and change lunr.py for everyone in the process.
    """
    return [_FUNCTIONS[label] for label in labels]


def lunr_pipeline(labels: tuple[str, ...]) -> Pipeline:
    """A lunr.py Pipeline of our functions (for the reference builder and for querying in Python)."""
    pipeline = Pipeline()
    pipeline.add(*functions(labels))
    return pipeline
