"""Transcription benchmark: real-time factor and peak memory, ours vs a bare faster-whisper call.

    python bench/transcribe_bench.py [AUDIO...] [--model default] [--repeat 1] [--json]

Each mode runs in its own subprocess (so peak RSS is that mode's alone) over the same files with the
same settings (int8, VAD, word timestamps, beam 5, English). "ours" is the pipeline behind
`interview-miner transcribe`: windowed decoding, per-segment commits to SQLite, quality flags; the
speakers stage is timed separately because bare faster-whisper has no equivalent. Model loading is
excluded from both. overhead = ours_transcribe / bare - 1 (the project's cost over the engine).
Defaults to the shared corpus audio (../shared/data/corpus/dev).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "corpus" / "dev"


def run_bare(files: list[str], model_name: str) -> dict:
    from interview_miner import capture, transcribe

    model = transcribe.load_model(model_name)
    out = {}
    for f in files:
        duration = capture.probe_audio(f).duration
        t0 = time.perf_counter()
        segments, _ = model.transcribe(f, language="en", beam_size=5, vad_filter=True, word_timestamps=True)
        n = len(list(segments))
        out[f] = {"seconds": time.perf_counter() - t0, "duration": duration, "segments": n}
    return out


def ours_options(model_name: str, batch_size: int | None = None, lanes: int | None = None):
    """What `interview-miner transcribe --language en` runs with (lanes: None = the default)."""
    from interview_miner import transcribe

    return transcribe.for_hardware(transcribe.TranscribeOptions(model=model_name, language="en", batch_size=batch_size,
                                                                lanes=lanes))


def run_ours(files: list[str], model_name: str, batch_size: int | None = None, n_speakers: int = 2,
             lanes: int | None = None) -> dict:
    """Per file: transcription seconds, speakers seconds, and the transcript (`hyp`)."""
    from interview_miner import pipeline, transcribe
    from interview_miner.store import Store

    options = ours_options(model_name, batch_size, lanes)
    model = transcribe.load_model(model_name, options.compute_type, **options.model_threads)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["INTERVIEW_MINER_RECORDINGS"] = str(Path(tmp) / "recordings")
        store = Store(Path(tmp) / "bench.db")
        for f in files:
            interview = pipeline.add_files(store, [f]).added[0]
            marks = {}

            def progress(_fraction, message, marks=marks):
                if "labelling speakers" in message and "speakers" not in marks:
                    marks["speakers"] = time.perf_counter()

            t0 = time.perf_counter()
            pipeline.transcribe_interview(store, interview, model, options, n_speakers, False,
                                          lambda s, m: progress(0, m))
            t1 = time.perf_counter()
            t_speak = marks.get("speakers", t1)
            out[f] = {
                "seconds": t_speak - t0,
                "speakers_seconds": t1 - t_speak,
                "duration": interview.duration,
                "segments": store.segment_count(interview.id),
                "hyp": " ".join(s.text for s in store.segments(interview.id)),
            }
    return out


def child(mode: str, files: list[str], model: str) -> None:
    result = run_bare(files, model) if mode == "bare" else run_ours(files, model)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"files": result, "peak_rss_mb": peak_mb}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("audio", nargs="*")
    ap.add_argument("--model", default="default")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", choices=["bare", "ours"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    files = args.audio or sorted(str(p) for p in CORPUS.glob("dev*.*") if p.suffix != ".json" and p.suffix != ".txt")
    if args.child:
        child(args.child, files, args.model)
        return
    if not files:
        sys.exit(f"no audio given and no corpus at {CORPUS}")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    results = {}
    for mode in ("bare", "ours"):
        proc = subprocess.run([sys.executable, __file__, "--child", mode, "--model", args.model, *files],
                              capture_output=True, text=True, env=env, check=True)
        results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    audio_s = sum(v["duration"] for v in results["bare"]["files"].values())
    bare_s = sum(v["seconds"] for v in results["bare"]["files"].values())
    ours_s = sum(v["seconds"] for v in results["ours"]["files"].values())
    speakers_s = sum(v["speakers_seconds"] for v in results["ours"]["files"].values())
    summary = {
        "files": len(files),
        "audio_seconds": round(audio_s, 1),
        "rtf_bare": round(bare_s / audio_s, 4),
        "rtf_ours_transcribe": round(ours_s / audio_s, 4),
        "rtf_ours_with_speakers": round((ours_s + speakers_s) / audio_s, 4),
        "overhead_transcribe": round(ours_s / bare_s - 1, 4),
        "speakers_seconds_per_audio_minute": round(speakers_s / audio_s * 60, 2),
        "peak_rss_mb_bare": round(results["bare"]["peak_rss_mb"]),
        "peak_rss_mb_ours": round(results["ours"]["peak_rss_mb"]),
        "cpu_count": os.cpu_count(),
    }
    if args.json:
        print(json.dumps({"summary": summary, "detail": results}, indent=2))
        return
    print(f"{'file':<12} {'audio s':>8} {'bare s':>8} {'ours s':>8} {'speakers s':>10} {'overhead':>9}")
    for f in files:
        b, o = results["bare"]["files"][f], results["ours"]["files"][f]
        print(f"{Path(f).name:<12} {b['duration']:>8.1f} {b['seconds']:>8.2f} {o['seconds']:>8.2f} "
              f"{o['speakers_seconds']:>10.2f} {o['seconds'] / b['seconds'] - 1:>+9.1%}")
    for k, v in summary.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
