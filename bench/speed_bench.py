"""Speed benchmark: our transcription, bare faster-whisper (sequential and batched), mining, whole job.

    python bench/speed_bench.py wer [--batch-size 8]            # accuracy: sequential vs batched
    python bench/speed_bench.py transcribe [--long] [--batch-size 8]
    python bench/speed_bench.py mining [--sizes 10000] [--backends torch onnx onnx-int8 openvino]
    python bench/speed_bench.py embed [--sizes 2000] [--backends torch onnx onnx-int8 openvino]
    python bench/speed_bench.py job                             # `interview-miner run`, 60-min file
    python bench/speed_bench.py all [--json]                    # everything above, one report

Every measured mode runs in its own subprocess, so the peak resident memory reported is that mode's
alone, and ratio pairs run back to back (the CPU may be shared: compare ratios, not seconds).
Model loading is excluded from transcription timings (it is a one-off per process). Modes:
- `bare-seq`: `WhisperModel.transcribe` (tiny.en int8, VAD, word timestamps, beam 5, English);
- `bare-batched`: faster-whisper's `BatchedInferencePipeline` with its defaults, same settings;
- `ours`: `pipeline.transcribe_interview` (windowed decoding, per-segment SQLite commits, quality
  flags) with our default decoding mode, speakers included (`speakers_s` is their part);
- `ours-1lane`: the same in one pass (`--lanes 1`: the whole file on one decoding thread pool);
- `ours-batched`: the same with `--batch-size` (default 8).
`embed` encodes N distinct synthetic sentences (mine_bench's templates, sorted by length as the
mining stage does) per backend, each in its own process: CPU and wall seconds of the encode, and
per-sentence cosine against the first backend (torch, the reference), mean and min.
The 60-minute file is the corpus and the real speech clips concatenated with sox until an hour
is reached (built once under the cache folder; its reference is the references in the same order).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
SHARED = ROOT.parent / "shared" / "data"
CORPUS = SHARED / "corpus" / "dev"
SPEECH = SHARED / "speech"
LONG_S = 3600.0
CACHE = Path(os.environ.get("INTERVIEW_MINER_CACHE", Path.home() / ".cache" / "interview-miner")) / "bench"


# ---------------------------------------------------------------------------------------------
# Data: clips with references
# ---------------------------------------------------------------------------------------------


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.glob("dev*.*") if p.suffix not in (".json", ".txt"))


def corpus_reference(audio: Path) -> str:
    lines = audio.with_suffix(".txt").read_text().splitlines()
    return " ".join(re.sub(r"^\s*\w+:\s*", "", line) for line in lines if line.strip())


def speech_clips():
    """(name, mono float32 16 kHz audio, reference) for the real speech clips.

    The stereo clip is two speakers, one per channel: each channel is its own clip. Only the
    English first half of multilingual.mp3 has a reference (English speech ends before 30.5 s)."""
    from interview_miner import capture

    yield "jfk", capture.read_audio(SPEECH / "jfk.flac"), (SPEECH / "jfk.txt").read_text()
    channels = capture.read_channels(SPEECH / "stereo_diarization.wav")
    for side, samples in zip(("left", "right"), channels):
        yield f"stereo.{side}", samples, (SPEECH / f"stereo_diarization.{side}.txt").read_text()
    yield ("multilingual.en", capture.read_audio(SPEECH / "multilingual.mp3", 0, 30.5),
           (SPEECH / "multilingual.en-part.txt").read_text())


def normalize(text: str) -> str:
    from interview_miner.evaluate import normalize_text

    return normalize_text(text)


def wer(refs: list[str], hyps: list[str]) -> float:
    """Pooled word error rate (all errors / all reference words)."""
    import jiwer

    pairs = [(normalize(r), normalize(h)) for r, h in zip(refs, hyps)]
    return round(float(jiwer.wer([r for r, _ in pairs], [h or "-" for _, h in pairs])), 4)


def long_file() -> tuple[Path, str]:
    """A 60-minute recording: corpus interviews (and the speech clips) concatenated with sox."""
    out = CACHE / "long60.wav"
    ref = CACHE / "long60.txt"
    if out.exists() and ref.exists():
        return out, ref.read_text()
    from interview_miner import capture

    CACHE.mkdir(parents=True, exist_ok=True)
    if not shutil.which("sox"):
        sys.exit("the 60-minute file is built with sox: install it (apt-get install sox)")
    with tempfile.TemporaryDirectory() as tmp:
        parts, refs, total = [], [], 0.0
        sources = [(f, corpus_reference(f)) for f in corpus_files()]
        while total < LONG_S:
            for f, text in sources:
                wav = Path(tmp) / f"part{len(parts):03d}.wav"
                audio = capture.read_audio(f)  # sox cannot read m4a/mp3 everywhere: decode with PyAV
                _write_wav(wav, audio)
                parts.append(str(wav))
                refs.append(text)
                total += len(audio) / 16000
                if total >= LONG_S:
                    break
        subprocess.run(["sox", *parts, str(out) + ".tmp.wav", "trim", "0", str(LONG_S)], check=True)
        os.replace(str(out) + ".tmp.wav", out)
    # The trim cuts the last interview: its reference is cut at the same place in bench_long().
    ref.write_text("\n".join(refs))
    return out, ref.read_text()


def _write_wav(path: Path, audio) -> None:
    import wave

    import numpy as np

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


# ---------------------------------------------------------------------------------------------
# Children: one mode per process
# ---------------------------------------------------------------------------------------------


def cpu_s() -> float:
    """This process's CPU seconds (user + system, all threads): less disturbed than wall time by
    other work on a shared CPU."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_wer(mode: str, batch_size: int, model_name: str) -> dict:
    """Hypotheses for every clip and corpus file in one decoding mode (our transcribe_window)."""
    from interview_miner import capture, transcribe

    options = transcribe.TranscribeOptions(model=model_name, language="en",
                                           batch_size=batch_size if mode != "sequential" else 0)
    model = transcribe.load_model(model_name)
    out = {}
    clips = list(speech_clips()) + [(f.name, capture.read_audio(f), corpus_reference(f)) for f in corpus_files()]
    for name, audio, _ in clips:
        t0 = time.perf_counter()
        segments, _ = transcribe.transcribe_window(model, audio, 0.0, options)
        hyp = " ".join(s.text for s in segments)
        out[name] = {"hyp": hyp, "seconds": time.perf_counter() - t0, "duration": len(audio) / 16000}
    return out


def child_transcribe(mode: str, files: list[str], batch_size: int, model_name: str, n_speakers: int,
                     lanes: int | None = None) -> dict:
    from interview_miner import capture, transcribe

    if mode == "ours":
        return _ours(files, model_name, batch_size, n_speakers, lanes)
    model = transcribe.load_model(model_name)
    out = {}
    for f in files:
        duration = capture.probe_audio(f).duration
        t0, c0 = time.perf_counter(), cpu_s()
        if mode == "bare-seq":
            segments, _ = model.transcribe(f, language="en", beam_size=5, vad_filter=True, word_timestamps=True)
        else:
            from faster_whisper import BatchedInferencePipeline

            segments, _ = BatchedInferencePipeline(model).transcribe(
                f, language="en", beam_size=5, word_timestamps=True, batch_size=batch_size)
        hyp = " ".join(s.text for s in segments)
        out[f] = {"seconds": time.perf_counter() - t0, "cpu_s": cpu_s() - c0, "duration": duration, "hyp": hyp}
    return out


def _ours(files: list[str], model_name: str, batch_size: int | None, n_speakers: int,
          lanes: int | None = None) -> dict:
    """bench/transcribe_bench.py's run: `pipeline.transcribe_interview`, speakers included."""
    from transcribe_bench import ours_options, run_ours

    from interview_miner import transcribe

    # Whisper loading is excluded, as for the bare modes; the speakers stage's start-up is not.
    options = ours_options(model_name, batch_size, lanes)
    transcribe.load_model(model_name, options.compute_type, **options.model_threads)
    c0 = cpu_s()
    out = run_ours(files, model_name, batch_size, n_speakers, lanes)
    share = (cpu_s() - c0) / max(1e-9, sum(r["seconds"] + r["speakers_seconds"] for r in out.values()))
    for r in out.values():
        r["seconds"] += r["speakers_seconds"]  # ours is timed with its speakers stage
        r["cpu_s"] = r["seconds"] * share  # the run's CPU time, spread over files by wall time
    return out


def run_child(args: list[str], timeout: float = 7200) -> dict:
    """Run this script as a child in one mode; return its JSON (with its peak RSS)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, __file__, "child", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)
    if proc.returncode != 0:
        sys.exit(f"child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["wer", "transcribe", "mining", "job", "embed"])
    ap.add_argument("mode")
    ap.add_argument("--files", nargs="*", default=[])
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--model", default="default")
    ap.add_argument("--speakers", type=int, default=2)
    ap.add_argument("--lanes", type=int, default=0)  # 0: the product default
    ap.add_argument("--sizes", nargs="*", type=int, default=[10000])
    a = ap.parse_args(argv)
    batch = None if a.batch_size < 0 else a.batch_size  # -1: the product default
    t0 = time.perf_counter()
    if a.what == "wer":
        result = child_wer(a.mode, a.batch_size, a.model)
    elif a.what == "transcribe":
        result = child_transcribe(a.mode, a.files, batch, a.model, a.speakers, a.lanes or None)
    elif a.what == "mining":
        result = child_mining(a.mode, a.sizes)
    elif a.what == "embed":
        result = child_embed(a.mode, a.sizes[0], a.files[0])
    else:
        result = child_job(a.files[0], batch)
    print(json.dumps({"result": result, "peak_rss_mb": round(peak_rss_mb()), "wall_s": time.perf_counter() - t0}))


# ---------------------------------------------------------------------------------------------
# Mining and the whole job
# ---------------------------------------------------------------------------------------------


def child_mining(backend: str, sizes: list[int]) -> dict:
    """Cold mine of synthetic studies (every sentence distinct, so really embedded) per backend."""
    os.environ["INTERVIEW_MINER_EMBED_BACKEND"] = backend
    import mine_bench

    from interview_miner import embed, quotes

    embed.load_embedder()
    quotes.load_nlp("en")
    return {str(n): mine_bench.bench_size(n, False) for n in sizes}


def child_embed(backend: str, n: int, out_path: str) -> dict:
    """Encode n synthetic sentences on `backend` (model loaded and warmed up first, not timed);
    the vectors go to `out_path` (.npy) for the parent to compare."""
    import mine_bench
    import numpy as np

    from interview_miner import embed

    texts = sorted(mine_bench.synthetic_sentences(n), key=len)  # as embed.embed_texts orders them
    embedder = embed.load_embedder(None, backend)
    embedder.encode(texts[:64])
    t0, c0 = time.perf_counter(), cpu_s()
    vectors = embedder.encode(texts)
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    np.save(out_path, vectors)
    return {"backend": backend, "cache_name": embedder.name, "sentences": n, "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1), "loadavg": round(os.getloadavg()[0], 1)}


def bench_embed(n: int, backends: list[str]) -> dict:
    import numpy as np

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        vectors = {}
        for backend in backends:
            path = str(Path(tmp) / f"{backend}.npy")
            out[backend] = run_child(["embed", backend, "--sizes", str(n), "--files", path])["result"]
            vectors[backend] = np.load(path)
    base = backends[0]
    for backend in backends[1:]:
        cosine = (vectors[backend] * vectors[base]).sum(axis=1)
        out[backend].update({f"cosine_vs_{base}_mean": round(float(cosine.mean()), 5),
                             f"cosine_vs_{base}_min": round(float(cosine.min()), 5),
                             f"cpu_ratio_vs_{base}": round(out[backend]["cpu_s"] / max(out[base]["cpu_s"], 1e-9), 3)})
    return out


def child_job(audio: str, batch_size: int | None) -> dict:
    """`interview-miner run` on one file, audio to exported personas, as a user runs it."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "interview_miner", "run", audio, "--db", str(Path(tmp) / "job.db"),
               "--out", str(Path(tmp) / "out")]
        if batch_size is not None:
            cmd += ["--batch-size", str(batch_size)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        seconds = time.perf_counter() - t0
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_peak = children.ru_maxrss / 1024.0
        return {"seconds": seconds, "cpu_s": children.ru_utime + children.ru_stime, "rc": proc.returncode, "stderr_tail": proc.stderr[-800:],
                "child_peak_rss_mb": round(child_peak), "outputs": sorted(p.name for p in (Path(tmp) / "out").glob("*"))}


# ---------------------------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------------------------


def bench_wer(batch_size: int, model: str) -> dict:
    """WER of our sequential vs batched decoding (batched is faster-whisper's batched pipeline with its
    defaults, so it is also the bare engine's batched WER)."""
    refs = {name: ref for name, _, ref in speech_clips()} | {f.name: corpus_reference(f) for f in corpus_files()}
    modes = {m: run_child(["wer", m, "--batch-size", str(batch_size), "--model", model])
             for m in ("sequential", "batched")}
    out: dict = {"batch_size": batch_size, "per_clip": {}, "pooled": {}}
    groups = {"speech": [n for n in refs if not n.startswith("dev")], "corpus": [n for n in refs if n.startswith("dev")]}
    for mode, data in modes.items():
        r = data["result"]
        for name in refs:
            out["per_clip"].setdefault(name, {})[mode] = wer([refs[name]], [r[name]["hyp"]])
        for group, names in groups.items():
            seconds = sum(r[n]["seconds"] for n in names)
            audio = sum(r[n]["duration"] for n in names)
            out["pooled"].setdefault(group, {})[mode] = {
                "wer": wer([refs[n] for n in names], [r[n]["hyp"] for n in names]), "rtf": round(seconds / audio, 4)}
    for group in groups:
        p = out["pooled"][group]
        p["wer_delta_batched"] = round(p["batched"]["wer"] - p["sequential"]["wer"], 4)
        p["speedup_batched"] = round(p["sequential"]["rtf"] / p["batched"]["rtf"], 2)
    return out


TRANSCRIBE_MODES = ("bare-seq", "bare-batched", "ours", "ours-1lane", "ours-batched")


def bench_transcribe(files: list[str], reference: str | None, batch_size: int, model: str, ours_batch: int | None,
                     modes: tuple[str, ...] = TRANSCRIBE_MODES) -> dict:
    """ours (speakers included) vs bare sequential vs bare batched, back to back, as ratios."""
    refs = {f: (corpus_reference(Path(f)) if reference is None else reference) for f in files}
    res = {}
    for mode in modes:
        bs = ours_batch if mode in ("ours", "ours-1lane") else batch_size
        extra = ["--batch-size", str(-1 if bs is None else bs)] + (["--lanes", "1"] if mode == "ours-1lane" else [])
        child_mode = "ours" if mode.startswith("ours") else mode
        res[mode] = run_child(["transcribe", child_mode, "--files", *files, *extra, "--model", model])
    audio = sum(v["duration"] for v in next(iter(res.values()))["result"].values())
    out: dict = {"files": [Path(f).name for f in files], "audio_s": round(audio, 1)}
    for mode, data in res.items():
        r = data["result"]
        seconds = sum(v["seconds"] for v in r.values())
        cpu = sum(v["cpu_s"] for v in r.values())
        hyps = [r[f]["hyp"] for f in files]
        if reference is not None:  # the long file: its reference may run past the trimmed end
            hyps, refs_list = [" ".join(hyps)], [_cut_reference(reference, " ".join(hyps))]
        else:
            refs_list = [refs[f] for f in files]
        out[mode] = {"seconds": round(seconds, 1), "rtf": round(seconds / audio, 4), "cpu_s": round(cpu, 1),
                     "cpu_rtf_2cores": round(cpu / 2 / audio, 4), "wer": wer(refs_list, hyps),
                     "peak_rss_mb": data["peak_rss_mb"]}
        if mode.startswith("ours"):
            out[mode]["speakers_s"] = round(sum(v["speakers_seconds"] for v in r.values()), 1)
    pairs = (("ours", "bare-seq"), ("ours-1lane", "bare-seq"), ("bare-batched", "bare-seq"), ("ours-batched", "bare-seq"),
             ("ours", "bare-batched"), ("ours-batched", "bare-batched"))
    for a, b in pairs:
        if a in out and b in out:
            out[f"ratio_{a}_vs_{b}"] = round(out[a]["seconds"] / out[b]["seconds"], 3)
            out[f"cpu_ratio_{a}_vs_{b}"] = round(out[a]["cpu_s"] / out[b]["cpu_s"], 3)
    return out


def _cut_reference(reference: str, hypothesis: str) -> str:
    """The long file is trimmed at 60 min mid-interview: keep as many reference words as the
    hypothesis has beyond the last full interview (a fair cut; affects only the final interview)."""
    parts = reference.split("\n")
    words_h = len(normalize(hypothesis).split())
    kept, n = [], 0
    for p in parts:
        w = normalize(p).split()
        if n + len(w) > words_h:
            kept.append(" ".join(w[: max(0, words_h - n)]))
            break
        kept.append(" ".join(w))
        n += len(w)
    return " ".join(kept)


def bench_mining(sizes: list[int], backends: list[str]) -> dict:
    out: dict = {}
    for backend in backends:
        data = run_child(["mining", backend, "--sizes", *map(str, sizes)])
        out[backend] = {n: {"cold_s": r["cold_s"], "cold_cpu_s": r["cold_cpu_s"], "embed_s": r["stages_cold_s"].get("embed"),
                            "s_per_10k": round(r["cold_s"] / r["quotes"] * 10000, 1), "themes": r["themes"],
                            "peak_rss_mb": data["peak_rss_mb"]} for n, r in data["result"].items()}
    base = backends[0]  # ratios against the first backend (torch, the reference)
    out["ratio_vs_" + base] = {b: {n: round(out[b][n]["cold_s"] / out[base][n]["cold_s"], 3) for n in out[base]}
                               for b in backends[1:]}
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "child":
        child_main(argv[1:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["wer", "transcribe", "mining", "job", "embed", "all"])
    ap.add_argument("--batch-size", type=int, default=8, help="batch size of the batched modes (default 8)")
    ap.add_argument("--ours-batch-size", type=int, default=None,
                    help="our transcribe's --batch-size (default: the product default)")
    ap.add_argument("--model", default="default")
    ap.add_argument("--long", action="store_true", help="transcribe: also the 60-minute file (slow)")
    ap.add_argument("--modes", nargs="*", default=list(TRANSCRIBE_MODES), choices=TRANSCRIBE_MODES,
                    help="transcribe: the modes to run (default: all four)")
    ap.add_argument("--corpus-files", type=int, default=None, metavar="K",
                    help="transcribe: only the first K corpus interviews (a busy machine)")
    ap.add_argument("--sizes", nargs="*", type=int, default=None,
                    help="mining: quotes per study (default 10000); embed: sentences (default 2000)")
    ap.add_argument("--backends", nargs="*", default=["torch", "onnx", "onnx-int8", "openvino"])
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    if not CORPUS.exists():
        sys.exit(f"no corpus at {CORPUS}")
    report: dict = {"cpus": os.cpu_count(), "loadavg_start": os.getloadavg(),
                    "caveat": "wall times on a shared CPU: compare the ratios of back-to-back pairs"}
    todo = ["wer", "transcribe", "mining", "job"] if a.what == "all" else [a.what]
    for what in todo:
        t0 = time.perf_counter()
        if what == "wer":
            report["wer"] = bench_wer(a.batch_size, a.model)
        elif what == "transcribe":
            if a.corpus_files != 0:  # 0: the 60-minute file only
                report["transcribe_corpus"] = bench_transcribe(
                    [str(f) for f in corpus_files()[: a.corpus_files]], None, a.batch_size, a.model,
                    a.ours_batch_size, tuple(a.modes))
            if a.long or a.what == "all":
                path, ref = long_file()
                report["transcribe_60min"] = bench_transcribe([str(path)], ref, a.batch_size, a.model, a.ours_batch_size,
                                                              tuple(a.modes))
        elif what == "mining":
            report["mining"] = bench_mining(a.sizes or [10000], a.backends)
        elif what == "embed":
            report["embed"] = bench_embed((a.sizes or [2000])[0], a.backends)
        elif what == "job":
            path, _ = long_file()
            data = run_child(["job", "x", "--files", str(path), "--batch-size", str(a.ours_batch_size or -1)])
            report["job_60min"] = {**data["result"], "target_s": 300}
        print(f"{what}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        print(json.dumps({what: report.get(what) or {k: v for k, v in report.items() if k.startswith(what)}}),
              file=sys.stderr)
    report["loadavg_end"] = os.getloadavg()
    print(json.dumps(report, indent=2 if a.json else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
