"""The English stemmer of lunr.js 2.3.9, ported rule for rule.

lunr.py ships its own Porter stemmer, but its docstring admits it differs
from the JavaScript one ("lay" -> "lai", "try" -> "try").  The index is built
in Python and queried in the browser, so a word must stem the same on both
sides or it can never be found: this is a line-by-line port of
``lunr.stemmer`` (``node_modules/lunr/lunr.js``), same regular expressions,
same order.  ``tests/test_search_browser.py`` compares it with lunr.js.
"""

from __future__ import annotations

import re
from functools import lru_cache

_STEP2 = {
    "ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize", "bli": "ble",
    "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize", "ation": "ate",
    "ator": "ate", "alism": "al", "iveness": "ive", "fulness": "ful", "ousness": "ous", "aliti": "al",
    "iviti": "ive", "biliti": "ble", "logi": "log",
}
_STEP3 = {"icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "", "ness": ""}

_c = "[^aeiou]"
_v = "[aeiouy]"
_C = _c + "[^aeiouy]*"
_V = _v + "[aeiou]*"

# JavaScript's "$" without the m flag matches only at the very end: "\Z" here.
_MGR0 = re.compile("^(" + _C + ")?" + _V + _C)
_MEQ1 = re.compile("^(" + _C + ")?" + _V + _C + "(" + _V + r")?\Z")
_MGR1 = re.compile("^(" + _C + ")?" + _V + _C + _V + _C)
_S_V = re.compile("^(" + _C + ")?" + _v)

_1A = re.compile(r"^(.+?)(ss|i)es\Z", re.S)
_1A2 = re.compile(r"^(.+?)([^s])s\Z", re.S)
_1B = re.compile(r"^(.+?)eed\Z", re.S)
_1B2 = re.compile(r"^(.+?)(ed|ing)\Z", re.S)
_LAST = re.compile(r".\Z", re.S)
_1B2_2 = re.compile(r"(at|bl|iz)\Z")
_1B2_3 = re.compile(r"([^aeiouylsz])\1\Z")
_1B2_4 = re.compile("^" + _C + _v + r"[^aeiouwxy]\Z")
_1C = re.compile(r"^(.+?[^aeiou])y\Z", re.S)
_2 = re.compile(r"^(.+?)(" + "|".join(_STEP2) + r")\Z", re.S)
_3 = re.compile(r"^(.+?)(" + "|".join(_STEP3) + r")\Z", re.S)
_4 = re.compile(r"^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)\Z", re.S)
_4_2 = re.compile(r"^(.+?)(s|t)(ion)\Z", re.S)
_5 = re.compile(r"^(.+?)e\Z", re.S)
_5_1 = re.compile(r"ll\Z")
_5_3 = re.compile("^" + _C + _v + r"[^aeiouwxy]\Z")


def _js_length(word: str) -> int:
    """``String.length`` in JavaScript: UTF-16 code units."""
    return len(word) + sum(1 for ch in word if ord(ch) > 0xFFFF)


_LATIN = re.compile("[a-z]")


@lru_cache(maxsize=200_000)
def stem(w: str) -> str:
    """Stem one lower-cased English word exactly as lunr.js does.

    Every rule ends in a Latin letter: a word without one (Russian, digits)
    is returned as it is, without trying them.
    """
    if _js_length(w) < 3 or not _LATIN.search(w):
        return w
    firstch = w[0]
    if firstch == "y":
        w = "Y" + w[1:]

    # Step 1a
    if _1A.search(w):
        w = _1A.sub(r"\1\2", w, count=1)
    elif _1A2.search(w):
        w = _1A2.sub(r"\1\2", w, count=1)

    # Step 1b
    if fp := _1B.search(w):
        if _MGR0.search(fp.group(1)):
            w = _LAST.sub("", w, count=1)
    elif fp := _1B2.search(w):
        stem_ = fp.group(1)
        if _S_V.search(stem_):
            w = stem_
            if _1B2_2.search(w):
                w += "e"
            elif _1B2_3.search(w):
                w = _LAST.sub("", w, count=1)
            elif _1B2_4.search(w):
                w += "e"

    # Step 1c
    if fp := _1C.search(w):
        w = fp.group(1) + "i"

    # Step 2
    if (fp := _2.search(w)) and _MGR0.search(fp.group(1)):
        w = fp.group(1) + _STEP2[fp.group(2)]

    # Step 3
    if (fp := _3.search(w)) and _MGR0.search(fp.group(1)):
        w = fp.group(1) + _STEP3[fp.group(2)]

    # Step 4
    if fp := _4.search(w):
        if _MGR1.search(fp.group(1)):
            w = fp.group(1)
    elif fp := _4_2.search(w):
        stem_ = fp.group(1) + fp.group(2)
        if _MGR1.search(stem_):
            w = stem_

    # Step 5
    if fp := _5.search(w):
        stem_ = fp.group(1)
        if _MGR1.search(stem_) or (_MEQ1.search(stem_) and not _5_3.search(stem_)):
            w = stem_
    if _5_1.search(w) and _MGR1.search(w):
        w = _LAST.sub("", w, count=1)

    if firstch == "y":
        w = "y" + w[1:]
    return w
