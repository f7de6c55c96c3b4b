"""The study's vocabulary: what each word the researcher reads means, defined once.

Every stage, the app and every export take these from here, so a category has one title, a
score of 8 is a passive everywhere, and "k of n participants" counts the same people on the Themes
page as in the report.

- Categories: `Category(key, title, description)` and `DEFAULT_CATEGORIES`, in the order a
  researcher reads them (why they looked, what they weighed, what worried them, ... background
  last; `adjacent_purchase` holds the fish-pond answers). `CATEGORIES` is the tuple of their keys (the categorizer's columns follow it). A study's
  codebook (codebook.py) starts from these and may rename, add or remove categories.
- NPS bands: `nps_band(score)` -> promoter (9-10) / passive (7-8) / detractor (0-6), and
  `nps_breakdown(scores)` for the counts and the net score.
- Participants: `participant_key(interview)` (who is the same person: the participant's name,
  case-insensitive, else the interview itself) and `participant_name(interview)` (what to call
  them); `speaker_title(label)` for a segment's speaker.
- Words: `STOP_WORDS` (English function words), `FILLER_WORDS` (spoken fillers and hedges),
  `NUMBER_WORDS` (spoken 0-10), and per language: `stop_words(lang)` (stopwords-iso lists),
  `number_words(lang)` (spoken 0-10; `own_number_words(lang)` without the English ones) and `digits_for_number_words(text, lang)` (text2num;
  `quotes_in_digits` for quotes).
- Times: `clock` (mm:ss, what quotes are cited with), `timecode` (subtitle hh:mm:ss.mmm),
  `duration` and `hours` (lengths in words).

    >>> nps_band(8), category_title("criteria"), clock(83.4)
    ('passive', 'Buying criteria', '01:23')
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Protocol

# ---------------------------------------------------------------------------------------------
# Categories
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """One kind of thing a participant says. `key` is stored with every quote; `title` is what a
    researcher reads (tabs, report headings); `description` says what belongs in it."""

    key: str
    title: str
    description: str


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("trigger", "Triggers",
             "What made them start looking: the event, pain or moment that set the search off."),
    Category("criteria", "Buying criteria",
             "What mattered when choosing: must-haves, deal-breakers, how the options were compared."),
    Category("fear", "Fears", "What worried them about changing: the risks they saw in switching or buying."),
    Category("objection", "Objections",
             "What almost stopped the purchase: price, timing, approval, a missing feature."),
    Category("nps_reason", "NPS reasons", "Why they gave the recommendation score they gave."),
    Category("channel", "Channels", "How they first heard of or found the product."),
    Category("alternatives", "Alternatives considered",
             "What else they used or weighed: competitors, spreadsheets, doing it by hand, doing nothing."),
    Category("outcome", "Outcomes", "What they hoped to achieve: the results that would make it a success."),
    Category("usage", "Usage", "How they use it now, day to day."),
    Category("adjacent_purchase", "Bought before, with and after",
             "Other products and services they bought before ours, at the same time or after it: "
             "where our customers gather (partners for joint marketing)."),
    Category("nps_score", "NPS scores", "The 0-10 answer to \"how likely are you to recommend it?\"."),
    Category("other", "Other", "Background about the person and everything that fits no other category."),
)
CATEGORIES: tuple[str, ...] = tuple(c.key for c in DEFAULT_CATEGORIES)
CATEGORY_BY_KEY: dict[str, Category] = {c.key: c for c in DEFAULT_CATEGORIES}


def category_title(key: str | None) -> str:
    """The researcher-facing title of a category key; unknown keys read as words, none as
    'Uncategorised'."""
    if not key:
        return "Uncategorised"
    known = CATEGORY_BY_KEY.get(key)
    return known.title if known else key.replace("_", " ").capitalize()


def category_rank(key: str | None) -> int:
    """Position of a category in reading order (unknown keys last), for sorting."""
    return CATEGORIES.index(key) if key in CATEGORIES else len(CATEGORIES)


# ---------------------------------------------------------------------------------------------
# NPS bands
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NpsBand:
    """A Net Promoter band: scores `low`..`high` inclusive."""

    key: str
    title: str
    low: int
    high: int

    @property
    def label(self) -> str:
        """'Promoters (9-10)': the title with its score range."""
        return f"{self.title} ({self.low}-{self.high})"


NPS_BANDS: tuple[NpsBand, ...] = (
    NpsBand("promoter", "Promoters", 9, 10),
    NpsBand("passive", "Passives", 7, 8),
    NpsBand("detractor", "Detractors", 0, 6),
)


def nps_band(score: float | None) -> str | None:
    """'promoter' (9-10), 'passive' (7-8) or 'detractor' (0-6); None without a score."""
    if score is None:
        return None
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def nps_breakdown(scores: Sequence[int]) -> dict[str, Any]:
    """Promoters/passives/detractors, the NPS (-100..100, % promoters - % detractors) and the mean
    of a list of 0-10 scores (None for both without scores)."""
    bands = [nps_band(s) for s in scores]
    promoters, detractors = bands.count("promoter"), bands.count("detractor")
    n = len(scores)
    return {
        "n": n, "promoters": promoters, "passives": bands.count("passive"), "detractors": detractors,
        "nps": round(100 * (promoters - detractors) / n) if n else None,
        "mean": round(sum(scores) / n, 1) if n else None,
    }


# ---------------------------------------------------------------------------------------------
# Participants
# ---------------------------------------------------------------------------------------------


class _HasParticipant(Protocol):
    id: int | None
    file_name: str
    participant: str | None


def participant_key(interview: _HasParticipant) -> str:
    """Who this interview's participant is, for counting people: the name (trimmed,
    case-insensitive), so two interviews with "Ann Lee" are one person; an unnamed interview is
    its own person (two unnamed files with the same name are still two people)."""
    name = (interview.participant or "").strip()
    return f"name:{name.casefold()}" if name else f"interview:{interview.id}"


def participant_name(interview: _HasParticipant) -> str:
    """What to call the participant: their name, else the recording's file name."""
    return (interview.participant or "").strip() or interview.file_name


def speaker_title(label: str | None) -> str:
    """A segment's speaker label as a researcher reads it: 'Interviewer', 'Participant',
    'Speaker 3'; 'Unknown' when unlabelled."""
    return (label or "unknown").replace("_", " ").capitalize()


# ---------------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------------

# English function words: enough to count content words and compare texts without a model.
STOP_WORDS = frozenset(
    """a an the and or but if then so to of in on at by for with from as is was were be been are am
    it its it's this that these those there here i me my we our us you your he she they them their
    his her what which who whom when where why how not no do did does done have has had will would
    could should can may might must shall just too very also only even than about into over up down
    out off more most some any all each both few other such own same again once really""".split()
)
# Spoken fillers and hedges: say nothing about the topic.
FILLER_WORDS = frozenset(
    """um umm uh uhm er erm ah oh hmm mm yeah yes well so like just really mostly basically mainly
    actually honestly probably maybe kind sort of okay ok right sure i mean""".split()
)
# Spoken numbers up to ten (what NPS answers and score fragments are made of).
NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "nought": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
}

# Scripts written without spaces between words (Chinese, Japanese kana, Thai): a regex character
# class body. Text in them is counted, spread over time and joined character by character.
UNSPACED_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f"
_SPREAD_TOKEN = re.compile(f"[{UNSPACED_CHARS}][^\\s{UNSPACED_CHARS}]*|[^\\s{UNSPACED_CHARS}]+")


def spoken_tokens(text: str) -> list[str]:
    """`text` as the units a speaker says one after another: words, and single characters of
    scripts without spaces (punctuation stays on the token before it). For spreading a
    transcript's words over its time when it has no word times."""
    return _SPREAD_TOKEN.findall(text)


def base_language(language: str | None) -> str:
    """The ISO 639-1 part of a language tag ('da-DK' -> 'da', 'zh_Hans' -> 'zh'); 'en' when
    unknown, since the tool's own words and the bundled English models are the fallback."""
    code = re.split(r"[-_]", (language or "").strip().lower())[0]
    return code or "en"


@lru_cache(maxsize=64)
def stop_words(language: str | None) -> frozenset[str]:
    """Function words of `language`, lower-case: the English list above for English; for other
    languages the stopwords-iso collection (hundreds of languages) joined with the English list
    (interviews in any language borrow English product words and fillers). Unknown languages get
    the English list alone."""
    lang = base_language(language)
    if lang == "en":
        return STOP_WORDS
    try:
        import stopwordsiso
    except ImportError:  # an install without the optional list still mines, with English stop words
        return STOP_WORDS
    own = stopwordsiso.stopwords(lang) if stopwordsiso.has_lang(lang) else set()
    return frozenset(w.casefold() for w in own) | STOP_WORDS


# Coordinating conjunctions that open a sentence adding a point of its own ("And fewer calls to
# move an appointment.", "But the price creeps up."): a list, not a headline and its elaboration
# ("Patient data, mostly. If something leaks, ..."), which follows without one.
_ADDING_CONJUNCTIONS: dict[str, tuple[str, ...]] = {
    "en": ("and", "but", "or", "plus"), "da": ("og", "men", "eller"), "de": ("und", "aber", "oder", "sondern"),
    "es": ("y", "pero", "o"), "fi": ("ja", "mutta", "tai", "sekä"), "fr": ("et", "mais", "ou"),
    "it": ("e", "ma", "o"), "nl": ("en", "maar", "of"), "pt": ("e", "mas", "ou"), "sv": ("och", "men", "eller"),
    "zh": ("而且", "但是", "还有", "另外", "或者"),
}
_HESITATION = re.compile(r"^(?:\W*\b(?:um+|uh+|erm|er|ah|oh)\b)+[\s,.]*", re.I)


def opens_with_conjunction(text: str, language: str | None = None) -> bool:
    """Does this sentence open with a coordinating conjunction (after any hesitation)? Those of
    `language`, and English ones (interviews in any language borrow them).

    >>> opens_with_conjunction("Um, and fewer calls too."), opens_with_conjunction("Andrew said so.")
    (True, False)
    >>> opens_with_conjunction("Und der Preis.", "de"), opens_with_conjunction("但是价格太高。", "zh")
    (True, True)
    """
    head = _HESITATION.sub("", text.strip()).lstrip(" ,.\"'").casefold()
    words = {*_ADDING_CONJUNCTIONS["en"], *_ADDING_CONJUNCTIONS.get(base_language(language), ())}
    return any(head.startswith(w) and (re.match(f"[{UNSPACED_CHARS}]", w) or not head[len(w):len(w) + 1].isalnum())
               for w in words)


# A reply that only closes a question or the interview ("No, that's everything, thanks.", "Nein, das
# war's."): no point of its own, so never evidence for a category. As a follow-up to the
# recommendation question it was filed, and listed, as a reason for the score. Whole replies only:
# "No more apology emails" and "Nothing else did what we needed" say something.
_CLOSING = re.compile(
    r"(?:(?:no|nope|nah|nee|nein|non|nej|nei|ei|yeah|yes|ok|okay|well|um|uh|erm|so|i think|honestly|really|i guess"
    r"|ich glaube|je pense|creo que|jeg tror|ik denk)[\s,.!]+)*"
    r"(?:that'?s (?:it|all|everything|about it|all from me|all i've got)(?: really| i think| for me| from me)?"
    r"|(?:i think )?that (?:covers|about covers) it|nothing (?:else|more)(?: to add| really| from me)?|not that i can think of"
    r"|i'?m good|all good|i'?m all set|no more (?:from me|questions)"
    r"|das war'?s(?: eigentlich| schon)?|das ist alles|nichts weiter|sonst nichts|mehr nicht"
    r"|c'est tout|rien d'autre|rien de plus|c'est bon|eso es todo|nada más|es todo"
    r"|det var det|det er alt|ikke andet|ikke mere|det var allt|inget mer|dat was het|dat is alles|verder niets)"
    r"(?:[\s,.!]+(?:thanks|thank you|cheers|danke|merci|gracias|tak|dank je|really|i think|honestly))*[\s,.!]*",
    re.I)


def is_closing_remark(text: str) -> bool:
    """Is this whole reply only a closing remark, with no point of its own?

    >>> [is_closing_remark(t) for t in ("No, that's everything, thanks.", "No, I think that's everything.",
    ...  "Nein, das war's.", "Non, c'est tout.", "No more apology emails.", "Nothing else did what we needed.", "No.")]
    [True, True, True, True, False, False, False]
    """
    return bool(_CLOSING.fullmatch(text.strip().strip("\"'“”")))


# Spoken 0-10 per language (text2num, where it has the language, reads longer numbers too).
_NUMBER_WORDS_BY_LANGUAGE: dict[str, dict[str, int]] = {
    "en": NUMBER_WORDS,
    # Words that are also articles or English words ("en", "et", "to", "eine") are left out: a
    # score of 1 or 2 spoken as a word is rare, an article read as a score is not.
    # A grade said as a noun: "et syvtal" (a seven), "en sekser" (a six); hyphenated ("syv-tal")
    # the number word itself is found.
    "da": {"nul": 0, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7,
           "otte": 8, "ni": 9, "ti": 10, "tretal": 3, "firetal": 4, "femtal": 5, "sekstal": 6,
           "syvtal": 7, "ottetal": 8, "nital": 9, "tital": 10, "treer": 3, "firer": 4, "femmer": 5, "sekser": 6,
           "syver": 7, "otter": 8, "nier": 9, "tier": 10},
    # Swedish and Norwegian (no text2num): the numbers and the grades said as nouns ("en nia",
    # "en åtter"); "en", "ett", "to" (two) are left out as above.
    "sv": {"noll": 0, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "åtta": 8, "nio": 9,
           "tio": 10, "trea": 3, "femma": 5, "sexa": 6, "sjua": 7, "nia": 9, "tia": 10},
    "nb": {"null": 0, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "sju": 7, "syv": 7, "åtte": 8, "ni": 9,
           "ti": 10, "treer": 3, "firer": 4, "femmer": 5, "sekser": 6, "sjuer": 7, "syver": 7, "åtter": 8,
           "nier": 9, "tier": 10},
    "de": {"null": 0, "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6,
           "sieben": 7, "acht": 8, "neun": 9, "zehn": 10},
    "fi": {"nolla": 0, "yksi": 1, "kaksi": 2, "kolme": 3, "neljä": 4, "viisi": 5, "kuusi": 6,
           "seitsemän": 7, "kahdeksan": 8, "yhdeksän": 9, "kymmenen": 10, "kympin": 10, "kymppi": 10,
           # spoken grades ("antaisin ysin", "kasi", "seiskan"), as ratings are usually said
           "vitonen": 5, "vitosen": 5, "kutonen": 6, "kutosen": 6, "seiska": 7, "seiskan": 7,
           "kasi": 8, "kasin": 8, "ysi": 9, "ysin": 9},
    "zh": {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9, "十": 10},
}
_NUMBER_WORDS_BY_LANGUAGE["no"] = _NUMBER_WORDS_BY_LANGUAGE["nn"] = _NUMBER_WORDS_BY_LANGUAGE["nb"]  # Whisper says "no"
_TEXT2NUM_LANGUAGES = {"en": "en", "da": "da", "de": "de", "es": "es", "fr": "fr", "it": "it", "nl": "nl", "pt": "pt"}


def own_number_words(language: str | None) -> dict[str, int]:
    """Spoken 0-10 in `language` alone (English for English; empty for a language not listed).

    >>> own_number_words("de")["acht"], "eight" in own_number_words("de"), own_number_words("sw")
    (8, False, {})
    """
    return dict(_NUMBER_WORDS_BY_LANGUAGE.get(base_language(language) or "en", {}))


def number_words(language: str | None) -> dict[str, int]:
    """Spoken 0-10 in `language` (English included, since scores are often said in English);
    the English words alone for a language not listed."""
    return {**NUMBER_WORDS, **_NUMBER_WORDS_BY_LANGUAGE.get(base_language(language), {})}


# An article text2num reads as "one" before a number word ("un ocho", "een acht", "un sept" ->
# "1 8"): the article goes, so the score is not read as a 1.
_ARTICLE_READ_AS_ONE = re.compile(r"(?<![\d.,/])\b1\s+(?=(?:10|[0-9])\b(?![.,]\d))")


def digits_for_number_words(text: str, language: str | None) -> str:
    """`text` with spoken numbers written as digits ("otte ud af ti" -> "8 ud af 10"), through
    text2num where it has the language, then the 0-10 table above for what text2num leaves (a
    grade said as a noun: "et syv-tal", "et ottetal"; whole words, or characters for Chinese,
    which has no spaces). The text is unchanged when nothing is a number.

    >>> digits_for_number_words("Øh, nok et syv-tal.", "da"), digits_for_number_words("Et ottetal.", "da")
    ('Øh, nok et 7-tal.', 'Et 8.')
    >>> digits_for_number_words("Diría que un ocho.", "es"), digits_for_number_words("Jag ger dem en nia.", "sv")
    ('Diría que 8.', 'Jag ger dem en 9.')
    """
    lang = base_language(language)
    if lang in _TEXT2NUM_LANGUAGES:
        try:
            from text_to_num import alpha2digit

            text = _ARTICLE_READ_AS_ONE.sub("", alpha2digit(text, _TEXT2NUM_LANGUAGES[lang]))
        except (ImportError, ValueError):
            pass
        if lang == "en":  # NUMBER_WORDS would turn "one of them" into "1 of them"
            return text
    table = _NUMBER_WORDS_BY_LANGUAGE.get(lang)
    if not table:
        return text
    if lang == "zh":  # 十 alone is 10; 九十 would be 90 and never a 0-10 score
        return re.sub(r"(?<![零一二两三四五六七八九十])([零一二两三四五六七八九十])(?![零一二两三四五六七八九十])",
                      lambda m: str(table[m.group(1)]), text)
    words = "|".join(sorted(map(re.escape, table), key=len, reverse=True))
    return re.sub(rf"(?<!\w)({words})(?!\w)", lambda m: str(table[m.group(1).casefold()]), text, flags=re.I)


def quotes_in_digits(quotes: Sequence[Any], language: Mapping[int, str | None], questions: bool = False) -> list[Any]:
    """Copies of the quotes not in English (`language`: {interview id: its language}) with their
    spoken numbers as digits (`digits_for_number_words`); the quotes themselves are never
    rewritten. `questions`: their questions too (the categorizer keys vectors by them). Why: one
    score reader serves every language, and which sentence of an answer states the score is
    decided by it ("je donnerais sept" was read as a reason)."""
    out = []
    for q in quotes:
        lang = language.get(q.interview_id)
        text, question = (q.text, q.question) if base_language(lang) == "en" else (
            digits_for_number_words(q.text, lang), digits_for_number_words(q.question, lang) if questions and q.question else q.question)
        out.append(q if (text, question) == (q.text, q.question) else replace(q, text=text, question=question))
    return out


# ---------------------------------------------------------------------------------------------
# Times
# ---------------------------------------------------------------------------------------------


def clock(seconds: float | None) -> str:
    """Where in a recording: 83.4 -> '01:23', 3725 -> '1:02:05', None -> '--:--'."""
    if seconds is None:
        return "--:--"
    h, rest = divmod(int(max(seconds, 0)), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def timecode(seconds: float, sep: str = ".") -> str:
    """Subtitle time 'hh:mm:ss.mmm' (WebVTT; SRT uses sep=',')."""
    ms = int(round(max(seconds, 0) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def duration(seconds: float | None) -> str:
    """How long a recording is: '2 min 25 s', '1 h 05 min', '–' when unknown."""
    if not seconds:
        return "–"
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {(s % 3600) // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"


def hours(seconds: float) -> str:
    """A total amount of audio: '2.5 h', or '25 min' under an hour."""
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"
