"""Researcher review operations on a real temporary study (no models needed)."""
from __future__ import annotations

import numpy as np
import pytest

from corpus_fixture import load_literal_study
from interview_miner import persona_review, review
from interview_miner.embed import text_hash, to_bytes
from interview_miner.models import INTERVIEWER, PARTICIPANT
from interview_miner.store import Store


@pytest.fixture
def study(store):
    load_literal_study(store)
    return store


def theme(store, tid):
    return next(t for t in store.themes() if t.id == tid)


def quote(store, qid):
    return next(q for q in store.quotes() if q.id == qid)


# --- themes -------------------------------------------------------------------------------------


def test_rename_theme_is_one_field_edit(study):
    review.rename_theme(study, "trigger_no_shows", "  Lost revenue from   no-shows ")
    assert theme(study, "trigger_no_shows").label == "Lost revenue from no-shows"
    assert [(e["entity"], e["field"]) for e in study.edit_history()] == [("theme", "label")]
    with pytest.raises(ValueError):
        review.rename_theme(study, "trigger_no_shows", "   ")
    with pytest.raises(KeyError):
        review.rename_theme(study, "no_such_theme", "x")


def test_merge_themes_moves_quotes_and_counts_participants(study):
    target = review.merge_themes(study, ["trigger_double_booking", "trigger_no_shows"], into="trigger_no_shows")
    assert target == "trigger_no_shows"
    triggers = [t for t in study.themes() if t.category == "trigger"]
    assert [t.id for t in triggers] == ["trigger_no_shows"]
    assert len(triggers[0].quote_ids) == 4 and triggers[0].n_participants == 4
    with pytest.raises(ValueError, match="different categories"):
        review.merge_themes(study, ["fear_privacy", "outcome_calm"])
    with pytest.raises(ValueError, match="at least two"):
        review.merge_themes(study, ["fear_privacy"])


def test_merge_default_target_is_the_biggest_theme(study):
    review.split_theme(study, "fear_privacy", ["lit0_1"], "Leaks")
    assert review.merge_themes(study, ["fear_privacy", "fear_migration"]) == "fear_migration"


def test_split_theme_creates_a_theme_with_the_chosen_quotes(study):
    new_id = review.split_theme(study, "fear_privacy", ["lit0_1"], "Patient data leaks")
    new = theme(study, new_id)
    assert (new.category, new.label, new.quote_ids, new.n_participants) == ("fear", "Patient data leaks", ["lit0_1"], 1)
    assert theme(study, "fear_privacy").quote_ids == ["lit1_1"]
    with pytest.raises(ValueError, match="not in theme"):
        review.split_theme(study, "fear_privacy", ["lit2_1"], "Nope")
    with pytest.raises(ValueError):
        review.split_theme(study, "fear_privacy", [], "Empty")


def test_delete_theme_leaves_quotes_unthemed_and_restore_brings_it_back(study):
    review.delete_theme(study, "outcome_calm")
    assert "outcome_calm" not in {t.id for t in study.themes()}
    assert {q.id for q in review.unthemed_quotes(study, "outcome")} == {"lit2_2", "lit3_2"}
    review.restore_theme(study, "outcome_calm")
    assert theme(study, "outcome_calm").quote_ids == ["lit2_2", "lit3_2"]


def test_create_theme_from_unthemed_quotes(study):
    loose = [q.id for q in review.unthemed_quotes(study, "nps_score")]
    assert len(loose) == 4
    tid = review.create_theme(study, "nps_score", "Scores", loose[:2])
    assert theme(study, tid).quote_ids == loose[:2]
    with pytest.raises(ValueError, match="unknown category"):
        review.create_theme(study, "feelings", "x")


# --- quotes -------------------------------------------------------------------------------------


def test_move_quote_to_a_theme_in_another_category(study):
    review.move_quote(study, "lit0_0", theme_id="fear_privacy")
    q = quote(study, "lit0_0")
    assert (q.category, q.theme_id) == ("fear", "fear_privacy")
    assert "lit0_0" not in theme(study, "trigger_no_shows").quote_ids
    assert theme(study, "fear_privacy").n_participants == 2


def test_move_quote_to_a_category_only_corrects_the_category(study):
    review.move_quote(study, "lit0_0", category="objection")
    q = quote(study, "lit0_0")
    assert (q.category, q.theme_id) == ("objection", None)
    review.move_quote(study, "lit1_0")  # out of its theme, same category
    assert quote(study, "lit1_0").theme_id is None and quote(study, "lit1_0").category == "trigger"
    with pytest.raises(ValueError):
        review.move_quote(study, "lit1_0", theme_id="fear_privacy", category="trigger")
    with pytest.raises(KeyError):
        review.move_quote(study, "nope", category="fear")


def test_tag_and_star_quotes(study):
    assert review.tag_quote(study, "lit0_0", ["Pricing", " pricing ", "", "UX  debt"]) == ["pricing", "ux debt"]
    review.tag_quote(study, "lit1_0", "pricing")
    review.star_quote(study, "lit0_0")
    q = quote(study, "lit0_0")
    assert q.tags == ["pricing", "ux debt"] and q.starred
    assert review.all_tags(study) == ["pricing", "ux debt"]
    review.star_quote(study, "lit0_0", False)
    assert not quote(study, "lit0_0").starred
    assert review.tag_theme(study, "fear_privacy", ["Compliance"]) == ["compliance"]
    assert theme(study, "fear_privacy").tags == ["compliance"]


# --- transcript fixes ---------------------------------------------------------------------------


def test_segment_speaker_and_text_fixes(study):
    iid = study.list_interviews()[0].id
    seg = study.segments(iid)[1]
    review.set_segment_speaker(study, seg.id, INTERVIEWER)
    review.set_segment_text(study, seg.id, "No-shows were costing us real money, honestly.")
    fixed = study.segments(iid)[1]
    assert (fixed.speaker, fixed.text) == (INTERVIEWER, "No-shows were costing us real money, honestly.")
    assert study.segments(iid, apply_edits=False)[1].text == seg.text  # machine row untouched
    with pytest.raises(KeyError):
        review.set_segment_text(study, 999999, "x")
    with pytest.raises(ValueError):
        review.set_segment_speaker(study, seg.id, " ")


def test_replace_word_everywhere_and_swap_speakers(study):
    iid = study.list_interviews()[0].id
    # five "What about X?" questions and "I worried about patient data leaking."
    assert review.replace_in_transcript(study, iid, "about", "regarding") == 6
    assert all("regarding" in s.text for s in study.segments(iid) if s.speaker == INTERVIEWER)
    assert review.replace_in_transcript(study, iid, "zebra", "horse") == 0
    before = [s.speaker for s in study.segments(iid)]
    assert review.swap_speakers(study, iid) == len(before)
    swap = {INTERVIEWER: PARTICIPANT, PARTICIPANT: INTERVIEWER}
    assert [s.speaker for s in study.segments(iid)] == [swap[s] for s in before]


def test_cli_speakers_relabels_through_the_review_operations(study, capsys):
    from interview_miner import cli

    iid = study.list_interviews()[0].id
    before = [s.speaker for s in study.segments(iid)]
    assert cli.main(["speakers", "--db", study.path, str(iid), "--swap"]) == 0
    assert f"swapped speakers on {len(before)} segments" in capsys.readouterr().out
    swap = {INTERVIEWER: PARTICIPANT, PARTICIPANT: INTERVIEWER}
    assert [s.speaker for s in study.segments(iid)] == [swap[s] for s in before]
    assert cli.main(["speakers", "--db", study.path, str(iid), "--set", "0", "  Dr  Ann "]) == 0
    assert study.segments(iid)[0].speaker == "Dr Ann"  # cleaned like the app's edits
    assert cli.main(["speakers", "--db", study.path, str(iid), "--set", "0", "  "]) == 1  # worded, not a traceback
    assert "speaker cannot be empty" in capsys.readouterr().err
    assert {(e["entity"], e["field"]) for e in study.edit_history()} == {("segment", "speaker")}


def test_cli_categorize_records_the_category_only(study, capsys):
    from interview_miner import cli

    assert quote(study, "lit0_0").theme_id  # in a machine theme of its category
    assert cli.main(["categorize", "--db", study.path, "lit0_0", "objection"]) == 0
    q = quote(study, "lit0_0")
    assert (q.category, q.confidence, q.theme_id) == ("objection", 1.0, None)  # left the old category's theme
    same = quote(study, "lit1_0")
    review.set_quote_category(study, same.id, same.category)  # a confirmation keeps the theme
    assert quote(study, "lit1_0").theme_id == same.theme_id
    assert [(e["entity"], e["field"]) for e in study.edit_history()] == [("quote", "category")] * 2
    with pytest.raises(KeyError):
        review.set_quote_category(study, "nope", "fear")
    with pytest.raises(ValueError, match="unknown category"):
        review.set_quote_category(study, "lit0_0", "gossip")


def test_interview_participant_and_metadata_edits(study):
    first = study.list_interviews()[0]
    review.set_participant(study, first.id, "  Ann   Owner-Clinician ")
    review.set_interview_metadata(study, first.id, "company", " Smile  Dental ")
    edited = study.get_interview(first.id)
    assert (edited.participant, edited.metadata["company"]) == ("Ann Owner-Clinician", "Smile Dental")
    assert study.list_interviews()[0] == edited
    with pytest.raises(ValueError, match="cannot contain"):
        review.set_interview_metadata(study, first.id, "a.b", "x")
    with pytest.raises(KeyError):
        review.set_participant(study, 999, "x")


# --- search and similarity ----------------------------------------------------------------------


def test_full_text_search_over_transcripts_and_quotes(study):
    hits = review.search_transcripts(study, "double")
    assert {h.participant for h in hits} == {"Cat Manager", "Dan Manager"}
    assert all("double" in h.text.lower() for h in hits) and hits[0].segment_id
    assert [h.text for h in review.search_transcripts(study, '"data privacy" fear')] == ["Data privacy was my main fear."]
    assert review.search_transcripts(study, "privacy zebra") == []
    assert review.search_transcripts(study, "  ") == []
    quotes = review.search_quotes(study, "support")
    assert {h.quote_id for h in quotes} == {"lit2_3", "lit3_3"}


def test_search_sees_edited_text(study):
    iid = study.list_interviews()[0].id
    seg = study.segments(iid)[1]
    review.set_segment_text(study, seg.id, "Cancellations were costing us.")
    assert [h.segment_id for h in review.search_transcripts(study, "cancellations")] == [seg.id]


def test_similar_quotes_by_embedding(study):
    quotes = study.quotes(apply_edits=False)
    rng = np.random.default_rng(0)
    base = {q.id: rng.normal(size=8) for q in quotes}
    base["lit1_1"] = base["lit0_1"] + 0.05  # "Data privacy was my main fear." ~ "I worried about patient data leaking."
    study.save_embeddings(review.embedding_model_name(), {text_hash(q.text): to_bytes(base[q.id]) for q in quotes}, 8)
    found = review.similar_quotes(study, "lit0_1", k=3)
    assert found[0].quote.id == "lit1_1" and found[0].method == "embedding"
    assert found[0].score > 0.99 and len(found) == 3
    assert found[0].score >= found[1].score >= found[2].score


def test_similar_quotes_fall_back_to_shared_words(study):
    found = review.similar_quotes(study, "lit2_0", k=2)  # "We kept double booking patients."
    assert found[0].quote.id == "lit3_0" and found[0].method == "words"
    with pytest.raises(KeyError):
        review.similar_quotes(study, "nope")


# --- saturation and evidence --------------------------------------------------------------------


def test_saturation_curve_counts_new_themes_per_added_interview(study):
    curve = review.saturation_curve(study)
    assert [(p.participant, p.new_themes, p.total_themes) for p in curve] == [
        ("Ann Owner", 4, 4), ("Bob Owner", 0, 4), ("Cat Manager", 4, 8), ("Dan Manager", 0, 8)]
    assert "Calm" in curve[2].new_theme_labels
    assert review.saturation_reading(curve) == ("Last 3 interviews added 4 new themes (of 8): "
                                                "still finding new themes, keep interviewing.")


def test_saturation_curve_follows_edits(study):
    review.merge_themes(study, ["outcome_calm", "outcome_revenue"], into="outcome_revenue")
    assert review.saturation_curve(study)[2].new_themes == 3


@pytest.mark.parametrize("new, reading", [
    ([5, 4, 3, 0, 0, 0], "Last 3 interviews added 0 new themes: saturation reached for these themes."),
    ([5, 4, 3, 1, 0, 0], "Last 3 interviews added 1 new theme: close to saturation."),
    ([5, 4], "2 interviews mined: too few to judge saturation (needs more than 3)."),
    ([0, 0, 0, 0, 0], "No themes in these interviews yet: mine them (or check their quotes) before judging saturation."),
])
def test_saturation_reading(new, reading):
    total, curve = 0, []
    for n, k in enumerate(new):
        total += k
        curve.append(review.SaturationPoint(n, f"P{n}", k, total))
    assert review.saturation_reading(curve) == reading


def test_participants_backing_a_claim(study):
    assert review.participants_backing(study, ["lit0_0", "lit1_0", "lit0_1", "gone"]) == (2, 3)
    assert review.participants_backing(study, []) == (0, 0)


# --- edits survive re-mining; two tabs never overwrite each other ------------------------------


def test_edits_survive_re_mining_with_the_same_ids(study):
    review.rename_theme(study, "trigger_no_shows", "No-shows cost money")
    review.move_quote(study, "lit2_0", theme_id="trigger_no_shows")
    review.star_quote(study, "lit1_0")
    review.tag_quote(study, "lit1_0", ["money"])
    review.delete_theme(study, "nps_reason_support")
    new_id = review.split_theme(study, "fear_privacy", ["lit0_1"], "Leaks")
    # Re-mining writes the same machine rows again (same quote and theme ids).
    quotes = study.quotes(apply_edits=False)
    machine = study.machine_themes()
    study.save_quotes(quotes)
    study.save_themes(machine)
    t = theme(study, "trigger_no_shows")
    assert t.label == "No-shows cost money" and "lit2_0" in t.quote_ids
    assert quote(study, "lit1_0").starred and quote(study, "lit1_0").tags == ["money"]
    assert "nps_reason_support" not in {x.id for x in study.themes()}
    assert theme(study, new_id).quote_ids == ["lit0_1"]


def test_two_tabs_editing_different_fields_both_survive(study, tmp_path):
    tab_a, tab_b = Store(study.path), Store(study.path)
    try:
        # Both tabs loaded the same theme, then each changed a different field.
        seen_a, seen_b = theme(tab_a, "fear_privacy"), theme(tab_b, "fear_privacy")
        review.rename_theme(tab_a, seen_a.id, "Data privacy")
        review.tag_theme(tab_b, seen_b.id, ["compliance"])
        review.star_quote(tab_a, "lit0_1")
        review.tag_quote(tab_b, "lit0_1", ["gdpr"])
        t = theme(study, "fear_privacy")
        assert (t.label, t.tags) == ("Data privacy", ["compliance"])
        q = quote(study, "lit0_1")
        assert q.starred and q.tags == ["gdpr"]

        pid = persona_review.suggest_and_save(study)[0].id
        persona_review.set_field(tab_a, pid, "name", "Owner-clinician")
        persona_review.set_field(tab_b, pid, "role", "Owns a small clinic")
        persona_review.set_quotes(tab_b, pid, "fears", ["lit0_1"])
        p = persona_review.get_persona(study, pid)
        assert (p.name, p.role, p.fields["fears"].quote_ids) == ("Owner-clinician", "Owns a small clinic", ["lit0_1"])
        # The same field from two tabs: the last write wins.
        review.rename_theme(tab_b, "fear_privacy", "Privacy worries")
        assert theme(study, "fear_privacy").label == "Privacy worries"
    finally:
        tab_a.close()
        tab_b.close()


def test_researcher_nps_score_wins_over_mining_and_is_validated(tmp_path):
    import subprocess
    import sys

    from interview_miner.store import Store

    db = tmp_path / "s.db"
    s = Store(db)
    from interview_miner.models import Interview

    iid = s.add_interview(Interview(id=None, content_hash="x", file_name="a.wav", kind="audio")).id
    s.save_nps([{"interview_id": iid, "score": None, "klass": None, "quote_id": None, "text": None}])
    review.set_nps_score(s, iid, 9)
    s.save_nps([{"interview_id": iid, "score": 3, "klass": "detractor", "quote_id": None, "text": "hi"}])  # re-mine
    assert s.nps()[iid]["score"] == 9 and s.nps()[iid]["klass"] == "promoter"
    with pytest.raises(ValueError, match="0-10"):
        review.set_nps_score(s, iid, 11)
    run = lambda *a: subprocess.run([sys.executable, "-m", "interview_miner", "nps", "--db", str(db), *a],
                                    capture_output=True, text=True)
    assert run(str(iid), "7").returncode == 0
    listed = run()
    assert " 7  passive" in listed.stdout
    bad = run(str(iid), "12")
    assert bad.returncode == 1 and "0-10" in bad.stderr


def test_nps_list_says_where_to_listen_when_no_score_stands(tmp_path, capsys):
    import json

    from interview_miner import cli
    from interview_miner.models import Interview, Quote

    db = tmp_path / "s.db"
    s = Store(db)
    iid = s.add_interview(Interview(id=None, content_hash="x", file_name="b.wav", kind="audio")).id
    ask = "On a scale of zero to ten, how likely are you to recommend us?"
    s.save_quotes([Quote("q1", iid, 136.8, 138.0, "And I'm easily,", question=ask)], [iid])
    s.close()
    assert cli.main(["nps", "--db", str(db)]) == 0
    assert "not found  b.wav  (listen to confirm at 02:16, then: interview-miner nps 1 SCORE)" in capsys.readouterr().out
    assert cli.main(["nps", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["nps"][0]["listen_at"] == 136.4
    assert cli.main(["nps", "1", "9", "--db", str(db)]) == 0
    capsys.readouterr()
    assert cli.main(["nps", "--db", str(db), "--json"]) == 0
    out = capsys.readouterr().out
    assert "listen to confirm" not in out and json.loads(out[out.index("{"):])["nps"][0]["listen_at"] is None
