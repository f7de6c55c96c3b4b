"""Hotwords: the study's own names (product, competitors, brands) handed to Whisper, so that
"ClinicFlow" is spelled the same way in every interview instead of "Clinic Flow" / "clinic flo".

Public API:
- `auto_hotwords(texts, extra=(), limit=MAX_HOTWORDS) -> str`: names found in `texts` (the
  interviewer's questions, an interview guide, study notes), most frequent first, after the names
  in `extra` (study settings: product and competitor names, always kept). A space-separated
  string, the format faster-whisper's `hotwords` takes; "" when there is nothing.
- `study_hotwords(store, extra=()) -> str`: the hook: the same over the interviewer turns of the
  study's transcribed interviews (transcripts imported as text count too).
- `study_vocabulary(store) -> str`: what transcription hands Whisper for a study: the guide's
  `names` (product, competitors, brands: always kept), then the names in the guide's questions
  and in the interviewer's turns of the interviews transcribed so far. `pipeline` sets it as
  `TranscribeOptions.vocabulary` before each interview (so a batch learns as it goes), logs it and
  stores it with the transcription settings.
- `with_hotwords(options, hotwords) -> TranscribeOptions`: transcription options carrying them.

What counts as a name: a token the bundled spaCy model tags as a proper noun, or one written
with inner capitals ("ClinicFlow", "HubSpot"), not at the start of a sentence and not a stock
capitalised word ("I", weekdays, months). Interviewers' questions name the product and its
competitors ("How did you first hear about ClinicFlow?"), and they are what Whisper hears best.
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

MAX_HOTWORDS = 20  # Whisper's prompt is short (224 tokens); a few names help, a long list hurts
_STOCK = frozenset(
    """i i'm i've i'd i'll ok okay monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december mr mrs ms dr
    english hi hello thanks yeah""".split()
)
_INNER_CAPS = re.compile(r"^[A-Z]?[a-z]+(?:[A-Z][a-z0-9]+)+$|^[A-Z]{2,}[a-z]+[A-Za-z]*$")


def _may_hold_a_name(text: str) -> bool:
    """Cheap test before tagging: a capitalised word that does not open a sentence, or a word with
    inner capitals. Most questions hold neither ("What made you start looking?"), and loading the
    tagger costs seconds at the start of every transcription, so texts without one are skipped."""
    words = text.split()
    for k, raw in enumerate(words):
        word = raw.strip(".,;:!?\"'()")
        if len(word) < 2 or word.lower() in _STOCK:
            continue
        if _INNER_CAPS.match(word) or (k > 0 and word[:1].isupper() and not words[k - 1].endswith((".", "!", "?"))):
            return True
    return False


def _names(texts: Iterable[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    candidates = [t for t in texts if t and t.strip() and _may_hold_a_name(t)]
    if not candidates:
        return counts
    from .quotes import load_nlp

    nlp = _tagger() or load_nlp("en")
    for doc in nlp.pipe(candidates, batch_size=128):
        for sent in doc.sents if doc.has_annotation("SENT_START") else [doc]:
            run: list[str] = []
            for k, tok in enumerate([*sent, None]):
                word = tok.text.strip(".,;:!?\"'()") if tok is not None else ""
                ok = (tok is not None and len(word) >= 2 and word.lower() not in _STOCK and word[:1].isupper()
                      and (bool(_INNER_CAPS.match(word)) or (k > 0 and tok.pos_ == "PROPN")))
                if ok:
                    run.append(word)
                    continue
                if run:  # consecutive proper nouns are one name: "Jane App"
                    counts[" ".join(run)] += 1
                    run = []
    return counts


@functools.cache
def _tagger():
    """The bundled English model with its tagger (proper nouns); None when unavailable."""
    import spacy

    from .quotes import ENGLISH_MODEL

    try:
        return spacy.load(ENGLISH_MODEL, exclude=["ner", "lemmatizer", "parser"])
    except (OSError, ImportError):
        return None


def auto_hotwords(texts: Iterable[str], extra: Sequence[str] = (), limit: int = MAX_HOTWORDS) -> str:
    """Names from `texts`, after the `extra` names, as one space-separated hotword string."""
    names = [" ".join(e.split()) for e in extra if e and e.strip()]
    counts = _names(texts)
    for word, _ in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0].casefold())):
        if word.casefold() not in {n.casefold() for n in names}:
            names.append(word)
    return " ".join(dict.fromkeys(names[:max(limit, len([e for e in extra if e.strip()]))]))


def study_hotwords(store, extra: Sequence[str] = ()) -> str:
    """`auto_hotwords` over the interviewer's turns of every transcribed interview in `store`."""
    return auto_hotwords(_interviewer_turns(store), extra)


def _interviewer_turns(store) -> list[str]:
    from .models import INTERVIEWER

    return [s.text for i in store.list_interviews() if i.status == "transcribed"
            for s in store.segments(i.id) if s.speaker == INTERVIEWER]


def study_vocabulary(store) -> str:
    """The study's hotwords: the guide's names first, then names in its questions and in the
    interviewer's turns of the interviews transcribed so far (`auto_hotwords`)."""
    from . import guide as study_guide

    g = study_guide.load(store)
    return auto_hotwords([q.text for q in g.all_questions()] + _interviewer_turns(store), g.names)


def with_hotwords(options, hotwords: str):
    """`options` (transcribe.TranscribeOptions) with `hotwords` added to any it already has."""
    if not hotwords:
        return options
    merged = " ".join(dict.fromkeys((options.hotwords or "").split() + hotwords.split()))
    return replace(options, hotwords=merged)
