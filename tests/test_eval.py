"""Evaluation: the scorer against a perfect oracle, and the mining targets on reference transcripts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from interview_miner import cli, evaluate
from interview_miner.mining import Miner
from interview_miner.store import Store
from stages import HashEmbedder

HELDOUT = Path(__file__).parent / "data" / "heldout"


def test_scorer_gives_full_marks_to_the_ground_truth(store, corpus_dir):
    from corpus_fixture import load_corpus

    ids = load_corpus(store, corpus_dir)
    truths = evaluate.load_truths(corpus_dir)
    r = evaluate.score_store(store, truths, ids)
    assert r["category_accuracy"] == 1.0 and r["category_macro_f1"] == 1.0
    assert r["theme_ari"] == 1.0 and r["theme_nmi"] == 1.0
    assert r["theme_ari_leave_one_out"] == [1.0, 1.0]  # six interviews, each left out once
    assert r["unthemed_sentence_share"] == 0.0 and r["coverage"] == 1.0
    assert r["mixed_quote_share"] == 0.0
    assert r["nps_accuracy"] == 1.0
    assert r["speaker_participant_acc"] == 1.0 and r["wer"] == 0.0


def test_a_quote_joining_two_points_counts_both_sentences_as_mixed(store, corpus_dir):
    """Stretch one quote over the next sentence of another theme: both sentences now align to it,
    and the mixed share counts exactly those two, whatever the themes' clustering."""
    from corpus_fixture import load_corpus

    ids = load_corpus(store, corpus_dir)
    truths = evaluate.load_truths(corpus_dir)
    path, truth = truths[0]
    sentences = [s for t in truth["turns"] if t["speaker"] != "interviewer" for s in t.get("sentences") or []]
    a, b = next((a, b) for a, b in zip(sentences, sentences[1:])
                if a.get("theme") and b.get("theme") and a["theme"] != b["theme"])
    quotes = [q for q in store.quotes() if q.interview_id == ids[path.stem]]
    first = max(quotes, key=lambda q: evaluate._overlap(a["start"], a["end"], q.start, q.end))
    second = max(quotes, key=lambda q: evaluate._overlap(b["start"], b["end"], q.start, q.end))
    first.end = b["end"] + 0.5  # now overlaps b more than b's own quote does
    second.start, second.end = b["end"] + 0.4, b["end"] + 0.5
    store.save_quotes(quotes, [ids[path.stem]])
    r = evaluate.score_store(store, truths, ids)
    n_themed = sum(1 for _, t in truths for turn in t["turns"] for s in turn.get("sentences") or [] if s.get("theme"))
    assert r["mixed_quote_share"] == round(2 / n_themed, 4)


def test_scorer_penalises_lost_themes_and_wrong_categories(store, corpus_dir):
    from corpus_fixture import load_corpus

    ids = load_corpus(store, corpus_dir)
    truths = evaluate.load_truths(corpus_dir)
    store.save_themes([])
    rows = [(q.id, "other", 1.0) for q in store.quotes()]
    store.save_categories(rows)
    store.save_nps([])
    r = evaluate.score_store(store, truths, ids)
    assert r["unthemed_sentence_share"] == 1.0 and r["theme_ari"] == 0.0
    assert r["theme_ari_leave_one_out"] == [0.0, 0.0]
    assert r["category_macro_f1"] < 0.1 and r["nps_accuracy"] == 0.0


def test_heldout_reference_transcripts_meet_category_and_nps_targets():
    """A product and question wording the categorizer was not built on (see make_heldout.py)."""
    r = evaluate.evaluate(HELDOUT, reference=True)
    assert r["mode"] == "reference-transcripts" and r["interviews"] == 4
    assert r["category_macro_f1"] >= 0.75
    assert r["nps_accuracy"] == 1.0
    assert r["unthemed_sentence_share"] <= 0.3
    assert r["coverage"] >= 0.95


@pytest.mark.slow
def test_the_second_heldout_set_in_reference_mode_reads_every_score_and_most_categories():
    """Six interviews about another product whose answers drift off the question (make_heldout2.py),
    written after the miner's methods were fixed. Bounds are this measurement's floor, not a target:
    macro-F1 0.886, ARI 0.331, 3% unthemed, NPS 6/6 when written (2026-12-02)."""
    r = evaluate.evaluate(HELDOUT.parent / "heldout2", reference=True)
    assert r["interviews"] == 6 and r["coverage"] >= 0.95
    assert r["nps_accuracy"] == 1.0
    assert r["category_macro_f1"] >= 0.85
    assert r["theme_ari"] >= 0.25 and r["unthemed_sentence_share"] <= 0.15


def test_evaluate_scores_the_stages_of_the_miner_it_is_given():
    """A Miner passed in is the one evaluated: here one that calls every quote `other`, finds no
    themes and reads no NPS score (no model needed), so the scores must say exactly that."""
    blind = Miner(embedder=HashEmbedder(), categorizer=lambda quotes, *rest: [("other", 1.0)] * len(quotes),
                  themer=lambda quotes, vectors, **context: [], nps_extractor=lambda quotes: [])
    r = evaluate.evaluate(HELDOUT, reference=True, miner=blind)
    assert r["quotes"] > 0 and r["themes"] == 0
    assert r["unthemed_quote_share"] == 1.0 and r["unthemed_sentence_share"] == 1.0
    assert set(r["category_f1"]) >= {"other"} and all(f == 0.0 for c, f in r["category_f1"].items() if c != "other")
    assert r["nps_accuracy"] == 0.0 and all(v["mined"] is None for v in r["nps"].values())
    with pytest.raises(ValueError):
        evaluate.evaluate(HELDOUT, reference=True, embed_model="all-MiniLM-L6-v2", miner=blind)


@pytest.mark.slow
def test_dev_reference_transcripts_meet_targets(corpus_dir):
    r = evaluate.evaluate(corpus_dir, reference=True)
    report = evaluate.format_report(r)
    assert r["category_macro_f1"] >= evaluate.TARGETS["category_macro_f1"], report
    assert r["theme_ari"] >= evaluate.TARGETS["theme_ari"], report
    assert r["unthemed_sentence_share"] <= evaluate.TARGETS["unthemed_sentence_share"], report
    assert r["nps_accuracy"] == 1.0, report
    # Far above the baselines measured on this set (BERTopic defaults ARI 0.18; zero-shot F1 0.33).
    assert r["theme_ari"] > 0.18 * 2 and r["category_macro_f1"] > 0.33 * 2


def test_eval_cli_json(capsys):
    assert cli.main(["eval", str(HELDOUT), "--reference-transcripts", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("wer", "speaker_participant_acc", "speaker_overall_acc", "category_accuracy", "category_macro_f1",
                "theme_ari", "theme_nmi", "unthemed_quote_share", "unthemed_sentence_share", "nps_accuracy"):
        assert key in out
    assert out["nps_accuracy"] == 1.0


def test_eval_cli_rejects_a_folder_without_labels(tmp_path, capsys):
    assert cli.main(["eval", str(tmp_path), "--reference-transcripts"]) == 1
    assert "no labelled interviews" in capsys.readouterr().err


def test_mine_and_categorize_cli(tmp_path, capsys):
    db = tmp_path / "study.db"
    s = Store(db)
    truths = evaluate.load_truths(HELDOUT)
    for path, truth in truths[:2]:
        evaluate.import_reference(s, path, truth)
    s.close()
    assert cli.main(["mine", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "mined" in out and "themes:" in out and "NPS:" in out
    s = Store(db)
    q = s.quotes()[0]
    s.close()
    assert cli.main(["categorize", "--db", str(db), q.id, "fear", "--mine"]) == 0
    assert f"{q.id}: {q.category} -> fear" in capsys.readouterr().out
    s = Store(db)
    assert next(x for x in s.quotes() if x.id == q.id).category == "fear"
    s.close()
    assert cli.main(["categorize", "--db", str(db), "q_missing", "fear"]) == 1
    capsys.readouterr()
    # categories are the study's codebook, so an unknown one is refused by the review operation
    assert cli.main(["categorize", "--db", str(db), q.id, "not_a_category"]) == 1
    assert "unknown category 'not_a_category'" in capsys.readouterr().err
    assert cli.main(["mine", "--db", str(db), "--embed-model", str(tmp_path / "nope")]) == 1
    assert "nope" in capsys.readouterr().err


def test_theme_variants_bench_measures_what_eval_measures():
    """bench/theme_variants.py rebuilds only the theme stage; with the default options it must give
    the theme ARI and unthemed share `eval` reports for the same set, or its comparisons say
    nothing about the figure the targets are on. A variant that joins (almost) no outlier leaves more unthemed."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import theme_variants

    r = evaluate.evaluate(HELDOUT, reference=True, miner=Miner(nps_rescorer=None))
    mined = theme_variants.mine_once("held_ref", str(HELDOUT))
    same = theme_variants.run(mined, {})
    assert round(same["ari"], 4) == r["theme_ari"]
    assert round(same["unthemed"], 4) == r["unthemed_sentence_share"]
    strict = theme_variants.run(mined, theme_variants.parse_variant("assign_quantile=1.0, context_assign=False"))
    assert strict["unthemed"] > same["unthemed"]
    assert theme_variants.scores(["a", "a", "b"], ["x", "x", None]) == {
        "ari": 1.0, "unthemed": 1 / 3, "precision": 1.0, "recall": 1.0}


def test_wer_dose_bench_repairs_the_share_of_errors_asked_for():
    """bench/wer_dose.py's figures (theme ARI against the recogniser's error rate) hold only if its
    repair does what it says: p = 0 leaves the transcript as heard, p = 1 gives the reference's words
    (WER 0), a share between repairs some stretches, and the speakers' segments stay as heard."""
    import random
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import wer_dose
    from interview_miner.models import Word

    path, truth = evaluate.load_truths(HELDOUT)[0]
    reference = evaluate.asr_tokens(" ".join(t["text"] for t in truth["turns"]))

    def heard():  # the reference's segments with every 7th word misheard and every 11th dropped
        segments = evaluate.reference_segments(truth)
        k = 0
        for seg in segments:
            kept = []
            for w in seg.words:
                k += 1
                if k % 11 == 0:
                    continue
                kept.append(Word(w.start, w.end, " blah" if k % 7 == 0 else w.word, 0.5))
            seg.words, seg.text = kept, "".join(w.word for w in kept).strip()
        return [s for s in segments if s.words]

    def wer(segments):
        import jiwer

        return jiwer.wer(reference, evaluate.asr_tokens(" ".join(s.text for s in segments)))

    factors = wer_dose.Factors()
    before = heard()
    start = wer(before)
    assert start > 0.1
    untouched = heard()
    assert wer_dose.repair(untouched, truth, 0.0, random.Random(0), factors)[0] == 0
    assert [s.text for s in untouched] == [s.text for s in before]
    half = heard()
    repaired, stretches = wer_dose.repair(half, truth, 0.5, random.Random(0), factors)
    assert 0 < repaired < stretches and 0 < wer(half) < start
    whole = heard()
    repaired, stretches = wer_dose.repair(whole, truth, 1.0, random.Random(0), factors)
    assert repaired == stretches and wer(whole) == 0.0
    assert [s.speaker for s in whole] == [s.speaker for s in before]
    assert not any("blah" in s.text for s in whole)
    assert any(w.probability == wer_dose.REPAIRED_PROBABILITY for s in whole for w in s.words)
    # nearly every segment holds its own turn's words again (a dropped word at a turn change may
    # land beside the heard word on the other side of it: the bench's docstring says so)
    own = [evaluate.asr_tokens(a.text) == evaluate.asr_tokens(b.text) for a, b in zip(whole, evaluate.reference_segments(truth))]
    assert sum(own) >= 0.9 * len(own)
