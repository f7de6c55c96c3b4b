"""`interview-miner mine|eval|categorize`: the mining commands, argument parsing and printing only.

Kept out of cli.py so the commands that drive the mining stages travel as one piece; the work is
in pipeline.mine, evaluate.py and review.py. cli.build_parser calls `add_commands(sub, common)`;
`cli.cmd_run` shows mining progress with the same `mine_progress` bar.
"""
from __future__ import annotations

import argparse
import sys

from . import pipeline, review
from .console import add_json_option, log, output, show_progress
from .errors import InterviewMinerError
from .mining import Miner
from .schemas import versioned
from .store import Store, default_db_path


SECOND_HEARING_HELP = ("do not hear unsure quotes again with a second model: a faster first mining, "
                       "categories and themes from one hearing (README, Themes)")


def add_commands(sub, common: argparse.ArgumentParser) -> None:
    """Register `mine`, `eval` and `categorize`."""
    from .models import CATEGORIES

    p = sub.add_parser("mine", parents=[common], help="quotes, categories, themes and NPS from the transcripts",
                       description="Split participant speech into quotes, embed them (cached), categorize, "
                                   "cluster themes inside each category and read NPS scores. Re-running keeps "
                                   "researcher edits (corrections, renames, moves) and theme ids.")
    p.add_argument("--embed-model", default=None, metavar="NAME_OR_PATH",
                   help="sentence-transformers model name or local folder (default: bundled all-MiniLM-L6-v2)")
    p.add_argument("--no-second-hearing", action="store_true", help=SECOND_HEARING_HELP)
    add_json_option(p, "the report as JSON")
    p.set_defaults(func=cmd_mine)

    p = sub.add_parser("eval", parents=[common], help="score the whole pipeline on a labelled corpus",
                       description="Runs add -> transcribe -> mine on CORPUS_DIR (audio + devNN.json ground "
                                   "truth) in a temporary study and prints WER, speaker, category, theme and "
                                   "NPS scores. --db is ignored.")
    p.add_argument("corpus", metavar="CORPUS_DIR")
    add_json_option(p, "the scores as JSON")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when a target is missed (a CI gate); the targets are printed with the scores")
    p.add_argument("--model", default=None, help="Whisper model (default: bundled tiny.en)")
    p.add_argument("--embed-model", default=None, metavar="NAME_OR_PATH", help="sentence-transformers model")
    p.add_argument("--reference-transcripts", action="store_true",
                   help="mine the ground-truth turns (true text and times) instead of the audio: mining errors only")
    p.add_argument("--cache", default=None, metavar="DIR",
                   help="keep the transcribed study in DIR so later runs skip transcription")
    p.add_argument("--no-second-hearing", action="store_true", help=SECOND_HEARING_HELP)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("categorize", parents=[common], help="correct one quote's category (kept across re-mining)",
                       description="Stores the correction as an edit; the next `mine` keeps it and uses all "
                                   "corrections to re-score similar quotes. CATEGORY: a key of the study's codebook "
                                   f"(`interview-miner codebook`; by default {', '.join(CATEGORIES)})")
    p.add_argument("quote_id", metavar="QUOTE_ID")
    p.add_argument("category", metavar="CATEGORY")
    p.add_argument("--mine", action="store_true", help="re-mine now so other quotes learn from it")
    add_json_option(p)
    p.set_defaults(func=cmd_categorize)


def mine_progress():
    """A percentage bar on standard error for mining (shown only on a terminal) and its update
    function, `(fraction, message)`: the `on_progress` of `pipeline.mine` and `evaluate`."""
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", file=sys.stderr, disable=not (sys.stderr.isatty() and show_progress()),
               bar_format="{l_bar}{bar}| {n:.0f}% [{elapsed}<{remaining}] {postfix}")

    def update(fraction: float, message: str) -> None:
        bar.update(max(0.0, fraction * 100 - bar.n))
        bar.set_postfix_str(message[:60], refresh=True)

    return bar, update


def cmd_mine(args) -> int:
    store = _store(args)
    bar, update = mine_progress()
    with bar:
        report = pipeline.mine(store, miner=Miner(embed_model=args.embed_model, second_hearing=not args.no_second_hearing),
                               on_progress=update)
    if args.json:
        output.json(versioned(report.summary()))
        return 0
    for m in report.messages:
        log.warning("%s", m)
    if not report.quotes:
        return 1
    print(f"mined {report.quotes} quotes from {report.interviews} interviews "
          f"({report.embedded} embedded, {report.cached} from cache)")
    print("categories: " + ", ".join(f"{c} {n}" for c, n in report.categories.items()))
    if report.corrections:
        print(f"kept {report.corrections} researcher corrections and re-scored similar quotes")
    if report.heard_again:
        print(f"{report.heard_again} unsure quotes are categorised and grouped by what two models heard (heard once, kept)")
    print(f"themes: {report.themes} ({report.reused_theme_ids} kept their ids) with {report.sub_themes} sub-themes, "
          f"unthemed quotes: {report.unthemed} ({report.unthemed_share:.0%})")
    if report.nps:
        names = {i.id: i.file_name for i in store.list_interviews()}
        print("NPS: " + ", ".join(f"{names.get(i, i)} {s}" for i, s in sorted(report.nps.items())))
    return 0


def cmd_eval(args) -> int:
    from . import evaluate

    bar, update = mine_progress()
    with bar:
        result = evaluate.evaluate(
            args.corpus, reference=args.reference_transcripts, model=args.model,
            cache_dir=args.cache, on_progress=update,
            miner=Miner(embed_model=args.embed_model, second_hearing=not args.no_second_hearing),
        )
    output.json(versioned(result)) if args.json else print(evaluate.format_report(result))
    return 1 if args.check and evaluate.missed_targets(result) else 0


def cmd_categorize(args) -> int:
    store = _store(args)
    known = {q.id: q for q in store.quotes()}
    if args.quote_id not in known:
        raise InterviewMinerError(f"no quote {args.quote_id} (quote ids are listed by `export --format csv`; run `mine` first)")
    before = known[args.quote_id].category
    review.set_quote_category(store, args.quote_id, args.category)
    print(f"{args.quote_id}: {before or '-'} -> {args.category}")
    if args.json:
        output.json(versioned({"quote_id": args.quote_id, "before": before, "category": args.category}))
    if args.mine:
        report = pipeline.mine(store)
        print(f"re-mined: {report.corrections} corrections applied to {report.quotes} quotes")
    else:
        print("run `interview-miner mine` to re-score similar quotes with this correction")
    return 0


def _store(args) -> Store:
    return Store(args.db or default_db_path())
