"""Category scores on a labelled corpus with a changed codebook (reference transcripts).

`interview-miner eval` always mines with the default codebook; this runs the same evaluation with
categories added (or removed) first, so a researcher's own category can be measured:

    python bench/codebook_eval.py ../shared/data/corpus/dev --add "Pricing" \
        --description "What they said about price, cost, budget and paying for it."

`--alias NEW=TRUE` scores a category under a truth label (e.g. a researcher's "discovery"
category that replaces "channel": --remove channel --alias discovery=channel).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from interview_miner import codebook, evaluate, pipeline, review  # noqa: E402
from interview_miner.mining import Miner  # noqa: E402
from interview_miner.store import Store  # noqa: E402


class _Aliased:
    """The store as `score_store` reads it, with some predicted category keys read as others."""

    def __init__(self, store: Store, aliases: dict[str, str]):
        self._store, self._aliases = store, aliases

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def quotes(self, *args: Any, **kwargs: Any):
        return [dataclasses.replace(q, category=self._aliases.get(q.category, q.category))
                for q in self._store.quotes(*args, **kwargs)]


def missed_quotes(store: Store, truths, names: dict[str, int], truth_label: str, key: str) -> list[str]:
    """Ids of quotes that say a `truth_label` sentence but were not put in `key`, one interview at
    a time (what a researcher reviewing the category would correct first)."""
    by_interview: dict[int, list] = {}
    for q in store.quotes():
        by_interview.setdefault(q.interview_id, []).append(q)
    rounds: list[list[str]] = []
    for path, truth in truths:
        mine = []
        for turn in truth["turns"]:
            for sentence in turn.get("sentences") or []:
                if sentence["category"] != truth_label:
                    continue
                best = max(by_interview.get(names[path.stem], []), default=None,
                           key=lambda q: evaluate._overlap(sentence["start"], sentence["end"], q.start, q.end))
                if best is not None and best.category != key and best.id not in mine:
                    mine.append(best.id)
        rounds.append(mine)
    return [qid for depth in range(max(map(len, rounds), default=0)) for r in rounds if depth < len(r) for qid in r[depth:depth + 1]]


def evaluate_codebook(corpus: str | Path, prepare: Callable[[Store], None], aliases: dict[str, str] | None = None,
                      miner: Miner | None = None, corrections: int = 0) -> dict[str, Any]:
    """Import the corpus's reference transcripts into a fresh study, `prepare(store)` (change the
    codebook or guide), mine, and score. With `corrections`, a simulated researcher then corrects
    that many missed quotes of each aliased category into it and the study is mined again
    (`zero_shot` keeps the scores before)."""
    truths = evaluate.load_truths(corpus)
    with tempfile.TemporaryDirectory(prefix="interview-miner-codebook-") as tmp:
        store = Store(Path(tmp) / "eval.db")
        try:
            names = {path.stem: evaluate.import_reference(store, path, truth).id for path, truth in truths}
            prepare(store)
            miner = miner or Miner()
            pipeline.mine(store, miner=miner)
            result = evaluate.score_store(_Aliased(store, aliases or {}), truths, names)
            if corrections:
                for key, truth_label in (aliases or {}).items():
                    for qid in missed_quotes(store, truths, names, truth_label, key)[:corrections]:
                        review.set_quote_category(store, qid, key)
                pipeline.mine(store, miner=miner)
                zero_shot = result
                result = evaluate.score_store(_Aliased(store, aliases or {}), truths, names)
                result["zero_shot"] = zero_shot
            result["predicted"] = {}
            for q in store.quotes():
                result["predicted"][q.category] = result["predicted"].get(q.category, 0) + 1
        finally:
            store.close()
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus")
    p.add_argument("--add", help="title of a category to add")
    p.add_argument("--description", default="")
    p.add_argument("--example", action="append", default=[])
    p.add_argument("--remove", action="append", default=[], metavar="KEY")
    p.add_argument("--alias", action="append", default=[], metavar="NEW=TRUE")
    p.add_argument("--corrections", type=int, default=0, metavar="N",
                   help="then correct N missed quotes of each aliased category and mine again")
    args = p.parse_args(argv)

    def prepare(store: Store) -> None:
        for key in args.remove:
            codebook.remove_category(store, key)
        if args.add:
            codebook.add_category(store, args.add, args.description, args.example)

    aliases = dict(a.split("=", 1) for a in args.alias)
    r = evaluate_codebook(args.corpus, prepare, aliases, corrections=args.corrections)
    keys = ("category_accuracy", "category_macro_f1", "category_f1", "predicted")
    out = {k: r[k] for k in keys}
    if "zero_shot" in r:
        out["zero_shot"] = {k: r["zero_shot"][k] for k in keys[:3]}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
