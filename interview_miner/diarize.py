"""Who speaks when, from audio alone: segmentation-3.0 activity per chunk, linked across chunks by
CAM++ voice embeddings into a timeline of global voices (overlap included).

The recipe follows pyannote's, made small: (1) segmentation finds up to three local voices in each
10 s chunk (chunks every 5 s), frame by frame; (2) each local voice's solo stretches are cut into
~1.5 s pieces and embedded (per piece, because segmentation now and then gives two people who
follow each other one local voice; a piece heard twice by overlapping chunks is embedded once, and
along one voice talking on, pieces between two that sound alike borrow their vector);
(3) the pieces are clustered (Ward, then k-means steps) into the interview's voices, with what
segmentation knows folded into the distances (two local voices of one chunk are two people), into
exactly `n` voices when given (one, if no chunk ever holds two voices), estimated when not; (4) each
chunk's local activity goes to the voice of its nearest piece (a local voice with no piece, heard
only over others or in a short back-channel, is embedded whole and goes to the closest voice not
already speaking in its chunk), averaged over chunks onto one timeline, plus where any two voices
overlap. `speakers` labels the transcript's words from it.

Steps (1)-(2) need only the audio (`listen`: nearly all the cost, so it runs while Whisper
decodes); (3)-(4) use the transcript's word times (`resolve`: cheap). `diarize` does both.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import voices

PIECE_S = 1.5  # one embedding per this much of a voice heard alone (CAM++ is steady from ~1 s)
MIN_PIECE_S = 0.5  # shorter solo stretches get no embedding; their frames follow the nearest piece
MIN_UNPIECED_S = 0.2  # a local voice with no piece but this much speech is embedded whole and matched
PIECE_GAP_S = 0.5  # a piece never spans a pause this long (another person may have spoken in it)
AUTO_VOICE_DIST = 0.5  # with the count unknown: voices whose centres are closer than this are one
MAX_AUTO_VOICES = 8
SAME_LOCAL_FACTOR = 0.6  # pieces of one local voice: distance scaled by this (see _piece_distances)
REFINE = 3  # then this many k-means steps: each piece to its closest voice centre
LINKAGE = "ward"  # ward: two big voices rather than one voice and a stray sound
SKIP_SPAN = 4  # along one voice's track, embed every this many pieces first (1: every piece; see _embed_pieces)
SAME_VOICE_SIM = 0.75  # cosine of two CAM++ pieces from which the pieces between them are taken as that voice
HEARD_S = 0.25  # a piece with less than this near a transcribed word does not teach a voice
# Most pieces the voice tree is built from: the tree needs every pairwise distance (N x N), which
# for a 3-hour recording's ~12,000 pieces took 3.2 GB for a few seconds. Above it the tree is
# built from pieces spread evenly over the recording, and every piece then joins its closest voice.
MAX_TREE_PIECES = 3000
# Clips cut and embedded at a time: cutting every clip before embedding held ~700 MB on a 3-hour
# recording. A multiple of voices.EMBED_BATCH, so CAM++ sees the very same batches either way.
EMBED_SLICE = 32 * voices.EMBED_BATCH


@dataclass
class Diarization:
    """`activity[k, t]` in [0, 1]: voice k speaking in frame t (frame t is centred at `t * step`
    seconds); `centroids[k]`: voice k's unit CAM++ embedding."""

    activity: np.ndarray  # (voices, frames)
    step: float
    centroids: np.ndarray  # (voices, 192)
    overlap: np.ndarray  # (frames,) share of the chunks hearing the frame that hear two voices in it

    def speaking(self, active: float = 0.5) -> np.ndarray:
        """(voices, frames) bool: who speaks when (activity of at least `active`)."""
        return self.activity >= active

    def mean_overlap(self, start: float, end: float) -> float:
        """Share of [start, end] in which two voices speak at once (whoever they are)."""
        a, b = self._frames(start, end)
        return float(self.overlap[a:b].mean())

    def mean_activity(self, start: float, end: float) -> np.ndarray:
        """Each voice's mean activity over [start, end] (at least the one frame nearest it)."""
        a, b = self._frames(start, end)
        return self.activity[:, a:b].mean(1)

    def _frames(self, start: float, end: float) -> tuple[int, int]:
        a = int(np.clip(np.floor(start / self.step), 0, self.activity.shape[1] - 1))
        return a, int(np.clip(np.ceil(end / self.step), a + 1, self.activity.shape[1]))


@dataclass
class Heard:
    """What the audio alone tells about its voices, before any transcript exists: segmentation's
    chunks, the pieces of each local voice heard alone and their CAM++ embeddings, and those of
    local voices with no piece. This is nearly all the stage's cost, so it can run while Whisper
    decodes (`speakers.listen_in_background`); `resolve` then adds the transcript's word times."""

    audio: np.ndarray  # 16 kHz mono: a local voice whose pieces the transcript rules out is embedded late
    seg: voices.Segmentation
    pieces: list[_Piece]
    emb: np.ndarray  # (pieces, 192)
    unpieced: dict[tuple[int, int], np.ndarray]  # (chunk, local voice) with no piece at all -> embedding


def diarize(audio: np.ndarray, n_voices: int | None = None, speech: list[tuple[float, float]] | None = None) -> Diarization:
    """The voices of mono 16 kHz audio and when each speaks; `n_voices` None: estimate the count.

    `speech`: where the transcript heard words (start, end). Voices are then learnt only from
    pieces near words: a cough, a chair or a far-off talker that no one transcribed must not take
    the place of a person; the timeline still covers all the audio."""
    return resolve(listen(audio), n_voices, speech)


def listen(audio: np.ndarray) -> Heard:
    """The audio-only part of `diarize` (segmentation and every embedding; no transcript needed)."""
    seg = voices.segment(audio)
    pieces = _pieces(seg)
    emb = _embed_pieces(audio, seg, pieces) if pieces else np.zeros((0, voices.EMBED_DIM), np.float32)
    unpieced = _unpieced_voices(seg, pieces)
    heard = Heard(audio, seg, pieces, emb, dict(zip(unpieced, _embed_sliced(lambda key: _unpieced_clip(audio, seg, *key), unpieced))))
    # Import what `resolve` clusters with (scipy, ~0.3 s) now: `listen` runs in the voice-work
    # thread beside Whisper, `resolve` after it, where every second is waited for.
    import scipy.cluster.hierarchy  # noqa: F401
    import scipy.spatial.distance  # noqa: F401

    return heard


def resolve(heard: Heard, n_voices: int | None = None, speech: list[tuple[float, float]] | None = None) -> Diarization:
    """The cheap, transcript-aware part of `diarize`: the pieces near `speech` clustered into
    voices, and the timeline of who speaks when."""
    seg, keep = heard.seg, np.arange(len(heard.pieces))
    if speech and len(keep):
        near = _near_all(heard.pieces, speech)
        keep = np.flatnonzero(near >= HEARD_S) if (near >= HEARD_S).any() else keep
    pieces = [heard.pieces[i] for i in keep]
    frames = int(np.ceil(seg.duration / seg.step)) + 1
    if not pieces:
        return Diarization(np.zeros((1, frames), np.float32), seg.step, np.zeros((1, voices.EMBED_DIM), np.float32),
                           np.zeros(frames, np.float32))
    emb = heard.emb[keep]
    labels = _cluster_pieces(emb, pieces, *count_voices(pieces, n_voices))
    centroids = _unit(np.stack([emb[labels == k].mean(0) for k in range(labels.max() + 1)]))
    extra = _assign_unpieced(heard, _unpieced_voices(seg, pieces), pieces, labels, centroids)
    total, count = np.zeros((len(centroids), frames), np.float32), np.zeros(frames, np.float32)
    both = np.zeros(frames, np.float32)
    n_frames = seg.activity.shape[1]
    of_voice: dict[tuple[int, int], list[int]] = {}  # (chunk, local voice) -> its pieces
    for i, p in enumerate(pieces):
        of_voice.setdefault((p.chunk, p.voice), []).append(i)
    for c, start in enumerate(seg.starts):
        first = int(round((start + seg.frame_start) / seg.step))
        idx = np.arange(first, min(first + n_frames, frames))
        count[idx] += 1
        both[idx] += seg.activity[c, : len(idx)].sum(-1) >= 2
        for s in range(seg.activity.shape[2]):
            mine = of_voice.get((c, s))
            if mine:
                centres = np.array([pieces[i].frames.mean() for i in mine])  # frames of chunk c
                nearest = np.abs(np.arange(len(idx))[:, None] - centres[None, :]).argmin(1)
                voice_of_frame = labels[np.array(mine)][nearest]
            elif (c, s) in extra:
                voice_of_frame = np.full(len(idx), extra[(c, s)])
            else:
                continue
            np.add.at(total, (voice_of_frame, idx), seg.activity[c, : len(idx), s])
    norm = np.maximum(count, 1)
    return Diarization(total / norm, seg.step, centroids, both / norm)


def _unpieced_voices(seg: voices.Segmentation, pieces: list[_Piece]) -> list[tuple[int, int]]:
    """(chunk, local voice) pairs heard for at least MIN_UNPIECED_S that got no piece: voices heard
    only in overlap or in a short back-channel. Dropping them loses exactly the speech that
    meetings are full of (a third voice over two others, "yeah" between turns)."""
    have = {(p.chunk, p.voice) for p in pieces}
    heard = seg.activity.sum(1) * seg.step  # (chunks, voices) seconds
    return [(c, s) for c, s in zip(*np.nonzero(heard >= MIN_UNPIECED_S)) if (c, s) not in have]


def _assign_unpieced(heard: Heard, unheard: list[tuple[int, int]], pieces: list[_Piece], labels: np.ndarray,
                     centroids: np.ndarray) -> dict[tuple[int, int], int]:
    """Each piece-less local voice goes to the closest voice centre (its whole active stretch
    embedded, overlap included) among those the other local voices of its chunk do not already
    speak as: segmentation says they are different people."""
    if not unheard or len(centroids) < 2:
        return {key: 0 for key in unheard} if len(centroids) else {}
    late = [key for key in unheard if key not in heard.unpieced]  # its pieces were all far from any word
    if late:
        heard.unpieced.update(zip(late, _embed_sliced(lambda key: _unpieced_clip(heard.audio, heard.seg, *key), late)))
    sims = np.stack([heard.unpieced[key] for key in unheard]) @ centroids.T
    out = {}
    for n, (c, s) in enumerate(unheard):
        taken = {int(labels[i]) for i, p in enumerate(pieces) if p.chunk == c and p.voice != s}
        taken |= {k for (c2, s2), k in out.items() if c2 == c}
        free = [k for k in np.argsort(-sims[n]) if int(k) not in taken]
        out[(c, s)] = int(free[0] if free else sims[n].argmax())
    return out


def _unpieced_clip(audio: np.ndarray, seg: voices.Segmentation, c: int, s: int) -> np.ndarray:
    """The frames where local voice s of chunk c speaks (not the gaps between its words), joined
    and repeated to PIECE_S so that the clips batch together."""
    f = np.flatnonzero(seg.activity[c, :, s] > 0)
    at = seg.starts[c] + seg.frame_start
    a, b = int(max(0.0, at + f[0] * seg.step - seg.step / 2) * voices.SR), int((at + (f[-1] + 1) * seg.step) * voices.SR)
    keep = np.zeros(b - a, bool)
    for t in f:
        lo = int((at + t * seg.step - seg.step / 2) * voices.SR) - a
        keep[max(0, lo) : lo + int(seg.step * voices.SR) + 1] = True
    clip = audio[a:b][keep[: len(audio[a:b])]]
    return np.resize(clip if len(clip) else np.zeros(400, np.float32), int(PIECE_S * voices.SR))


@dataclass
class _Piece:
    """Up to PIECE_S of one local voice heard alone within one chunk: one embedding."""

    chunk: int
    voice: int
    frames: np.ndarray  # frame indices within the chunk
    start: float  # seconds
    end: float
    run: int = 0  # which stretch (without a pause of PIECE_GAP_S) of its local voice in its chunk


def _pieces(seg: voices.Segmentation) -> list[_Piece]:
    """Cut each local voice's solo frames into pieces of about PIECE_S, never across a pause of
    PIECE_GAP_S: segmentation sometimes gives two people who follow each other one local voice,
    so identity is decided piece by piece, not per local voice."""
    out = []
    alone = seg.activity.sum(-1) == 1
    per_piece, gap = int(PIECE_S / seg.step), int(PIECE_GAP_S / seg.step)
    for c in range(len(seg.starts)):
        for s in range(seg.activity.shape[2]):
            frames = np.flatnonzero(alone[c] & (seg.activity[c, :, s] > 0))
            if not len(frames):
                continue
            runs = np.split(frames, np.flatnonzero(np.diff(frames) > gap) + 1)
            for r, run in enumerate(runs):
                parts = np.array_split(run, max(1, int(round(len(run) / per_piece))))
                at = seg.starts[c] + seg.frame_start
                out += [_Piece(c, s, p, at + p[0] * seg.step, at + (p[-1] + 1) * seg.step, r)
                        for p in parts if len(p) * seg.step >= MIN_PIECE_S]
    return out


def _near_all(pieces: list[_Piece], speech: list[tuple[float, float]], pad: float = 0.25) -> np.ndarray:
    """Seconds of each piece within `pad` of a transcribed word (words sorted by start; only the
    few words around each piece are looked at, so long files stay cheap)."""
    order = np.argsort([a for a, _ in speech], kind="stable")
    lo = np.array([speech[i][0] for i in order]) - pad
    hi = np.array([speech[i][1] for i in order]) + pad
    reach = np.maximum.accumulate(hi)  # words before the first index whose reach passes a piece's start end before it
    out = np.zeros(len(pieces))
    for n, p in enumerate(pieces):
        i, j = np.searchsorted(reach, p.start, side="right"), np.searchsorted(lo, p.end, side="left")
        if j > i:
            out[n] = np.maximum(0.0, np.minimum(p.end, hi[i:j]) - np.maximum(p.start, lo[i:j])).sum()
    return out


def _embed_pieces(audio: np.ndarray, seg: voices.Segmentation, pieces: list[_Piece]) -> np.ndarray:
    """Embeddings of the pieces, the main cost of the stage, computed for as few pieces as the voices
    allow. Overlapping chunks hear the same audio twice, so a piece that shares at least half of
    itself with a piece of an earlier chunk borrows that piece's embedding. Then, along each track
    (one voice talking on, `_tracks`), only every SKIP_SPAN-th piece and the last are embedded at
    first; where two embedded pieces sound like one voice (cosine >= SAME_VOICE_SIM) the pieces
    between them borrow the nearer one's vector, and where they differ (a hand-over segmentation
    missed) the middle piece is embedded and each half is looked at again: long answers cost a
    fraction, quick exchanges cost what they did."""
    source = np.arange(len(pieces))
    lo, hi = np.array([p.start for p in pieces]), np.array([p.end for p in pieces])
    chunk = np.array([p.chunk for p in pieces])
    for i in range(len(pieces)):
        earlier = np.flatnonzero((chunk < chunk[i]) & (source == np.arange(len(pieces))))
        if len(earlier):
            shared = np.maximum(0, np.minimum(hi[i], hi[earlier]) - np.maximum(lo[i], lo[earlier]))
            if shared.max() >= 0.5 * (hi[i] - lo[i]):
                source[i] = earlier[shared.argmax()]
    tracks = _tracks(pieces, source)
    vectors: dict[int, np.ndarray] = {}
    spans, need = [], []
    for idx in tracks:
        anchors = sorted({*range(0, len(idx), max(1, SKIP_SPAN)), len(idx) - 1})
        need += [idx[n] for n in anchors]
        spans += [(idx, a, b) for a, b in zip(anchors, anchors[1:]) if b - a > 1]
    while need:
        vectors.update(zip(need, _embed_sliced(lambda i: _piece_audio(audio, seg, pieces[i]), need)))
        need, split = [], []
        for idx, a, b in spans:
            if vectors[idx[a]] @ vectors[idx[b]] >= SAME_VOICE_SIM:
                vectors.update((idx[n], vectors[idx[a] if n - a <= b - n else idx[b]]) for n in range(a + 1, b))
            else:
                m = (a + b) // 2
                need.append(idx[m])
                split += [(idx, x, y) for x, y in ((a, m), (m, b)) if y - x > 1]
        spans = split
    if not vectors:
        return np.zeros((0, voices.EMBED_DIM), np.float32)
    return np.stack([vectors[source[i]] for i in range(len(pieces))])


def _embed_sliced(clip_of, keys: list) -> np.ndarray:
    """CAM++ embeddings of `clip_of(key)` for each key, the clips cut EMBED_SLICE at a time: a
    clip is 1.5 s of float32 (96 KB), and a long recording has thousands to embed."""
    out = np.zeros((len(keys), voices.EMBED_DIM), np.float32)
    for s in range(0, len(keys), EMBED_SLICE):
        out[s : s + EMBED_SLICE] = voices.embed([clip_of(k) for k in keys[s : s + EMBED_SLICE]])
    return out


def _tracks(pieces: list[_Piece], source: np.ndarray) -> list[list[int]]:
    """The pieces still to embed, grouped into tracks in time order. A track is an unbroken stretch
    of one local voice, joined across chunks where a piece of the next chunk borrowed a piece of
    it: one voice talking on (a long answer is one track, not one per chunk)."""
    key = [(p.chunk, p.voice, p.run) for p in pieces]
    parent = {k: k for k in key}

    def root(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i, j in enumerate(source):
        if j != i:
            parent[root(key[i])] = root(key[j])
    tracks: dict[tuple[int, int, int], list[int]] = {}
    for i in np.flatnonzero(source == np.arange(len(pieces))):
        tracks.setdefault(root(key[i]), []).append(int(i))
    return [sorted(idx, key=lambda i: pieces[i].start) for idx in tracks.values()]


def _piece_audio(audio: np.ndarray, seg: voices.Segmentation, piece: _Piece) -> np.ndarray:
    """The samples of a piece's frames (each frame stands for `step` seconds around its centre),
    repeated to PIECE_S so that all pieces batch together."""
    centre = seg.starts[piece.chunk] + seg.frame_start + piece.frames * seg.step
    a = max(0, int((centre[0] - seg.step / 2) * voices.SR))
    b = min(len(audio), int((centre[-1] + seg.step / 2) * voices.SR))
    clip = audio[a:b] if b > a else np.zeros(400, np.float32)
    return np.resize(clip, int(PIECE_S * voices.SR))


def count_voices(pieces: list[_Piece], n: int | None) -> tuple[int | None, int]:
    """(voices to find: `n`, or None to estimate; the fewest there can be). Segmentation-3.0 tells
    people apart within 10 s far more reliably than embeddings of 1.5 s pieces decide "same or
    different" across a file, so the most voices heard alone in any one chunk is a floor; a file
    where no chunk holds two voices is one voice, whatever `n` says (a monologue is not split)."""
    per_chunk: dict[int, set[int]] = {}
    for p in pieces:
        per_chunk.setdefault(p.chunk, set()).add(p.voice)
    floor = max((len(v) for v in per_chunk.values()), default=1)
    return (1 if floor == 1 else n), floor


def _piece_distances(emb: np.ndarray, pieces: list[_Piece]) -> np.ndarray:
    """Cosine distances between pieces, with what segmentation knows folded in: two local voices
    of one chunk are two people (pushed apart to at least 1), and pieces of one local voice are
    probably one person (drawn together by SAME_LOCAL_FACTOR; not forced, as segmentation now
    and then gives two people who follow each other one local voice)."""
    d = np.clip(1 - emb @ emb.T, 0, 2)
    chunk, voice = np.array([p.chunk for p in pieces]), np.array([p.voice for p in pieces])
    lo, hi = np.array([p.start for p in pieces]), np.array([p.end for p in pieces])
    shared = np.maximum(0, np.minimum(hi[:, None], hi[None, :]) - np.maximum(lo[:, None], lo[None, :]))
    same_audio = shared > 0.5 * np.minimum(hi - lo, (hi - lo)[:, None])  # overlapping chunks hear it twice
    same_chunk = chunk[:, None] == chunk[None, :]
    same_local = (same_chunk & (voice[:, None] == voice[None, :])) | (~same_chunk & same_audio)
    d = np.where(same_local, d * SAME_LOCAL_FACTOR, d)
    d = np.where(same_chunk & ~same_local, np.maximum(d, 1.0), d)
    np.fill_diagonal(d, 0)
    return d


def _cluster_pieces(emb: np.ndarray, pieces: list[_Piece], n: int | None, floor: int) -> np.ndarray:
    """Voice labels of the pieces: `_cluster` on all of them, or, above MAX_TREE_PIECES, on every
    k-th piece in time order (so every part of the recording has its say), after which every
    piece goes to its closest voice centre and REFINE k-means steps run over all of them. Memory
    stays bounded (MAX_TREE_PIECES squared distances) whatever the recording's length."""
    if len(pieces) <= MAX_TREE_PIECES:
        return _cluster(emb, n, floor, _piece_distances(emb, pieces))
    order = np.argsort([p.start for p in pieces], kind="stable")
    tree = order[np.linspace(0, len(order) - 1, MAX_TREE_PIECES).round().astype(int)]
    some = _cluster(emb[tree], n, floor, _piece_distances(emb[tree], [pieces[i] for i in tree]))
    cents = _unit(np.stack([emb[tree][some == c].mean(0) for c in range(some.max() + 1)]))
    return _refine(emb, np.unique((emb @ cents.T).argmax(1), return_inverse=True)[1])  # no voice left empty


def _cluster(emb: np.ndarray, n: int | None, floor: int = 1, dist: np.ndarray | None = None) -> np.ndarray:
    """Cluster labels 0..k-1 of the pieces: Ward linkage on `dist` (cosine by default; Ward keeps
    voices whole where average linkage gives one stray sound a voice of its own), cut into `n`
    clusters, then REFINE k-means steps. With `n` None: the most clusters (from `floor`) whose
    centres are all at least AUTO_VOICE_DIST apart."""
    if len(emb) < 2:
        return np.zeros(len(emb), dtype=int)
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import squareform

    dist = np.clip(1 - emb @ emb.T, 0, 2) if dist is None else dist
    tree = linkage(squareform(dist, checks=False), method=LINKAGE)
    if n is not None:
        return _cut(tree, emb, n)
    labels = _cut(tree, emb, floor)
    for k in range(floor + 1, min(MAX_AUTO_VOICES, len(emb)) + 1):
        more = _cut(tree, emb, k)
        cents = _unit(np.stack([emb[more == c].mean(0) for c in range(more.max() + 1)]))
        if (1 - (cents @ cents.T - 2 * np.eye(len(cents)))).min() < AUTO_VOICE_DIST or more.max() + 1 < k:
            break
        labels = more
    return labels


def _cut(tree: np.ndarray, emb: np.ndarray, k: int) -> np.ndarray:
    """The tree cut into (at most) k clusters, then REFINE k-means steps (each piece to its closest
    voice centre; a step that would empty a voice is not taken)."""
    from scipy.cluster.hierarchy import fcluster

    return _refine(emb, np.unique(fcluster(tree, k, criterion="maxclust"), return_inverse=True)[1])


def _refine(emb: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """REFINE k-means steps: each piece to its closest voice centre (a step that would empty a
    voice is not taken)."""
    for _ in range(REFINE):
        cents = _unit(np.stack([emb[labels == c].mean(0) for c in range(labels.max() + 1)]))
        moved = (emb @ cents.T).argmax(1)
        if len(set(moved)) < len(cents):
            break
        labels = moved
    return labels


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)
