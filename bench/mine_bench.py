"""Mining benchmark: time and peak memory of `pipeline.mine` on synthetic studies, and end to end
on the shared corpus.

Synthetic studies are interviews built from templates (a question per category, answers from
combinable phrases, so nearly every sentence is distinct and must really be embedded). Each size
is mined twice: cold (empty embedding cache) and warm (re-run: everything cached).

Peak memory is the process's maximum resident set size (resource.getrusage; it only grows, so
sizes run in increasing order and each is reported as the peak so far) and Python-level peak
allocations during the cold mine (tracemalloc, optional: it slows Python code).

Usage:
  python bench/mine_bench.py                    # 1k, 10k, 50k synthetic quotes + shared corpus
  python bench/mine_bench.py --sizes 1000 10000 --no-corpus
  python bench/mine_bench.py --corpus-only [--reference]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from interview_miner import pipeline  # noqa: E402
from interview_miner.models import INTERVIEWER, PARTICIPANT, Interview, Segment, Word  # noqa: E402
from interview_miner.store import Store  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "corpus" / "dev"

QUESTIONS = {
    "trigger": ["What made you start looking for a new tool?", "What was going on when you started searching?"],
    "channel": ["How did you first hear about us?", "Where did you come across the product?"],
    "alternatives": ["What else did you consider?", "What were you using before?"],
    "criteria": ["What mattered most when choosing?", "What were your must-haves?"],
    "fear": ["What worried you about switching?", "What were you nervous about?"],
    "objection": ["What almost stopped you from buying?", "What made you hesitate?"],
    "outcome": ["What were you hoping to achieve?", "What results did you expect?"],
    "usage": ["How do you use it day to day?", "Walk me through a normal morning with it."],
}
SUBJECTS = ["our team", "the front desk", "my manager", "the owner", "our customers", "the two new hires",
            "the finance people", "our biggest client", "the night shift", "the regional office", "everyone at the clinic",
            "the sales team", "our accountant", "the support desk", "the warehouse crew", "my business partner"]
PROBLEMS = ["kept double-booking rooms", "spent hours on the phone", "lost track of invoices", "missed follow-ups",
            "typed everything twice", "forgot to send reminders", "fought with a clunky spreadsheet",
            "could not see the schedule from home", "got no reports at all", "had no idea who was on call",
            "chased late payments every week", "lost paperwork between sites", "answered the same questions daily"]
CONTEXTS = ["every Monday", "during the busy season", "after we opened the second site", "when staff left",
            "at the end of each month", "before the audit", "most afternoons", "whenever a client cancelled",
            "since the merger", "in the first year", "on weekends", "before lunch"]
LEADS = ["", "Honestly, ", "Back then ", "At the time ", "To be fair, ", "Looking back, ", "In practice ",
         "Funnily enough, ", "For us ", "If I'm honest, ", "Mostly "]
REASONS = ["which cost us real money", "which drove me mad", "so something had to change", "and nobody trusted the numbers",
           "and customers noticed", "which made planning impossible", "so we looked around", "and it was getting worse"]


def synthetic_study(store: Store, n_quotes: int, seed: int = 0, per_interview: int = 100) -> None:
    rng = random.Random(seed)
    n_interviews = max(1, n_quotes // per_interview)
    made = 0
    for k in range(n_interviews):
        segs, clock = [], 0.0
        want = per_interview if k < n_interviews - 1 else n_quotes - made
        cats = list(QUESTIONS)
        while want > 0:
            cat = cats[rng.randrange(len(cats))]
            q = rng.choice(QUESTIONS[cat])
            segs.append(_seg(INTERVIEWER, q, clock))
            clock = segs[-1].end + 0.5
            for _ in range(min(want, rng.randint(2, 5))):
                lead, subject = rng.choice(LEADS), rng.choice(SUBJECTS)
                text = (f"{lead}{subject}".capitalize() + f" {rng.choice(PROBLEMS)} {rng.choice(CONTEXTS)}, "
                        f"{rng.choice(REASONS)}.")
                segs.append(_seg(PARTICIPANT, text, clock))
                clock = segs[-1].end + 0.3
                want -= 1
                made += 1
        interview = store.add_interview(Interview(
            id=None, content_hash=hashlib.sha256(f"bench{seed}-{n_quotes}-{k}".encode()).hexdigest(), file_name=f"synthetic{k:04d}.txt",
            kind="transcript", duration=clock, language="en", status="transcribed",
        ))
        store.replace_segments(interview.id, segs)


def synthetic_sentences(n: int, seed: int = 1) -> list[str]:
    """`n` distinct participant sentences from the same templates (for embedding-only benchmarks)."""
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        lead, subject = rng.choice(LEADS), rng.choice(SUBJECTS)
        out.add(f"{lead}{subject}".capitalize() + f" {rng.choice(PROBLEMS)} {rng.choice(CONTEXTS)}, {rng.choice(REASONS)}.")
    return sorted(out)


def _seg(speaker: str, text: str, start: float) -> Segment:
    toks = text.split()
    step = 0.4
    words = [Word(start + i * step, start + (i + 1) * step, " " + t) for i, t in enumerate(toks)]
    return Segment(start=start, end=start + step * len(toks), text=" " + text, speaker=speaker, words=words)


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class StageCpu:
    """CPU seconds per mining stage (all threads of the process), next to the wall seconds the
    miner reports itself: wraps `mining._Run.step`, the call that closes each timed stage."""

    def __init__(self):
        from interview_miner import mining

        self.seconds: dict[str, float] = {}
        self._run_cls, self._step = mining._Run, mining._Run.step
        self._last = time.process_time()
        bench = self

        def step(run, name, *args, **kwargs):
            now = time.process_time()
            bench.seconds[name] = round(now - bench._last, 1)
            bench._last = now
            return bench._step(run, name, *args, **kwargs)

        mining._Run.step = step

    def start(self) -> None:
        self.seconds, self._last = {}, time.process_time()

    def take(self) -> dict[str, float]:
        return dict(self.seconds)


_STAGES: list[StageCpu] = []


def _stage_cpu() -> StageCpu:
    """The one StageCpu of this process (wrapping `step` twice would count every stage twice)."""
    if not _STAGES:
        _STAGES.append(StageCpu())
    return _STAGES[0]


def bench_size(n: int, use_tracemalloc: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        synthetic_study(store, n)
        build_s = time.perf_counter() - t0
        if use_tracemalloc:
            tracemalloc.start()
        stages = _stage_cpu()
        stages.start()
        t0, c0 = time.perf_counter(), cpu_s()
        cold = pipeline.mine(store)
        cold_s, cold_cpu = time.perf_counter() - t0, cpu_s() - c0
        cold_stage_cpu = stages.take()
        py_peak = tracemalloc.get_traced_memory()[1] / 2**20 if use_tracemalloc else None
        if use_tracemalloc:
            tracemalloc.stop()
        stages.start()
        t0, c0 = time.perf_counter(), cpu_s()
        warm = pipeline.mine(store)
        warm_s, warm_cpu = time.perf_counter() - t0, cpu_s() - c0
        warm_stage_cpu = stages.take()
        per_category = dict(sorted(Counter(t.category for t in store.machine_themes()).items()))
        store.close()
    return {
        "quotes": cold.quotes, "interviews": cold.interviews, "build_s": round(build_s, 1),
        "cold_s": round(cold_s, 1), "warm_s": round(warm_s, 1), "cold_cpu_s": round(cold_cpu, 1),
        "warm_cpu_s": round(warm_cpu, 1), "loadavg": round(os.getloadavg()[0], 1), "stages_cold_s": cold.seconds,
        "stages_warm_s": warm.seconds, "stages_cold_cpu_s": cold_stage_cpu, "stages_warm_cpu_s": warm_stage_cpu,
        "backend": os.environ.get("INTERVIEW_MINER_EMBED_BACKEND") or "default", "embedded": cold.embedded, "themes": cold.themes,
        "themes_per_category": per_category,
        "unthemed_share": round(cold.unthemed_share, 3), "peak_rss_mb": round(peak_rss_mb()),
        "python_peak_mb": None if py_peak is None else round(py_peak),
    }


def bench_corpus(reference: bool) -> dict:
    from interview_miner import evaluate

    t0 = time.perf_counter()
    r = evaluate.evaluate(CORPUS, reference=reference)
    return {"mode": r["mode"], "total_s": round(time.perf_counter() - t0, 1), "timings": r["timings"],
            "category_macro_f1": r["category_macro_f1"], "theme_ari": r["theme_ari"], "wer": r["wer"],
            "peak_rss_mb": round(peak_rss_mb())}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", type=int, default=[1000, 10000, 50000])
    ap.add_argument("--no-corpus", action="store_true")
    ap.add_argument("--corpus-only", action="store_true")
    ap.add_argument("--reference", action="store_true", help="corpus: mine the reference transcripts (no ASR)")
    ap.add_argument("--tracemalloc", action="store_true", help="also report Python-level peak allocations")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    import torch

    from interview_miner import embed, quotes

    t0 = time.perf_counter()
    embed.load_embedder()
    quotes.load_nlp("en")
    load_s = time.perf_counter() - t0
    out = {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "load_models_s": round(load_s, 1),
           "loadavg_start": os.getloadavg(), "sizes": []}
    print(f"models loaded in {load_s:.1f} s; {os.cpu_count()} cpus, load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    if not args.corpus_only:
        for n in sorted(args.sizes):
            r = bench_size(n, args.tracemalloc)
            out["sizes"].append(r)
            print(f"{n:>6} quotes: cold {r['cold_s']:6.1f} s ({r['cold_cpu_s']} cpu-s)  warm {r['warm_s']:5.1f} s  "
                  f"peak RSS {r['peak_rss_mb']} MB  load {r['loadavg']}"
                  f"  stages {r['stages_cold_s']}  themes {r['themes']}", file=sys.stderr)
    if (not args.no_corpus or args.corpus_only) and CORPUS.exists():
        out["corpus"] = bench_corpus(args.reference)
        print(f"corpus ({out['corpus']['mode']}): {out['corpus']['total_s']} s end to end {out['corpus']['timings']}",
              file=sys.stderr)
    out["loadavg_end"] = os.getloadavg()
    print(json.dumps(out, indent=2) if args.json else json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
