"""Which language is spoken where in a recording, from Whisper's language detection.

Public API:
- `detect_language(model, audio) -> (language, probability, every language's probability)`:
  one stretch, without languages no interview is recorded in (`UNSPOKEN_LANGUAGES`).
- `switches_to(probs, current) -> language | None`: whether a stretch moves away from the
  language spoken so far; one doubtful guess is not a switch.
- `language_runs(model, audio) -> [LanguageRun]`: a recording as runs of one language each, for a
  multilingual model given no language (`transcribe.transcribe_window`).
- `sample_languages(model, path, duration) -> [language]`: the languages other than English a few
  samples of a recording are clearly in, for choosing between the English-only default model
  and the multilingual one (`transcribe.options_for`).

Why a module of its own: Whisper's detection picks one of 99 languages for any 30 s it is given,
and on accented, synthetic or far-off English it often picks a wrong one with a probability above
one half (Welsh, Latin). Everything after transcription follows the language, so this decision is
kept in one place, with the measurements behind its thresholds (docs/performance.md, "A fresh
machine, and English heard as Latin").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000  # Whisper hears 16 kHz audio
LANGUAGE_WINDOW_S = 30.0  # Whisper hears 30 s at a time; language is detected per window this long
MIN_LANGUAGE_WINDOW_S = 3.0  # a shorter stretch of speech takes its neighbour's language
MIN_LANGUAGE_PROBABILITY = 0.5  # below this a window's guess does not start a new language run
# ...and a guess leaves the language spoken so far only where that language has become unlikely
# (below this probability). Whisper base, asked which of its 99 languages 30 s of English are,
# gave AMI meeting trn08 (real speech) Welsh 0.55 against English 0.43 and the dev corpus's
# dev05 (a synthetic voice) Latin 0.56 against 0.26: each interview was then transcribed as if in
# that language. Where another language is really spoken English falls to 0.00-0.25 (the shared
# English-then-German reading's German samples, the voiced Danish and Finnish interviews).
LEFT_LANGUAGE_BELOW = 0.2
# Languages no interview is recorded in, which Whisper still offers for accented, synthetic or
# noisy speech: Latin (dev05 above, all nine voiced Danish interviews, and open-webui PR 30015's
# plain English clip at 0.85). They are left out of detection and the rest renormalised.
UNSPOKEN_LANGUAGES = frozenset({"la"})


@dataclass(frozen=True)
class LanguageRun:
    """A stretch of a recording in one language (times in seconds from the audio's start)."""

    start: float
    end: float
    language: str
    probability: float


def _speech_windows(audio: np.ndarray, window_s: float) -> list[tuple[int, int]]:
    """Sample ranges of about `window_s` seconds of speech, cut in the pauses Silero VAD finds
    (never mid-word); the whole audio as one range when no speech is found."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=300))
    if not chunks:
        return [(0, len(audio))]
    windows: list[list[int]] = []
    limit = int(window_s * SAMPLE_RATE)
    for c in chunks:
        if windows and c["end"] - windows[-1][0] <= limit:
            windows[-1][1] = c["end"]
        else:
            windows.append([c["start"], c["end"]])
    # Each window runs to the middle of the pause before the next, so runs cover the whole audio.
    bounds = [0] + [(a[1] + b[0]) // 2 for a, b in zip(windows, windows[1:])] + [len(audio)]
    return list(zip(bounds[:-1], bounds[1:]))


def detect_language(model, audio: np.ndarray) -> tuple[str, float, dict[str, float]]:
    """Whisper's language detection on `audio`, without `UNSPOKEN_LANGUAGES`: (most probable
    language, its probability, every language's probability), renormalised over the rest."""
    _, _, ranked = model.detect_language(audio)
    probs = {lang: p for lang, p in ranked if lang not in UNSPOKEN_LANGUAGES}
    total = sum(probs.values()) or 1.0
    probs = {lang: p / total for lang, p in probs.items()}
    best = max(probs, key=probs.get)
    return best, probs[best], probs


def switches_to(probs: dict[str, float], current: str | None) -> str | None:
    """The language a stretch of speech moves to from `current` (None: nothing spoken yet), or
    None when it stays: a new language needs MIN_LANGUAGE_PROBABILITY, and `current` must have
    become unlikely there (`LEFT_LANGUAGE_BELOW`): one doubtful guess is not a switch.

    >>> switches_to({"cy": 0.55, "en": 0.43}, "en") is None  # English still likely: it stays
    True
    >>> switches_to({"de": 0.74, "en": 0.25}, "en") is None, switches_to({"de": 0.9, "en": 0.1}, "en")
    (True, 'de')
    >>> switches_to({"cy": 0.55, "en": 0.43}, None)
    'cy'
    """
    best = max(probs, key=probs.get)
    if best == current or probs[best] < MIN_LANGUAGE_PROBABILITY:
        return None
    return best if current is None or probs.get(current, 0.0) < LEFT_LANGUAGE_BELOW else None


def language_runs(model, audio: np.ndarray, window_s: float = LANGUAGE_WINDOW_S) -> list[LanguageRun]:
    """The audio as consecutive runs of one language each: Whisper's language detection on every
    window of speech (`_speech_windows`, `detect_language`), neighbouring windows of one language
    merged. The recording starts in the language most probable over all its windows (weighted by
    their length), so a doubtful first window does not name it (AMI trn08, heard as Welsh 0.55 to
    English 0.43, followed by JFK's English: all English); a window moves to another language
    only where `switches_to` says so, and a window shorter than MIN_LANGUAGE_WINDOW_S never does."""
    heard = [(a, b, *detect_language(model, audio[a:b])) for a, b in _speech_windows(audio, window_s)]
    pooled: dict[str, float] = {}
    for a, b, _, _, probs in heard:
        for lang, p in probs.items():
            pooled[lang] = pooled.get(lang, 0.0) + p * (b - a)
    current = max(pooled, key=pooled.get)
    runs: list[LanguageRun] = []
    for a, b, lang, prob, probs in heard:
        start, end = a / SAMPLE_RATE, b / SAMPLE_RATE
        moved = switches_to(probs, current) if (end - start) >= MIN_LANGUAGE_WINDOW_S else None
        said, p = (moved, prob) if moved is not None else (current, probs.get(current, 0.0))
        if runs and runs[-1].language == said:
            runs[-1] = LanguageRun(runs[-1].start, end, said, max(runs[-1].probability, round(float(p), 3)))
        else:
            runs.append(LanguageRun(start, end, said, round(float(p), 3)))
        current = said
    return runs


def sample_languages(model, path: str, duration: float, samples: int = 4) -> list[str]:
    """Languages other than English Whisper hears in `samples` stretches of LANGUAGE_WINDOW_S
    spread over the recording (start, end and between), each a switch away from English
    (`switches_to`): cheap (one encoder pass each) and enough to notice an interview that is not,
    or not only, in English, without sending accented English to another language's model."""
    from . import capture

    starts = sorted({round(max(0.0, (duration - LANGUAGE_WINDOW_S) * k / max(1, samples - 1)), 1) for k in range(samples)})
    heard = []
    for s0 in starts:
        audio = capture.read_audio(path, s0, s0 + LANGUAGE_WINDOW_S)
        if len(audio) >= MIN_LANGUAGE_WINDOW_S * SAMPLE_RATE:
            other = switches_to(detect_language(model, audio)[2], "en")
            if other is not None:
                heard.append(other)
    return heard
