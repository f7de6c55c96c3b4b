"""The NPS audio check on an answer Whisper lost: the stretch between a question and the
interviewer's next words, heard with no transcript to build on (`nps_windows.unheard_answer`).

For every voiced interview of the given labelled corpora, the reference turn times say where each
question ends and where the interviewer speaks next. The answer in between is treated as lost:
- after the recommendation question the check should hear the true score (a *positive*);
- after other questions, whose answers state no score, it should hear none (a *negative*: a
  number it takes there would be a wrong NPS). `--negatives K` takes the K questions before the
  recommendation one in each interview.
`--generated all|none` adds bench/nps_audio_eval.py's generated answers (33 with a score, 12 without, in
voices unlike the corpora's, half with noise), each heard from the end of its question to the end
of its clip. Each stretch is heard as the pipeline hears it: its first `--longest` seconds
(`nps_windows.UNHEARD_MAX_S`), inset by `nps_windows.GAP_INSET_S` at both ends; `--insets` and
`--longest` try other values on the same stretches.

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 .venv/bin/python bench/nps_gap_eval.py ../shared/data/corpus/dev \\
        /tmp/heldout-audio /tmp/heldout2-audio [--negatives 2] [--insets 0 0.2] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from interview_miner import nps, nps_audio, nps_windows, transcribe  # noqa: E402
from interview_miner.capture import read_audio  # noqa: E402

NUMBER = re.compile(r"\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b", re.I)


def stretches(corpus: Path, negatives: int) -> list[dict]:
    """(recording, question end, next interviewer start, expected score or None) per lost answer."""
    out = []
    for truth in sorted(corpus.glob("*.json")):
        d = json.loads(truth.read_text())
        audio = next((p for p in truth.parent.glob(truth.stem + ".*") if p.suffix in (".wav", ".mp3", ".m4a", ".flac")), None)
        if audio is None:
            continue
        turns = d["turns"]
        asks = [k for k, t in enumerate(turns) if t["speaker"] == "interviewer"]
        nps_at = next((k for k in asks if nps.is_nps_question(turns[k]["text"])), None)
        if nps_at is None:
            continue
        chosen = [(nps_at, True)] + [(k, False) for k in [a for a in asks if a < nps_at][-negatives - 1:-1] if negatives]
        for k, positive in chosen:
            nxt = next((j for j in asks if j > k), None)
            answer = " ".join(t["text"] for t in turns[k + 1: nxt])
            if not answer or (not positive and NUMBER.search(answer)):
                continue
            expected = nps.parse_score(answer) if positive else None
            if positive and expected is None:
                continue
            end = turns[nxt]["start"] if nxt is not None else turns[k]["end"] + nps_windows.UNHEARD_MAX_S
            out.append({"file": f"{corpus.name}/{truth.stem}", "audio": str(audio), "start": turns[k]["end"],
                        "end": min(end, turns[k]["end"] + nps_windows.UNHEARD_MAX_S), "expected": expected,
                        "positive": positive, "answer": answer[:80]})
    return out


def generated(work: Path) -> list[dict]:
    """nps_audio_eval's generated clips as lost answers: question, 0.6 s pause, answer, 0.8 s."""
    import nps_audio_eval as gen

    out = []
    for case in gen.generated_cases():
        case = gen.synthesize(case, work)
        out.append({"file": f"generated/{case.name}", "audio": case.wav, "start": case.answer_start - 0.6,
                    "end": case.answer_end + 0.8, "expected": case.score, "positive": case.score is not None,
                    "answer": case.text})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", nargs="*", type=Path)
    ap.add_argument("--negatives", type=int, default=2)
    ap.add_argument("--insets", type=float, nargs="*", default=[nps_windows.GAP_INSET_S])
    ap.add_argument("--generated", choices=("all", "none"), help="also the generated answers of nps_audio_eval.py "
                    "(none: only the 12 that state no score)")
    ap.add_argument("--longest", type=float, default=nps_windows.UNHEARD_MAX_S, help="seconds of a stretch heard")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    models = [transcribe.load_model(None), transcribe.load_model("base")]
    rows = []
    todo = [s for corpus in args.corpora for s in stretches(corpus, args.negatives)]
    if args.generated:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        todo += [s for s in generated(Path(tempfile.mkdtemp(prefix="nps-gap-"))) if args.generated == "all" or not s["positive"]]
    for s in todo:
        for inset in args.insets:
            a, b = s["start"] + inset, min(s["end"], s["start"] + args.longest) - inset
            got = nps_audio.score_from_audio(models, read_audio(s["audio"], a, b), 0, a, b, "")
            outcome = ("right" if got.score == s["expected"] else "wrong") if got.score is not None else "flagged"
            rows.append({**s, "inset": inset, "score": got.score, "heard": got.heard, "margin": got.margin,
                         "outcome": outcome})
            print(f"{s['file']:24} {'NPS' if s['positive'] else 'other':5} {b - a:4.1f} s inset {inset:.1f} expected "
                  f"{s['expected']} got {got.score} ({outcome}; heard {got.heard!r}, margin {got.margin})", flush=True)
    for inset in args.insets:
        mine = [r for r in rows if r["inset"] == inset]
        pos, neg = [r for r in mine if r["positive"]], [r for r in mine if not r["positive"]]
        print(f"inset {inset:.1f}: after the recommendation question {sum(r['outcome'] == 'right' for r in pos)}/{len(pos)} "
              f"right, {sum(r['outcome'] == 'wrong' for r in pos)} wrong, {sum(r['outcome'] == 'flagged' for r in pos)} "
              f"flagged; after other questions {sum(r['score'] is not None for r in neg)}/{len(neg)} given a score")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
