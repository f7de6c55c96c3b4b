"""Lanes: one recording decoded as parts side by side, and every segment committed as it comes.

`transcribe_audio` is the transcription loop behind `pipeline.transcribe_interview`. On a CPU a
small model's beam search keeps barely more than one core busy, so a recording is cut into lanes
(`transcribe.TranscribeOptions.lane_count`, cut in pauses by `transcribe.lane_bounds`), each
decoded on its own thread, window by window so memory stays bounded on 1-3 hour files. Only the
calling thread writes to the store: each segment together with its lane's resume point, so a
killed run resumes every lane where it stopped and never stores a segment twice. One lane is
the plain one-pass transcription (docs/performance.md, "Lanes"). A call with a person per
channel is decoded as one lane per channel instead, the whole length each (`sides`;
docs/performance.md, "Two-track calls").
"""
from __future__ import annotations

import json
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from . import capture, sides, transcribe
from .models import Interview, Segment, TranscriptionState
from .store import Store

Progress = Callable[[float, str], None]
log = logging.getLogger(__name__)

# Audio is decoded and transcribed in windows of this many seconds, so memory stays bounded on
# 1-3 hour files. Segments ending within GUARD_S of a window's end are re-done in the next window
# (they may be cut mid-word).
WINDOW_S = float(os.environ.get("INTERVIEW_MINER_WINDOW_S", 600))
GUARD_S = 3.0


@dataclass
class Lane:
    """One part of a recording decoded on its own thread (see `transcribe.LANE_MIN_S`): audio
    [start, end), committed up to `resume_at` (a resumed run continues there)."""

    start: float
    end: float
    resume_at: float
    done: bool = False
    channel: int | None = None  # this channel alone (`split_channels`), else the mix

    @property
    def by_time(self) -> bool:
        """A part of the recording in time (not one channel of all of it)."""
        return self.channel is None

    @property
    def remaining(self) -> float:
        return 0.0 if self.done else max(0.0, self.end - self.resume_at)


def _stored_lanes(state: TranscriptionState) -> list[Lane] | None:
    if not state.lanes:
        return None
    return [Lane(float(a), float(b), float(r), bool(d), *(int(c) for c in channel))
            for a, b, r, d, *channel in json.loads(state.lanes)]


def _lanes_json(lanes: list[Lane]) -> str:
    return json.dumps([[ln.start, ln.end, round(ln.resume_at, 3), int(ln.done), *([] if ln.by_time else [ln.channel])]
                       for ln in lanes])


def plan_lanes(interview: Interview, state: TranscriptionState, options: transcribe.TranscribeOptions,
               duration: float) -> list[Lane]:
    """The parts this transcription runs as: the stored ones when a lane run was killed (it
    continues as it began, whatever the options say now); one lane from `committed_until` when a
    one-pass run was; else `options.lane_count` new ones, cut in pauses."""
    stored = _stored_lanes(state)
    if stored is not None:
        return stored
    start = state.committed_until or 0.0
    if start > 0:
        return [Lane(start, duration, start)]
    channels = capture.audio_channels(interview.stored_path)
    if options.split_channels and 2 <= channels <= sides.MAX_SIDES and sides.sides_apart(interview.stored_path):
        return [Lane(0.0, duration, 0.0, channel=k) for k in range(channels)]  # a side per channel
    n = options.lane_count(duration)
    bounds = transcribe.lane_bounds(interview.stored_path, 0.0, duration, n)
    return [Lane(a, b, a) for a, b in bounds]


def _decode_lane(k: int, lane: Lane, model, path: str, options: transcribe.TranscribeOptions,
                 language: str | None, window_s: float, out: queue.Queue, stop: threading.Event,
                 gates=None) -> None:
    """Decode one lane window by window (`window_s`, memory stays bounded) and hand each segment to
    the committing thread through `out`: ("info", k, info) once per window, ("segment", k, seg),
    ("advance", k, resume point) when a window ends without a segment near its end, ("done", k, None)
    or ("error", k, exception). Segments ending within GUARD_S of a window's end are left to the
    next window (they may be cut mid-word); a lane's own end is cut in a pause, so it is final."""
    try:
        pos = lane.resume_at
        # A lane after the first starts LANE_WARMUP_S early so Whisper has the text before it as
        # context (without it tiny.en misheard the lane's first sentence, often a question, and
        # its answers lost their category); what it hears before the lane's start is dropped.
        keep_from = lane.start if k > 0 and lane.by_time and pos <= lane.start + 0.01 else None
        if keep_from is not None:
            pos = max(0.0, lane.start - transcribe.LANE_WARMUP_S)
        while pos < lane.end - 0.25 and not stop.is_set():
            window_end = min(pos + window_s + (transcribe.LANE_WARMUP_S if keep_from is not None else 0.0), lane.end)
            is_last = window_end >= lane.end - 0.25
            if lane.by_time:
                audio = capture.read_audio(path, pos, window_end)
            else:  # one side: its channel, shut where it holds only the other side's voice
                audio = capture.read_audio(path, pos, window_end, channels="all")[lane.channel]
                audio = audio if gates is None else sides.gated(audio, pos, gates[lane.channel])
            if len(audio) == 0:
                break
            segments, info = decode_window(model)(audio, pos, options, language)
            out.put(("info", k, info))
            last_end = None
            for seg in segments:
                if stop.is_set():
                    return
                if not is_last and seg.end > window_end - GUARD_S:
                    break
                last_end = seg.end
                if keep_from is not None:
                    seg = words_from(seg, keep_from)
                    if seg is None:
                        continue
                if not lane.by_time:
                    seg = replace(seg, speaker=f"{sides.SIDE_PREFIX}{lane.channel}")
                out.put(("segment", k, seg))
            if last_end is not None and last_end > (keep_from or 0.0):
                keep_from = None
            if is_last:
                break
            pos = last_end if last_end and last_end > pos + 1 else window_end - GUARD_S
            if keep_from is not None and pos <= keep_from:
                continue
            keep_from = None
            out.put(("advance", k, pos))
        out.put(("done", k, None))
    except BaseException as e:  # noqa: BLE001 - re-raised by the committing thread
        out.put(("error", k, e))


def decode_window(model) -> Callable:
    """(audio, offset, options, language) -> (segments, info with .language and
    .language_probability): the model's own `decode_window` when it decodes elsewhere (a Ray
    cluster's workers, `ray_executor.RemoteWhisper`; the lanes, gates and commits stay here), else
    faster-whisper in this process."""
    remote = getattr(model, "decode_window", None)
    if remote is not None:
        return remote
    return lambda audio, offset, options, language: transcribe.transcribe_window(model, audio, offset, options, language)


def words_from(seg: Segment, t: float) -> Segment | None:
    """The part of `seg` said from `t` on (by its word times), None if nothing is."""
    if seg.start >= t:
        return seg
    words = [w for w in seg.words if w.start >= t - 0.01]
    if not words:
        return None
    return replace(seg, start=words[0].start, words=words, text="".join(w.word for w in words).strip())


# Two segments closer than this across a lane boundary were one stretch of speech that the cut
# went through (the boundary search found no pause; `join_at_cuts`) ...
JOIN_GAP_S = 0.3
# ... and this close when the second goes on in lower case: a sentence cut in a hesitation (lane
# one's audio ended there, so Whisper closed the sentence with a full stop).
JOIN_CONTINUED_GAP_S = 1.5


def join_at_cuts(segments: list[Segment], cuts: list[float], gap_s: float = JOIN_GAP_S) -> list[Segment]:
    """`segments` (in time order) with the two that meet at a lane boundary made one again, when
    the boundary fell inside speech: lane boundaries are cut in the longest pause near the mark,
    and a stretch of quick talk may have none, so a question came out as "... moving to a new-"
    and "system?", or an answer as "We had years of holiday balances." and "in spreadsheets.":
    two transcript lines where the researcher heard one sentence, with a stray hyphen or full stop
    (quotes join a turn's segments, so they only carried the hyphen into the question they
    answer). The cut-off word loses Whisper's trailing hyphen, and a full stop the cut put before
    a lower-case word goes.
    Whisper's quality signals keep the worse of the two; flags are merged.

    >>> from interview_miner.models import Word
    >>> a = Segment(86.7, 88.9, "What about a new-", words=[Word(88.2, 88.9, " new-")], avg_logprob=-0.3)
    >>> b = Segment(88.9, 89.4, "system?", words=[Word(88.9, 89.4, " system?")], avg_logprob=-0.5)
    >>> [(s.start, s.end, s.text, s.avg_logprob) for s in join_at_cuts([a, b], [88.7])]
    [(86.7, 89.4, 'What about a new system?', -0.5)]
    >>> len(join_at_cuts([a, replace(b, start=89.5, text="Yes.")], [88.7]))  # a pause, a new sentence
    2
    >>> once = join_at_cuts([a, b, Segment(89.9, 91.0, "and why.")], [88.7])
    >>> join_at_cuts(once, [88.7]) == once  # joining twice changes nothing
    True
    """
    out = list(segments)
    for cut in cuts:
        k = next((i for i, s in enumerate(out) if s.start >= cut - 0.01), None)
        if not k:
            continue
        a, b = out[k - 1], out[k]
        reach = max(gap_s, JOIN_CONTINUED_GAP_S) if b.text.lstrip()[:1].islower() else gap_s
        crossed = any(w.start >= cut + 0.05 for w in a.words) if a.words else a.end > cut + JOIN_GAP_S
        if crossed or b.start - a.end > reach or a.end < cut - reach:
            continue  # `a` already runs across the cut (joined before), or a pause between them
        head, words = a.text.rstrip(), list(a.words)
        end_mark = "-" if head.endswith("-") else "." if head.endswith(".") and b.text.lstrip()[:1].islower() else ""
        if end_mark:
            head = head[:-1]
            if words and words[-1].word.rstrip().endswith(end_mark):
                words[-1] = replace(words[-1], word=words[-1].word.rstrip()[:-1])
        worse = lambda x, y, pick: y if x is None else x if y is None else pick(x, y)  # noqa: E731
        out[k - 1:k + 1] = [replace(
            a, end=b.end, text=f"{head} {b.text.lstrip()}", words=words + list(b.words),
            avg_logprob=worse(a.avg_logprob, b.avg_logprob, min),
            no_speech_prob=worse(a.no_speech_prob, b.no_speech_prob, max),
            compression_ratio=worse(a.compression_ratio, b.compression_ratio, max),
            flags=sorted(set(a.flags) | set(b.flags)), id=None, index=None)]
    return out


def transcribe_audio(
    store: Store,
    interview: Interview,
    model,
    options: transcribe.TranscribeOptions,
    state: TranscriptionState,
    language: str | None,
    show_progress: bool,
    on_progress: Progress | None,
) -> None:
    """Decode the recording's lanes (one, or one per core, `plan_lanes`) side by side, each on its
    own thread, and commit every segment here, on this thread, with its lane's resume point in
    the same transaction: a killed run loses at most the segment in flight per lane and never
    stores one twice. Lanes end in pauses, so no word is split between two lanes; once all are
    done the segments are put in time order (lanes commit interleaved). `language`: the one chosen
    for the interview (`pipeline.chosen_language`); None: detected per window."""
    from tqdm import tqdm

    duration = interview.duration or capture.decoded_duration(interview.stored_path)
    if language is not None and not interview.language:
        store.update_interview(interview.id, language=language)  # given, not heard: still recorded
    lanes = plan_lanes(interview, state, options, duration)
    many = len(lanes) > 1
    if many:
        store.set_transcription(interview.id, lanes=_lanes_json(lanes))
        log.info("%s: %d lanes side by side (%s)", interview.file_name, len(lanes),
                 ", ".join(f"{ln.start:.0f}-{ln.end:.0f} s" for ln in lanes))
    stored = store.segments(interview.id, apply_edits=False)
    recent = [[s for s in stored if ln.start <= s.start < ln.end and (ln.by_time or s.speaker == f"{sides.SIDE_PREFIX}{ln.channel}")][-2:]
              for ln in lanes]
    lead = next((k for k, ln in enumerate(lanes) if not ln.done), None)  # its first window names the language
    detected = language is not None or lead is None

    def frontier() -> float:  # everything before it is stored
        return min((ln.resume_at for ln in lanes if not ln.done), default=duration)

    def remaining() -> float:
        return sum(ln.remaining for ln in lanes)

    bar = tqdm(
        total=round(duration, 1), initial=round(max(0.0, duration - remaining()), 1), unit="s",
        desc=interview.file_name[:30], disable=not show_progress, file=sys.stderr,
        bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s audio [{elapsed}<{remaining}]",
    )
    out: queue.Queue = queue.Queue(maxsize=64)
    stop = threading.Event()
    # faster-whisper computes a window's features in one go (~1.1 MB per second of audio at its
    # peak: 660 MB for 600 s): lanes share WINDOW_S, so two lanes peak as one pass does.
    window_s = WINDOW_S / len(lanes)
    gates = None if all(ln.by_time for ln in lanes) else sides.side_gates(interview.stored_path)
    threads = [threading.Thread(target=_decode_lane, name=f"lane-{k}", daemon=True,
                                args=(k, ln, model, interview.stored_path, options, language, window_s, out, stop, gates))
               for k, ln in enumerate(lanes) if not ln.done]
    running = len(threads)
    try:
        with bar:
            for t in threads:
                t.start()
            while running:
                kind, k, item = out.get()
                lane = lanes[k]
                if kind == "error":
                    raise item
                if kind == "info":
                    if not detected and k == lead:
                        detected = True
                        store.update_interview(interview.id, language=item.language,
                                               language_probability=round(float(item.language_probability), 3))
                    continue
                if kind == "segment":
                    item.flags = transcribe.quality_flags(item, recent[k])
                    recent[k] = (recent[k] + [item])[-2:]
                    lane.resume_at = item.end
                    store.commit_transcribed(interview.id, [item], committed_until=frontier() if many else item.end,
                                             lanes=_lanes_json(lanes) if many else None)
                    if on_progress:
                        on_progress(duration - remaining(), f"transcribed {duration - remaining():.0f}/{duration:.0f} s")
                else:
                    if kind == "advance":
                        lane.resume_at = item
                    else:  # done
                        lane.done = True
                        running -= 1
                    store.set_transcription(interview.id, committed_until=frontier(),
                                            **({"lanes": _lanes_json(lanes)} if many else {}))
                bar.update(max(0.0, min(duration - remaining(), bar.total) - bar.n))
            bar.update(max(0.0, bar.total - bar.n))  # the total is rounded: never past it (tqdm warns)
    finally:
        stop.set()
        for t in threads:  # a lane blocked on a full queue must see `stop`: drain while they end
            while t.is_alive():
                try:
                    out.get(timeout=0.1)
                except queue.Empty:
                    pass
    with store.transaction():
        if many or state.lanes:
            ordered = sorted(store.segments(interview.id, apply_edits=False), key=lambda s: (s.start, s.end))
            if all(ln.by_time for ln in lanes):
                ordered = join_at_cuts(ordered, [ln.start for ln in lanes[1:]])
            else:  # one channel each: what a side's microphone took from the other side goes
                ordered = sides.at_turns(sides.drop_crosstalk(interview.stored_path, ordered))
            store.replace_segments(interview.id, ordered)
        store.set_transcription(interview.id, committed_until=duration, completed=1)
