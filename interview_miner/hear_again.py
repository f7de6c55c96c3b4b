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
- `hear_windows(path, windows, language)` -> [str]: the same for many moments of one recording,
  decoded in batches (`second_hearing.py` hears every unsure quote of a study this way).
- `decode_window(model, audio, language)` -> str: the same for an already decoded window (the NPS
  audio check uses it with its own models).
"""
from __future__ import annotations

import bisect

import numpy as np

PAD_S = 0.3  # a little audio either side: a word cut at a quote's edge is heard whole
# How windows are spread over the machine. On a CPU, decoding is latency-bound (beam search over a
# few tokens at a time) and a single call leaves cores idle, so each core decodes its own window
# (one CTranslate2 worker of one thread per core, one window per call). 24 windows of a 60-minute
# recording on 2 cores: 31.3 s as batches of 2 on one worker, 22.7 s this way, the same words for
# all 24, peak memory +26 MB. Batches of 1 / 2 / 4 / 8 on one worker took 26.1 / 23.8 / 22.3 /
# 22.3 s on 23 dev windows while peak memory rose by 26 / 155 / 365 / 685 MB (the encoder's
# attention over 30 s per window): each window decoded at once costs ~130 MB, so at most
# `CPU_WORKERS` run at once. A GPU gains from batching instead: 8 windows per call, one worker.
CPU_WORKERS, GPU_BATCH = 4, 8
# A hearing whose text gzips this much is a repetition loop ("chloro-chloro-chloro…", "8, 8, 8, 8
# …"), not speech: Whisper's own threshold (its temperature fallback retries above it). Such a
# hearing is dropped: a quote is better kept on its own words than blended with a loop.
LOOP_COMPRESSION = 2.4
MAX_CLIP_S = 29  # a window longer than Whisper's 30 s is heard in parts no longer than this


def looped(text: str) -> bool:
    """Is this a repetition loop rather than speech? (`LOOP_COMPRESSION`, measured as Whisper does.)

    >>> looped("5, 6, 7, " + "8, " * 60), looped("And so my fellow Americans, ask not what your country can do for you.")
    (True, False)
    """
    from faster_whisper.transcribe import get_compression_ratio

    return bool(text.strip()) and get_compression_ratio(text) > LOOP_COMPRESSION


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
    return hear_windows(path, [(start, end)], language)[0]


def hear_windows(path: str, windows: list[tuple[float, float]], language: str | None = None) -> list[str]:
    """What the bundled base hears in each window [start, end] of the recording at `path`, each
    decoded on its own (padded by `PAD_S`; no context from the others, beam search at temperature
    0), on every core at once (`CPU_WORKERS`); "" for a window without speech or one that came
    back a repetition loop (`LOOP_COMPRESSION`).

    Text only, without Whisper's timestamp tokens: on the dev voices that was 1.4x faster, and it
    no longer ran on into the next speaker's first words ("…for it. I'd...", "…clinic, we-") or
    into loops (a 1-second "A nine, easily" came back as "5, 6, 7, 8, 8, 8, …"). Batching the
    windows (faster-whisper's batched pipeline, one clip per window) gives the same words as
    decoding them one by one (32 of 32 compared); on a CPU, one window per core at once is faster
    still, with the same words (`CPU_WORKERS`)."""
    from concurrent.futures import ThreadPoolExecutor

    from . import transcribe
    from .capture import read_audio

    audios = [read_audio(path, max(0.0, start - PAD_S), end + PAD_S) for start, end in windows]
    if not any(len(a) for a in audios):
        return [""] * len(windows)
    if transcribe.cuda_device_count() > 0:
        model, batch, workers = transcribe.load_model("base"), GPU_BATCH, 1
    else:
        workers = min(CPU_WORKERS, transcribe.cpu_cores(), len(audios))  # one window alone: all cores on it
        model = transcribe.load_model("base", **({"cpu_threads": 1, "workers": workers} if workers > 1 else {}))
        batch = 1
    chunks = [audios[k:k + batch] for k in range(0, len(audios), batch)]
    with ThreadPoolExecutor(workers) as pool:
        heard = pool.map(lambda chunk: _hear_chunk(model, chunk, language, batch), chunks)
        return [text for texts in heard for text in texts]


def _hear_chunk(model, audios: list[np.ndarray], language: str | None, batch: int) -> list[str]:
    """What `model` hears in each of `audios`, in one call of faster-whisper's batched pipeline
    (one clip per window), text only; "" for an empty window or a repetition loop."""
    from faster_whisper import BatchedInferencePipeline

    from .capture import SAMPLE_RATE
    from .vocab import base_language

    spans, pos = [], 0
    for audio in audios:
        spans.append((pos, pos + len(audio)))
        pos += len(audio)
    heard = [""] * len(audios)
    if pos == 0:
        return heard
    # Whisper hears 30 s at a time (the batched pipeline would cut a longer clip there): a longer
    # window is heard in equal parts, each on its own, and their words joined
    clips = [{"start": (a + k * (b - a) // n) / SAMPLE_RATE, "end": (a + (k + 1) * (b - a) // n) / SAMPLE_RATE}
             for a, b in spans if b > a for n in [-(-(b - a) // (MAX_CLIP_S * SAMPLE_RATE))] for k in range(n)]
    segments, _ = BatchedInferencePipeline(model).transcribe(
        np.concatenate(audios).astype(np.float32), language=base_language(language) or "en",
        clip_timestamps=clips, vad_filter=False, batch_size=batch, beam_size=5, temperature=0.0,
        without_timestamps=True, condition_on_previous_text=False)
    starts = [a for a, _ in spans]  # an empty window shares its start with the next: bisect picks that one
    for seg in segments:  # one per clip, in order
        # the window the segment starts in (its start is rounded to the millisecond)
        k = bisect.bisect_right(starts, int(seg.start * SAMPLE_RATE) + SAMPLE_RATE // 100) - 1
        text = "" if looped(seg.text) else seg.text.strip()
        heard[k] = f"{heard[k]} {text}".strip()
    return heard
