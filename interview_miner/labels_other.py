"""Phrases in languages with no dependency parser shipped: words, clauses and stop-word-bounded
candidate phrases (RAKE's idea), for the labels `labels.py` gives themes not in English.

Public API: `bounded_phrases(text, lang)` (a quote's candidate phrases in its own language) and
`UNSPACED` (scripts written without spaces). The rest serves `labels.py`: `_tokens` (jieba for
Chinese, one unit for other unspaced scripts, words elsewhere), `_content_other` (content stems,
for support), `_with_topic` (a short phrase led by its category's topic word) and
`_fallback_other` (the topic word and the strongest keyword when no phrase will do).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .labels import LabelInput

MIN_WORDS, MAX_WORDS = 3, 8  # a label's length in words where words are spaced

UNSPACED = frozenset({"zh", "ja", "th", "lo", "km", "my"})  # scripts written without spaces between words
MIN_CHARS, MAX_CHARS = 4, 16  # a label's length in characters where words have no spaces
_CLAUSE_BREAK = re.compile(r"[,;:.!?…\"“”„»«()\[\]{}/|—–\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+")
_SPACED_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_STEM = 6  # support is counted on word beginnings: "udeblivelser" and "udeblivelserne" are one word


@lru_cache(maxsize=1)
def _jieba():
    """jieba with its shipped dictionary (MIT); loaded once, quietly (it logs its cache build and
    imports the deprecated pkg_resources)."""
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba
    jieba.setLogLevel(logging.WARNING)
    return jieba


def _tokens(clause: str, lang: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the words of one clause."""
    if lang == "zh":
        return [(a, b) for _, a, b in _jieba().tokenize(clause) if clause[a:b].strip()]
    if lang in UNSPACED:  # no segmenter here: the clause is one unit
        return [(0, len(clause))] if clause.strip() else []
    return [m.span() for m in _SPACED_TOKEN.finditer(clause)]


def _is_function(word: str, lang: str) -> bool:
    from .vocab import stop_words

    w = word.casefold()
    return w in stop_words(lang) or (lang not in UNSPACED and len(w) < 2) or w.isdigit()


def _length(phrase: str, lang: str) -> int:
    """Words, or characters for a language written without spaces."""
    if lang in UNSPACED:
        return sum(1 for ch in phrase if ch.isalnum())
    return len(phrase.split())


def _too_short(phrase: str, lang: str) -> bool:
    return _length(phrase, lang) < (MIN_CHARS if lang in UNSPACED else MIN_WORDS)


def _too_long(phrase: str, lang: str) -> bool:
    return _length(phrase, lang) > (MAX_CHARS if lang in UNSPACED else MAX_WORDS)


def bounded_phrases(text: str, lang: str) -> list[str]:
    """A quote's candidate phrases in its own language: within one clause, spans that start and
    end on a content word, start at the clause start or after a function word and end at the
    clause end or before one, at most MAX_WORDS words (MAX_CHARS characters unspaced). Each is
    the quote's own text between those words (never re-spaced, never translated).

    >>> bounded_phrases("Vi mistede seks eller syv aftaler om ugen.", "da")[:3]
    ['mistede', 'mistede seks eller syv aftaler', 'mistede seks eller syv aftaler om ugen']
    """
    return list(dict.fromkeys(p for p, _ in _bounded(text, lang)))


def _bounded(text: str, lang: str) -> list[tuple[str, int]]:
    """`bounded_phrases` with how many clause edges each phrase reaches (0-2): a phrase from the
    clause's first content word to its end follows the sentence's seams; one that stops before a
    function word mid-clause more often leaves a word behind ("miste patientdata midt")."""
    out: list[tuple[str, int]] = []
    for clause in _CLAUSE_BREAK.split(text):
        spans = _tokens(clause, lang)
        words = [clause[a:b] for a, b in spans]
        func = [_is_function(w, lang) for w in words]
        n = len(words)
        content = [k for k in range(n) if not func[k]]
        for i in range(n):
            if func[i] or (i > 0 and not func[i - 1]):
                continue  # a phrase starts at the clause start or after a function word
            for j in range(i, min(n, i + MAX_WORDS)):
                if func[j] or (j + 1 < n and not func[j + 1]):
                    continue  # ... and ends at the clause end or before a function word
                phrase = clause[spans[i][0]:spans[j][1]]
                if not _too_long(phrase, lang):
                    out.append((phrase, int(i == content[0]) + int(j == content[-1])))
    return out


def _content_other(text: str, lang: str) -> set[str]:
    """Content words of a text (stems for spaced languages), for support across a theme's quotes."""
    found = set()
    for clause in _CLAUSE_BREAK.split(text):
        for a, b in _tokens(clause, lang):
            w = clause[a:b].casefold()
            if not _is_function(w, lang) and (lang not in UNSPACED or len(w) >= 2):
                found.add(w if lang in UNSPACED else w[:_STEM])
    return found


def _with_topic(phrase: str, category: str, lang: str) -> str:
    """A short phrase led by its category's topic word ("Bekymring: patientdata", "顾虑：数据")."""
    from .languages import phrase_languages, phrases

    if not _too_short(phrase, lang) or lang not in phrase_languages():
        return phrase
    colon = "：" if lang in UNSPACED else ": "
    return f"{phrases(lang).topic(category)}{colon}{phrase}"


def _fallback_other(g: LabelInput, lang: str) -> str:
    """No usable phrase: the category's topic word, with the theme's strongest content keyword."""
    from .languages import phrases

    topic = phrases(lang).topic(g.category) or "Theme"
    noun = next((k for k in g.keywords if " " not in k and not _is_function(k, lang) and _length(k, lang) <= MAX_CHARS), None)
    return f"{topic}（{noun}）" if noun and lang in UNSPACED else (f"{topic} ({noun})" if noun else topic)
