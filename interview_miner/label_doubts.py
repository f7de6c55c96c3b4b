"""Doubts about theme names: which words of a label may be misheard, so a researcher listens
before a name built on them reaches a report or a persona.

Public API:
- `rare_word(word, lang)`: rare in the language in every simple form (wordfreq).
- `rare_and_said_once(quotes, language)` -> `odd(word)`: rare, and said in one interview only.
- `unclear_label_words(label, category, sources, lang, odd)` -> (words, quote index): the label's
  words its quotes were heard unsure of (or that are `odd`, or that a second recogniser heard
  otherwise), and which quote to listen to.
Labels themselves are made in `labels.py`; `themes.py` passes `odd` to it so a likely misheard
word names no theme when another phrase will do.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache

from .labels import _name_words, label_words
from .labels_other import _content_other


# Words every name-word list leaves out as function words, yet a name turns on: a second hearing
# without them says the opposite ("No support team" where base heard "The support team").
NEGATIONS = frozenset({"no", "not"})
RARE_ZIPF = 2.5  # below this a word is rare in the language (wordfreq's Zipf scale: ~3 per billion words)


def rare_word(word: str, lang: str = "en") -> bool:
    """Whether a word is rare in the language in every simple form ("tatma", "pointman", but not
    "receptionists": "receptionist" is common enough), by wordfreq's counts of film subtitles,
    news, books and the web. False when wordfreq does not know the language.

    >>> rare_word("pointman"), rare_word("Crosstown"), rare_word("receptionists"), rare_word("waitlist")
    (True, True, False, True)
    """
    try:
        from wordfreq import available_languages, zipf_frequency
    except ImportError:
        return False
    if lang not in available_languages():
        return False
    w = word.casefold().strip("'’-")
    forms = {w, re.sub(r"['’]s$", "", w), w[:-1] if w.endswith("s") else w, w[:-2] if w.endswith("ed") else w,
             w[:-1] if w.endswith("ed") else w, w.replace("-", "")}
    return max(zipf_frequency(f, lang) for f in forms if f) < RARE_ZIPF


def rare_and_said_once(quotes: Iterable, language: str | None = None) -> Callable[[str], bool]:
    """`odd(word)` for `unclear_label_words` and `theme_labels`: rare in the language (`rare_word`) and
    said in one interview only, by anyone (the questions count). Measured on the dev and held-out
    audio studies' theme names: 4 of 22 misheard name words ("Macman", "Crosstown", "tatma",
    "pointman"), none of 160 right ones. A word a typed quote holds (an imported transcript,
    confidence 1.0) was written, not heard, and is never doubted: in reference transcripts
    the rule passed over "binning so many flowers" for "Triggered by roses"."""
    seen: dict[str, set[int]] = {}
    typed: set[str] = set()
    for q in quotes:
        words = re.findall(r"[\w'’-]+", f"{q.text} {q.question or ''}".casefold())
        for w in words:
            seen.setdefault(w, set()).add(q.interview_id)
        if (getattr(q, "asr_confidence", None) or 0.0) >= 1.0:  # 1.0: typed (models.Quote)
            typed.update(words)
    lang = (language or "en")[:2]
    return lambda word: (word.casefold() not in typed and len(seen.get(word.casefold(), ())) <= 1
                         and rare_word(word, lang))


def unclear_label_words(label: str, category: str, sources: Sequence[tuple[str, Sequence[tuple[int, int, float]]]],
                        lang: str = "en", odd: Callable[[str], bool] | None = None) -> tuple[list[str], int | None]:
    """The words of a theme's label its quotes were heard unsure of, and which quote to listen to.

    Why: a label is drawn from the quotes' words, and a word the recogniser misheard is repeated
    in every report and persona name built on the theme; the researcher should hear it before
    sharing the name. `sources`: (text, unsure spans as `quotes.unsure_spans` gives, or a
    function returning them, called only for quotes holding the name's words[, what a second
    recogniser heard there: `second_hearing.kept_hearing`, None, or a function returning it]) of
    the theme's quotes, the representative first. A word is unsure in a quote when the quote was
    heard again and the second hearing lacks it (`heard_otherwise`: two models rarely mishear
    alike, "double workings" where base heard "double bookings"), or, with no second hearing,
    when the recogniser was unsure of it. A second hearing that holds the word confirms it
    however unsure the first was: on the dev and held-out audio studies, all 6 words that rule
    stopped flagging ("monthly", "payroll", "shops", ...) were said. A word
    counts as unclear only when every quote holding all the label's words heard it unsure: heard
    clearly once, it is confirmed. `odd(word)`
    marks words to doubt however clearly they were heard: a rare word only one interview has
    ("Crosstown", "Macman") is more often a confident mishearing than a name. ([], None) when
    nothing is unclear or no quote holds the label's words (a name the researcher wrote).

    >>> unclear_label_words("Double workings every week", "trigger",
    ...     [("We kept getting double workings every week.", [(23, 31, 0.2)])])
    (['workings'], 0)
    >>> unclear_label_words("Double workings every week", "trigger",
    ...     [("We kept getting double workings every week.", [], "We kept getting double bookings every week.")])
    (['workings'], 0)
    >>> unclear_label_words("Double bookings every week", "trigger",
    ...     [("We kept getting double bookings every week.", [(23, 31, 0.2)], "We got double bookings every week.")])
    ([], None)
    >>> unclear_label_words("No support team", "nps_reason",
    ...     [("No support team, they fixed it.", [], "The support team, they fixed it.")])
    (['No'], 0)
    """
    words = label_words(label, category, lang) | (_negations(label) if lang == "en" else set())
    content = (lambda t: _name_words(t) | _negations(t)) if lang == "en" else (lambda t: _content_other(t, lang))
    holding = [k for k, (text, *_) in enumerate(sources) if words and words <= content(text)]
    unsure_in = []
    for text, spans, *heard in (sources[k] for k in holding):
        unsure = {w: text[a:b] for a, b, _ in (spans() if callable(spans) else spans) for w in content(text[a:b]) & words}
        second = heard[0]() if heard and callable(heard[0]) else (heard[0] if heard else None)
        if second is not None:  # the second hearing decides: two models agreeing confirm a word
            lacking = heard_otherwise(words, second, lang)
            unsure = {w: said for w, said in unsure.items() if w in lacking}
            for w in lacking:
                unsure.setdefault(w, _as_said(w, text) or w)
        unsure_in.append(unsure)
    unclear = set.intersection(*(set(u) for u in unsure_in)) if unsure_in else set()
    if holding and odd is not None and lang == "en":
        first = sources[holding[0]][0]
        for w in sorted(words - unclear):
            if (said := _as_said(w, first)) and odd(w):
                unclear.add(w)
                unsure_in[0][w] = said
    if not unclear:
        return [], None
    shown = dict.fromkeys(unsure_in[0][w] for w in sorted(unclear, key=lambda w: sources[holding[0]][0].casefold().find(w)))
    return list(shown), holding[0]


def _negations(text: str) -> set[str]:
    """The bare negations ("no", "not") `text` holds as words (contractions such as "didn't" are
    name words already)."""
    return NEGATIONS & set(re.findall(r"[a-z]+(?:['’][a-z]+)?", text.lower()))


def _as_said(word: str, text: str) -> str | None:
    """`word` as `text` spells it (its case), matched as a whole word; None when absent."""
    at = re.search(rf"(?<![\w'’-]){re.escape(word)}(?![\w'’-])", text, re.IGNORECASE)
    return at.group(0) if at else None


def heard_otherwise(words: Iterable[str], heard: str, lang: str = "en") -> set[str]:
    """Of a label's `words`, those a second hearing of its quote does not hold, as whole words
    without a possessive or plural "s" (a shared beginning is no agreement: "county" is
    misheard "country"), any language. A number is one word however it is written: Whisper
    writes "six" as "6" as often as not.

    >>> sorted(heard_otherwise({"double", "workings", "week"}, "And we got double bookings every week."))
    ['workings']
    >>> sorted(heard_otherwise({"county", "reminder"}, "What your country can do; text reminders."))
    ['county']
    >>> sorted(heard_otherwise({"losing", "six", "seven", "appointments"}, "We were losing 6 or 7 appointments."))
    []
    """
    def forms(text: str) -> set[str]:
        return {re.sub(r"(?<=\w\w\w)s$", "", _as_digits(p, lang))
                for p in re.findall(r"[^\W_]+(?:['’][^\W_]+)?", text.casefold()) for p in [re.sub(r"['’]s$", "", p)]}

    said = forms(heard)
    return {w for w in words if not forms(w) <= said}


@lru_cache(maxsize=4096)
def _as_digits(word: str, lang: str) -> str:
    """A spoken number as digits ("six" -> "6"), any other word as it is."""
    from .vocab import digits_for_number_words

    return digits_for_number_words(word, lang)
