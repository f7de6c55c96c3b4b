"""Speaker attribution on the labelled dev corpus: participant-time and overall time accuracy.

Transcribes each corpus file with the real engine (bundled tiny.en, default options), caches the
segments to a temp JSON file (transcription is ~20 s a file; the speakers stage is what we iterate
on), runs `speakers.assign_speakers` and scores hypothesis segments against the ground-truth turns:

- participant time: for each true participant turn, the fraction of its span covered by hypothesis
  segments labelled participant (summed over turns);
- overall time: the same over both speakers' turns (interviewer turns must be covered by
  interviewer segments).

Usage: python bench/speaker_eval.py [--corpus DIR] [--cache FILE] [--refresh] [--files dev01 dev03]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from interview_miner import capture, speakers, transcribe  # noqa: E402
from interview_miner.models import INTERVIEWER, PARTICIPANT, Segment, Word  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "corpus" / "dev"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "interview_miner_speaker_bench.json"


def transcribe_file(path: Path) -> list[Segment]:
    model = transcribe.load_model()
    audio = capture.read_audio(path)
    segments, _ = transcribe.transcribe_window(model, audio, 0.0, transcribe.TranscribeOptions(), "en")
    return list(segments)


def load_segments(path: Path, cache: dict, refresh: bool) -> tuple[list[Segment], bool]:
    key = f"{path.name}:{path.stat().st_size}"
    if refresh or key not in cache:
        t0 = time.perf_counter()
        segs = transcribe_file(path)
        print(f"  transcribed {path.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        cache[key] = [asdict(s) for s in segs]
        return segs, True
    out = []
    for d in cache[key]:
        d = dict(d)
        d["words"] = [Word(**w) for w in d["words"]]
        out.append(Segment(**d))
    return out, False


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def score(turns: list[dict], hyp: list[Segment]) -> dict[str, float]:
    """Seconds of each true speaker's turns covered by hypothesis segments with the same label."""
    out = {"part_total": 0.0, "part_ok": 0.0, "int_total": 0.0, "int_ok": 0.0}
    for t in turns:
        who = "part" if t["speaker"] == PARTICIPANT else "int"
        want = PARTICIPANT if who == "part" else INTERVIEWER
        out[f"{who}_total"] += t["end"] - t["start"]
        out[f"{who}_ok"] += sum(overlap(t["start"], t["end"], s.start, s.end) for s in hyp if s.speaker == want)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--refresh", action="store_true", help="re-transcribe even when cached")
    ap.add_argument("--files", nargs="*", help="interview ids (dev01 ...); default all in manifest")
    ap.add_argument("--n-speakers", type=int, default=2)
    args = ap.parse_args(argv)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 2
    cache = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    truths = sorted(args.corpus.glob("dev*.json"))
    if args.files:
        truths = [t for t in truths if t.stem in args.files]
    totals = {"part_total": 0.0, "part_ok": 0.0, "int_total": 0.0, "int_ok": 0.0}
    total_audio = total_secs = 0.0
    print(f"{'file':8} {'dur_s':>6} {'segs':>5} {'out':>5} {'part_acc':>8} {'int_acc':>8} {'all_acc':>8} {'spk_s':>6}")
    for truth_path in truths:
        truth = json.loads(truth_path.read_text())
        audio_path = args.corpus / truth["audio"]["file"]
        segments, fresh = load_segments(audio_path, cache, args.refresh)
        if fresh:
            args.cache.write_text(json.dumps(cache))
        t0 = time.perf_counter()
        labelled = speakers.assign_speakers(str(audio_path), segments, n_speakers=args.n_speakers)
        secs = time.perf_counter() - t0
        s = score(truth["turns"], labelled)
        for k in totals:
            totals[k] += s[k]
        total_audio += truth["duration"]
        total_secs += secs
        part = s["part_ok"] / s["part_total"]
        inter = s["int_ok"] / s["int_total"]
        both = (s["part_ok"] + s["int_ok"]) / (s["part_total"] + s["int_total"])
        print(f"{truth_path.stem:8} {truth['duration']:6.1f} {len(segments):5d} {len(labelled):5d} "
              f"{part:8.3f} {inter:8.3f} {both:8.3f} {secs:6.2f}")
    part = totals["part_ok"] / totals["part_total"]
    inter = totals["int_ok"] / totals["int_total"]
    both = (totals["part_ok"] + totals["int_ok"]) / (totals["part_total"] + totals["int_total"])
    print(f"{'overall':8} {total_audio:6.1f} {'':5} {'':5} {part:8.3f} {inter:8.3f} {both:8.3f} {total_secs:6.2f}")
    print(f"speakers stage: {total_secs / max(total_audio, 1e-9):.4f} x real time "
          f"({total_secs / max(len(truths), 1):.2f} s per file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
