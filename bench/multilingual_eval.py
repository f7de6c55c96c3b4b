"""Interviews in other languages, measured: the same three dev interviews in English (the shared
corpus) and in Danish, Finnish and Chinese (tests/data/multilingual), each scored by `evaluate`.

    PYTHONPATH=$PWD HF_HUB_OFFLINE=1 .venv/bin/python bench/multilingual_eval.py [--audio da,fi,zh]
        [--only dev03] [--cache DIR] [--out results.json] [--audio-only]

Per language: category macro-F1 and theme ARI on the reference transcripts (true turns and
times), and with --audio the same from the voiced audio (multilingual Whisper base, the study's
language given) plus the WER (a character error rate for Chinese). Then a mixed study: the
English and the Danish reference transcripts mined together, where every true theme should
gather its English and Danish quotes in one mined theme (`mixed_theme_share`).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from interview_miner import evaluate, pipeline  # noqa: E402
from interview_miner.mining import Miner  # noqa: E402
from interview_miner.store import Store  # noqa: E402

SHARED_DEV = REPO.parent / "shared" / "data" / "corpus" / "dev"
MULTI = REPO / "tests" / "data" / "multilingual"
LANGUAGES = ("en", "da", "fi", "zh")


def corpus(lang: str, only: list[str], into: Path) -> Path:
    """A folder with this language's labelled interviews (the ones named in `only`)."""
    source = SHARED_DEV if lang == "en" else MULTI / lang
    folder = into / lang
    folder.mkdir(parents=True, exist_ok=True)
    for stem in only:
        for f in source.glob(stem + ".*"):
            if f.suffix in (".json", ".ogg", ".mp3", ".wav", ".m4a"):
                shutil.copy(f, folder / f.name)
    return folder


def mixed_study(folders: list[Path], miner: Miner) -> dict:
    """Mine the reference transcripts of several languages as one study; per true theme, whether
    its quotes from every language sit in one mined theme (the majority theme of its quotes)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "mixed.db")
        truths, names = [], {}
        for folder in folders:
            for path, truth in evaluate.load_truths(folder):
                key = f"{folder.name}/{path.stem}"
                names[key] = evaluate.import_reference(store, path, truth).id
                truths.append((key, truth))
        pipeline.mine(store, miner=miner)
        quotes = store.quotes()
        by_interview: dict[int, list] = {}
        for q in quotes:
            by_interview.setdefault(q.interview_id, []).append(q)
        true_labels, pred_labels, per_theme = [], [], {}
        for key, truth in truths:
            lang = key.split("/")[0]
            qs = by_interview.get(names[key], [])
            for t in truth["turns"]:
                for s in t.get("sentences") or []:
                    if not s.get("theme"):
                        continue
                    best = max(qs, key=lambda q: evaluate._overlap(s["start"], s["end"], q.start, q.end), default=None)
                    theme = best.theme_id if best is not None and best.theme_id else None
                    true_labels.append(s["theme"])
                    pred_labels.append(theme or f"__none_{len(pred_labels)}")
                    per_theme.setdefault(s["theme"], {}).setdefault(lang, []).append(theme)
        together = 0
        shared = 0
        for theme, langs in per_theme.items():
            if len(langs) < 2:
                continue
            shared += 1
            # Together: one mined theme holds the most of its quotes in every language (a tie
            # counts every theme tied at the top; picking one of them by set order made this
            # share move between runs of the same code, 0.78-0.85).
            tops = [{t for t in set(v) if v.count(t) == max(map(v.count, v))} for v in langs.values()]
            together += int(bool(set.intersection(*tops) - {None}))
        store.close()
    return {
        "theme_ari": round(float(adjusted_rand_score(true_labels, pred_labels)), 4),
        "mixed_theme_share": round(together / shared, 4) if shared else None,
        "true_themes_in_both": shared,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="dev01,dev02,dev03")
    parser.add_argument("--audio", default="", help="languages to evaluate from audio too, e.g. da,fi,zh")
    parser.add_argument("--cache", default=None, help="keep transcripts here (one study per language)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--audio-only", action="store_true",
                        help="skip the reference-transcript scores and the mixed study (audio is the slow part)")
    args = parser.parse_args()
    only = args.only.split(",")
    results: dict[str, dict] = {}
    miner = Miner()  # embedder chosen per study language
    with tempfile.TemporaryDirectory() as tmp:
        folders = {lang: corpus(lang, only, Path(tmp)) for lang in LANGUAGES}
        for lang in [] if args.audio_only else LANGUAGES:
            ref = evaluate.evaluate(folders[lang], reference=True, miner=miner)
            results[lang] = {"reference": {k: ref[k] for k in ("category_macro_f1", "category_accuracy", "theme_ari",
                                                                "unthemed_sentence_share", "nps_accuracy", "quotes")}}
            print(lang, "reference", results[lang]["reference"], flush=True)
        if not args.audio_only:
            results["en"]["reference_multilingual_embedder"] = {
                k: v for k, v in evaluate.evaluate(folders["en"], reference=True, miner=Miner(embed_model="multilingual")).items()
                if k in ("category_macro_f1", "theme_ari")}
            print("en reference with e5", results["en"]["reference_multilingual_embedder"], flush=True)
        for lang in [x for x in args.audio.split(",") if x]:
            cache = Path(args.cache) / lang if args.cache else None
            if cache:
                cache.mkdir(parents=True, exist_ok=True)
            audio = evaluate.evaluate(folders[lang], reference=False, model="base", language=lang,
                                      cache_dir=cache, miner=miner)
            results.setdefault(lang, {})["audio"] = {k: audio[k] for k in ("wer", "category_macro_f1", "theme_ari", "nps_accuracy",
                                                             "coverage", "speaker_participant_acc", "timings")}
            print(lang, "audio", results[lang]["audio"], flush=True)
        if not args.audio_only:
            results["mixed_en_da"] = mixed_study([folders["en"], folders["da"]], miner)
            print("mixed en+da", results["mixed_en_da"], flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
