"""How much do the theme and NPS scores owe to the recogniser's words? A dose-response measure.

An audio study that `interview-miner eval CORPUS --cache DIR` left in DIR is copied, and a share
`p` of its transcription errors is repaired from the labelled reference before it is mined again:
the transcript's words are aligned to the reference's (difflib, per interview), and each
non-matching stretch (a substitution, a dropped or an added run of words) is replaced by the
reference's words with probability `p` (seeded). Everything else stays as the audio gave it:
segment times, speakers, the quote cuts the words' timing suggests. A repaired stretch that spans
two segments is shared between them in proportion to the words each loses; dropped words go beside
the heard word nearer their time. Where the recogniser lost a stretch across a turn change, the
reference's words can still land on the wrong side of it (dev04's "Hmm, a six" stays in the
question's segment at p = 1, so NPS read from the text is 5/6 there). Repaired words carry
probability 0.9, as a surely heard word does. So p = 0 is today's transcript, p = 1 the reference's
words on the audio's timeline, and the points between are recognisers with fewer errors of the
same kind. The second hearing and the NPS audio check are off at every point (they listen to the
audio, which still holds the old errors), so only the words change.

`--punctuation` repairs differing punctuation and capitals as well (the recogniser's full stops
decide where a sentence, so a quote, ends); `--sure` gives every word probability 1 (as typed text
has); `--no-pauses` cuts no sentence at the recording's pauses. Each separates one more thing the
audio mode has and the reference-transcript mode does not.

    python bench/wer_dose.py dev=../shared/data/corpus/dev@/tmp/ev/cache-dev2/eval-tiny.en.db \\
        --p 0 0.25 0.5 0.75 1 --seeds 3

Prints, per set and point, WER, theme ARI, unthemed sentences, category macro-F1 and NPS as
`eval` scores them, and a JSON line per run.
"""
from __future__ import annotations

import argparse
import difflib
import json
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from interview_miner import evaluate, whole_job  # noqa: E402
from interview_miner.mining import Miner  # noqa: E402
from interview_miner.models import Word  # noqa: E402
from interview_miner.store import Store  # noqa: E402

REPAIRED_PROBABILITY = 0.9


@dataclass
class Factors:
    """What else is made as the reference has it, to see what each costs."""

    punctuation: bool = False  # a differing comma, full stop or capital is a stretch to repair too
    sure: bool = False  # every word heard with probability 1 (as typed text is)
    pauses: bool = True  # the recording's pauses may cut a sentence (as in `eval`)


def _key(word: str, factors: Factors) -> str:
    return word.strip() if factors.punctuation else evaluate.normalize_text(word)


def reference_words(truth: dict) -> list[Word]:
    """The reference's words with times spread over their turn (only the order matters for the
    alignment; the times place a word the transcript dropped)."""
    out: list[Word] = []
    for turn in truth["turns"]:
        tokens = turn["text"].split()
        step = (turn["end"] - turn["start"]) / max(1, len(tokens))
        out += [Word(turn["start"] + i * step, turn["start"] + (i + 1) * step, " " + t, REPAIRED_PROBABILITY)
                for i, t in enumerate(tokens)]
    return out


def repair(segments, truth: dict, p: float, rng: random.Random, factors: Factors) -> tuple[int, int]:
    """Repair a share `p` of the transcript's differing stretches in place; (repaired, stretches)."""
    slots = [(si, wi) for si, s in enumerate(segments) for wi in range(len(s.words))]
    hyp = [_key(segments[si].words[wi].word, factors) for si, wi in slots]
    ref_words = reference_words(truth)
    ref = [_key(w.word, factors) for w in ref_words]
    replaced: dict[tuple[int, int], list[Word] | None] = {}  # slot -> words put there (None: dropped)
    inserts: dict[tuple[int, int], list[Word]] = {}  # words added after a slot
    ahead: dict[tuple[int, int], list[Word]] = {}  # words added before a slot
    stretches = repaired = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, hyp, ref, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        stretches += 1
        if rng.random() >= p:
            continue
        repaired += 1
        words = ref_words[j1:j2]
        if i2 > i1:  # the transcript's words i1..i2 become the reference's, segment by segment
            by_segment: dict[int, list[tuple[int, int]]] = {}
            for slot in slots[i1:i2]:
                by_segment.setdefault(slot[0], []).append(slot)
            taken = 0
            for n, (si, own) in enumerate(by_segment.items()):
                # each segment gets the reference's words in proportion to the words it loses, so
                # a stretch across a turn change leaves the question's words with the question
                share = len(words) - taken if n == len(by_segment) - 1 else round(len(words) * len(own) / (i2 - i1))
                mine, taken = words[taken:taken + share], taken + share
                t0, t1 = segments[si].words[own[0][1]].start, segments[si].words[own[-1][1]].end
                step = (t1 - t0) / max(1, len(mine))
                replaced[own[0]] = [Word(t0 + k * step, t0 + (k + 1) * step, w.word, REPAIRED_PROBABILITY)
                                    for k, w in enumerate(mine)]
                for slot in own[1:]:
                    replaced[slot] = None
        elif slots:  # words the transcript dropped: beside the heard word nearer their time
            said = (words[0].start + words[-1].end) / 2
            before = slots[i1 - 1] if i1 > 0 else None
            after = slots[i1] if i1 < len(slots) else None
            word_of = lambda slot: segments[slot[0]].words[slot[1]]  # noqa: E731
            if after is not None and (before is None or abs(word_of(after).start - said) < abs(said - word_of(before).end)):
                at = word_of(after).start
                ahead[after] = [Word(at - 0.01, at, w.word, REPAIRED_PROBABILITY) for w in words]
            else:
                at = word_of(before).end
                inserts[before] = [Word(at, at + 0.01, w.word, REPAIRED_PROBABILITY) for w in words]
    for si, seg in enumerate(segments):
        rebuilt: list[Word] = []
        for wi, w in enumerate(seg.words):
            rebuilt += ahead.get((si, wi), [])
            got = replaced.get((si, wi), w)
            if got is not None:
                rebuilt += got if isinstance(got, list) else [got]
            rebuilt += inserts.get((si, wi), [])
        seg.words = rebuilt
        seg.text = "".join(w.word for w in rebuilt).strip()
    return repaired, stretches


def run_point(corpus: str, db: str, p: float, seed: int, factors: Factors, keep_db: str | None = None) -> dict:
    truths = evaluate.load_truths(corpus)
    work = Path(tempfile.mkdtemp(prefix="wer-dose-"))
    try:
        shutil.copy(db, work / "study.db")
        store = Store(work / "study.db")
        names = {Path(i.file_name).stem: i.id for i in store.list_interviews()}
        rng = random.Random(seed)
        repaired = stretches = 0
        for path, truth in truths:
            iid = names[path.stem]
            segments = store.segments(iid, apply_edits=False)
            r, s = repair(segments, truth, p, rng, factors)
            if factors.sure:
                for seg in segments:
                    seg.words = [Word(w.start, w.end, w.word, 1.0) for w in seg.words]
            repaired, stretches = repaired + r, stretches + s
            store.replace_segments(iid, [s for s in segments if s.text])
        whole_job.process(store, whole_job.ProcessRequest(steps=("mine",)),
                          miner=Miner(second_hearing=False, nps_rescorer=None, pauses=factors.pauses))
        scores = evaluate.score_store(store, truths, names)
        store.close()
        if keep_db:
            shutil.copy(work / "study.db", keep_db)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    keep = ("wer", "theme_ari", "unthemed_sentence_share", "mixed_quote_share", "coverage", "category_macro_f1", "nps_accuracy", "themes", "quotes")
    return {"p": p, "seed": seed, "repaired": repaired, "stretches": stretches, **{k: scores.get(k) for k in keep}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sets", nargs="+", help="NAME=CORPUS@DB (an audio study `eval --cache` left behind)")
    ap.add_argument("--p", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0])
    ap.add_argument("--seeds", type=int, default=2, help="runs per point between 0 and 1 (each repairs other stretches)")
    ap.add_argument("--punctuation", action="store_true", help="repair differing punctuation and capitals too")
    ap.add_argument("--sure", action="store_true", help="every word heard with probability 1")
    ap.add_argument("--no-pauses", action="store_true", help="no sentence cut at the recording's pauses")
    ap.add_argument("--keep", metavar="DB", help="keep the last mined study here")
    args = ap.parse_args()
    factors = Factors(punctuation=args.punctuation, sure=args.sure, pauses=not args.no_pauses)
    for spec in args.sets:
        name, _, rest = spec.partition("=")
        corpus, _, db = rest.partition("@")
        for p in args.p:
            for seed in range(1 if p in (0.0, 1.0) else args.seeds):
                row = {"set": name, **run_point(corpus, db, p, seed, factors, args.keep)}
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
