"""What SQLCipher costs: the same synthetic study written, read and exported as plain SQLite and
encrypted (AES-256, SQLCipher 4 defaults).

    PYTHONPATH=. python bench/encryption_bench.py [--interviews 60] [--segments 150]

Prints seconds per step for both and the ratio. Numbers on a shared or busy CPU are noisy: run it
twice and compare the ratio, not the absolute times.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from interview_miner import export as E
from interview_miner.models import Interview, Quote, Segment, Word
from interview_miner.store import Store

WORDS = "we looked at three booking tools and the price of the second one was too high for a small clinic".split()


def fill(store: Store, interviews: int, segments: int) -> None:
    for n in range(interviews):
        i = store.add_interview(Interview(None, f"h{n}", f"call{n}.txt", "transcript", participant=f"Person {n}"))
        segs, quotes = [], []
        for k in range(segments):
            text = " ".join(WORDS[(k + j) % len(WORDS)] for j in range(18))
            words = [Word(k * 5 + j * 0.25, k * 5 + j * 0.25 + 0.2, " " + w) for j, w in enumerate(text.split())]
            segs.append(Segment(k * 5.0, k * 5.0 + 4.5, text, "participant", words))
            quotes.append(Quote(f"q{n}_{k}", i.id, k * 5.0, k * 5.0 + 4.5, text, index=k))
        store.replace_segments(i.id, segs)
        store.save_quotes(quotes, [i.id])


def run(path: Path, interviews: int, segments: int) -> dict[str, float]:
    t = {}
    start = time.perf_counter()
    store = Store(path)
    t["open new"] = time.perf_counter() - start
    start = time.perf_counter()
    fill(store, interviews, segments)
    t["write"] = time.perf_counter() - start
    store.close()
    start = time.perf_counter()
    store = Store(path)
    t["open"] = time.perf_counter() - start
    start = time.perf_counter()
    for i in store.list_interviews():
        store.segments(i.id)
    store.quotes()
    t["read all"] = time.perf_counter() - start
    start = time.perf_counter()
    E.render_study(E.load_study(store), "json")
    t["export json"] = time.perf_counter() - start
    store.close()
    return t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--interviews", type=int, default=60)
    ap.add_argument("--segments", type=int, default=150)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.pop("INTERVIEW_MINER_PASSPHRASE", None)
        plain = run(Path(tmp) / "plain.db", args.interviews, args.segments)
        os.environ["INTERVIEW_MINER_PASSPHRASE"] = "bench passphrase"
        locked = run(Path(tmp) / "locked.db", args.interviews, args.segments)
        os.environ.pop("INTERVIEW_MINER_PASSPHRASE")
        size = (Path(tmp) / "plain.db").stat().st_size / 1e6
    print(f"{args.interviews} interviews x {args.segments} segments ({size:.1f} MB plain)")
    print(f"{'step':<12} {'plain s':>9} {'SQLCipher s':>12} {'ratio':>6}")
    for step in plain:
        print(f"{step:<12} {plain[step]:>9.3f} {locked[step]:>12.3f} {locked[step] / max(plain[step], 1e-9):>6.2f}")


if __name__ == "__main__":
    main()
