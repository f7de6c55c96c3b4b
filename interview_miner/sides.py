"""Sides: a call recorded with a person per channel, transcribed a side at a time.

A call recorded with a track per person (`capture.merge_tracks`: Zoom's separate audio files,
Riverside, SquadCast) or a stereo call recorder puts each speaker on their own channel. When the
channels are far enough apart (`sides_apart`), `lanes` decodes each channel alone, so words two
people say at once are heard from each one's own microphone instead of as a blend of both (the
mix of the shared stereo clip: "He theorizes if you seem to play in the desert"; each side: both
sentences word for word). The steps here, in the order `lanes` and `speakers` use them:

1. `sides_apart(path)`: one voice per channel, channels usually SPLIT_MIN_DB apart or more.
2. `side_gates(path)`: where each channel holds only another side's voice leaking in (shut, so
   Whisper does not transcribe it as this side's words), per 20 ms.
3. `drop_crosstalk(path, segments)`: words that leaked through anyway go.
4. `at_turns(segments)`: a side's segment is cut where another side speaks inside it.
5. `by_side(path, segments)`: roles (the side is the voice; what it says decides the role) and
   the overlap flag, for the speakers stage.

A segment transcribed from channel K carries the speaker "side K" until step 5 (`side_of`).
Every measure is a channel's *lead*: its level minus the loudest other channel's, in dB (for a
stereo file, the left/right balance `speakers._stereo_balance` uses, and its sign).
"""
from __future__ import annotations

import bisect
import os
from dataclasses import replace
from functools import lru_cache

import numpy as np

from .models import Segment
from .speakers import OVERLAP_FLAG, SR, STEREO_DB, _channel_energy, _fill, _items, _roles

MAX_SIDES = 8  # channels a call's tracks may have (capture.TRACK_LAYOUTS; FLAC holds eight)
SPLIT_MIN_DB = 25.0  # sides this far apart (median over sound) are separate microphones: transcribed apart
CROSSTALK_SHARE = 0.75  # a side's word under another side's lead by this share of the usual lead is leakage
GATE_MARGIN_S = 0.2  # a side is shut only inside another's lead, this far from its edges (word onsets)
CO_SPEECH_S = 0.04  # a word with this much of another voice sounding at once is overlapped speech
SIDE_PREFIX = "side "  # speaker of a segment transcribed from one channel alone ("side 0": left)


def side_of(segment: Segment) -> int | None:
    """The channel a segment was transcribed from alone (its speaker is "side K"), else None."""
    label = segment.speaker or ""
    rest = label[len(SIDE_PREFIX):]
    return int(rest) if label.startswith(SIDE_PREFIX) and rest.isdigit() else None


def leads(audio_path: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(C, frames) each channel's lead over the loudest other channel in dB (clipped to +-30),
    and (frames,) whether there is sound at all, per 20 ms; None unless the channels clearly hold
    different voices: most sound much louder on one channel, and each channel leading often (the
    test `speakers._stereo_balance` makes of a stereo file, for any count up to MAX_SIDES).
    Remembered per file (path, size, modification time): planning, gating, cleaning and labelling
    a recording each ask, and each answer is a decode of the whole file."""
    try:
        st = os.stat(audio_path)
    except OSError:
        return _leads(str(audio_path), -1, -1)  # the decoder names the problem
    return _leads(str(audio_path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=4)
def _leads(audio_path: str, size: int, mtime_ns: int) -> tuple[np.ndarray, np.ndarray] | None:
    energy = _channel_energy(audio_path, channels=tuple(range(2, MAX_SIDES + 1)))
    if energy is None or energy.shape[1] < 5:
        return None
    loud = energy.max(0) > energy.max() * 1e-3
    level = 10 * np.log10(energy + 1e-10)
    lead = np.clip(np.stack([level[k] - np.delete(level, k, 0).max(0) for k in range(len(level))]), -30, 30)
    top = lead.max(0)
    sided = loud & (top > STEREO_DB)
    if loud.sum() < 5 or sided.sum() < 0.5 * loud.sum():
        return None  # one voice on every channel, or mono saved as several
    leader = lead.argmax(0)[sided]
    if min(np.mean(leader == k) for k in range(len(lead))) < 0.1 / len(lead):
        return None  # a channel that leads under a tenth of an even share: silent, or another's voice
    return lead, loud


def _usual(lead: np.ndarray, loud: np.ndarray) -> float:
    """How far apart this recording's sides usually are: the leading channel's median lead over sound."""
    return float(np.median(lead.max(0)[loud])) if loud.any() else 0.0


def sides_apart(audio_path: str) -> bool:
    """Is each side of this recording heard on its own channel only (separate tracks, or one
    microphone per person)? Then each side is transcribed alone. It takes one voice per channel,
    and channels that usually differ by SPLIT_MIN_DB or more: with less, each microphone hears the
    others too (a room, a speakerphone) and a side's own transcript would take their words
    (measured on a two-voice call with -10 and -20 dB of crosstalk: words to the right speaker
    0.946 and 0.974 split, 1.0 from the mix; separate tracks differ by 30 dB, the lead's cap;
    docs/performance.md, "Two-track calls")."""
    found = leads(audio_path)
    return found is not None and _usual(*found) >= SPLIT_MIN_DB


def side_gates(audio_path: str) -> np.ndarray | None:
    """(C, frames of 20 ms) bool: where each side's channel is worth transcribing. A frame is shut
    on a side while another side clearly leads it (by CROSSTALK_SHARE of the usual lead) for
    GATE_MARGIN_S around it: that microphone then holds only another person's voice leaking in,
    which Whisper would transcribe as this side's words (it hears speech at -30 dB). Overlapped
    speech, where no side leads by that much, stays on every side that speaks."""
    found = leads(audio_path)
    if found is None:
        return None
    lead, loud = found
    usual = _usual(lead, loud)
    k = int(GATE_MARGIN_S * 50)
    gates = []
    for side in lead:
        other_only = (loud & (side <= -CROSSTALK_SHARE * usual)).astype(float)
        shut = np.convolve(other_only, np.ones(2 * k + 1), mode="same") >= 2 * k + 1 - 1e-6
        gates.append(~shut)
    return np.stack(gates)


def gated(audio: np.ndarray, start: float, gate: np.ndarray) -> np.ndarray:
    """`audio` (16 kHz, from `start` s) with the frames `gate` shuts set to silence."""
    frames = np.minimum((np.arange(len(audio)) + int(round(start * SR))) // (SR // 50), len(gate) - 1)
    return audio * gate[frames]


def _word_lead(lead: np.ndarray, loud: np.ndarray, side: int, start: float, end: float) -> float | None:
    a, b = int(start * 50), max(int(start * 50) + 1, int(end * 50))
    d = lead[side, a:b][loud[a:b]]
    return float(d.mean()) if len(d) else None


def _co_spoken(lead: np.ndarray, loud: np.ndarray, side: int, start: float, end: float, within: float) -> float:
    """Seconds of a word in which its side leads by less than `within` dB either way: its own
    voice and another's sounding at once."""
    a, b = int(start * 50), max(int(start * 50) + 1, int(end * 50))
    return float(np.sum(np.abs(lead[side, a:b][loud[a:b]]) < within)) / 50


def drop_crosstalk(audio_path: str, segments: list[Segment]) -> list[Segment]:
    """Words a side's transcript took from another side's voice leaking into its microphone (a
    room, a phone held away) are removed: over such a word another channel leads by about as much
    as this recording's sides usually differ, and here by three quarters of that at least. A word
    said over another person's louder speech adds its own voice to its channel and leads by less
    ("The" under "He began": -16 dB where the sides usually differ by 30), so overlapped speech
    stays on both sides. Segments left without words go; the rest keep their text in their own words."""
    found = leads(audio_path)
    if found is None:
        return segments
    lead, loud = found
    usual = _usual(lead, loud)
    out = []
    for seg in segments:
        side = side_of(seg)
        kept = [w for w in seg.words if side is None or side >= len(lead)
                or not ((d := _word_lead(lead, loud, side, w.start, w.end)) is not None and d <= -CROSSTALK_SHARE * usual)]
        if len(kept) == len(seg.words):
            out.append(seg)
        elif kept:
            out.append(replace(seg, start=kept[0].start, end=kept[-1].end, words=kept,
                               text="".join(w.word for w in kept).strip()))
    return out


def at_turns(segments: list[Segment]) -> list[Segment]:
    """Segments transcribed from one side each, cut where another side speaks between two of
    their words: Whisper runs a side's segment across another's whole turn (to it, that is
    silence), which would put an answer before the question it answers. In time order."""
    starts = sorted((w.start, side_of(s)) for s in segments for w in s.words)
    times = [t for t, _ in starts]

    def other_speaks(side: int | None, after: float, before: float) -> bool:
        k = bisect.bisect_left(times, after)  # only the words starting in the gap are looked at
        while k < len(starts) and starts[k][0] < before:
            if starts[k][1] != side:
                return True
            k += 1
        return False

    out = []
    for seg in segments:
        side, words, piece = side_of(seg), list(seg.words), []
        for i, w in enumerate(words):
            piece.append(w)
            nxt = words[i + 1] if i + 1 < len(words) else None
            if nxt is None or other_speaks(side, w.end - 0.05, nxt.start):
                out.append(seg if len(piece) == len(words) else replace(
                    seg, start=piece[0].start, end=piece[-1].end, words=piece,
                    text="".join(x.word for x in piece).strip(), flags=list(seg.flags)))
                piece = []
        if not words:
            out.append(seg)
    return sorted(out, key=lambda s: (s.start, s.end))


def by_side(audio_path: str, segments: list[Segment], fill_pauses: float) -> list[Segment]:
    """Roles for segments each transcribed from one side's channel: the side is the voice, what it
    says decides the role (interviewer, participant, speaker_3 ...). A segment gets the overlap
    flag where, over CO_SPEECH_S of one of its words, its side leads by less than half the usual
    lead: two people sound at once there. Not from word times (those from one channel alone run on into
    the silence after them, so overlapping word times would flag every hand-over), and not from
    the word's mean lead: a last word running 0.3 s into the next person's turn averages +30 dB
    and -30 dB into "overlap" though no frame of it is shared (`_co_spoken`)."""
    out = sorted((replace(s, speaker=str(side_of(s)), flags=list(s.flags)) for s in segments), key=lambda s: (s.start, s.end))
    found = leads(audio_path)
    if found is not None:
        lead, loud = found
        usual = _usual(lead, loud)
        items, owner, _ = _items(out)
        for n, w in enumerate(items):
            seg = out[owner[n]]
            side = int(seg.speaker)
            shared = _co_spoken(lead, loud, side, w.start, w.end, 0.5 * usual) if side < len(lead) else 0.0
            if shared >= CO_SPEECH_S and OVERLAP_FLAG not in seg.flags:
                seg.flags.append(OVERLAP_FLAG)
    roles = _roles(out, None, None)
    for s in out:
        s.speaker = roles[s.speaker]
    return _fill(out, fill_pauses)
