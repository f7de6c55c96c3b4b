"""How speaker attribution is scored on the AMI meeting excerpts (../shared/data/speech/ami), and
the two bounds that say whether a miss is the clustering's: `bench/speaker_eval.py --sets ami`
prints them per file. Kept apart from the runner so the measures can be read on their own."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from interview_miner import diarize, speakers
from interview_miner.models import Segment

AMI = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech" / "ami"


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def ami_reference(ami_dir: Path = AMI) -> dict[str, list[tuple[str, float, float]]]:
    """{file: [(speaker, start, end)]} from the AMI excerpts' RTTM files (all 30 s annotated, per
    their UEM files)."""
    turns: dict[str, list[tuple[str, float, float]]] = {}
    for rttm in sorted(ami_dir.glob("debug.*.rttm")):
        for line in rttm.read_text().splitlines():
            f = line.split()
            if f and f[0] == "SPEAKER":
                turns.setdefault(f[1], []).append((f[7], float(f[3]), float(f[3]) + float(f[4])))
    return turns


def speaker_time_accuracy(turns: list[tuple[str, float, float]], hyp: list[Segment]) -> float:
    """Share of reference speech time (each speaker's turns; overlapped speech counts once per
    speaker) covered by hypothesis segments of the right speaker, under the best one-to-one mapping
    of hypothesis labels to reference speakers (permutation-invariant, as the AMI README says)."""
    from itertools import permutations

    names = sorted({t[0] for t in turns})
    labels = sorted({s.speaker for s in hyp}) + [None] * len(names)
    total = sum(b - a for _, a, b in turns)
    covered = {(n, lab): sum(overlap(a, b, s.start, s.end) for who, a, b in turns if who == n for s in hyp if s.speaker == lab)
               for n in names for lab in set(labels) if lab is not None}
    best = max(sum(covered.get((n, lab), 0.0) for n, lab in zip(names, perm)) for perm in permutations(labels, len(names)))
    return best / total if total else 0.0


def timeline_accuracy(turns: list[tuple[str, float, float]], timeline: diarize.Diarization) -> tuple[float, float]:
    """(accuracy, purity) of the diarization timeline itself, before any word is labelled.

    Accuracy: the AMI README's measure on who-speaks-when (share of reference speech time, each
    speaker's own, overlap included, during which the mapped hypothesis voice speaks; best one-to-
    one mapping). Purity: the share of hypothesis speaking time that lies on the mapped speaker's
    speech. The README's measure never charges a voice for speaking where its speaker does not, so
    a timeline with everyone speaking everywhere would score 1.0; purity is that price."""
    from itertools import permutations

    names = sorted({t[0] for t in turns})
    act = timeline.speaking(speakers.ACTIVE)
    covered = np.zeros((len(names), len(act)))
    for who, a, b in turns:
        covered[names.index(who)] += act[:, int(a / timeline.step) : int(np.ceil(b / timeline.step))].sum(1) * timeline.step
    labels = [*range(len(act)), *[None] * len(names)]
    best = max(sum(covered[i, k] for i, k in enumerate(perm) if k is not None) for perm in permutations(labels, len(names)))
    total = sum(b - a for _, a, b in turns)
    return best / total if total else 0.0, best / max(act.sum() * timeline.step, 1e-9)


def timeline_ceiling(turns: list[tuple[str, float, float]], timeline: diarize.Diarization) -> float:
    """The best accuracy any assignment of identities could give this timeline's voice activity:
    per frame, as many reference speakers are covered as voices speak there (at most). It bounds
    what clustering can fix; the rest is what segmentation did not hear (or heard as fewer voices)."""
    act = timeline.speaking(speakers.ACTIVE).sum(0)
    at = np.arange(len(act)) * timeline.step
    talking = np.array([sum(1 for _, a, b in turns if a <= t < b) for t in at])
    total = sum(b - a for _, a, b in turns)
    return float(np.minimum(act, talking).sum() * timeline.step / total) if total else 0.0


def reference_voices(turns: list[tuple[str, float, float]], heard: diarize.Heard, n: int,
                     words: list[tuple[float, float]]) -> diarize.Diarization:
    """The timeline with every piece (and every local voice heard only in overlap) given the
    reference speaker who talks most over it, instead of clustered: what perfect clustering of
    these pieces would give. Patches `diarize`'s clustering for the one call."""
    names = sorted({t[0] for t in turns})

    def owner(a: float, b: float) -> int:
        return int(np.argmax([sum(overlap(a, b, x, y) for w, x, y in turns if w == name) for name in names]))

    def by_reference(emb, pieces, *_):
        return np.unique([owner(p.start, p.end) for p in pieces], return_inverse=True)[1]

    def unpieced_by_reference(heard, unheard, pieces, labels, centroids):
        voice_of = {owner(p.start, p.end): int(k) for p, k in zip(pieces, labels)}
        out = {}
        for c, s in unheard:
            f = np.flatnonzero(heard.seg.activity[c, :, s] > 0)
            at = heard.seg.starts[c] + heard.seg.frame_start
            out[(c, s)] = voice_of.get(owner(at + f[0] * heard.seg.step, at + (f[-1] + 1) * heard.seg.step), 0)
        return out

    saved = diarize._cluster_pieces, diarize._assign_unpieced
    diarize._cluster_pieces, diarize._assign_unpieced = by_reference, unpieced_by_reference
    try:
        return diarize.resolve(heard, n, words)
    finally:
        diarize._cluster_pieces, diarize._assign_unpieced = saved


def transcript_oracle(turns: list[tuple[str, float, float]], segments: list[Segment]) -> float:
    """The README's measure for transcript segments whose every word carries the reference speaker
    who speaks most over it: the best any word labelling can do with this transcript (words the
    ASR never heard, and the second voice of overlapped speech, are time no label can cover)."""
    items, owner, _ = speakers._items(segments)
    if not items:
        return 0.0
    names = sorted({t[0] for t in turns})
    labels = [names[int(np.argmax([sum(overlap(a, b, w.start - 0.05, w.end + 0.05) for x, a, b in turns if x == n) for n in names]))]
              for w in items]
    return speaker_time_accuracy(turns, speakers._fill(speakers._split(segments, items, owner, labels), speakers.FILL_PAUSE_S))
