"""Speakers: who said what — interviewer vs participant (or speaker_N beyond two voices).

Public API (used by pipeline, tests and the app):
- `assign_speakers(audio_path, segments, n_speakers=2, interviewer_profile=None, fill_pauses=1.0)`:
  label (and split) the segments of an audio interview.
- `roles_from_text(texts_by_speaker) -> {speaker: role}`: which voice is the interviewer, from what
  each says (questions, share of talk); also used for imported transcripts with real names.
- `voice_profile(audio_path, segments, speaker)`: a voice embedding, e.g. the study's interviewer.

How audio is labelled, and why:
1. Whisper merges quick hand-overs into one segment, so labels are decided per *word*.
2. Stereo calls with one side per channel: per-word channel energy decides (the strongest signal).
   Otherwise voices: resemblyzer embeddings of 1.2 s windows, each inside one "unit" (words with
   no pause or segment boundary between them) so it hears one voice, clustered per interview.
3. A Viterbi pass over the words smooths labels: a voice change costs a lot mid-sentence and
   little at a pause, sentence end or segment boundary, where people actually hand over.
4. Segments are split where labels change; roles come from what each voice says (or a study's
   interviewer voice profile); a turn runs on across its own short pauses.
"""
from __future__ import annotations

import re
import threading
import warnings
from dataclasses import replace
from itertools import groupby

import numpy as np

from .models import INTERVIEWER, PARTICIPANT, Segment, Word

_QUESTION_WORDS = re.compile(
    r"^(what|why|how|when|where|who|which|can|could|would|do|did|does|is|are|was|were|tell me|walk me|take me|talk me|describe|if you)\b",
    re.I,
)
_ROLE_NAMES = {
    "interviewer": INTERVIEWER, "researcher": INTERVIEWER, "moderator": INTERVIEWER, "host": INTERVIEWER,
    "participant": PARTICIPANT, "interviewee": PARTICIPANT, "respondent": PARTICIPANT, "customer": PARTICIPANT,
}


def question_score(texts: list[str]) -> float:
    """Share of sentences that are questions: interviewers ask, participants answer."""
    sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.?!])\s+", t) if s.strip()]
    if not sentences:
        return 0.0
    asked = sum(1 for s in sentences if s.endswith("?") or _QUESTION_WORDS.match(s))
    return asked / len(sentences)


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
WINDOW_S, HOP_S = 1.2, 0.6  # long enough for a stable embedding, short enough to see a hand-over
UNIT_GAP_S = 0.3  # a pause this long between words may be a hand-over: windows never span it
SAME_VOICE = 0.95  # centroid cosine above this: one voice, not two (don't invent a speaker)
CLOSE_VOICES, COHERENT = 0.9, 0.95  # between CLOSE_VOICES and SAME_VOICE: two only if coherent
FEW_UNITS_APART = 0.8  # with too few units to judge coherence (short audio), voices must be this apart
EXTRA_VOICE_WINDOWS = 10  # a third voice or more: heard at least this often (one person's phrases vary)
MIN_VOICE_WINDOWS = 4  # a "voice" heard in fewer windows than this (or 5% of them) is an outlier
FILL_PAUSE_S = 1.0  # a speaker's turn runs on across their own pauses up to this long
PROFILE_MATCH = 0.9  # cosine to the interviewer profile that makes a voice the interviewer
STEREO_DB = 6.0  # channels hold different voices when most sound is this much louder on one side

_encoder = None
_encoder_lock = threading.Lock()


def assign_speakers(
    audio_path: str,
    segments: list[Segment],
    n_speakers: int = 2,
    interviewer_profile: np.ndarray | None = None,
    fill_pauses: float = FILL_PAUSE_S,
) -> list[Segment]:
    """Label every segment of an audio interview; split segments that hold two voices.

    Returns new segments (split parts keep their words, Whisper's quality signals and flags).
    `n_speakers`: the most voices to find (fewer when the audio shows fewer). `interviewer_profile`:
    the study's interviewer voice (`voice_profile`); a voice that clearly matches it is the
    interviewer whatever it says. `fill_pauses`: a turn runs on across its own pauses up to this
    many seconds (0: segment times from the words only).
    """
    if not segments:
        return []
    if n_speakers <= 1:
        return [replace(s, speaker=PARTICIPANT) for s in segments]
    items, owner, first = _items(segments)
    scores = _stereo_scores(audio_path, items) if n_speakers == 2 else None
    centroids = None
    if scores is None:
        units = _units(items, first)
        centers, bounds, unit_of = _windows(items, units)
        emb, heard = _embed_windows(audio_path, centers, bounds)
        centers, unit_of = centers[heard], unit_of[heard]
        centroids = _cluster(emb, n_speakers, unit_of)
        scores = _word_scores(items, units, centers, unit_of, emb @ centroids.T)
    labels = _viterbi(scores, _switch_costs(items, first)) if scores.shape[1] > 1 else np.zeros(len(items), int)
    out = _split(segments, items, owner, labels)
    roles = _roles(out, centroids, interviewer_profile)
    for s in out:
        s.speaker = roles[s.speaker]
    return _fill(out, fill_pauses)


def voice_profile(audio_path: str, segments: list[Segment], speaker: str = INTERVIEWER) -> np.ndarray | None:
    """The mean voice embedding of the segments labelled `speaker` (None if none is heard). The
    interviewer is usually one voice across a study: a profile from one labelled (or researcher-
    corrected) interview, passed as `interviewer_profile`, decides roles by voice elsewhere."""
    items, _, first = _items([s for s in segments if s.speaker == speaker])
    if not items:
        return None
    centers, bounds, _ = _windows(items, _units(items, first))
    emb, _ = _embed_windows(audio_path, centers, bounds)
    return _unit(emb.mean(0)) if len(emb) else None


def _items(segments: list[Segment]) -> tuple[list[Word], list[int], list[bool]]:
    """Every word, its segment, and whether it opens one; a segment without words is one item."""
    words = [s.words or [Word(s.start, max(s.end, s.start + 0.01), s.text or "")] for s in segments]
    items = [w for ws in words for w in ws]
    owner = [si for si, ws in enumerate(words) for _ in ws]
    return items, owner, [n == 0 or owner[n] != owner[n - 1] for n in range(len(items))]


def _voice_encoder():
    """One resemblyzer encoder per process, imported lazily (torch is slow to import)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            with warnings.catch_warnings():  # resemblyzer imports a deprecated scipy path
                warnings.simplefilter("ignore", DeprecationWarning)
                from resemblyzer import VoiceEncoder
            _encoder = VoiceEncoder("cpu", verbose=False)
        return _encoder


def _mel_filters(n_fft: int = 400, n_mels: int = 40) -> np.ndarray:
    """Slaney mel filterbank as librosa builds it for resemblyzer (librosa's first call costs seconds)."""
    step = np.log(6.4) / 27  # mel scale: linear below 1 kHz, logarithmic above
    mels = np.linspace(0, 15 + np.log(SR / 2 / 1000) / step, n_mels + 2)
    mel_f = np.where(mels >= 15, 1000 * np.exp(step * (mels - 15)), mels * 200 / 3)
    ramps, fdiff = mel_f[:, None] - np.linspace(0, SR / 2, 1 + n_fft // 2)[None, :], np.diff(mel_f)
    weights = np.maximum(0, np.minimum(-ramps[:-2] / fdiff[:-1, None], ramps[2:] / fdiff[1:, None]))
    return (weights * (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]).astype(np.float32)


_FILTERS = _mel_filters()
_HANN = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(400) / 400)).astype(np.float32)


def _mels(wavs: np.ndarray) -> np.ndarray:
    """(n, samples) -> (n, frames, 40): resemblyzer's mel frames (25 ms window, 10 ms hop)."""
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(wavs, ((0, 0), (200, 200))), 400, axis=1)[:, ::160]
    spec = np.fft.rfft(frames * _HANN, axis=-1)
    power = (spec.real**2 + spec.imag**2).astype(np.float32)
    mel = power.reshape(-1, power.shape[-1]) @ _FILTERS.T
    return mel.reshape(len(wavs), -1, _FILTERS.shape[0])[:, : wavs.shape[1] // 160 + 1]


def _units(items: list[Word], first: list[bool]) -> list[tuple[int, int]]:
    """Word ranges [i, j) with no pause or segment boundary inside: almost always one voice. Voice
    windows stay inside a unit, so a turn's first words are not heard through the last speaker's."""
    cuts = [n for n in range(1, len(items)) if first[n] or items[n].start - items[n - 1].end >= UNIT_GAP_S]
    bounds = [0, *cuts, len(items)]
    return list(zip(bounds, bounds[1:]))


def _windows(items: list[Word], units: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window centers, the (start, end) of audio each may hear, and the unit each belongs to."""
    centers, bounds, unit_of = [], [], []
    for u, (i, j) in enumerate(units):
        a, b = items[i].start - 0.1, items[j - 1].end + 0.1
        n = int(np.ceil((b - a - WINDOW_S) / HOP_S)) + 1
        cs = np.linspace(a + WINDOW_S / 2, b - WINDOW_S / 2, n) if b - a > WINDOW_S else [(a + b) / 2]
        centers += list(cs)
        bounds += [(a, b)] * len(cs)
        unit_of += [u] * len(cs)
    return np.array(centers), np.array(bounds).reshape(-1, 2), np.array(unit_of, dtype=int)


def _embed_windows(audio_path: str, centers: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of the windows that hold sound, and which those are (Whisper's word times often
    reach into silence, which the encoder would happily call a voice of its own). Streamed and
    batched, so memory stays flat on long files. A window hears only audio inside its `bounds`;
    a unit shorter than the window is repeated to fill it (steadier than padding with silence)."""
    import torch

    from . import capture

    size, order = int(WINDOW_S * SR), np.argsort(centers, kind="stable")
    starts = np.round((centers - WINDOW_S / 2) * SR).astype(int)
    emb, rms = np.zeros((len(centers), 256), dtype=np.float32), np.zeros(len(centers))
    buf, buf_start, i, batch = np.zeros(0, dtype=np.float32), 0, 0, {}

    def flush() -> None:
        if batch:
            with torch.no_grad():
                emb[list(batch)] = _voice_encoder()(torch.from_numpy(_mels(np.stack(list(batch.values()))))).numpy()
            batch.clear()

    def take(j: int) -> None:
        lo = max(starts[j], int(bounds[j, 0] * SR), buf_start)
        hi = min(starts[j] + size, int(bounds[j, 1] * SR), buf_start + len(buf))
        batch[j] = np.resize(buf[lo - buf_start : hi - buf_start], size) if hi > lo else np.zeros(size, np.float32)
        rms[j] = np.sqrt(np.mean(batch[j] ** 2))
        if len(batch) == 128:
            flush()

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small batched LSTM: one thread is as fast, and far faster under load
    try:
        for _, chunk in capture.read_audio_windows(audio_path, 0.0, 60.0):
            level = float(np.sqrt(np.mean(chunk**2))) if len(chunk) else 0.0
            gain = max(1.0, 10 ** (-30 / 20) / level) if level > 0 else 1.0  # resemblyzer's -30 dBFS, raise only
            drop = min(len(buf), max(0, starts[order[i]] - buf_start)) if i < len(order) else len(buf)
            buf, buf_start = np.concatenate([buf[drop:], chunk * gain]), buf_start + drop
            while i < len(order) and starts[order[i]] + size <= buf_start + len(buf):
                take(order[i])
                i += 1
            if i == len(order):
                break
        for j in order[i:]:  # windows running past the end of the file
            take(j)
        flush()
    finally:
        torch.set_num_threads(threads)
    heard = rms > max(1e-4, 0.1 * float(np.median(rms)) if len(rms) else 0.0)
    return emb[heard], heard


def _cluster(emb: np.ndarray, k: int, unit_of: np.ndarray) -> np.ndarray:
    """Voice centroids (unit vectors): the most voices, up to k, that the windows really show.

    Clustered on means of a few consecutive windows of one unit (far less noisy than single
    windows, and one voice), then refined on all windows. Two voices are kept if clearly apart
    (cosine < CLOSE_VOICES), or apart and respecting units (< SAME_VOICE, labels agreeing within
    units): one voice split along its own variation (prosody, sentence ends) flickers inside
    units; two people rarely share one. Merging two people costs more, so doubt goes to two."""
    groups = [g for idx in _by_unit(unit_of) for g in np.array_split(idx, int(np.ceil(len(idx) / 6)))]  # ~4 s
    pts = _unit(np.stack([emb[g].mean(0) for g in groups])) if len(emb) else emb
    weight = np.array([len(g) for g in groups], dtype=float)
    while k > 1 and len(pts) >= 2 * k:
        cents = _kmeans(pts, k, weight)
        for _ in range(10):  # refine on all windows; a handful of odd windows is not a voice
            labels = (emb @ cents.T).argmax(1)
            cents = cents[np.bincount(labels, minlength=len(cents)) >= max(MIN_VOICE_WINDOWS, 0.05 * len(emb))]
            labels = (emb @ cents.T).argmax(1) if len(cents) else labels * 0
            cents = _unit(np.stack([emb[labels == c].mean(0) for c in range(max(1, len(cents)))]))
        closest = (cents @ cents.T - 2 * np.eye(len(cents))).max() if len(cents) > 1 else 1.0
        coherence = _coherence(labels, unit_of)  # None: too few units to tell
        coherent = coherence is not None and coherence >= COHERENT
        if len(cents) > 2:  # a third voice must be apart, coherent, and heard for a while
            if closest < CLOSE_VOICES and coherent and np.bincount(labels).min() >= EXTRA_VOICE_WINDOWS:
                return cents
        elif len(cents) == 2 and (closest < (FEW_UNITS_APART if coherence is None else CLOSE_VOICES)
                                  or closest < SAME_VOICE and coherent):
            return cents
        k = min(k, len(cents)) - 1
    return _unit(emb.mean(0, keepdims=True)) if len(emb) else np.full((1, 256), 1 / 16, dtype=np.float32)


def _coherence(labels: np.ndarray, unit_of: np.ndarray) -> float | None:
    """Mean share of a unit's windows on its majority voice (None: too few units to tell)."""
    shares = [np.bincount(labels[idx]).max() / len(idx) for idx in _by_unit(unit_of) if len(idx) >= 2]
    return float(np.mean(shares)) if len(shares) >= 5 else None


def _kmeans(x: np.ndarray, k: int, weight: np.ndarray, restarts: int = 8) -> np.ndarray:
    """Weighted spherical k-means, k-means++ starts, seeded: a file always gets the same answer."""
    rng, best, best_fit = np.random.default_rng(0), x[:k], -np.inf
    for _ in range(restarts):
        cents = x[[rng.choice(len(x), p=weight / weight.sum())]]
        while len(cents) < k:
            far = np.maximum(1e-9, 1 - (x @ cents.T).max(1)) * weight
            cents = np.vstack([cents, x[rng.choice(len(x), p=far / far.sum())]])
        for _ in range(30):
            labels = (x @ cents.T).argmax(1)
            cents = _unit(np.stack([weight[labels == c] @ x[labels == c] if (labels == c).any() else cents[c] for c in range(k)]))
        fit = ((x @ cents.T).max(1) * weight).sum()
        if fit > best_fit:
            best, best_fit = cents, fit
    return best


def _by_unit(unit_of: np.ndarray) -> list[np.ndarray]:
    """Window indices of each unit (windows come unit by unit)."""
    return np.split(np.arange(len(unit_of)), np.flatnonzero(np.diff(unit_of)) + 1) if len(unit_of) else []


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def _word_scores(items: list[Word], units, centers: np.ndarray, unit_of: np.ndarray, win_scores: np.ndarray) -> np.ndarray:
    """Each word's score per voice: its unit's windows, weighted by how close each is to the word
    (a unit with no sound in it stays neutral, 0, and follows its neighbours)."""
    out = np.zeros((len(items), win_scores.shape[1]))
    for u, (i, j) in enumerate(units):
        idx = np.arange(*np.searchsorted(unit_of, [u, u + 1]))  # windows come unit by unit
        for n in range(i, j if len(idx) else i):
            wt = np.maximum(1e-3, 1 - np.abs(centers[idx] - (items[n].start + items[n].end) / 2) / (WINDOW_S / 2))
            out[n] = wt @ win_scores[idx] / wt.sum()
    return out


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


def _channel_energy(audio_path: str, hop: int = SR // 50) -> np.ndarray | None:
    """(2, frames) mean power per 20 ms of each channel of a stereo file, streamed; else None."""
    import av

    with av.open(str(audio_path)) as container:
        stream = container.streams.audio[0]
        if stream.codec_context.channels != 2:
            return None
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=SR)
        rest, out = np.zeros((2, 0), dtype=np.float32), []
        for frame in [*container.decode(stream), None]:
            for res in resampler.resample(frame):
                x = np.concatenate([rest, res.to_ndarray().astype(np.float32)], axis=1)
                n = x.shape[1] // hop
                out.append((x[:, : n * hop].reshape(2, n, hop) ** 2).mean(-1))
                rest = x[:, n * hop :]
    return np.concatenate(out, axis=1) if out else None


def _stereo_scores(audio_path: str, items: list[Word]) -> np.ndarray | None:
    """Per-word (left, right) evidence from channel energy, or None unless the channels clearly
    hold different voices: most sound much louder on one side, and each side leading often."""
    energy = _channel_energy(audio_path)
    if energy is None or energy.shape[1] < 5:
        return None
    loud = energy.max(0) > energy.max() * 1e-3
    db = np.clip(10 * np.log10((energy[0] + 1e-10) / (energy[1] + 1e-10)), -30, 30)
    sided = db[loud][np.abs(db[loud]) > STEREO_DB]
    if loud.sum() < 5 or len(sided) < 0.5 * loud.sum() or min(np.mean(sided > 0), np.mean(sided < 0)) < 0.05:
        return None  # mono saved as stereo, one voice on both sides, or everything on one side
    out = np.zeros((len(items), 2))
    for i, w in enumerate(items):
        a, b = int(w.start * 50), max(int(w.start * 50) + 1, int(w.end * 50))
        d = db[a:b][loud[a:b]]
        out[i] = [d.mean() / 30, -d.mean() / 30] if len(d) else 0.0
    return out


def _split(segments: list[Segment], items: list[Word], owner: list[int], labels) -> list[Segment]:
    """Split segments where the word labels change; each part keeps its words and Whisper's signals."""
    out: list[Segment] = []
    edges = np.searchsorted(owner, np.arange(len(segments) + 1))  # each segment's items: owner is sorted
    for si, seg in enumerate(segments):
        runs = [list(run) for _, run in groupby(range(edges[si], edges[si + 1]), key=lambda n: labels[n])]
        if len(runs) == 1 or not seg.words:
            out.append(replace(seg, speaker=str(labels[runs[0][0]]), words=list(seg.words), flags=list(seg.flags)))
            continue
        for run in runs:
            ws = [items[n] for n in run]
            out.append(replace(
                seg, start=ws[0].start, end=ws[-1].end, text="".join(w.word for w in ws).strip(),
                speaker=str(labels[run[0]]), words=ws, flags=list(seg.flags), id=None, index=None,
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
        if sims[0][0] >= PROFILE_MATCH and sims[0][0] - sims[1][0] >= 0.03:
            key[sims[0][1]] = INTERVIEWER  # an explicit role name wins in roles_from_text
    roles = roles_from_text({key[v]: t for v, t in texts.items()})
    return {v: roles[key[v]] for v in texts}


def _fill(segments: list[Segment], max_gap: float) -> list[Segment]:
    """Let a turn run on across a short pause: the pause belongs to whoever speaks on both sides."""
    for a, b in zip(segments, segments[1:]):
        if a.speaker == b.speaker and 0 < b.start - a.end <= max_gap:
            a.end = b.start
    return segments
