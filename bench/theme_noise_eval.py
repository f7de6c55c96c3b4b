"""Themes under ASR noise: how much answer context should a misheard quote lean on?

Mines a labelled corpus once (audio mode from an `interview-miner eval --cache` folder, so nothing
is transcribed again, or `--reference` for the ground-truth transcripts), then re-builds only the
themes at several `ThemeOptions.context_weight` values and reports, as JSON:

- `weights`: theme ARI and unthemed share (`evaluate.score_store`) at each weight, so the chosen
  weight is seen with its neighbours rather than alone;
- `separation`: ROC AUC of cosine similarity for same-theme vs different-theme pairs of quotes
  (same category, different interviews for the positive pairs), for the raw vectors and for the
  context-blended ones, plus how often a quote's vector ranks its true theme first, by confidence;
- `truth`: in the labelled transcripts, how often two sentences of one participant turn share a
  theme (adjacent vs not): the prior that answer context can carry at best.

    python bench/theme_noise_eval.py ../shared/data/corpus/dev --cache /tmp/my-eval-cache
    python bench/theme_noise_eval.py tests/data/heldout --reference
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interview_miner import evaluate, pipeline, themes, transcribe  # noqa: E402
from interview_miner.mining import Miner  # noqa: E402
from interview_miner.store import Store  # noqa: E402

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 2.0)


class _Themed:
    """The store as `score_store` reads it, with quotes carrying the themes of one variant."""

    def __init__(self, store: Store, theme_of: dict[str, str]):
        self._store, self._theme_of = store, theme_of

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def quotes(self, *args: Any, **kwargs: Any):
        from dataclasses import replace

        return [replace(q, theme_id=self._theme_of.get(q.id)) for q in self._store.quotes(*args, **kwargs)]

    def themes(self, quotes=None):
        return sorted(set(self._theme_of.values()))


def mine_once(corpus: Path, cache: Path | None, reference: bool, work: Path) -> tuple[Store, dict[str, int], dict]:
    """Mine the corpus into a scratch study; returns it, the truth-name -> interview id map and
    the themer's inputs (quotes, vectors, context)."""
    truths = evaluate.load_truths(corpus)
    if reference:
        store = Store(work / "eval.db")
        names = {p.stem: evaluate.import_reference(store, p, t).id for p, t in truths}
    else:
        key = re.sub(r"[^\w.-]+", "_", transcribe.model_identity(transcribe.DEFAULT_MODEL))[-60:]
        shutil.copy(cache / f"eval-{key}.db", work / "eval.db")
        store = Store(work / "eval.db")
        names = {Path(i.file_name).stem: i.id for i in store.list_interviews()}
    heard = {iid: row["score"] for iid, row in store.nps().items()}  # incl. scores re-heard from audio
    seen: dict[str, Any] = {}

    def themer(quotes, vectors, **context):
        seen.update(quotes=list(quotes), vectors=np.asarray(vectors), context=context)
        return themes.build_themes(quotes, vectors, **context)

    pipeline.mine(store, miner=Miner(themer=themer, nps_rescorer=False))  # re-hearing NPS is slow
    seen["context"]["nps_scores"] = {**heard, **seen["context"]["nps_scores"]}
    seen["context"]["encode"] = None  # labels do not change which quotes are together
    return store, names, seen


def _aligned(truths, names, quotes) -> list[tuple[int, str, str, int]]:
    """(quote row, true theme, category, interview id) for each quote that a themed true
    sentence overlaps most (each quote once; NPS scores are grouped by score, not wording)."""
    rows, seen = [], set()
    for path, truth in truths:
        iid = names.get(path.stem)
        mine = [(n, q) for n, q in enumerate(quotes) if q.interview_id == iid]
        for turn in truth["turns"]:
            for s in turn.get("sentences") or []:
                if not s.get("theme") or s["category"] == "nps_score":
                    continue
                overlaps = [(evaluate._overlap(s["start"], s["end"], q.start, q.end), n) for n, q in mine]
                best = max(overlaps, default=(0.0, -1))
                if best[0] > 0 and best[1] not in seen:
                    seen.add(best[1])
                    rows.append((best[1], s["theme"], s["category"], iid))
    return rows


def separation(vectors: np.ndarray, aligned, quotes) -> dict[str, Any]:
    from sklearn.metrics import roc_auc_score

    same, other = [], []
    for a in range(len(aligned)):
        for b in range(a + 1, len(aligned)):
            (i, ti, ci, pi), (j, tj, cj, pj) = aligned[a], aligned[b]
            if ci != cj or (ti == tj and pi == pj):
                continue
            (same if ti == tj else other).append(float(vectors[i] @ vectors[j]))
    out: dict[str, Any] = {"auc": round(float(roc_auc_score([1] * len(same) + [0] * len(other), same + other)), 3)}
    for lo, hi in ((0.0, 0.7), (0.7, 0.8), (0.8, 1.01)):  # own theme ranked first, by confidence
        hits = n = 0
        for i, theme, cat, iid in aligned:
            conf = quotes[i].asr_confidence if quotes[i].asr_confidence is not None else 1.0
            cents: dict[str, list[np.ndarray]] = {}
            for j, t2, c2, p2 in aligned:
                if c2 == cat and p2 != iid:
                    cents.setdefault(t2, []).append(vectors[j])
            if lo <= conf < hi and theme in cents and len(cents) > 1:
                sims = {t: float(vectors[i] @ np.mean(v, axis=0)) for t, v in cents.items()}
                hits += max(sims, key=sims.get) == theme
                n += 1
        out[f"top1_conf_{lo}-{min(hi, 1.0)}"] = f"{hits}/{n}"
    return out


def truth_adjacency(truths) -> dict[str, int]:
    counts = {"adjacent_same": 0, "adjacent_diff": 0, "apart_same": 0, "apart_diff": 0}
    for _, truth in truths:
        for turn in truth["turns"]:
            sents = [s for s in turn.get("sentences") or [] if s.get("theme")]
            for i in range(len(sents)):
                for j in range(i + 1, len(sents)):
                    where = "adjacent" if j == i + 1 else "apart"
                    counts[f"{where}_{'same' if sents[i]['theme'] == sents[j]['theme'] else 'diff'}"] += 1
    return counts


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--cache", type=Path, help="an `interview-miner eval --cache` folder (audio mode)")
    ap.add_argument("--reference", action="store_true", help="mine the ground-truth transcripts")
    args = ap.parse_args(argv)
    if not args.reference and not args.cache:
        ap.error("give --cache (audio mode, transcripts from a previous eval) or --reference")
    truths = evaluate.load_truths(args.corpus)
    with tempfile.TemporaryDirectory(prefix="theme-noise-") as tmp:
        store, names, seen = mine_once(args.corpus, args.cache, args.reference, Path(tmp))
        quotes, vectors, context = seen["quotes"], seen["vectors"], seen["context"]
        aligned = _aligned(truths, names, quotes)
        by_weight, blended = {}, {}
        for w in WEIGHTS:
            result = themes.build_themes(quotes, vectors, options=themes.ThemeOptions(context_weight=w), **context)
            scores = evaluate.score_store(_Themed(store, {q: t.id for t in result for q in t.quote_ids}), truths, names)
            by_weight[str(w)] = {"theme_ari": scores["theme_ari"], "unthemed": scores["unthemed_sentence_share"],
                                 "themes": len(result)}
            smooth = np.array(vectors, dtype=np.float64)
            for cat in {q.category for q in quotes if q.category}:  # blended within a category, as themes are
                rows = [n for n, q in enumerate(quotes) if q.category == cat]
                smooth[rows] = themes._smooth_uncertain(quotes, rows, vectors, w)
            blended[str(w)] = separation(smooth, aligned, quotes)
        store.close()
    report = {"corpus": str(args.corpus), "mode": "reference" if args.reference else "audio",
              "weights": by_weight, "separation": blended, "truth": truth_adjacency(truths)}
    print(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
