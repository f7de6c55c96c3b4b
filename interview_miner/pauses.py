"""Pauses in a recording: where the speaker stopped, heard from the audio itself.

Why: tiny Whisper models often write two spoken sentences as one ("We had a module in our billing
software, but it was clunky"), and a quote that holds two thoughts lands in one theme for both.
The audio still marks the boundary: speakers pause between sentences. `quotes.split_quotes` cuts
a sentence at such a pause only where the words on both sides are whole clauses (a parse decides,
not the pause alone: people also pause mid-sentence, "And so, my fellow Americans | ask not ...").

Public API:
- `find_pauses(path) -> list[Pause]`: silences of at least `MIN_PAUSE_S` between stretches of
  speech (Silero VAD, the model faster-whisper ships), read a minute at a time so a three-hour
  file never sits in memory whole.
- `RecordedPauses`: the Miner's default pause stage, `(interview, cache) -> pauses | None`: the
  pauses of an interview's stored recording, remembered in the study's cache (a recording's
  pauses never change), None for interviews without audio (imported transcripts).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .models import Interview

log = logging.getLogger(__name__)
Pause = tuple[float, float]  # (start, end) in seconds

# The shortest silence counted as a pause. Pause studies commonly start counting at 100-250 ms;
# below ~100 ms a "silence" is mostly the closure of a stop consonant inside a word. The low end is
# taken because the pause only proposes a cut: the parse of both sides decides, and sentence
# pauses in fluent speech are short (Silero, without padding, measures many at 150-250 ms).
MIN_PAUSE_S = 0.15
_WINDOW_S = 60.0
_VERSION = 1  # bump when what `find_pauses` returns changes, so cached pauses are not reused


def find_pauses(path: str | os.PathLike, min_pause_s: float = MIN_PAUSE_S, window_s: float = _WINDOW_S) -> list[Pause]:
    """Silences of at least `min_pause_s` between stretches of speech, in order.

    The file is read `window_s` seconds at a time; a silence spanning a window edge is joined
    across it, so windows find the pauses reading the file whole would."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from . import capture

    options = VadOptions(min_silence_duration_ms=int(round(min_pause_s * 1000)), speech_pad_ms=0)
    pauses: list[Pause] = []
    last_end: float | None = None  # end of the speech heard last (in an earlier window too)
    for offset, audio in capture.read_audio_windows(path, 0.0, window_s=window_s):
        for chunk in get_speech_timestamps(audio, options) if len(audio) else []:
            start = offset + chunk["start"] / capture.SAMPLE_RATE
            if last_end is not None and start - last_end >= min_pause_s:
                pauses.append((round(last_end, 3), round(start, 3)))
            last_end = offset + chunk["end"] / capture.SAMPLE_RATE
    return pauses


@dataclass
class RecordedPauses:
    """The default pause stage of the Miner: the pauses of an interview's stored recording.

    Called as `(interview, cache)` with the Miner's `VectorCache` (or None); pauses are kept there
    under the recording's content hash, so re-mining a study reads no audio again. Returns None
    when the interview has no recording to listen to (an imported transcript, a moved file): its
    quotes are then cut from the text alone, as before."""

    min_pause_s: float = MIN_PAUSE_S
    finder: Callable[..., list[Pause]] = find_pauses

    @property
    def cache_name(self) -> str:
        return f"pauses-v{_VERSION}-{int(round(self.min_pause_s * 1000))}ms"

    def __call__(self, interview: Interview, cache: Any = None) -> list[Pause] | None:
        path = interview.stored_path
        if interview.kind != "audio" or not path or not os.path.exists(path):
            return None
        key = interview.content_hash or str(path)
        if cache is not None and (hit := cache.get(self.cache_name, [key]).get(key)) is not None:
            return [tuple(p) for p in np.frombuffer(hit, dtype=np.float32).reshape(-1, 2).tolist()]
        try:
            pauses = self.finder(path, self.min_pause_s)
        except Exception as e:  # noqa: BLE001 - an unreadable recording only costs the pause cuts
            log.warning("%s: pauses not read (%s); its quotes are cut from the text alone", interview.file_name, e)
            return None
        if cache is not None:
            cache.put(self.cache_name, {key: np.asarray(pauses, dtype=np.float32).reshape(-1, 2).tobytes()}, 2)
        return pauses
