"""Theme-stage variants, measured with everything upstream held fixed.

Each labelled set is mined once (quotes, embeddings, categories; no NPS re-hearing), then only the
theme stage is rebuilt for every variant of `themes.ThemeOptions` given, and scored as `eval`
scores it (`evaluate.score_store`'s sentence-to-quote matching): theme ARI, the unthemed share of
sentences, and the pair precision / recall behind the ARI (of the pairs of sentences one theme
holds, how many share a true theme; of the pairs sharing a true theme, how many one theme holds).
With `--jitter N` every variant also runs on N copies of the vectors with a little noise added
(0.003 per dimension, cosine >= 0.9998 to the originals): on six interviews the ARI moves by a few
hundredths under such noise, so a variant is only better when it beats that spread, on every set.

A set is NAME=CORPUS (mined from its reference transcripts) or NAME=CORPUS@DB (audio mode: a copy
of the study `interview-miner eval CORPUS --cache DIR` left in DIR, so nothing is transcribed).

    python bench/theme_variants.py dev_audio=../shared/data/corpus/dev@/tmp/ev/eval-tiny.en.db \\
        dev_ref=../shared/data/corpus/dev held_ref=tests/data/heldout \\
        --variant "" --variant "assign_quantile=0.1" --variant "context_assign=False" --jitter 5
"""
from __future__ import annotations

import argparse
import ast
import itertools
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from interview_miner import evaluate, themes, whole_job  # noqa: E402
from interview_miner.mining import Miner  # noqa: E402
from interview_miner.store import Store  # noqa: E402


@dataclass
class MinedSet:
    """One labelled set, mined once: what the theme stage was given, and the truth to score against."""

    name: str
    quotes: list
    vectors: np.ndarray
    context: dict[str, Any]
    truths: list
    names: dict[str, int]


def mine_once(name: str, spec: str) -> MinedSet:
    corpus, _, db = spec.partition("@")
    truths = evaluate.load_truths(corpus)
    seen: dict[str, Any] = {}

    def themer(quotes, vectors, **context):
        seen.update(quotes=list(quotes), vectors=np.asarray(vectors),
                    context={k: v for k, v in context.items() if k != "encode"})
        return themes.build_themes(quotes, vectors, **context)

    work = Path(tempfile.mkdtemp(prefix="theme-variants-"))
    try:
        if db:
            shutil.copy(db, work / "study.db")
            store = Store(work / "study.db")
            names = {Path(i.file_name).stem: i.id for i in store.list_interviews()}
        else:
            store = Store(work / "study.db")
            names = {p.stem: evaluate.import_reference(store, p, t).id for p, t in truths}
        whole_job.process(store, whole_job.ProcessRequest(steps=("mine",)), miner=Miner(themer=themer, nps_rescorer=None))
        store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return MinedSet(name, seen["quotes"], seen["vectors"], seen["context"], truths, names)


def sentence_themes(s: MinedSet, theme_list) -> tuple[list[str], list[str | None]]:
    """(true theme, predicted top-level theme or None) per labelled sentence, matched to the quote
    that overlaps it most, as `evaluate.score_store` does."""
    theme_of = {qid: t.id for t in theme_list for qid in t.quote_ids}
    by_interview: dict[int, list] = {}
    for q in s.quotes:
        by_interview.setdefault(q.interview_id, []).append(q)
    truth, pred = [], []
    for path, labelled in s.truths:
        quotes = by_interview.get(s.names.get(path.stem), [])
        for turn in labelled["turns"]:
            for sentence in turn.get("sentences") or []:
                if not sentence.get("theme"):
                    continue
                best = max(quotes, key=lambda q: evaluate._overlap(sentence["start"], sentence["end"], q.start, q.end),
                           default=None)
                if best is not None and evaluate._overlap(sentence["start"], sentence["end"], best.start, best.end) <= 0:
                    best = None
                truth.append(sentence["theme"])
                pred.append(theme_of.get(best.id) if best is not None else None)
    return truth, pred


def scores(truth: list[str], pred: list[str | None]) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score

    labels = [p if p is not None else f"__unthemed_{k}" for k, p in enumerate(pred)]
    together = right = same_truth = 0
    for i, j in itertools.combinations(range(len(truth)), 2):
        joined = pred[i] is not None and pred[i] == pred[j]
        together += joined
        right += joined and truth[i] == truth[j]
        same_truth += truth[i] == truth[j]
    return {"ari": float(adjusted_rand_score(truth, labels)), "unthemed": sum(p is None for p in pred) / max(1, len(pred)),
            "precision": right / max(1, together), "recall": right / max(1, same_truth)}


def parse_variant(text: str) -> dict[str, Any]:
    """"a=1,b=False" -> {"a": 1, "b": False} (values as Python literals)."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        out[key.strip()] = ast.literal_eval(value.strip())
    return out


def run(s: MinedSet, options: dict[str, Any], jitter_seed: int = 0) -> dict[str, float]:
    vectors = s.vectors
    if jitter_seed:
        noisy = vectors + np.random.default_rng(jitter_seed).normal(0.0, 0.003, vectors.shape)
        vectors = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    theme_list = themes.build_themes(s.quotes, vectors, options=themes.ThemeOptions(**options), **s.context)
    return scores(*sentence_themes(s, theme_list))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sets", nargs="+", help="NAME=CORPUS or NAME=CORPUS@EVAL_DB")
    ap.add_argument("--variant", action="append", default=None, help='ThemeOptions overrides, "key=value,..." ("" = defaults)')
    ap.add_argument("--jitter", type=int, default=0, help="also run on this many jittered copies of the vectors")
    args = ap.parse_args()
    mined = [mine_once(*spec.split("=", 1)) for spec in args.sets]
    for variant in args.variant or [""]:
        options = parse_variant(variant)
        cells = []
        for s in mined:
            runs = [run(s, options, seed) for seed in range(args.jitter + 1)]
            ari = [r["ari"] for r in runs]
            cells.append(f"{s.name} ARI {np.mean(ari):.3f}" + (f"±{np.std(ari):.3f}" if args.jitter else "")
                         + f" unthemed {runs[0]['unthemed']:.0%} P/R {runs[0]['precision']:.2f}/{runs[0]['recall']:.2f}")
        print(f"[{variant or 'defaults'}]  " + "  |  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
