"""Which language an interview and a study are in, and what follows from it.

Everything after transcription used to assume English. The stages now ask this module:

- `study_language(interviews)`: the study's language for the stages that need one vector space
  (the embedder): the single language all interviews share, `"mul"` for a mix, `"en"` when none is
  known. `embed.model_for_language` turns it into a model (MiniLM for English, multilingual e5
  otherwise).
- `guess_text_language(text)`: the language of an imported transcript, from its script (Chinese,
  Japanese, Korean, Cyrillic, Greek, Arabic, Hebrew) or, for Latin script, from which
  language's function words (stopwords-iso) cover most of its words. No model: a transcript
  has hundreds of words, and function words identify a language within a few dozen.
- `split_language(metadata)`: `add --meta language=da` sets an interview's language (the
  per-interview override of the study's `--language`).
- `text_direction(lang)`: "rtl" for Arabic, Hebrew, Persian, Urdu; "ltr" otherwise (HTML `dir`).
- `localised_guide_questions()`: the default interview guide's questions per category in other
  languages (package data `data/guide_questions.json`), added to the categorizer's prototypes
  when the embedder is multilingual, so a Danish question is recognised as Danish wording and
  not only through the cross-lingual match to the English one.
- `phrases(lang) -> Phrases`: the fixed words written around participants' own words (persona
  claims "3 af 5 deltagere", empty-field notes, persona names, label prefixes) from the shipped
  table `data/phrases.json` (en, da, fi, de, zh, fr, es; any other language gets English). Hand-written,
  never machine-translated at run time; quotes themselves are never translated.
- `stop_words_of_texts(texts)`: the function words of every language the texts are written in
  (for c-TF-IDF keywords, so a Finnish theme's keywords are not "että", "mutta").
- `written_language(languages)`: the one language a study's generated text is written in: the
  study language setting when given, else the language the interviews share, else (a mix) the
  language most interviews are in.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from .vocab import base_language

MIXED = "mul"  # ISO 639-2 for "multiple languages"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv"})
# Latin-script languages told apart by their function words (the ones this tool's users interview
# in, and their neighbours it could be mistaken for).
_LATIN_CANDIDATES = ("en", "da", "no", "sv", "fi", "de", "nl", "fr", "es", "it", "pt", "pl", "et", "is")
_SCRIPTS = (  # (language, pattern of its own script); kana before han: Japanese mixes both
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True)
class LanguageGuess:
    """A language guessed from text: ISO 639-1 code and the share of evidence behind it."""

    language: str
    probability: float


def is_english(language: str | None) -> bool:
    return base_language(language) == "en"


def text_direction(language: str | None) -> str:
    """'rtl' for right-to-left scripts, else 'ltr' (what HTML's `dir` attribute takes)."""
    return "rtl" if base_language(language) in RTL_LANGUAGES else "ltr"


def study_language(languages: Iterable[str | None]) -> str:
    """One language for the whole study: the one every interview with a known language shares;
    MIXED when they differ; 'en' when none is known (the tool's historical default)."""
    known = {base_language(lang) for lang in languages if lang}
    if not known:
        return "en"
    return known.pop() if len(known) == 1 else MIXED


def split_language(metadata: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """(metadata without its `language` key, that language normalised) for `add --meta language=xx`."""
    rest = dict(metadata)
    value = rest.pop("language", None) or rest.pop("lang", None)
    if not value or not str(value).strip():
        return rest, None
    return rest, str(value).strip().replace("_", "-")


@lru_cache(maxsize=32)
def _function_words(language: str) -> frozenset[str]:
    try:
        import stopwordsiso
    except ImportError:
        return frozenset()
    if not stopwordsiso.has_lang(language):
        return frozenset()
    # Short, frequent words identify a language; long entries of the lists are rarer and shared.
    return frozenset(w.casefold() for w in stopwordsiso.stopwords(language) if len(w) <= 6)


def guess_text_language(text: str, min_words: int = 5) -> LanguageGuess | None:
    """The language `text` is written in, or None when it is too short to tell."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    for lang, pattern in _SCRIPTS:
        share = len(pattern.findall(text)) / len(letters)
        if share > 0.3:
            return LanguageGuess(lang, round(min(1.0, share), 3))
    words = [w.casefold() for w in _WORD.findall(text)]
    if len(words) < min_words:
        return None
    hits = Counter()
    for lang in _LATIN_CANDIDATES:
        vocab = _function_words(lang)
        hits[lang] = sum(1 for w in words if w in vocab)
    (best, n), *rest = hits.most_common() or [("en", 0)]
    if n == 0:
        return None
    runner_up = rest[0][1] if rest else 0
    return LanguageGuess(best, round(n / (n + runner_up), 3))


@lru_cache(maxsize=1)
def localised_guide_questions() -> dict[str, dict[str, list[str]]]:
    """{language: {category: [questions]}} shipped with the package (data/guide_questions.json):
    the default interview guide in Danish, Finnish, Chinese, German, French and Spanish, written from the
    guide's question types (not from any labelled interview)."""
    raw = resources.files("interview_miner").joinpath("data/guide_questions.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    return {lang: {cat: list(qs) for cat, qs in cats.items()} for lang, cats in data["languages"].items()}


@lru_cache(maxsize=1)
def _phrase_table() -> dict[str, dict[str, Any]]:
    raw = resources.files("interview_miner").joinpath("data/phrases.json").read_text(encoding="utf-8")
    return json.loads(raw)["languages"]


def phrase_languages() -> frozenset[str]:
    """Languages the generated text (claims, names, label prefixes) is written in."""
    return frozenset(_phrase_table())


@dataclass(frozen=True)
class Phrases:
    """The fixed wording of one language: every getter falls back to English for a missing key,
    so a half-filled table still writes complete sentences."""

    language: str
    table: Mapping[str, Any] = field(repr=False, default_factory=dict)

    def get(self, key: str) -> Any:
        if key in self.table:
            return self.table[key]
        return _phrase_table()["en"][key]

    def plural(self, key: str, n: int, **values: Any) -> str:
        forms = self.get(key)
        return forms["one" if n == 1 else "other"].format(n=n, **values)

    def quote(self, text: str) -> str:
        return f"{self.get('quote_open')}{text}{self.get('quote_close')}"

    def nps_band_label(self, key: str) -> str:
        """'Ambassadører (9-10)': an NPS band's name in this language with its score range."""
        from .vocab import NPS_BANDS

        band = next(b for b in NPS_BANDS if b.key == key)
        return f"{self.get('nps_bands').get(key, band.title)} ({band.low}-{band.high})"

    def field_title(self, name: str) -> str:
        return self.get("field_titles").get(name, name.replace("_", " ").capitalize())

    def field_title_in_text(self, name: str) -> str:
        """A field's title inside a sentence ("nobody spoke about fears"); German keeps its capital."""
        title = self.field_title(name)
        return title.lower() if self.get("lower_titles") else title

    def topic(self, category: str) -> str:
        """A category as a short noun ("Bekymring"): the prefix of a short label, the fallback label."""
        topics = self.get("topics")
        return topics.get(category) or topics.get("other", "")


def phrases(language: str | None) -> Phrases:
    """The wording table for `language` (English when it has none)."""
    lang = base_language(language) if language else "en"
    table = _phrase_table()
    return Phrases(lang, table[lang]) if lang in table else Phrases("en", table["en"])


def written_language(interview_languages: Iterable[str | None], setting: str | None = None) -> str:
    """The language a study's generated text is written in: `setting` (the study's language) when
    given; else the language all interviews share; for a mix, the one most interviews are in
    (ties: English, then alphabetical); 'en' when none is known."""
    if setting:
        return base_language(setting)
    counts = Counter(base_language(lang) for lang in interview_languages if lang)
    if not counts:
        return "en"
    return min(counts, key=lambda lang: (-counts[lang], lang != "en", lang))


def stop_words_of_texts(texts: Iterable[str], sample: int = 50) -> frozenset[str]:
    """Function words (stopwords-iso) of the non-English languages these texts are in, guessed
    per text (at most `sample` texts, spread over them): a mixed study's keywords drop the
    function words of each of its languages. English texts add nothing (callers have their own
    English list)."""
    from .vocab import stop_words

    texts = list(texts)
    step = max(1, len(texts) // sample)
    found = {g.language for t in texts[::step] if (g := guess_text_language(t)) is not None and g.language != "en"}
    return frozenset().union(*(stop_words(lang) for lang in sorted(found))) if found else frozenset()
