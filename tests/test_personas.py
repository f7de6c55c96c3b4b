"""Persona suggestion (pure) and persona editing (store helpers, CLI), on real SQLite stores."""
from __future__ import annotations

import json
import random
import re
from dataclasses import asdict, replace

import pytest

from conftest import shared_path
from corpus_fixture import corpus_truth, load_corpus, load_literal_study
from interview_miner import persona_review
from interview_miner import personas as P
from interview_miner.cli import main
from interview_miner.errors import InterviewMinerError
from interview_miner.models import PERSONA_FIELDS, Interview, Quote, Theme

# ---------------------------------------------------------------------------------------------
# Corpus ground truth: two latent personas, three interviews each
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def corpus(store):
    corpus_dir = shared_path("corpus", "dev")
    ids = load_corpus(store, corpus_dir)
    return store, corpus_truth(corpus_dir, ids)


def test_corpus_ground_truth_themes_recover_the_two_personas(corpus):
    store, truth = corpus
    personas = persona_review.suggest_and_save(store)
    scores = P.grouping_scores(personas, truth)
    assert scores == {"ari": 1.0, "purity": 1.0, "n_personas": 2}
    by_role = {p.role: p for p in personas}
    assert set(by_role) == {"Owner", "Manager"}  # words shared by most members' roles
    assert by_role["Owner"].name.startswith("Owner ")
    assert "detractors 1" in by_role["Owner"].fields["nps"].text
    assert "Promoters 3" in by_role["Manager"].fields["nps"].text


def test_corpus_themes_alone_recover_the_personas(store):
    """Without role/company metadata the theme profile still separates the two personas."""
    corpus_dir = shared_path("corpus", "dev")
    ids = load_corpus(store, corpus_dir, with_metadata=False)
    personas = persona_review.suggest_and_save(store)
    assert P.grouping_scores(personas, corpus_truth(corpus_dir, ids))["ari"] == 1.0
    # No role typed in: named after the job its members say they do ("I'm the practice manager at
    # ...", "I own a dental practice") where they share one, else "Customer", and what sets them
    # apart; never "Persona A". The clinicians who own their practice share "Owner".
    subjects = sorted(p.name.split(" ", 1)[0] for p in personas)
    assert subjects == ["Manager", "Owner"] and not any("Persona" in p.name for p in personas), subjects
    assert len({p.name for p in personas}) == len(personas)


def test_corpus_recovery_survives_theme_noise(corpus):
    """20% of themed quotes moved to a random theme of their category (a sloppy miner):
    measured mean ARI 0.97 over 20 seeds; 1.0 for these five."""
    store, truth = corpus
    quotes, themes, nps = store.quotes(), store.themes(), store.nps()
    by_cat: dict[str, list[str]] = {}
    for t in themes:
        by_cat.setdefault(t.category, []).append(t.id)
    aris = []
    for seed in range(5):
        rng = random.Random(seed)
        noisy = [replace(q, theme_id=rng.choice(by_cat[q.category]))
                 if q.theme_id and rng.random() < 0.2 else q for q in quotes]
        aris.append(P.grouping_scores(P.suggest_personas(store.list_interviews(), noisy, themes, nps), truth)["ari"])
    assert sum(aris) / len(aris) >= 0.9, aris


def test_corpus_persona_fields_are_backed_by_member_quotes(corpus):
    store, _ = corpus
    personas = persona_review.suggest_and_save(store)
    quotes = {q.id: q for q in store.quotes()}
    themes = {t.id: t for t in store.themes()}
    for p in personas:
        assert set(p.fields) == set(PERSONA_FIELDS)
        members = set(p.interview_ids)
        for name, f in p.fields.items():
            assert f.text, name
            assert 0 < f.n_participants <= len(members)
            assert all(quotes[q].interview_id in members for q in f.quote_ids)
            assert all(t in themes for t in f.theme_ids)
            cats = P.FIELD_CATEGORIES[name]
            assert all(themes[t].category in cats for t in f.theme_ids)
            assert all(quotes[q].category in cats for q in f.quote_ids)
        claim = r"[A-Z][^()]* \([123] of 3 participants\): “[^”]+”(; “[^”]+”)*\."
        assert re.fullmatch(rf"{claim}( {claim})*", p.fields["goals"].text), p.fields["goals"].text
        assert p.description and p.demographics.startswith("Role: ")


def test_suggestion_is_deterministic(corpus):
    store, _ = corpus
    args = (store.list_interviews(), store.quotes(), store.themes(), store.nps())
    first = [asdict(p) for p in P.suggest_personas(*args)]
    again = [asdict(p) for p in P.suggest_personas(*reversed_copies(args))]
    assert first == again


def reversed_copies(args):
    interviews, quotes, themes, nps = args
    return list(reversed(interviews)), list(reversed(quotes)), list(reversed(themes)), dict(reversed(list(nps.items())))


# ---------------------------------------------------------------------------------------------
# Literal studies (no shared data)
# ---------------------------------------------------------------------------------------------


def _study(groups: list[list[str]], metadata=None):
    """Interviews whose quotes voice the given theme ids (`category_x`)."""
    interviews, quotes, themes = [], [], {}
    for i, theme_ids in enumerate(groups, 1):
        interviews.append(Interview(id=i, content_hash=str(i), file_name=f"i{i}.txt", kind="transcript",
                                    participant=f"P{i}", metadata=(metadata or {}).get(i, {})))
        for k, tid in enumerate(theme_ids):
            cat = tid.split("_")[0]
            quotes.append(Quote(id=f"q{i}_{k}", interview_id=i, start=k, end=k + 1, text=tid, index=k,
                                category=cat, theme_id=tid))
            themes.setdefault(tid, Theme(id=tid, category=cat, label=tid.split("_", 1)[1].capitalize()))
    return interviews, quotes, list(themes.values())


def test_literal_study_two_obvious_personas(store):
    load_literal_study(store)
    personas = persona_review.suggest_and_save(store)
    assert sorted(sorted(p.interview_ids) for p in personas) == [[1, 2], [3, 4]]
    names = {p.name for p in personas}
    assert names == {"Clinic owner driven by no shows", "Front desk manager driven by double booking"}


def test_a_reason_given_without_a_readable_score_still_voices_the_nps_field(store):
    """Heard from audio, a score can be left for the researcher to confirm while its reason was
    heard: the NPS field counted only the scored, so it read 'voiced by 1 of 2' above a reason
    '2 of 2'."""
    load_literal_study(store)
    unscored = store.list_interviews()[0].id
    store.save_nps([r for iid, r in sorted(store.nps().items()) if iid != unscored])
    [p] = [p for p in persona_review.suggest_and_save(store) if unscored in p.interview_ids]
    nps = p.fields["nps"]
    assert "1 of 2 scored" in nps.text
    assert nps.n_participants == 2


def test_no_quotes_no_personas(store):
    store.add_interview(Interview(id=None, content_hash="x", file_name="a.wav", kind="audio"))
    assert P.suggest_personas(store.list_interviews(), [], [], {}) == []
    assert persona_review.suggest_and_save(store) == []


def test_one_and_two_interviews_give_one_persona():
    for n in (1, 2, 3):
        interviews, quotes, themes = _study([["trigger_a", "fear_b"], ["trigger_c", "fear_d"], ["trigger_a"]][:n])
        personas = P.suggest_personas(interviews, quotes, themes, {})
        assert len(personas) == 1
        assert personas[0].interview_ids == list(range(1, n + 1))
        assert set(personas[0].fields) == set(PERSONA_FIELDS)


def test_no_themes_gives_one_persona_with_category_evidence():
    interviews, quotes, _ = _study([["fear_a"], ["fear_b"], ["trigger_c"], ["trigger_d"]])
    personas = P.suggest_personas(interviews, quotes, [], {})
    assert len(personas) == 1
    fears = personas[0].fields["fears"]
    assert fears.theme_ids == [] and fears.n_participants == 0  # counts back claims; there are none
    # No claim is made from unthemed quotes; the field says so plainly.
    assert fears.text == "No fears theme yet: what this group said about it is not shared by a theme."
    assert fears.quote_ids == []
    assert personas[0].fields["goals"].text == "Nobody in this group spoke about goals."


def test_fifteen_interviews_three_groups():
    rng = random.Random(1)
    typical = {0: ["trigger_a", "fear_a", "outcome_a", "criteria_a"],
               1: ["trigger_b", "fear_b", "outcome_b", "criteria_b"],
               2: ["trigger_c", "fear_c", "outcome_c", "criteria_c"]}
    groups, truth = [], {}
    for i in range(15):
        g = i % 3
        voiced = [t for t in typical[g] if rng.random() < 0.85] or typical[g][:1]
        voiced += [rng.choice(typical[(g + 1) % 3])] if rng.random() < 0.3 else []
        groups.append(voiced)
        truth[i + 1] = g
    interviews, quotes, themes = _study(groups)
    personas = P.suggest_personas(interviews, quotes, themes, {})
    assert P.grouping_scores(personas, truth)["ari"] >= 0.9
    assert len(personas) == 3


def test_fifteen_identical_profiles_are_one_persona():
    interviews, quotes, themes = _study([["trigger_a", "fear_b", "usage_c"]] * 15)
    assert len(P.suggest_personas(interviews, quotes, themes, {})) == 1


def test_structureless_profiles_are_not_split():
    """Each participant voices random themes: the permutation test refuses to invent groups."""
    rng = random.Random(7)
    pool = [f"{c}_{k}" for c in ("trigger", "fear", "outcome", "criteria", "usage") for k in range(5)]
    interviews, quotes, themes = _study([rng.sample(pool, 8) for _ in range(15)])
    assert len(P.suggest_personas(interviews, quotes, themes, {})) == 1


def test_metadata_breaks_ties_and_names_personas():
    meta = {i: {"role": "Head nurse" if i <= 3 else "Finance director", "codec": "mp3"} for i in range(1, 7)}
    interviews, quotes, themes = _study([["trigger_x", "usage_y"]] * 6, metadata=meta)
    personas = P.suggest_personas(interviews, quotes, themes, {})
    assert sorted(p.interview_ids for p in personas) == [[1, 2, 3], [4, 5, 6]]
    assert {p.role for p in personas} == {"Head nurse", "Finance director"}
    assert all("codec" not in p.demographics.lower() for p in personas)  # technical metadata


def test_persona_ids_are_content_keys_and_follow_changed_groups():
    a, b = ["trigger_a", "fear_a", "outcome_a"], ["trigger_b", "fear_b", "outcome_b"]
    interviews, quotes, themes = _study([a, a, b, b])
    first = P.suggest_personas(interviews, quotes, themes, {})
    assert {p.id for p in first} == {P.persona_id([1, 2]), P.persona_id([3, 4])}
    # a fifth participant joins the first group: the persona keeps its id
    interviews5, quotes5, themes5 = _study([a, a, b, b, a])
    again = P.suggest_personas(interviews5, quotes5, themes5, {}, previous=first)
    by_members = {tuple(p.interview_ids): p.id for p in again}
    assert by_members[(1, 2, 5)] == P.persona_id([1, 2])
    assert by_members[(3, 4)] == P.persona_id([3, 4])


# ---------------------------------------------------------------------------------------------
# Editing: every change is one field-level edit, and survives re-suggesting
# ---------------------------------------------------------------------------------------------


def test_edits_survive_resuggest(store):
    load_literal_study(store)
    owner = next(p for p in persona_review.suggest_and_save(store) if p.interview_ids == [1, 2])
    persona_review.rename_persona(store, owner.id, "Margaret, the owner")
    persona_review.set_field(store, owner.id, "goals", "Grow without hiring")
    persona_review.set_field(store, owner.id, "role", "Owner-clinician")
    quote_ids = [q.id for q in store.quotes(1)][:2]
    persona_review.set_quotes(store, owner.id, "goals", quote_ids)
    created = persona_review.create_persona(store, "Billing lead", interview_ids=[3])
    persona_review.set_field(store, created.id, "fears", "Audits")
    other = next(p for p in store.personas() if p.interview_ids == [3, 4])
    persona_review.delete_persona(store, other.id)

    after = {p.id: p for p in persona_review.suggest_and_save(store)}
    assert other.id not in after
    p = after[owner.id]
    assert (p.name, p.role) == ("Margaret, the owner", "Owner-clinician")
    assert p.fields["goals"].text == "Grow without hiring"
    assert p.fields["goals"].quote_ids == quote_ids
    assert p.fields["fears"].text == owner.fields["fears"].text  # untouched fields stay machine
    assert after[created.id].name == "Billing lead"
    assert after[created.id].interview_ids == [3]
    assert after[created.id].fields["fears"].text == "Audits"
    persona_review.restore_persona(store, other.id)
    assert other.id in {p.id for p in store.personas()}


def test_two_tabs_editing_different_fields_do_not_overwrite(store):
    load_literal_study(store)
    pid = persona_review.suggest_and_save(store)[0].id
    tab1, tab2 = persona_review.get_persona(store, pid), persona_review.get_persona(store, pid)  # both loaded before editing
    persona_review.set_field(store, tab1.id, "name", "From tab one")
    persona_review.set_field(store, tab2.id, "fears", "From tab two")
    p = persona_review.get_persona(store, pid)
    assert p.name == "From tab one" and p.fields["fears"].text == "From tab two"
    assert [e["field"] for e in store.edit_history("persona")] == ["name", "fields.fears.text"]


def test_bad_edits_are_refused(store):
    load_literal_study(store)
    pid = persona_review.suggest_and_save(store)[0].id
    with pytest.raises(KeyError):
        persona_review.set_field(store, "p_missing", "name", "x")
    with pytest.raises(InterviewMinerError, match="unknown persona field"):
        persona_review.set_field(store, pid, "favourite_colour", "blue")
    with pytest.raises(InterviewMinerError, match="cannot be empty"):
        persona_review.rename_persona(store, pid, "   ")
    with pytest.raises(InterviewMinerError, match="unknown quote"):
        persona_review.set_quotes(store, pid, "goals", ["q_nope"])
    with pytest.raises(InterviewMinerError, match="unknown interview"):
        persona_review.set_members(store, pid, [99])
    assert store.edit_history("persona") == []


def test_persona_dict_shape(store):
    load_literal_study(store)
    d = P.persona_dict(persona_review.suggest_and_save(store)[0])
    assert set(d) == {"id", "name", "role", "demographics", "description", "interview_ids", "avatar", "fields"}
    assert list(d["fields"]) == list(PERSONA_FIELDS)
    assert set(d["fields"]["goals"]) == {"text", "quote_ids", "theme_ids", "n_participants"}


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def test_cli_personas_workflow(store, capsys):
    load_literal_study(store)
    db = ["--db", store.path]
    assert main(["personas", *db]) == 0
    assert "no personas yet" in capsys.readouterr().out
    assert main(["personas", "--suggest", "--json", *db]) == 0
    listed = json.loads(capsys.readouterr().out)["personas"]
    assert len(listed) == 2
    pid = listed[0]["id"]
    assert main(["personas", "rename", pid, "Renamed", *db]) == 0
    assert main(["personas", *db, "set", pid, "goals", "New goals"]) == 0  # --db before the action
    qid = store.quotes(listed[0]["interview_ids"][0])[0].id
    assert main(["personas", "quotes", pid, "goals", qid, *db]) == 0
    assert main(["personas", "create", "Made by hand", "--interviews", "1", *db]) == 0
    assert main(["personas", "delete", listed[1]["id"], *db]) == 0
    capsys.readouterr()
    assert main(["personas", "--suggest", "--json", *db]) == 0
    after = {p["name"]: p for p in json.loads(capsys.readouterr().out)["personas"]}
    assert set(after) == {"Renamed", "Made by hand"}
    assert after["Renamed"]["fields"]["goals"] == {**after["Renamed"]["fields"]["goals"],
                                                   "text": "New goals", "quote_ids": [qid]}
    assert main(["personas", "show", pid, *db]) == 0
    assert "goals" in capsys.readouterr().out
    assert main(["personas", "set", pid, "bogus", "x", *db]) == 1
    assert "unknown persona field" in capsys.readouterr().err
    assert main(["personas", "rename", "p_nope", "x", *db]) == 1


def test_cli_suggest_without_quotes_says_what_to_do(store, capsys):
    assert main(["personas", "--suggest", "--db", store.path]) == 1
    assert "mine" in capsys.readouterr().err


@pytest.mark.slow
def test_personas_from_the_real_miner_on_reference_transcripts(store):
    """End to end without any labels: reference transcripts -> `pipeline.mine` (quotes,
    categories, themes, NPS) -> personas. Measured: ARI 1.0, purity 1.0, 2 personas (~40 s, 2 cores)."""
    from interview_miner import evaluate, pipeline

    truths = evaluate.load_truths(shared_path("corpus", "dev"))
    truth = {evaluate.import_reference(store, path, t).id: t["persona"] for path, t in truths}
    pipeline.mine(store)
    scores = P.grouping_scores(persona_review.suggest_and_save(store), truth)
    assert scores["ari"] >= 0.7 and scores["purity"] >= 0.8, scores
