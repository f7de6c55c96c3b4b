"""Two-track calls: each side transcribed alone (`split_channels`, the default) against the mix.

A call recorded with one track per person (Zoom's separate audio files, Riverside, a stereo call
recorder) can be transcribed two ways: the two sides mixed (what a mono recording gives) or each
side's channel alone, shut where it only hears the other side leaking in (`sides.side_gates`).
This scores both on:

- the shared dev corpus made two-track: each interview's interviewer turns on the left channel and
  its participant turns on the right, cut from the real recording at the true turn times, as
  recorded (`--shift 0`), and with every answer moved 1 s earlier so it starts over the end of the
  question (`--shift 1`: interruptions, where the mix blends two voices);
- optionally with crosstalk (`--crosstalk-db 20`: each microphone also hears the other person,
  that many dB down), where the split is only used when the sides are far enough apart;
- the shared `stereo_diarization.wav` (two real people talking over each other, one per channel),
  against its exact per-side references.

Scores: word error rate over the whole call (jiwer; hypothesis words in segment time order,
reference turns in time order), words given to the wrong side (by the true turn at the word's
midpoint), the transcription's wall time, and the overlap flags: of the segments flagged, the
share that holds co-speech (>= 0.1 s where two true turns overlap: precision), and of the
co-speech stretches, the share inside a flagged segment (recall).

Usage: python bench/two_track_eval.py [--corpus DIR] [--shift 0 1] [--crosstalk-db DB] [--only dev01 ...]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from interview_miner import capture, pipeline, sides, transcribe  # noqa: E402
from interview_miner.evaluate import asr_tokens  # noqa: E402
from interview_miner.models import INTERVIEWER, PARTICIPANT  # noqa: E402
from interview_miner.store import Store  # noqa: E402

SR = 16000
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def two_track(truth: dict, audio: np.ndarray, shift: float, crosstalk_db: float | None) -> tuple[np.ndarray, list[dict]]:
    """(2, n) left = interviewer turns, right = participant turns (moved `shift` s earlier, never
    before the end of the previous answer), and the turns as placed."""
    n = len(audio) + SR
    out = np.zeros((2, n), dtype=np.float32)
    placed, last_end = [], 0.0
    for t in truth["turns"]:
        side = 0 if t["speaker"] == "interviewer" else 1
        x = audio[int(t["start"] * SR): int(t["end"] * SR)]
        start = t["start"]
        if side == 1 and shift:
            start = max(last_end + 0.05, t["start"] - shift)
        a = int(start * SR)
        out[side, a: a + len(x)] += x[: n - a]
        placed.append({"speaker": INTERVIEWER if side == 0 else PARTICIPANT, "start": start,
                       "end": start + len(x) / SR, "text": t["text"]})
        if side == 1:
            last_end = start + len(x) / SR
    if crosstalk_db is not None:
        g = 10 ** (-crosstalk_db / 20)
        out = np.stack([out[0] + g * out[1], out[1] + g * out[0]])
    return out, placed


def transcribe_both(path: Path, work: Path) -> dict:
    results = {}
    for mode, split in (("mix", False), ("split", True)):
        store = Store(work / f"{path.stem}-{mode}.db")
        os.environ["INTERVIEW_MINER_RECORDINGS"] = str(work / "rec")
        interview = pipeline.add_files(store, [str(path)]).added[0]
        t0 = time.perf_counter()
        pipeline.transcribe_interviews(store, [interview.id], options=transcribe.TranscribeOptions(split_channels=split))
        results[mode] = (store.segments(interview.id), time.perf_counter() - t0)
        store.close()
    return results


def score(turns: list[dict], segments) -> tuple[float, float, int]:
    import jiwer

    ref = asr_tokens(" ".join(t["text"] for t in sorted(turns, key=lambda t: t["start"])))
    hyp = asr_tokens(" ".join(s.text for s in sorted(segments, key=lambda s: (s.start, s.end))))
    words = [(w, s.speaker) for s in segments for w in s.words]

    def truth_at(t: float) -> str:
        return min(turns, key=lambda u: max(u["start"] - t, t - u["end"], 0.0))["speaker"]

    wrong = sum(truth_at((w.start + w.end) / 2) != who for w, who in words)
    return float(jiwer.wer(ref, hyp)), wrong / max(1, len(words)), len(words)


def overlap_flags(turns: list[dict], segments) -> tuple[int, float | None, float | None]:
    """(segments flagged, precision, recall) of the overlap flag against where true turns of two
    speakers overlap by 0.1 s or more."""
    shared = [(max(a["start"], b["start"]), min(a["end"], b["end"])) for i, a in enumerate(turns) for b in turns[i + 1:]
              if a["speaker"] != b["speaker"] and min(a["end"], b["end"]) - max(a["start"], b["start"]) >= 0.1]
    flagged = [s for s in segments if "overlap" in s.flags]

    def meets(s, a: float, b: float) -> bool:
        return min(s.end, b) - max(s.start, a) > 0

    precision = sum(any(meets(s, a, b) for a, b in shared) for s in flagged) / len(flagged) if flagged else None
    recall = sum(any(meets(s, a, b) for s in flagged) for a, b in shared) / len(shared) if shared else None
    return len(flagged), precision, recall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(SHARED / "corpus" / "dev"))
    ap.add_argument("--shift", type=float, nargs="+", default=[0.0, 1.0])
    ap.add_argument("--crosstalk-db", type=float, default=None)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="two-track-"))
    rows = []
    clip = SHARED / "speech" / "stereo_diarization.wav"
    if clip.exists():
        refs = [(clip.with_suffix(f".{side}.txt")).read_text().strip() for side in ("left", "right")]
        got = transcribe_both(clip, work)
        for mode, (segs, secs) in got.items():
            import jiwer

            hyp = asr_tokens(" ".join(s.text for s in segs))
            # the two sides talk at once: score against both orders, keep the better
            wer = min(float(jiwer.wer(asr_tokens(" ".join(r)), hyp)) for r in (refs, refs[::-1]))
            rows.append({"file": "stereo_diarization", "shift": None, "mode": mode, "wer": round(wer, 4), "seconds": round(secs, 1),
                         "text": " | ".join(f"{s.speaker}: {s.text}" for s in segs)})
            print(f"stereo_diarization  {mode:5}  WER {wer:.3f}  {rows[-1]['text']}")
    for truth_path in sorted(Path(args.corpus).glob("*.json")):
        if args.only and truth_path.stem not in args.only:
            continue
        truth = json.loads(truth_path.read_text())
        audio = capture.read_audio(truth_path.parent / truth["audio"]["file"])
        for shift in args.shift:
            stereo, turns = two_track(truth, audio, shift, args.crosstalk_db)
            path = capture.write_wav(work / f"{truth_path.stem}-s{shift:g}.wav", stereo)
            split_used = sides.sides_apart(str(path))
            for mode, (segs, secs) in transcribe_both(path, work).items():
                wer, wrong, n = score(turns, segs)
                flags, precision, recall = overlap_flags(turns, segs)
                rows.append({"file": truth_path.stem, "shift": shift, "mode": mode, "wer": round(wer, 4),
                             "wrong_side": round(wrong, 4), "words": n, "seconds": round(secs, 1), "split_used": split_used,
                             "overlap_flags": flags, "overlap_precision": precision, "overlap_recall": recall})
                print(f"{truth_path.stem} shift {shift:g}  {mode:5}  WER {wer:.3f}  wrong side {wrong:.3f}  "
                      f"{n} words  {secs:.1f} s  overlap flags {flags} (precision {_pct(precision)}, recall {_pct(recall)})"
                      f"{'' if split_used or mode == 'mix' else '  (sides not apart: mixed)'}")
    for shift in args.shift:
        for mode in ("mix", "split"):
            sel = [r for r in rows if r["shift"] == shift and r["mode"] == mode]
            if sel:
                flagged = sum(r["overlap_flags"] for r in sel)
                right = sum(r["overlap_flags"] * r["overlap_precision"] for r in sel if r["overlap_precision"] is not None)
                recalls = [r["overlap_recall"] for r in sel if r["overlap_recall"] is not None]
                print(f"mean shift {shift:g} {mode:5}: WER {np.mean([r['wer'] for r in sel]):.4f}  "
                      f"wrong side {np.mean([r['wrong_side'] for r in sel]):.4f}  time {sum(r['seconds'] for r in sel):.0f} s  "
                      f"overlap flags {flagged} (precision {_pct(right / flagged if flagged else None)}, "
                      f"recall {_pct(np.mean(recalls) if recalls else None)})")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


if __name__ == "__main__":
    main()
