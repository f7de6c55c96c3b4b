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
"""
from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
    the default interview guide in Danish, Finnish, Chinese and German, written from the
    guide's question types (not from any labelled interview)."""
    raw = resources.files("interview_miner").joinpath("data/guide_questions.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    return {lang: {cat: list(qs) for cat, qs in cats.items()} for lang, cats in data["languages"].items()}
