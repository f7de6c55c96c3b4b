"""Synthesis a researcher can hand on: theme hierarchy and its bounds, calibrated outliers,
readable labels, persona names and claims, hotwords, and NPS re-scored from audio.

Real components throughout: scikit-learn's HDBSCAN, the bundled MiniLM and spaCy model, and (in
the slow test) espeak-ng speech transcribed by the bundled tiny.en.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from interview_miner import bundled, embed, hotwords, labels, nps, nps_audio, personas as P, themes, transcribe
from interview_miner.models import Interview, Quote, Theme

HELDOUT = Path(__file__).parent / "data" / "heldout"


# ---------------------------------------------------------------------------------------------
# Themes: hierarchy, bounds, ids, outliers
# ---------------------------------------------------------------------------------------------


def _synthetic(n: int, n_macro: int = 12, n_micro: int = 15, seed: int = 0, dim: int = 64):
    """Unit vectors around n_macro x n_micro topic centres (micro topics close to their macro
    topic), in one category: a stand-in for thousands of distinct sentences on a dozen ideas."""
    rng = np.random.default_rng(seed)
    macro = rng.normal(size=(n_macro, dim))
    micro = np.repeat(macro, n_micro, axis=0) + 0.6 * rng.normal(size=(n_macro * n_micro, dim))
    pick = rng.integers(0, len(micro), size=n)
    vecs = micro[pick] + 0.45 * rng.normal(size=(n, dim))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    quotes = [Quote(id=f"q_{i:06d}", interview_id=1 + i % 40, start=float(i), end=i + 1.0, index=i,
                    text=f"We kept losing track of topic {p} every week.", category="fear", question=f"Q{i % 7}")
              for i, p in enumerate(pick)]
    return quotes, vecs.astype(np.float32)


def _check_hierarchy(result: themes.ThemeList, quotes: list[Quote]) -> None:
    tops = {t.id: t for t in result}
    assert all(t.parent_id is None for t in result)
    seen: set[str] = set()
    for t in result:  # each quote in at most one top-level theme, as the store requires
        assert not seen & set(t.quote_ids)
        seen |= set(t.quote_ids)
    children: dict[str, list[Theme]] = {}
    for s in result.sub_themes:
        assert s.parent_id in tops and s.category == tops[s.parent_id].category
        children.setdefault(s.parent_id, []).append(s)
    for pid, subs in children.items():
        assert len(subs) >= 2
        union = sorted(q for s in subs for q in s.quote_ids)
        assert union == tops[pid].quote_ids  # quotes sit at the finest level; the parent is the union
    assert len({t.id for t in result.all()}) == len(result.all())


def test_top_level_theme_count_stays_bounded_as_the_corpus_grows_tenfold():
    counts = {}
    for n in (300, 3000):
        quotes, vecs = _synthetic(n)
        result = themes.build_themes(quotes, vecs)
        _check_hierarchy(result, quotes)
        counts[n] = len(result)
        assert 2 <= len(result) <= themes.ThemeOptions().max_top_themes
        assert result.sub_themes, "the finer distinctions are kept one level down"
        themed = sum(len(t.quote_ids) for t in result)
        assert themed / n >= 0.6
    assert counts[3000] <= max(counts[300] * 2, themes.ThemeOptions().max_top_themes)


def test_fine_cluster_size_grows_with_the_category():
    assert themes.fine_cluster_size(10) == 2
    assert themes.fine_cluster_size(60) == 2
    assert themes.fine_cluster_size(1600) == 10
    assert themes.fine_cluster_size(10_000) == 25


def test_ids_are_stable_at_both_levels_across_a_rerun():
    quotes, vecs = _synthetic(600, seed=3)
    first = themes.build_themes(quotes, vecs)
    again = themes.build_themes(quotes, vecs, previous=first.all())
    assert [t.id for t in again] == [t.id for t in first]
    assert [t.id for t in again.sub_themes] == [t.id for t in first.sub_themes]
    # A sub-theme id is matched against sub-themes: a new quote does not shuffle them.
    extra = Quote(id="q_zzzzzz", interview_id=99, start=0, end=1, text="Another one.", category="fear")
    grown = themes.build_themes([*quotes, extra], np.vstack([vecs, vecs[:1]]), previous=first.all())
    kept = {t.id for t in grown.sub_themes} & {t.id for t in first.sub_themes}
    assert len(kept) >= 0.8 * len(first.sub_themes)


def test_a_quote_unlike_every_theme_stays_unthemed_and_a_close_one_joins():
    quotes, vecs = _synthetic(400, seed=5)
    rng = np.random.default_rng(9)
    far = rng.normal(size=vecs.shape[1])
    far -= vecs.mean(axis=0) * (far @ vecs.mean(axis=0)) / (vecs.mean(axis=0) @ vecs.mean(axis=0))
    far /= np.linalg.norm(far)
    near = vecs[0] + 0.05 * rng.normal(size=vecs.shape[1])
    near /= np.linalg.norm(near)
    extra = [Quote(id="q_far", interview_id=1, start=0, end=1, text="Completely unrelated.", category="fear"),
             Quote(id="q_near", interview_id=2, start=0, end=1, text="Nearly the same.", category="fear")]
    result = themes.build_themes([*quotes, *extra], np.vstack([vecs, far, near]).astype(np.float32))
    themed = {q for t in result for q in t.quote_ids}
    assert "q_far" not in themed
    assert "q_near" in themed


def test_uncertain_words_lean_on_the_rest_of_the_answer():
    """A misheard quote (low ASR confidence) is pulled towards its answer's other quotes; a
    confidently heard one is left alone."""
    base = np.eye(4, dtype=np.float32)
    qs = [Quote(id=f"q{i}", interview_id=1, start=i, end=i + 1, text="x", question="Q", category="fear",
                asr_confidence=c) for i, c in enumerate([1.0, 0.3, 1.0])]
    out = themes._smooth_uncertain(qs, [0, 1, 2], base[:3], weight=0.5)
    assert np.allclose(out[0], base[0]) and np.allclose(out[2], base[2])
    assert out[1] @ base[0] > 0.1 and out[1] @ base[2] > 0.1 and out[1] @ base[1] > 0.9


# ---------------------------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------------------------


def _heldout_clusters() -> list[labels.LabelInput]:
    """The held-out corpora's true themes as clusters (other products than the dev corpus)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for path in sorted(HELDOUT.glob("hold*.json")):
        for turn in json.loads(path.read_text())["turns"]:
            for s in turn.get("sentences") or []:
                if s.get("theme") and s["category"] != "nps_score":
                    groups.setdefault((s["category"], s["theme"]), []).append(s["text"])
    return [labels.LabelInput(texts=t, category=c) for (c, _), t in sorted(groups.items())]


def _generated_clusters(n: int = 40, seed: int = 0) -> list[labels.LabelInput]:
    import random

    subjects = ["the front desk", "our accountant", "the night shift", "my business partner", "the two new hires"]
    problems = ["kept double-booking rooms", "lost track of invoices", "chased late payments by hand",
                "typed everything twice", "could not see the schedule from home", "forgot to send reminders"]
    contexts = ["every Monday", "during the busy season", "after we opened the second site", "before the audit"]
    rng = random.Random(seed)
    cats = ["trigger", "fear", "objection", "outcome", "criteria", "usage", "channel", "alternatives", "other"]
    out = []
    for _ in range(n):
        problem = rng.choice(problems)
        texts = [f"{rng.choice(['Honestly, ', 'Well ', '', 'I mean '])}{rng.choice(subjects)} {problem} "
                 f"{rng.choice(contexts)}, which was, um," for _ in range(rng.randint(2, 6))]
        out.append(labels.LabelInput(texts=texts, category=rng.choice(cats),
                                     confidences=[rng.uniform(0.4, 1.0) for _ in texts]))
    return out


def _assert_readable(label: str) -> None:
    assert "," not in label and ";" not in label, f"keyword list: {label!r}"
    assert 1 <= len(label.split()) <= labels.MAX_WORDS, label
    assert labels.is_complete_phrase(label), f"fragment: {label!r}"
    assert label[:1].isupper()


@pytest.mark.slow
def test_labels_are_short_phrases_never_keyword_lists_or_cut_off_fragments():
    encoder = embed.load_embedder()
    groups = _heldout_clusters() + _generated_clusters()
    for g in groups:
        v = encoder.encode(g.texts).mean(axis=0)
        g.centroid = v / np.linalg.norm(v)
    got = labels.theme_labels(groups, encoder.encode)
    assert len(got) == len(groups) >= 60
    for label in got:
        _assert_readable(label)
    multiword = sum(1 for x in got if len(x.split()) >= labels.MIN_WORDS)
    assert multiword >= 0.8 * len(got)
    # Labels name the theme from its quotes' own words, not from another theme's.
    fallbacks = set(labels.CATEGORY_FALLBACK.values())
    assert sum(1 for x in got if x.split(" (")[0] in fallbacks) <= 0.1 * len(got)
    for g, label in zip(groups, got):
        if label.split(" (")[0] in fallbacks:
            continue
        words = {w.lower() for w in re.findall(r"[A-Za-z']+", label)}
        lead = {w.lower() for w in labels.CATEGORY_LEADS.get(g.category, "").split()}
        said = {w.lower() for t in g.texts for w in re.findall(r"[A-Za-z']+", t)}
        assert words - lead <= said | {"a", "an", "no", "not"}, (label, g.texts[:2])  # "no": a negated "have" kept


def test_theme_keywords_hold_no_contracted_function_words():
    """c-TF-IDF keeps apostrophes in tokens, so "didn't" and "it's" slipped past every stop list
    and made keywords like "booking didn't"; a name's possessive is still a word."""
    from interview_miner import keywords

    docs = ["The booking didn't happen and it's Sarah's fault, we're sure. Booking didn't work.",
            "The price wasn't fair and we couldn't budget for the renewal."]
    words = keywords.distinctive_terms(docs, 8)
    assert not [w for ws in words for w in ws if re.search(r"\b(didn't|it's|we're|wasn't|couldn't)\b", w)], words
    assert "booking" in words[0] and any("sarah's" in w for w in words[0]), words


def test_theme_keyword_pairs_are_words_said_side_by_side():
    """Pairs are counted within a clause, before stop words are dropped: "the practice size is real"
    gave "size real", and joined quotes "moment said". scikit-learn's stop list holds "front",
    "bill" and "system", which interviews use as content words."""
    from interview_miner import keywords

    docs = ["The practice size is real.\nThe front desk is busy, the front desk needs help.\n"
            "It had to talk to our billing system.\nAt the moment\nShe said no.",
            "The price went up at renewal, the price per provider."]
    words = keywords.distinctive_terms(docs, 8)[0]
    assert "front desk" in words and "billing system" in words, words
    assert not {"size real", "moment said", "desk busy"} & set(words), words


def test_the_label_checks_reject_keyword_lists_and_fragments():
    for bad in ("Away contract, away price, contract price", "Persona A put off by ... because I wasn't",
                "kept seeing ads for it on", "the price of the", "Afraid of losing my"):
        assert not labels.is_complete_phrase(bad), bad
    for good in ("Chasing late invoices by hand", "Worried about losing patient data", "Price per provider"):
        assert labels.is_complete_phrase(good), good


def test_label_candidates_are_whole_phrases_from_the_quote():
    found = labels.candidate_phrases("I was chasing late invoices by hand every Friday.")
    assert any(p.startswith("chasing late invoices by hand") for p in found), found
    assert all(labels.is_complete_phrase(p) for p in found)


def test_a_label_never_drops_the_not_of_what_something_was_said_not_to_be():
    """'It wasn't a good fit for a small clinic' must not offer 'Good fit for a small clinic' (the
    opposite); the object of a negated verb is only the topic and stays as it is."""
    found = labels.candidate_phrases("It wasn't a good fit for a small clinic.")
    assert "not a good fit for a small clinic" in found and "good fit for a small clinic" not in found, found
    assert not any(p.startswith(("good fit", "big fans")) for p in
                   labels.candidate_phrases("Honestly, we're not big fans of new software.")
                   + labels.candidate_phrases("It was not a good fit."))
    assert "cloud storage" in labels.candidate_phrases("I don't trust cloud storage with patient data.")
    # what someone does not have is named as missing: "no ...", never the thing alone
    assert labels.candidate_phrases("We haven't had a single unbilled job since we switched.") == ["no single unbilled job"]
    assert "no IT person" in labels.candidate_phrases("Good support, since I don't have an IT person.")
    assert "not my decision" in labels.candidate_phrases("It wasn't my decision in the end.")


def test_who_did_what_is_not_taken_from_a_clause_the_speaker_asks_about_or_describes_with():
    """'We were losing track of which jobs had been invoiced' must not offer 'jobs had been invoiced'
    (the held-out study's trigger theme was named so: the opposite of the worry), nor 'nobody knew
    whether the engineers had finished' 'engineers had finished'; what was said to happen stays."""
    found = labels.candidate_phrases("We were losing track of which jobs had been invoiced.")
    assert "losing track of which jobs had been invoiced" in found and "jobs had been invoiced" not in found, found
    assert "engineers had finished" not in labels.candidate_phrases("Nobody knew whether the engineers had finished.")
    assert "customers had paid" not in labels.candidate_phrases("We could never tell which customers had paid.")
    assert "engineers finished" not in labels.candidate_phrases("We invoiced the jobs the engineers finished.")
    assert "chef didn't turn up" in labels.candidate_phrases("When the chef didn't turn up, we closed half the kitchen.")
    assert "Three chefs didn't turn up on Saturday" in labels.candidate_phrases("Three chefs didn't turn up on Saturday.")


def test_light_verbs_in_any_form_do_not_lead_a_label_but_phrasal_ones_do():
    """'knew which ...', 'had ...' carry no theme (spaCy's lemmatizer finds them in any form);
    'went up at renewal', 'done what it promised' do."""
    assert not any(p.startswith("knew") for p in labels.candidate_phrases("I knew which exams needed the longest slot."))
    assert "went up at renewal" in labels.candidate_phrases("The price went up at renewal.")
    assert "done what it promised on no-shows" in labels.candidate_phrases("It has done what it promised on no-shows.")
    g = labels.LabelInput(texts=["We were not big fans of new software.", "Honestly we're not big fans of new software.",
                                 "New software always scared the team a bit."], category="fear")
    (label,) = labels.theme_labels([g])
    assert label.lower().startswith("not big fans") or "fans" not in label.lower(), label


def test_a_misheard_quote_never_names_a_theme():
    g = labels.LabelInput(texts=["The sermon fee was a shock to us.", "The setup fee was a shock to us.",
                                 "Paying the setup fee up front felt wrong."],
                          category="objection", confidences=[0.35, 0.95, 0.9])
    (label,) = labels.theme_labels([g])
    assert "sermon" not in label.lower()


# ---------------------------------------------------------------------------------------------
# Personas: names and claims
# ---------------------------------------------------------------------------------------------


def _study(groups, metadata=None, label=lambda tid: tid.split("_", 1)[1].replace("-", " ").capitalize()):
    """test_personas' literal study, with whole-sentence quotes and readable theme labels."""
    from test_personas import _study as literal_study

    interviews, quotes, theme_list = literal_study(groups, metadata)
    quotes = [replace(q, text=f"What participant {q.interview_id} said about {q.theme_id} in full.") for q in quotes]
    return interviews, quotes, [replace(t, label=label(t.id)) for t in theme_list]


def test_persona_names_come_from_role_and_distinctive_theme_never_a_letter_or_a_quote():
    groups = [["trigger_late-invoices", "fear_losing-patient-data"]] * 3 + [["trigger_double-bookings", "fear_staff-pushback"]] * 3
    meta = {i: {"role": "Practice manager" if i <= 3 else "Clinic owner"} for i in range(1, 7)}
    labels_of = {"fear_losing-patient-data": "Worried about losing patient data"}
    interviews, quotes, theme_list = _study(groups, meta, label=lambda t: labels_of.get(t, t.split("_", 1)[1].replace("-", " ").capitalize()))
    got = P.suggest_personas(interviews, quotes, theme_list, {})
    names = sorted(p.name for p in got)
    assert len(got) == 2
    for name in names:
        assert not re.search(r"\bPersona\b|\b[A-Z]\b$|“|\.\.\.", name), name
        assert name.startswith(("Practice manager ", "Clinic owner "))
        assert "worried about worried" not in name.lower()
        assert not any(q.text.rstrip(".") in name for q in quotes)
    # Without any metadata they are still named after what sets them apart.
    interviews, quotes, theme_list = _study(groups)
    for p in P.suggest_personas(interviews, quotes, theme_list, {}):
        assert p.name.startswith("Customer ") and len(p.name.split()) >= 3


def test_a_persona_is_not_named_after_a_deed_its_quotes_give_to_something_else():
    """'Wasn't going to stretch' would name the owners "Owner who wasn't going to stretch", but it
    was the paper diary that wasn't; a theme whose deed was the speaker's ("we started ...") names
    them instead, and a deed said with "I"/"we" names them as before."""
    groups = [["trigger_stretch", "fear_patient-data"]] * 3 + [["trigger_other", "fear_other"]] * 3
    labels_of = {"trigger_stretch": "Wasn't going to stretch", "fear_patient-data": "Worried about patient data"}
    meta = {i: {"role": "Owner" if i <= 3 else "Manager"} for i in range(1, 7)}
    interviews, quotes, theme_list = _study(groups, meta, label=lambda t: labels_of.get(t, t.split("_", 1)[1].capitalize()))
    said = {"trigger_stretch": "So the paper diary just wasn't going to stretch."}
    quotes = [replace(q, text=said.get(q.theme_id, q.text)) for q in quotes]
    owner = next(p for p in P.suggest_personas(interviews, quotes, theme_list, {}) if p.name.startswith("Owner"))
    assert owner.name == "Owner worried about patient data", owner.name
    quotes = [replace(q, text="And we just wasn't going to stretch it." if q.theme_id == "trigger_stretch" else q.text)
              for q in quotes]
    owner = next(p for p in P.suggest_personas(interviews, quotes, theme_list, {}) if p.name.startswith("Owner"))
    assert owner.name == "Owner who wasn't going to stretch", owner.name
    quotes = [replace(q, text="Yeah, wasn't going to stretch, not with two sites." if q.theme_id == "trigger_stretch"
                      else q.text) for q in quotes]  # no doer said: the speaker's own
    owner = next(p for p in P.suggest_personas(interviews, quotes, theme_list, {}) if p.name.startswith("Owner"))
    assert owner.name == "Owner who wasn't going to stretch", owner.name


def test_a_persona_is_named_after_a_phrase_rather_than_one_word_and_its_lead():
    """"Owner triggered by patient" says what a theme is about, not who these people are: a theme
    as distinctive whose name is a phrase names them, though its category is less telling."""
    groups = [["trigger_patient", "outcome_new-site"]] * 3 + [["trigger_other-thing", "outcome_other-thing"]] * 3
    labels_of = {"trigger_patient": "Triggered by patient", "outcome_new-site": "Wanted the new location busy from week one"}
    meta = {i: {"role": "Owner" if i <= 3 else "Manager"} for i in range(1, 7)}
    interviews, quotes, theme_list = _study(groups, meta, label=lambda t: labels_of.get(t, t.split("_", 1)[1].replace("-", " ").capitalize()))
    names = sorted(p.name for p in P.suggest_personas(interviews, quotes, theme_list, {}))
    assert names == ["Manager driven by other thing", "Owner who wanted the new location busy from week one"], names


def test_persona_claims_are_sentences_with_label_count_and_quotes():
    groups = [["outcome_fewer-no-shows", "fear_data-loss"], ["outcome_fewer-no-shows"], ["outcome_fewer-no-shows", "fear_data-loss"]]
    interviews, quotes, theme_list = _study(groups)
    (p,) = P.suggest_personas(interviews, quotes, theme_list, {})
    goals = p.fields["goals"]
    assert goals.text.startswith("Fewer no shows (3 of 3 participants): “What participant")
    assert goals.text.endswith(".")
    assert 1 <= goals.text.count("“") <= 3 and len(goals.quote_ids) == 3
    assert p.fields["fears"].text.startswith("Data loss (2 of 3 participants): ")
    assert p.fields["objections"].text == "Nobody in this group spoke about objections."


def test_the_persona_summary_lists_names_without_the_lead_its_field_title_repeats():
    """"Fears: worried about data loss" says "worried" twice: under its field's title a theme's
    name loses its category's lead; a name without one is listed as it is."""
    groups = [["outcome_fewer-no-shows", "fear_data-loss"], ["outcome_fewer-no-shows"], ["outcome_fewer-no-shows", "fear_data-loss"]]
    labels_of = {"fear_data-loss": "Worried about data loss", "outcome_fewer-no-shows": "Fewer no shows"}
    interviews, quotes, theme_list = _study(groups, label=lambda t: labels_of[t])
    (p,) = P.suggest_personas(interviews, quotes, theme_list, {})
    assert "Fears: data loss (2 of 3)" in p.description and "Goals: fewer no shows (3 of 3)" in p.description, p.description
    assert p.fields["fears"].text.startswith("Worried about data loss (2 of 3 participants): ")  # the claim keeps it


def test_no_claim_is_built_from_unthemed_quotes():
    interviews, quotes, theme_list = _study([["outcome_grow"], ["outcome_grow"], ["fear_x"]])
    quotes = [q if q.category != "fear" else replace(q, theme_id=None) for q in quotes]
    (p,) = P.suggest_personas(interviews, [*quotes], [t for t in theme_list if t.category != "fear"], {})
    fears = p.fields["fears"]
    assert fears.quote_ids == [] and "unthemed" not in fears.text and "theme" in fears.text


# ---------------------------------------------------------------------------------------------
# Hotwords
# ---------------------------------------------------------------------------------------------


def test_hotwords_are_the_names_in_the_interviewers_questions():
    questions = ["How did you first hear about ClinicFlow?", "Did you look at Jane App or Cliniko before ClinicFlow?",
                 "So on Monday, what happened?", "What would make ClinicFlow a ten for you?"]
    got = hotwords.auto_hotwords(questions, extra=["Acme Scheduling"])
    assert got.startswith("Acme Scheduling ClinicFlow ")
    for name in ("Cliniko", "Jane App"):
        assert name in got
    assert "Monday" not in got and "So" not in got.split() and "What" not in got.split()
    assert hotwords.auto_hotwords([]) == ""


def test_hotwords_are_added_to_transcription_options():
    from interview_miner.transcribe import TranscribeOptions

    opts = hotwords.with_hotwords(TranscribeOptions(hotwords="Rotaly"), "ClinicFlow Rotaly")
    assert opts.hotwords == "Rotaly ClinicFlow"
    assert hotwords.with_hotwords(opts, "") is opts


# ---------------------------------------------------------------------------------------------
# NPS from audio
# ---------------------------------------------------------------------------------------------


def _say(text: str, path: Path, voice: str = "en+m3") -> Path:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "175", "-p", "40", "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-R", str(raw), "-r", "16000", "-c", "1", str(path)], check=True, capture_output=True)
    return path


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox")
def test_a_misheard_score_is_recovered_from_the_audio_and_a_missing_one_is_flagged(tmp_path):
    from interview_miner import capture, transcribe

    tiny = transcribe.load_model(None)
    models = [tiny] + ([transcribe.load_model("base")] if bundled.whisper_base_path() else [])
    cases = {"seven": _say("Um, probably a seven, I think.", tmp_path / "seven.wav"),
             "none": _say("It depends on the day, really.", tmp_path / "none.wav")}
    heard = {}
    for key, path in cases.items():
        audio = capture.read_audio(path)
        segments, _ = tiny.transcribe(audio, language="en", beam_size=5)
        heard[key] = " ".join(s.text.strip() for s in segments)
        assert nps.parse_score(heard[key]) is None, f"tiny.en heard {heard[key]!r}: nothing to recover"
        got = nps_audio.score_from_audio(models, audio, 1, 0.0, len(audio) / 16000, heard[key])
        if key == "seven":
            assert got.score == 7 and not got.needs_listening, (heard[key], got)
        else:  # no number was said: never invent one; a researcher listens instead
            assert got.score is None and got.needs_listening, (heard[key], got)
