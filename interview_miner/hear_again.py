"""Hearing a moment of a recording again with a second model: a correction to consider, on request.

Why: a theme name built on a misheard word ("Open a second side to Crosstown") is flagged on the
Themes page (`label_doubts.unclear_label_words`), and the researcher must then listen to decide. Two
recognisers mishear differently, so what a second one hears in the same seconds often shows the
right words at once: the bundled multilingual base hears that moment as "we were about to open a
second sight across town". Measured on the dev and held-out audio studies: base heard again 84%
of the words of theme names tiny.en got right (135 of 160), and only 32% of those it misheard (9
of 28); so where the two differ, the researcher has a reason to listen and a reading to compare.
It is not used to change anything by itself: base misheard too (WER 0.19 on these voices), and
choosing labels by its agreement made as many labels worse as better (docs in the stop notes).

Public API:
- `available()` -> bool: whether a second model is installed (the bundled base).
- `hear_again(path, start, end, language)` -> str: what it hears there (beam search, temperature
  0, so the same moment always gives the same words).
- `decode_window(model, audio, language)` -> str: the same for an already decoded window (the NPS
  audio check uses it with its own models).
"""
from __future__ import annotations

import numpy as np

PAD_S = 0.3  # a little audio either side: a word cut at a quote's edge is heard whole


def decode_window(model, audio, language: str | None = "en") -> str:
    """What `model` hears in the window on its own: beam search only (temperature 0), so the same
    audio always gives the same words. Whisper's temperature fallback samples, and on unclear
    audio the words (and an NPS score read from them) changed from run to run."""
    from .vocab import base_language

    multilingual = model.model.is_multilingual
    segments, _ = model.transcribe(np.asarray(audio, dtype=np.float32),
                                   language=(base_language(language) or "en") if multilingual else None,
                                   beam_size=5, vad_filter=False, condition_on_previous_text=False, temperature=0.0)
    return " ".join(s.text.strip() for s in segments).strip()


def available() -> bool:
    from . import bundled

    return bundled.whisper_base_path() is not None


def hear_again(path: str, start: float, end: float, language: str | None = None) -> str:
    """What the bundled multilingual base hears in [start, end] of the recording at `path`
    (padded by `PAD_S`); "" for a moment without speech. The model is loaded once per process."""
    from . import transcribe
    from .capture import read_audio

    audio = read_audio(path, max(0.0, start - PAD_S), end + PAD_S)
    if len(audio) == 0:
        return ""
    return decode_window(transcribe.load_model("base"), audio, language)
