"""Speakers: who said what — interviewer vs participant (or speaker_N beyond two voices).

Public API (used by pipeline, cli, tests and the app):
- `assign_speakers(audio_path, segments, n_speakers=DEFAULT_SPEAKERS, interviewer_profile=None,
  fill_pauses=1.0)`: label (and split) the segments of an audio interview; `n_speakers` None: auto.
- `parse_speakers("3" | "auto")`: the `--speakers` value; `DEFAULT_SPEAKERS`: the one default.
- `listen_in_background(audio_path, n_speakers) -> VoiceWork`: the audio-only half of the stage
  (decode, segmentation, embeddings) in a thread, e.g. while Whisper decodes; pass it to
  `assign_speakers(..., voice_work=...)`, which then does only the cheap word assignment.
- `preload_models()` / `load_models()`: load the voice models in the background / now.
- `roles_from_text(texts_by_speaker) -> {speaker: role}`: which voice is the interviewer, from what
  each says (questions, share of talk); also used for imported transcripts with real names.
- `voice_profile(audio_path, segments, speaker)`: a voice embedding, e.g. the study's interviewer.

How audio is labelled, and why:
1. Whisper merges quick hand-overs into one segment, so labels are decided per *word*.
2. Stereo calls with one side per channel (a call's separate tracks are added as one such file,
   `capture.merge_tracks`): per-word channel energy decides (the strongest signal).
   Otherwise `diarize` gives a timeline of who speaks when (segmentation-3.0 turns and overlap,
   voices told apart by CAM++ embeddings); each word scores each voice by how much of its time
   that voice speaks.
3. A Viterbi pass over the words smooths labels: a voice change costs a lot mid-sentence and
   little at a pause, sentence end or segment boundary, where people actually hand over; a
   back-channel between pauses ("right.") gets its own speaker.
4. Segments are split where labels change; a part over which two voices spoke is flagged
   `overlap` (its words go to the voice that spoke most over each); roles come from what each
   voice says (or a study's interviewer voice profile); a turn's edges widen to where the
   timeline still hears its speaker, and a turn runs on across its own short pauses.
"""
from __future__ import annotations

import logging
import os
import re
import sys
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from itertools import groupby

import numpy as np

from . import capture, diarize, voices
from .models import INTERVIEWER, PARTICIPANT, Segment, Word

log = logging.getLogger(__name__)

_QUESTION_WORDS = re.compile(
    r"^(what|why|how|when|where|who|which|can|could|would|do|did|does|is|are|was|were|tell me|walk me|take me|talk me|describe|if you)\b",
    re.I,
)
_ROLE_NAMES = {
    "interviewer": INTERVIEWER, "researcher": INTERVIEWER, "moderator": INTERVIEWER, "host": INTERVIEWER,
    "participant": PARTICIPANT, "interviewee": PARTICIPANT, "respondent": PARTICIPANT, "customer": PARTICIPANT,
}


def question_score(texts: list[str]) -> float:
    """How much a speaker asks: questions asked x the share of their sentences that are questions.
    Interviewers ask, participants answer; the share alone would make a committee member who said
    one sentence starting "Would..." the most question-like voice of a five-person call (1 of 1
    against the interviewer's 3 of 4), the count alone a long talker whose answers start "What we
    needed was..." now and then.

    >>> question_score(["Would vanish behind the curtain."]) < question_score(["Thanks. Can you tell me more? What then?"])
    True
    """
    sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.?!])\s+", t) if s.strip()]
    if not sentences:
        return 0.0
    asked = sum(1 for s in sentences if s.endswith("?") or _QUESTION_WORDS.match(s))
    return asked * asked / len(sentences)


def roles_from_text(texts_by_speaker: dict[str, list[str]]) -> dict[str, str]:
    """Map each speaker key to interviewer/participant (speaker_N beyond two).

    Explicit role names ("Interviewer", "Participant") win; otherwise the speaker whose talk is most
    question-like is the interviewer; among the rest, the one who talks most is the participant.
    """
    roles: dict[str, str] = {}
    for name in texts_by_speaker:
        role = _ROLE_NAMES.get(str(name).strip().lower())
        if role:
            roles[name] = role
    rest = [n for n in texts_by_speaker if n not in roles]
    if not rest:
        return roles
    if INTERVIEWER not in roles.values():
        if len(texts_by_speaker) == 1:
            roles[rest[0]] = PARTICIPANT
            return roles
        interviewer = max(rest, key=lambda n: (question_score(texts_by_speaker[n]), -_words(texts_by_speaker[n])))
        roles[interviewer] = INTERVIEWER
        rest.remove(interviewer)
    rest.sort(key=lambda n: -_words(texts_by_speaker[n]))
    for i, name in enumerate(rest):
        if PARTICIPANT not in roles.values():
            roles[name] = PARTICIPANT
        else:
            roles[name] = f"speaker_{i + 2}"
    return roles


def _words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def label_imported(segments: list[Segment]) -> tuple[list[Segment], dict[str, str]]:
    """Imported transcripts carry names; turn them into roles and keep the names mapping."""
    by_name: dict[str, list[str]] = {}
    for s in segments:
        by_name.setdefault(s.speaker or "Unknown", []).append(s.text)
    roles = roles_from_text(by_name)
    for s in segments:
        s.speaker = roles[s.speaker or "Unknown"]
    return segments, roles


# ---------------------------------------------------------------------------------------------
# Audio labelling
# ---------------------------------------------------------------------------------------------

SR = 16000
BACKGROUND_MAX_S = 20 * 60  # recordings up to this long run the voice work beside Whisper (pipeline)
DEFAULT_SPEAKERS = 2  # voices per recording unless told (`--speakers N|auto`): an interview
WINDOW_S = 1.5  # voice-profile windows: CAM++ is steady from ~1 s
UNIT_GAP_S = 0.3  # a pause this long between words may be a hand-over: windows never span it
FILL_PAUSE_S = 1.0  # a speaker's turn runs on across their own pauses up to this long
TURN_EXTEND_S = 1.5  # a turn's edges move out to where segmentation still hears its speaker, this far at most
ACTIVE = 0.5  # a voice's timeline activity from which it counts as speaking
OVERLAP_FLAG = "overlap"  # segment flag: someone else spoke at the same time in this segment
PROFILE_MATCH = 0.6  # cosine to the interviewer profile that makes a voice the interviewer ...
PROFILE_MARGIN = 0.1  # ... when it is this much closer to it than any other voice
STEREO_DB = 6.0  # channels hold different voices when most sound is this much louder on one side
# The longest a caller waits for the background voice work: this plus a quarter of the audio's length
# (the work takes ~0.02x real time on one core), then `assign_speakers` does it itself.
VOICE_WAIT_S = 60.0


def parse_speakers(value: str | int | None) -> int | None:
    """`--speakers` value: a count (1 or more), or "auto" (None: estimate how many voices).
    Raises `argparse.ArgumentTypeError` (the CLI shows its message as is) on anything else."""
    from argparse import ArgumentTypeError

    if value is None or str(value).strip().lower() == "auto":
        return None
    try:
        n = int(value)
    except ValueError:
        raise ArgumentTypeError(f"speakers must be a number or 'auto', not {value!r}") from None
    if n < 1:
        raise ArgumentTypeError(f"speakers must be 1 or more (or 'auto'), not {n}")
    return n


def load_models() -> None:
    """Load the voice models now (once per process); `preload_models` does it in the background."""
    voices.preload().join()


def preload_models():
    """Start loading the voice models in a background thread; returns the thread."""
    return voices.preload()


@dataclass
class HeardAudio:
    """The audio-only half of the stage: per-20 ms channel balance when a stereo file holds one
    voice per side (`stereo`: (db, loud)), else what the voice models heard (`voices`)."""

    stereo: tuple[np.ndarray, np.ndarray] | None
    voices: diarize.Heard | None


class VoiceWork:
    """The audio-only half of the speaker stage (decode, segmentation, every CAM++ embedding: nearly
    all its cost) running in a daemon thread, started as soon as the recording exists, while Whisper
    decodes on the other threads (ONNX Runtime, numpy and CTranslate2 release the GIL), at the lowest
    priority (`lower_priority`). Only the cheap word-to-voice assignment waits for Whisper. A failure in the thread is raised again, as
    is, by `result()` in the caller's thread; a thread that does not finish in time raises
    `VoiceWorkTimeout`: never a hang. An abandoned run (Whisper failed, the process was killed)
    costs nothing durable: the thread writes nothing, and a resumed run starts a new one."""

    def __init__(self, audio_path: str, n_speakers: int | None) -> None:
        self.audio_path, self.n_speakers = str(audio_path), n_speakers
        self._future: Future = Future()
        self._thread = threading.Thread(target=self._run, name="voice-work", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        lower_priority()
        try:
            self._future.set_result(listen(self.audio_path, self.n_speakers))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread by result()
            self._future.set_exception(exc)

    def done(self) -> bool:
        return self._future.done()

    def result(self, timeout: float | None = None) -> HeardAudio:
        """Wait for the voice work (at most `timeout` seconds; default VOICE_WAIT_S plus a quarter of
        the audio's length, far beyond its cost on a busy machine) and return it, or raise its error."""
        if timeout is None and not self._future.done():
            timeout = VOICE_WAIT_S + _seconds(self.audio_path) / 4
        try:
            return self._future.result(timeout)
        except FutureTimeout:
            raise VoiceWorkTimeout(f"the voice analysis of {self.audio_path} did not finish within {timeout:.0f} s") from None


def lower_priority() -> None:
    """Run the calling thread at the lowest priority (nice 19), so it gets the CPU time nothing
    else wants. The voice work runs beside Whisper's lanes, which keep every core busy until the
    shorter lane ends: at the same priority it slowed the longest lane, the one the wall time waits
    for; niced, it fills the core the finished lane leaves (a 2-minute interview: 0.79x -> 0.65x
    of bare faster-whisper's wall time, docs/performance.md). It cannot be undone without
    privileges, so a starved thread is replaced, not waited for (`assign_speakers`). Linux only:
    there a thread has its own nice value; elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


def _seconds(audio_path: str) -> float:
    """The recording's length from its header (3 hours when it has none, or cannot be read: the
    voice thread then reports the real problem itself)."""
    try:
        return capture.probe_audio(audio_path).duration or 3 * 3600.0
    except Exception:  # noqa: BLE001 - only a wait bound; the thread's own error is the one to show
        return 3 * 3600.0


class VoiceWorkTimeout(RuntimeError):
    """The background voice work did not finish in time (a stuck thread or a starved machine)."""


def listen_in_background(audio_path: str, n_speakers: int | None = DEFAULT_SPEAKERS) -> VoiceWork | None:
    """Start the audio-only half of the stage for `assign_speakers(..., voice_work=...)`, e.g. while
    Whisper decodes the same file (None when one voice is asked for: there is nothing to do)."""
    return None if n_speakers is not None and n_speakers <= 1 else VoiceWork(audio_path, n_speakers)


def listen(audio_path: str, n_speakers: int | None = DEFAULT_SPEAKERS) -> HeardAudio:
    """The audio-only half of the stage, now: channel balance when one voice is on each side of a
    stereo file (and two voices, or an unknown count, are asked for), else the voice models."""
    stereo = _stereo_balance(audio_path) if n_speakers in (None, 2) else None
    return HeardAudio(stereo, None if stereo is not None else diarize.listen(_mono_audio(audio_path)))


def assign_speakers(
    audio_path: str,
    segments: list[Segment],
    n_speakers: int | None = DEFAULT_SPEAKERS,
    interviewer_profile: np.ndarray | None = None,
    fill_pauses: float = FILL_PAUSE_S,
    voice_work: VoiceWork | None = None,
) -> list[Segment]:
    """Label every segment of an audio interview; split segments that hold two voices.

    Returns new segments (split parts keep their words, Whisper's quality signals and flags; a part
    where another voice spoke at the same time gets the flag `overlap`). `n_speakers`: how many
    voices (honoured whenever the audio holds more than one; None: estimated). Stereo recordings
    with one side per channel are labelled by channel. `interviewer_profile`: the study's
    interviewer voice (`voice_profile`); a voice that clearly matches it is the interviewer
    whatever it says. `fill_pauses`: a turn runs on across its own pauses up to this many seconds
    (0: segment times from the words only, no widening to the voice timeline either).
    `voice_work`: the audio-only half, started earlier by `listen_in_background` (same file and
    count); without it that half runs now. Either way the labels are the same.
    """
    if not segments:
        return []
    if n_speakers is not None and n_speakers <= 1:
        return [replace(s, speaker=PARTICIPANT) for s in segments]
    from . import sides  # (it builds on this module)

    if all(sides.side_of(s) is not None for s in segments):  # each side transcribed from its own channel
        return sides.by_side(audio_path, segments, fill_pauses)
    heard = None
    if voice_work is not None:
        try:
            heard = voice_work.result()
        except VoiceWorkTimeout as e:  # starved (it runs niced) or stuck: do it here, at full priority
            log.warning("%s; listening again in this thread", e)
    if heard is None:  # nothing decodes beside the stage now: the voice models may use every core
        with voices.all_cores():
            heard = listen(audio_path, n_speakers)
    items, owner, first = _items(segments)
    timeline = overlapped = None
    if heard.stereo is not None:
        scores, overlapped = _stereo_scores(heard.stereo, items), _stereo_overlap(heard.stereo, items)
    else:
        timeline = diarize.resolve(heard.voices, n_speakers, [(w.start, w.end) for w in items])
        scores, overlapped = _timeline_scores(items, timeline)
    labels = _viterbi(scores, _switch_costs(items, first)) if scores.shape[1] > 1 else np.zeros(len(items), int)
    out = _split(segments, items, owner, labels, overlapped)
    roles = _roles(out, None if timeline is None else timeline.centroids, interviewer_profile)
    for s in out:
        s.speaker = roles[s.speaker]
    if timeline is not None and fill_pauses > 0:
        _widen(out, timeline, [roles.get(str(k)) for k in range(len(timeline.centroids))])
    return _fill(out, fill_pauses)


def _mono_audio(audio_path: str) -> np.ndarray:
    """The recording as 16 kHz mono float32: the one place this stage decodes audio."""
    return capture.read_audio(audio_path)


def voice_profile(audio_path: str, segments: list[Segment], speaker: str = INTERVIEWER) -> np.ndarray | None:
    """The mean voice embedding of the segments labelled `speaker` (None if none is heard). The
    interviewer is usually one voice across a study: a profile from one labelled (or researcher-
    corrected) interview, passed as `interviewer_profile`, decides roles by voice elsewhere."""
    items, _, first = _items([s for s in segments if s.speaker == speaker])
    if not items:
        return None
    audio = _mono_audio(audio_path)
    clips = []
    for i, j in _units(items, first):
        a, b = int(max(0.0, items[i].start - 0.1) * SR), int((items[j - 1].end + 0.1) * SR)
        for lo in range(a, max(a + 1, b - int(WINDOW_S * SR) + 1), int(WINDOW_S * SR)):
            clip = audio[lo : min(b, lo + int(WINDOW_S * SR))]
            if len(clip) >= SR // 2 and np.sqrt(np.mean(clip**2)) > 1e-4:
                clips.append(np.resize(clip, int(WINDOW_S * SR)))
    return _unit(voices.embed(clips).mean(0)) if clips else None


def _items(segments: list[Segment]) -> tuple[list[Word], list[int], list[bool]]:
    """Every word, its segment, and whether it opens one; a segment without words is one item."""
    words = [s.words or [Word(s.start, max(s.end, s.start + 0.01), s.text or "")] for s in segments]
    items = [w for ws in words for w in ws]
    owner = [si for si, ws in enumerate(words) for _ in ws]
    return items, owner, [n == 0 or owner[n] != owner[n - 1] for n in range(len(items))]


def _units(items: list[Word], first: list[bool]) -> list[tuple[int, int]]:
    """Word ranges [i, j) with no pause or segment boundary inside: almost always one voice."""
    cuts = [n for n in range(1, len(items)) if first[n] or items[n].start - items[n - 1].end >= UNIT_GAP_S]
    bounds = [0, *cuts, len(items)]
    return list(zip(bounds, bounds[1:]))


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def _timeline_scores(items: list[Word], timeline: diarize.Diarization) -> tuple[np.ndarray, np.ndarray]:
    """Each word's share of time each voice speaks over it (words the segmentation heard no one
    in stay neutral, 0, and follow their neighbours), and whether two voices spoke over most of it
    (whoever the second is: it may be too brief to have a voice of its own)."""
    scores = np.stack([timeline.mean_activity(w.start, w.end) for w in items])
    return scores, np.array([timeline.mean_overlap(w.start, w.end) >= ACTIVE for w in items])


def _widen(segments: list[Segment], timeline: diarize.Diarization, role_of_voice: list[str | None]) -> None:
    """Move each segment's edges out to where the timeline still hears its speaker (up to
    TURN_EXTEND_S, never into a neighbour): Whisper's word times clip the start and end of turns."""
    active = timeline.activity >= ACTIVE
    voice = {r: k for k, r in enumerate(role_of_voice) if r is not None}
    for n, s in enumerate(segments):
        k = voice.get(s.speaker)
        if k is None or not s.words:
            continue
        lo = segments[n - 1].end if n else 0.0
        hi = segments[n + 1].start if n + 1 < len(segments) else timeline.activity.shape[1] * timeline.step
        a, b = (min(int(t), active.shape[1]) for t in (s.start / timeline.step, np.ceil(s.end / timeline.step)))
        stop = max(int(np.ceil(lo / timeline.step)), a - int(TURN_EXTEND_S / timeline.step), 0)
        while a > stop and active[k, a - 1]:
            a -= 1
        stop = min(int(hi / timeline.step), b + int(TURN_EXTEND_S / timeline.step), active.shape[1])
        while b < stop and active[k, b]:
            b += 1
        s.start, s.end = min(s.start, round(a * timeline.step, 3)), max(s.end, round(b * timeline.step, 3))


def _switch_costs(items: list[Word], first: list[bool], base: float = 0.5) -> np.ndarray:
    """Cost of a voice change before each word: cheap at pauses, sentence ends, segment starts."""
    cost = np.full(len(items), base)
    for n in range(1, len(items)):
        gap, prev = items[n].start - items[n - 1].end, items[n - 1].word.strip()[-1:]
        if first[n] or gap > 0.4 or prev in ".?!":
            cost[n] = base * 0.1
        elif gap > 0.15 or prev in ",;:":
            cost[n] = base * 0.4
    return cost


def _viterbi(scores: np.ndarray, switch: np.ndarray) -> np.ndarray:
    """The label path maximising word scores minus switch costs."""
    n, k = scores.shape
    total, back = scores[0].copy(), np.zeros((n, k), dtype=int)
    for t in range(1, n):
        move = total.max() - switch[t]
        back[t] = np.where(total >= move, np.arange(k), total.argmax())
        total = np.maximum(total, move) + scores[t]
    path = [int(total.argmax())]
    for t in range(n - 1, 0, -1):
        path.append(back[t, path[-1]])
    return np.array(path[::-1])


def _channel_energy(audio_path: str, hop: int = SR // 50, channels: tuple[int, ...] = (2,)) -> np.ndarray | None:
    """(C, frames) mean power per 20 ms of each channel, streamed, for a file with a channel count
    in `channels` (a stereo file by default); else None."""
    import av

    if capture.audio_channels(audio_path) not in channels:  # also: CorruptAudioError naming the file
        return None
    with av.open(str(audio_path)) as container:
        stream = container.streams.audio[0]
        c = stream.codec_context.channels
        if c not in channels:
            return None
        # interleaved, split here (planar 8-channel frames crash PyAV 18's to_ndarray)
        resampler = av.AudioResampler(format="flt", layout="stereo" if c == 2 else stream.layout.name, rate=SR)
        rest, out = np.zeros((c, 0), dtype=np.float32), []
        for frame in [*container.decode(stream), None]:
            for res in resampler.resample(frame):
                x = np.concatenate([rest, res.to_ndarray().astype(np.float32).reshape(-1, c).T], axis=1)
                n = x.shape[1] // hop
                out.append((x[:, : n * hop].reshape(c, n, hop) ** 2).mean(-1))
                rest = x[:, n * hop :]
    return np.concatenate(out, axis=1) if out else None


def _stereo_balance(audio_path: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Per 20 ms: the left/right balance in dB and whether there is sound at all; None unless the
    channels clearly hold different voices: most sound much louder on one side, and each side
    leading often."""
    energy = _channel_energy(audio_path)
    if energy is None or energy.shape[1] < 5:
        return None
    loud = energy.max(0) > energy.max() * 1e-3
    db = np.clip(10 * np.log10((energy[0] + 1e-10) / (energy[1] + 1e-10)), -30, 30)
    sided = db[loud][np.abs(db[loud]) > STEREO_DB]
    if loud.sum() < 5 or len(sided) < 0.5 * loud.sum() or min(np.mean(sided > 0), np.mean(sided < 0)) < 0.05:
        return None  # mono saved as stereo, one voice on both sides, or everything on one side
    return db, loud


def _stereo_scores(balance: tuple[np.ndarray, np.ndarray], items: list[Word]) -> np.ndarray:
    """Per-word (left, right) evidence from the channel balance over the word."""
    db, loud = balance
    out = np.zeros((len(items), 2))
    for i, w in enumerate(items):
        a, b = int(w.start * 50), max(int(w.start * 50) + 1, int(w.end * 50))
        d = db[a:b][loud[a:b]]
        out[i] = [d.mean() / 30, -d.mean() / 30] if len(d) else 0.0
    return out


def _stereo_overlap(balance: tuple[np.ndarray, np.ndarray], items: list[Word]) -> np.ndarray:
    """Per word: were both sides speaking over it? When one person talks, their side leads by as
    much as this recording's sides usually differ (its median |balance| over sound: ~30 dB for
    separate tracks, less with a room's crosstalk); over a word two people say at once neither
    side leads by half that. So crosstalk never reads as overlap, and the words of an overlap,
    which the mix's transcript blends from both voices, are marked instead of passing as one
    person's (OVERLAP_FLAG)."""
    db, loud = balance
    if not loud.any():
        return np.zeros(len(items), dtype=bool)
    usual = float(np.median(np.abs(db[loud])))
    out = np.zeros(len(items), dtype=bool)
    for i, w in enumerate(items):
        a, b = int(w.start * 50), max(int(w.start * 50) + 1, int(w.end * 50))
        d = db[a:b][loud[a:b]]
        out[i] = len(d) > 0 and abs(float(d.mean())) < 0.5 * usual
    return out


def _split(segments: list[Segment], items: list[Word], owner: list[int], labels, overlapped=None) -> list[Segment]:
    """Split segments where the word labels change; each part keeps its words and Whisper's signals
    (and gets the `overlap` flag where `overlapped` marks one of its words)."""
    out: list[Segment] = []
    edges = np.searchsorted(owner, np.arange(len(segments) + 1))  # each segment's items: owner is sorted
    for si, seg in enumerate(segments):
        runs = [list(run) for _, run in groupby(range(edges[si], edges[si + 1]), key=lambda n: labels[n])]
        def flags(run: list[int]) -> list[str]:
            hit = overlapped is not None and any(overlapped[n] for n in run) and OVERLAP_FLAG not in seg.flags
            return [*seg.flags, OVERLAP_FLAG] if hit else list(seg.flags)

        if len(runs) == 1 or not seg.words:
            out.append(replace(seg, speaker=str(labels[runs[0][0]]), words=list(seg.words), flags=flags(runs[0])))
            continue
        for run in runs:
            ws = [items[n] for n in run]
            out.append(replace(
                seg, start=ws[0].start, end=ws[-1].end, text="".join(w.word for w in ws).strip(),
                speaker=str(labels[run[0]]), words=ws, flags=flags(run), id=None, index=None,
            ))
    return out


def _roles(segments: list[Segment], centroids: np.ndarray | None, profile: np.ndarray | None) -> dict[str, str]:
    """Voice label -> role: the voice that clearly matches the study's interviewer profile is the
    interviewer; otherwise (and for the rest) what each voice says decides (`roles_from_text`)."""
    texts = {v: [s.text for s in segments if s.speaker == v] for v in dict.fromkeys(s.speaker for s in segments)}
    key = {v: v for v in texts}
    if profile is not None and centroids is not None and len(texts) > 1:
        p = _unit(np.asarray(profile, dtype=np.float32))
        sims = sorted(((float(centroids[int(v)] @ p), v) for v in texts), reverse=True)
        if sims[0][0] >= PROFILE_MATCH and sims[0][0] - sims[1][0] >= PROFILE_MARGIN:
            key[sims[0][1]] = INTERVIEWER  # an explicit role name wins in roles_from_text
    roles = roles_from_text({key[v]: t for v, t in texts.items()})
    return {v: roles[key[v]] for v in texts}


def _fill(segments: list[Segment], max_gap: float) -> list[Segment]:
    """Let a turn run on across a short pause: the pause belongs to whoever speaks on both sides."""
    for a, b in zip(segments, segments[1:]):
        if a.speaker == b.speaker and 0 < b.start - a.end <= max_gap:
            a.end = b.start
    return segments
