"""Ray executor benchmark: the same recordings transcribed locally and on a local Ray cluster.

    python bench/ray_bench.py [AUDIO...] [--seconds N] [--json] [--node-cpus 16] [--out bench/ray_results.json]

Three runs over the same files (default: the six dev-corpus recordings, ../shared/data/corpus/dev),
each into a fresh study, default settings (bundled tiny.en, int8, speakers labelled):
- local: `pipeline.transcribe_interviews` in this process (the model load included);
- ray-1, ray-2: the same through a Ray cluster started on this machine (`ray.init`, all its CPUs)
  with a pool of 1 and then 2 workers of 1 CPU each. Starting the cluster and the actors is timed
  apart (`pool_start_s`); the models load inside the first tasks, as in real use.

Reported per run: wall seconds, CPU seconds (this process, plus every task's CPU on its worker for
Ray), the ratios (ray-1 / local: Ray's overhead; ray-1 / ray-2: scaling), whether the transcripts
equal the local ones, and the per-window costs (CPU seconds per audio second). The estimate for
1,000 hours on N nodes of `--node-cpus` CPUs uses those per-window CPU costs, not the wall times:
on a shared machine CPU seconds are disturbed far less than wall seconds. `--seconds N` takes the
first N seconds of each recording (as 16 kHz WAV), for a quicker run on a busy machine; `--out`
is rewritten after each run, so a run cut short still leaves what it measured.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "corpus" / "dev"
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("PYTHONPATH", str(REPO))  # the Ray workers import this checkout


def _excerpt(path: str, seconds: float, folder: Path) -> str:
    import soundfile

    from interview_miner import capture, transcribe

    out = folder / f"{Path(path).stem}-{seconds:.0f}s.wav"
    soundfile.write(out, capture.read_audio(path, 0.0, seconds), transcribe.SAMPLE_RATE)
    return str(out)


def _study(folder: Path, files: list[str]):
    from interview_miner import pipeline
    from interview_miner.store import Store

    os.environ["INTERVIEW_MINER_RECORDINGS"] = str(folder / "recordings")
    store = Store(folder / "bench.db")
    assert pipeline.add_files(store, files).ok
    return store


def _transcripts(store) -> dict[str, list]:
    return {i.file_name: [(s.start, s.end, s.speaker, s.text) for s in store.segments(i.id)]
            for i in store.list_interviews()}


def run_local(files: list[str], folder: Path) -> dict:
    from interview_miner import pipeline

    store = _study(folder, files)
    cpu, wall = time.process_time(), time.perf_counter()
    report = pipeline.transcribe_interviews(store)
    assert report.ok, report.errors
    return {"wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2),
            "transcripts": _transcripts(store)}


def run_ray(files: list[str], folder: Path, workers: int) -> dict:
    from interview_miner import pipeline, ray_executor
    from interview_miner.executor import ExecutorSettings

    settings = ExecutorSettings("ray", workers=workers, cpus_per_worker=1)
    store = _study(folder, files)
    started = time.perf_counter()
    ray_executor.pool_for(settings)  # a local cluster and the actors (not the models)
    pool_start = time.perf_counter() - started
    cpu, wall = time.process_time(), time.perf_counter()
    report = pipeline.transcribe_interviews(store, executor=settings)
    wall_s = time.perf_counter() - wall
    assert report.ok, report.errors
    ray_executor.shutdown()
    windows = [{"audio_s": round(a, 2), "cpu_s": c, "wall_s": w} for a, c, w in report.window_costs]
    return {"wall_s": round(wall_s, 2), "cpu_s": round(time.process_time() - cpu + report.worker_cpu_s, 2),
            "driver_cpu_s": report.driver_cpu_s, "worker_cpu_s": round(report.worker_cpu_s, 2),
            "pool_start_s": round(pool_start, 2), "windows": windows, "transcripts": _transcripts(store)}


def estimate(runs: dict, audio_s: float, node_cpus: int, hours: float = 1000.0) -> dict:
    """Wall time for `hours` of audio on N nodes of `node_cpus` CPUs (one 1-CPU worker per CPU),
    from the measured CPU cost per audio second (windows, plus plans and speakers), assuming the
    work stays CPU-bound and spreads evenly (recordings and windows are independent)."""
    ray2 = runs["ray-2"]
    window_cpu = sum(w["cpu_s"] for w in ray2["windows"])
    per_audio_s = ray2["worker_cpu_s"] / audio_s  # every task: plan + windows + speakers
    total_cpu = hours * 3600 * per_audio_s
    table = {n: round(total_cpu / (n * node_cpus) / 3600, 2) for n in (1, 4, 16, 64)}
    return {"hours": hours, "node_cpus": node_cpus, "cpu_s_per_audio_s": round(per_audio_s, 4),
            "window_cpu_s_per_audio_s": round(window_cpu / audio_s, 4), "total_cpu_hours": round(total_cpu / 3600, 1),
            "wall_hours_on_n_nodes": table}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="recordings (default: the dev corpus)")
    parser.add_argument("--node-cpus", type=int, default=16, help="CPUs per node in the estimate (default 16)")
    parser.add_argument("--out", default=None, help="also write the results (without transcripts) here as JSON")
    parser.add_argument("--seconds", type=float, default=None, help="only the first N seconds of each recording")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    files = args.files or sorted(str(p) for p in CORPUS.glob("dev0*") if p.suffix in {".wav", ".mp3", ".m4a"})
    from interview_miner import capture

    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.seconds:
            files = [_excerpt(f, args.seconds, Path(tmp)) for f in files]
        audio_s = sum(capture.probe_audio(f).duration for f in files)
        for name, run in (("local", lambda: run_local(files, Path(tmp) / "local")),
                          ("ray-1", lambda: run_ray(files, Path(tmp) / "ray1", 1)),
                          ("ray-2", lambda: run_ray(files, Path(tmp) / "ray2", 2))):
            runs[name] = run()
            print(f"{name}: wall {runs[name]['wall_s']} s, CPU {runs[name]['cpu_s']} s", file=sys.stderr, flush=True)
            if args.out:
                partial = {k: {x: y for x, y in v.items() if x != "transcripts"} for k, v in runs.items()}
                Path(args.out).write_text(json.dumps({"audio_s": round(audio_s, 1), "runs": partial}, indent=2) + "\n")
    reference = runs["local"]["transcripts"]
    for name, run in runs.items():
        transcripts = run.pop("transcripts")
        run["identical_to_local"] = sum(transcripts[f] == reference[f] for f in reference)
    result = {
        "files": len(files), "seconds_each": args.seconds, "audio_s": round(audio_s, 1), "cpus_here": os.cpu_count(),
        "runs": runs,
        "ratios": {"ray1_over_local_wall": round(runs["ray-1"]["wall_s"] / runs["local"]["wall_s"], 3),
                   "ray1_over_local_cpu": round(runs["ray-1"]["cpu_s"] / runs["local"]["cpu_s"], 3),
                   "ray1_over_ray2_wall": round(runs["ray-1"]["wall_s"] / runs["ray-2"]["wall_s"], 3)},
        "estimate": estimate(runs, audio_s, args.node_cpus),
    }
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{len(files)} recordings, {audio_s:.0f} s of audio, {os.cpu_count()} CPUs here (shared: wall times are disturbed)")
    for name, run in runs.items():
        print(f"  {name:<6} wall {run['wall_s']:>7.1f} s  CPU {run['cpu_s']:>7.1f} s  "
              f"identical to local {run['identical_to_local']}/{len(files)}"
              + (f"  (pool start {run['pool_start_s']:.1f} s)" if "pool_start_s" in run else ""))
    r = result["ratios"]
    print(f"  ray-1/local wall {r['ray1_over_local_wall']}, CPU {r['ray1_over_local_cpu']}; ray-1/ray-2 wall {r['ray1_over_ray2_wall']}")
    e = result["estimate"]
    print(f"estimate for {e['hours']:.0f} h of audio: {e['cpu_s_per_audio_s']} CPU s per audio s "
          f"({e['total_cpu_hours']} CPU hours); wall on N nodes of {e['node_cpus']} CPUs: "
          + ", ".join(f"{n}: {h} h" for n, h in e["wall_hours_on_n_nodes"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
