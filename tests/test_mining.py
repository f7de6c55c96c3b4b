"""Mining end to end on real components: spaCy, the bundled MiniLM, SQLite (no mocks).

Most tests use the small labelled held-out corpus in tests/data/heldout (always present), so they
run in a clone without ../shared/data.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from interview_miner import categorize, embed, evaluate, nps, pipeline, quotes as quotes_mod, themes
from interview_miner.errors import ModelNotFoundError
from interview_miner.mining import Miner
from interview_miner.models import CATEGORIES, INTERVIEWER, PARTICIPANT, Interview, Quote, Segment, Theme, Word
from interview_miner.store import Store
from stages import HashEmbedder
from interview_miner.vocab import nps_band

HELDOUT = Path(__file__).parent / "data" / "heldout"


def spoken(turns: list[tuple[str, str]], key: str, language: str = "en", interview_id: int | None = None,
           ) -> tuple[Interview, list[Segment]]:
    """A transcribed interview and its segments from (speaker, text) turns; times at 2.5 words a
    second, words spread."""
    clock, segs = 0.0, []
    for speaker, text in turns:
        toks = text.split()
        dur = max(0.6, len(toks) / 2.5)
        step = dur / len(toks)
        words = [Word(clock + i * step, clock + (i + 1) * step, " " + t) for i, t in enumerate(toks)]
        segs.append(Segment(start=clock, end=clock + dur, text=" " + text, speaker=speaker, words=words))
        clock += dur + 0.4
    interview = Interview(
        id=interview_id, content_hash=hashlib.sha256(key.encode()).hexdigest(), file_name=f"{key}.txt",
        kind="transcript", duration=clock, language=language, status="transcribed",
    )
    return interview, segs


def add_interview(store: Store, turns: list[tuple[str, str]], key: str, language: str = "en") -> Interview:
    """`spoken`, stored."""
    interview, segs = spoken(turns, key, language)
    interview = store.add_interview(interview)
    store.replace_segments(interview.id, segs)
    return interview


def import_heldout(store: Store, names=("hold01", "hold02", "hold03", "hold04")) -> dict[str, int]:
    truths = {p.stem: (p, t) for p, t in evaluate.load_truths(HELDOUT)}
    return {n: evaluate.import_reference(store, *truths[n]).id for n in names}


@pytest.fixture(scope="module")
def miner() -> Miner:
    """One long-lived Miner with the default stages for the module, as a worker keeps one: the
    categorizer embeds its prototypes once, not once per fresh study."""
    return Miner()


@pytest.fixture(scope="module")
def mined_db(tmp_path_factory, miner) -> Path:
    """A study with the four held-out interviews, mined once (embeddings cached in it)."""
    path = tmp_path_factory.mktemp("mined") / "study.db"
    s = Store(path)
    import_heldout(s)
    pipeline.mine(s, miner=miner)
    s.close()
    return path


@pytest.fixture
def mined(mined_db, tmp_path) -> Store:
    path = tmp_path / "study.db"
    shutil.copy(mined_db, path)
    s = Store(path)
    yield s
    s.close()


# ---------------------------------------------------------------------------------------------
# Embeddings
# ---------------------------------------------------------------------------------------------


def test_embedding_cache_second_run_computes_nothing(store):
    import_heldout(store, ["hold01"])
    first = pipeline.mine(store)
    assert first.embedded > first.quotes > 0  # quotes, questions and category prototypes
    second = pipeline.mine(store)
    assert second.embedded == 0 and second.cached >= first.quotes
    e = embed.load_embedder()
    texts = [q.text for q in store.quotes()][:5]
    cached = store.get_embeddings(e.name, [embed.text_hash(quotes_mod.embedding_text(t)) for t in texts])
    vecs, new = embed.embed_texts([quotes_mod.embedding_text(t) for t in texts], e, cached)
    assert new == {} and vecs.shape == (5, e.dim)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    # Every quote's vector can also be found by the hash of its full text.
    all_texts = [q.text for q in store.quotes()]
    found = store.get_embeddings(e.name, [embed.text_hash(t) for t in all_texts])
    assert len(found) == len(set(all_texts))


def test_fully_cached_texts_never_load_the_model():
    texts = ["Alpha beta.", "Gamma delta."]
    cached = {embed.text_hash(t): np.full(8, 0.5, np.float32).tobytes() for t in texts}
    lazy = embed.LazyEmbedder()
    vecs, new = embed.embed_texts(texts, lazy, cached)
    assert new == {} and vecs.shape == (2, 8) and not lazy.loaded
    vecs, new = embed.embed_texts(["Something new."], lazy, {})
    assert lazy.loaded and len(new) == 1 and vecs.shape == (1, 384)


def test_embedder_is_loaded_once_and_vectors_are_stable():
    a, b = embed.load_embedder(), embed.load_embedder("all-MiniLM-L6-v2")
    assert a is b and a.name == embed.cache_name("all-MiniLM-L6-v2", embed.default_backend())
    v1, v2 = a.encode(["The price went up at renewal."]), a.encode(["The price went up at renewal."])
    assert np.allclose(v1, v2, atol=1e-6)


def test_missing_model_path_is_a_clear_error(store, tmp_path):
    add_interview(store, [(INTERVIEWER, "What worried you?"), (PARTICIPANT, "Losing our data in the move.")], "m1")
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelNotFoundError, match="no-such-model"):
        pipeline.mine(store, embed_model=str(missing))
    assert store.quotes() == []  # nothing half-written
    a_file = tmp_path / "model.bin"
    a_file.write_bytes(b"x")
    with pytest.raises(ModelNotFoundError, match="not a folder"):
        embed.load_embedder(str(a_file))


# ---------------------------------------------------------------------------------------------
# Categories
# ---------------------------------------------------------------------------------------------

# A product and wording seen nowhere else in the project: invoicing software for agencies.
QA = [
    ("Before we dive in, tell me a bit about your agency and your role there.",
     "I run a design agency with twelve people, mostly remote.", "other"),
    ("Think back to when you started looking for an invoicing tool. What happened?",
     "A client paid three months late because our invoice got lost in their inbox.", "trigger"),
    ("How did you hear about Billwise in the first place?",
     "Another agency owner recommended it in a Slack community we are both in.", "channel"),
    ("What else did you look at before choosing it?",
     "We tried doing everything in spreadsheets and a generic accounting package.", "alternatives"),
    ("What were the must-haves for you when you compared tools?",
     "It had to connect to our bank and send automatic payment reminders.", "criteria"),
    ("Was anything making you nervous about moving your invoicing over?",
     "I was worried we'd lose the history of which client had paid what.", "fear"),
    ("What nearly stopped you from signing up?",
     "The annual plan, because I didn't want to commit for a whole year.", "objection"),
    ("What were you hoping would change once it was running?",
     "Getting paid on time without me chasing people by email.", "outcome"),
    ("How do you use it week to week?",
     "Every Friday I check the overdue list and the reminders go out on their own.", "usage"),
    ("How likely are you to recommend Billwise to a friend, on a scale of zero to ten?",
     "Probably an eight.", "nps_score"),
    ("What's the main reason for that score?",
     "It pays for itself, but the reporting is still pretty basic.", "nps_reason"),
]


def test_categories_on_realistic_question_answer_pairs(store, miner):
    turns = []
    for q, a, _ in QA:
        turns += [(INTERVIEWER, q), (PARTICIPANT, a)]
    add_interview(store, turns, "billwise")
    pipeline.mine(store, miner=miner)
    got = {q.text: (q.category, q.confidence) for q in store.quotes()}
    for _, answer, want in QA:
        assert got[answer][0] == want, (answer, got[answer])
        assert 0.0 < got[answer][1] <= 1.0
    assert store.nps()[1]["score"] == 8


def test_a_question_about_who_recommended_it_is_not_the_score_question(store, miner):
    """"Was it recommended to you by someone?" asks for a channel, not the 0-10 score: read as the
    recommendation question, its answer's "about two years ago" once gave an interview that was
    never asked for a score an NPS of 2 (a detractor)."""
    asked = [(INTERVIEWER, "What made you start looking for a booking tool?"),
             (PARTICIPANT, "We kept double booking rooms on Mondays and patients were waiting in the corridor."),
             (INTERVIEWER, "Was it recommended to you by someone?"),
             (PARTICIPANT, "Yes, another clinic owner, about two years ago at a conference.")]
    never = add_interview(store, asked, "no-score-question")
    scored = add_interview(store, [*asked, (INTERVIEWER, "And would you recommend it to a colleague?"),
                                   (PARTICIPANT, "Definitely, a nine.")], "score-question")
    pipeline.mine(store, miner=miner)
    assert {iid: row["score"] for iid, row in store.nps().items()} == {scored.id: 9}
    channel = [q.category for q in store.quotes() if q.text.startswith("Yes, another clinic owner")]
    assert channel == ["channel", "channel"]
    assert never.id not in store.nps_to_confirm()


def test_the_score_as_it_stands_now_wins_over_an_earlier_one_in_the_same_answer(store, miner):
    """Each sentence is its own quote, so the score read from the first ("a six") used to be the
    interview's, though the next sentence gives the score as it stands now."""
    added = add_interview(store, [
        (INTERVIEWER, "How likely are you to recommend it to a colleague, from zero to ten?"),
        (PARTICIPANT, "Two years ago I'd have said a six, the migration was painful. Now more like a nine."),
        (INTERVIEWER, "What's the main reason for that score?"),
        (PARTICIPANT, "Support picks up the phone, and the reminders pay for themselves."),
    ], "as-it-stands")
    pipeline.mine(store, miner=miner)
    row = store.nps()[added.id]
    assert (row["score"], row["text"]) == (9, "Now more like a nine.")
    filed = {q.text: q.category for q in store.quotes() if q.interview_id == added.id}
    assert filed["Now more like a nine."] == "nps_score"
    assert filed["Two years ago I'd have said a six, the migration was painful."] == "nps_reason"
    # the score quotes are grouped under the interview's band, as the NPS table shows it
    assert {t.label for t in store.themes() if t.category == "nps_score"} == {"Promoters (9-10)"}


def test_miner_mines_plain_dataclasses_without_a_store(miner):
    """No SQLite anywhere: interviews and segments in, a MiningResult out; a second call on the
    same Miner finds every vector in its own cache and reuses the categorizer's prototypes."""
    turns = [t for q, a, _ in QA for t in ((INTERVIEWER, q), (PARTICIPANT, a))]
    interview, segments = spoken(turns, "no-store", interview_id=7)
    first = miner.mine([interview], {7: segments})
    assert {q.text: q.category for q in first.quotes} == {a: want for _, a, want in QA}
    assert all(q.interview_id == 7 and 0.0 < q.confidence <= 1.0 for q in first.quotes)
    assert [(r.interview_id, r.score) for r in first.nps] == [(7, 8)]
    assert first.report.quotes == len(QA) and first.report.nps == {7: 8}
    assert first.report.themes == len(first.themes)
    prototypes = miner.categorizer.model
    second = miner.mine([interview], {7: segments})
    assert second.report.embedded == 0 and second.report.cached == 2 * len(QA)  # every answer and question
    assert miner.categorizer.model is prototypes
    assert [q.category for q in second.quotes] == [q.category for q in first.quotes]


def test_stages_passed_to_the_miner_are_the_ones_used(store):
    """A categorizer and a themer passed in replace the defaults (no monkeypatching); pipeline.mine
    hands them the researcher's corrections and the study's embedding cache."""
    turns = [t for q, a, _ in QA[:4] for t in ((INTERVIEWER, q), (PARTICIPANT, a))]
    add_interview(store, turns, "custom")
    calls = []

    def everything_is_usage(quotes, quote_vecs, question_vecs, encode, corrections):
        calls.append(dict(corrections))
        return [(corrections.get(q.id, "usage"), 0.5) for q in quotes]

    def one_theme_per_category(quotes, vectors, *, previous, nps_scores, participants, protected, encode):
        by_category = {}
        for q in quotes:
            by_category.setdefault(q.category, []).append(q.id)
        return [Theme(id=f"t_{c}", category=c, label=c.title(), quote_ids=sorted(ids),
                      representative_quote_id=min(ids), n_participants=1) for c, ids in sorted(by_category.items())]

    embedder = HashEmbedder()
    custom = Miner(embedder=embedder, categorizer=everything_is_usage, themer=one_theme_per_category)
    report = pipeline.mine(store, miner=custom)
    assert {q.category for q in store.quotes()} == {"usage"} and report.categories == {"usage": 4}
    assert [t.id for t in store.themes()] == ["t_usage"] and report.themes == 1 and report.unthemed == 0
    assert len(store.get_embeddings(embedder.name, [embed.text_hash(t) for t in embedder.encoded])) == len(
        set(embedder.encoded))  # computed by the custom embedder, cached in the study
    first = store.quotes()[0]
    store.add_edit("quote", first.id, "category", "fear")
    report = pipeline.mine(store, miner=custom)
    assert calls[-1] == {first.id: "fear"} and report.corrections == 1 and report.embedded == 0
    assert sorted(t.id for t in store.machine_themes()) == ["t_fear", "t_usage"]


def test_a_miner_and_its_own_settings_are_not_mixed(store):
    with pytest.raises(ValueError):
        Miner(embedder=HashEmbedder(), embed_model="all-MiniLM-L6-v2")
    with pytest.raises(ValueError):
        Miner(themer=lambda quotes, vectors, **context: [], theme_options=themes.ThemeOptions())
    with pytest.raises(ValueError):
        pipeline.mine(store, embed_model="all-MiniLM-L6-v2", miner=Miner())


def test_question_is_strongest_but_quote_decides_probes(store, miner):
    # A probe ("Tell me more.") inherits the topic; an acknowledgement is no question at all.
    add_interview(store, [
        (INTERVIEWER, "What made you hesitate before buying?"),
        (PARTICIPANT, "Mostly the price per seat."),
        (INTERVIEWER, "Tell me more."),
        (PARTICIPANT, "Every new hire would have added another forty dollars a month."),
        (INTERVIEWER, "Right."),
        (PARTICIPANT, "And legal wanted to review the contract first, which took weeks."),
    ], "probe")
    pipeline.mine(store, miner=miner)
    assert [q.category for q in store.quotes()] == ["objection"] * 3


def test_corrections_are_kept_and_move_similar_quotes(store, miner):
    a = add_interview(store, [
        (INTERVIEWER, "Is there anything you wish the product did better?"),
        (PARTICIPANT, "I'd love a report showing which clients cancel their bookings most often."),
        (INTERVIEWER, "And what do you do at the company?"),
        (PARTICIPANT, "I manage the office and the two receptionists."),
    ], "corr-a")
    b = add_interview(store, [
        (INTERVIEWER, "Anything you'd change about it?"),
        (PARTICIPANT, "I'd really like a report of which clients cancel bookings most often."),
        (INTERVIEWER, "What's your role there?"),
        (PARTICIPANT, "I look after the front desk team."),
    ], "corr-b")
    pipeline.mine(store, miner=miner)
    before = {q.text: q for q in store.quotes()}
    wish_a = store.quotes(a.id)[0]
    wish_b = store.quotes(b.id)[0]
    role_b = store.quotes(b.id)[1]
    assert wish_a.category == wish_b.category == "other"
    store.add_edit("quote", wish_a.id, "category", "objection")
    report = pipeline.mine(store, miner=miner)
    assert report.corrections == 1
    after = {q.id: q for q in store.quotes()}
    assert after[wish_a.id].category == "objection" and after[wish_a.id].confidence == 1.0
    # The look-alike in the other interview learned from the correction; the unrelated quote did not.
    assert after[wish_b.id].category == "objection"
    assert after[role_b.id].category == before[role_b.text].category == "other"
    assert after[role_b.id].confidence == pytest.approx(before[role_b.text].confidence, abs=0.02)
    # The machine rows hold the corrected category, so the theme overlay does not drop its theme.
    machine = {q.id: q for q in store.quotes(apply_edits=False)}
    assert machine[wish_a.id].category == "objection"


def test_corrections_classifier_rescoring_is_measurable():
    rng = np.random.default_rng(0)
    n, d = 30, 16
    qv = rng.normal(size=(n, d)).astype(np.float32)
    qv /= np.linalg.norm(qv, axis=1, keepdims=True)
    questions = np.repeat(qv[:1], n, axis=0)
    probs = np.full((n, len(CATEGORIES)), 1.0 / len(CATEGORIES), dtype=np.float32)
    # Quote 1 is a near copy of quote 0, which the researcher files under "fear".
    qv[1] = qv[0] + 0.05 * qv[2]
    qv[1] /= np.linalg.norm(qv[1])
    out = categorize.rescore_with_corrections(probs, qv, questions, {0: "fear"})
    fear = CATEGORIES.index("fear")
    assert out[0, fear] == 1.0
    assert out[1].argmax() == fear and out[1, fear] > 0.5
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# Themes
# ---------------------------------------------------------------------------------------------


def _theme_snapshot(store: Store):
    return [(t.id, t.category, t.label, tuple(t.keywords), tuple(t.quote_ids), t.representative_quote_id)
            for t in store.machine_themes()]


def test_themes_are_deterministic(mined, miner):
    first = _theme_snapshot(mined)
    report = pipeline.mine(mined, miner=miner)
    assert _theme_snapshot(mined) == first
    assert report.reused_theme_ids == report.themes == len([t for t in mined.machine_themes() if t.parent_id is None]) > 5
    for t in mined.themes():
        assert t.label and t.keywords and t.representative_quote_id in t.quote_ids
        assert t.n_participants >= 1


def test_themes_group_the_same_idea_across_interviews(mined):
    by_id = {q.id: q for q in mined.quotes()}
    themed = [t for t in mined.themes() if t.n_participants >= 2]
    assert len(themed) >= 5
    nps_themes = {t.label for t in mined.themes() if t.category == "nps_score"}
    assert nps_themes == {"Promoters (9-10)", "Passives (7-8)"}
    for t in mined.themes():
        assert {by_id[q].category for q in t.quote_ids} == {t.category}


def test_unthemed_share_is_bounded(mined):
    qs = mined.quotes()
    unthemed = sum(1 for q in qs if not q.theme_id)
    assert unthemed / len(qs) <= 0.15


def test_theme_ids_and_edits_survive_a_new_interview(tmp_path, miner):
    s = Store(tmp_path / "study.db")
    import_heldout(s, ["hold01", "hold02", "hold03"])
    pipeline.mine(s, miner=miner)
    old = {t.id: t for t in s.machine_themes()}
    target = max(old.values(), key=lambda t: (len(t.quote_ids), t.id))
    other = next(t for t in old.values() if t.id != target.id and t.category == target.category) \
        if any(t.id != target.id and t.category == target.category for t in old.values()) else None
    s.add_edit("theme", target.id, "label", "Renamed by researcher")
    moved = None
    if other:
        moved = other.quote_ids[0]
        s.add_edit("quote", moved, "theme_id", target.id)
    unthemed = next((q for q in s.quotes() if q.theme_id is None and q.category != "nps_score"), None)

    import_heldout(s, ["hold04"])
    report = pipeline.mine(s, miner=miner)
    new = {t.id: t for t in s.machine_themes()}
    top_old = {i for i, t in old.items() if t.parent_id is None}
    kept = {i for i, t in new.items() if t.parent_id is None} & set(old)  # top-level themes that kept an id
    assert report.reused_theme_ids == len(kept) >= 0.7 * len(top_old)
    assert target.id in new
    shown = {t.id: t for t in s.themes()}
    assert shown[target.id].label == "Renamed by researcher"
    if moved:
        assert next(q for q in s.quotes() if q.id == moved).theme_id == target.id
        assert moved in shown[target.id].quote_ids
    if unthemed is not None:  # quote ids are content keys: the old quote is still there
        assert unthemed.id in {q.id for q in s.quotes()}
    s.close()


def test_correcting_a_transcript_word_keeps_the_researchers_work_on_its_quote(tmp_path, miner):
    """A quote id is a content key: correcting a mis-heard word gives the quote a new id on the
    next mine. Its star, tags, theme move, category and place as persona evidence follow it."""
    from interview_miner import persona_review, review

    s = Store(tmp_path / "study.db")
    import_heldout(s, ["hold01", "hold02", "hold03"])
    pipeline.mine(s, miner=miner)
    shown = s.quotes()
    q = next(x for x in shown if x.theme_id and len(x.text.split()) > 6)
    elsewhere = next(t for t in s.themes() if t.category == q.category and t.id != q.theme_id)
    review.star_quote(s, q.id)
    review.tag_quote(s, q.id, ["follow up"])
    review.move_quote(s, q.id, theme_id=elsewhere.id)
    untouched = next(x for x in shown if x.interview_id != q.interview_id and x.theme_id)
    persona = persona_review.create_persona(s, "Ops lead", [q.interview_id])
    persona_review.set_quotes(s, persona.id, "goals", [q.id, untouched.id])
    seg = next(g for g in s.segments(q.interview_id) if g.start <= q.start < g.end)
    word = q.text.split()[2]
    review.set_segment_text(s, seg.id, seg.text.replace(word, word + "s", 1))

    report = pipeline.mine(s, miner=miner)
    after = [x for x in s.quotes() if x.interview_id == q.interview_id and abs(x.start - q.start) < 0.5]
    assert len(after) == 1 and after[0].id != q.id and word + "s" in after[0].text
    new = after[0]
    assert new.starred and new.tags == ["follow up"] and new.theme_id == elsewhere.id
    assert new.id in next(t for t in s.themes() if t.id == elsewhere.id).quote_ids
    assert persona_review.get_persona(s, persona.id).fields["goals"].quote_ids == [new.id, untouched.id]
    assert any("kept" in m and "whose words changed" in m for m in report.messages)
    # Mining again moves nothing: the edits now sit on the quote's own id.
    assert not any("whose words changed" in m for m in pipeline.mine(s, miner=miner).messages)
    assert next(x for x in s.quotes() if x.id == new.id).starred
    s.close()


def test_theme_id_matching_reuses_ids_one_to_one():
    prev = [Theme(id="t_old1", category="fear", label="a", quote_ids=["q1", "q2", "q3"]),
            Theme(id="t_old2", category="fear", label="b", quote_ids=["q4", "q5"]),
            Theme(id="t_old3", category="usage", label="c", quote_ids=["q6", "q7"])]
    groups = [("fear", ["q1", "q2", "q3", "q8"]), ("fear", ["q2", "q9"]), ("fear", ["q4", "q5"]),
              ("objection", ["q6", "q7"])]
    ids = themes.match_ids(groups, prev)
    assert ids[0] == "t_old1" and ids[2] == "t_old2"
    assert ids[1].startswith("t_") and ids[1] not in {"t_old1", "t_old2", "t_old3"}
    assert ids[3] != "t_old3"  # another category is another theme
    assert len(set(ids)) == 4
    assert themes.match_ids(groups, prev) == ids


def test_near_identical_vectors_do_not_break_clustering():
    e = embed.load_embedder()
    base = e.encode(["The price is too high for a small practice."])[0]
    rng = np.random.default_rng(1)
    vecs = base + rng.normal(scale=1e-4, size=(2000, base.shape[0])).astype(np.float32)
    vecs[:500] = base  # exact duplicates too
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    qs = [Quote(id=f"q_{i:05d}", interview_id=1 + i % 7, start=float(i), end=i + 1.0, text="The price is too high.",
                category="objection", index=i) for i in range(2000)]
    out = themes.build_themes(qs, vecs)
    assert len(out) >= 1
    assert sum(len(t.quote_ids) for t in out) >= 1900
    assert themes.build_themes(qs, vecs) == out


def test_degenerate_small_inputs():
    e = embed.load_embedder()
    v = e.encode(["One quote only.", "Two different things here."])
    one = [Quote(id="q_a", interview_id=1, start=0, end=1, text="One quote only.", category="fear")]
    assert themes.build_themes(one, v[:1]) == []
    assert themes.build_themes([], np.zeros((0, v.shape[1]), np.float32)) == []


# ---------------------------------------------------------------------------------------------
# NPS
# ---------------------------------------------------------------------------------------------


def test_nps_linked_to_reasons(mined):
    rows = mined.nps()
    assert sorted(r["score"] for r in rows.values()) == [7, 8, 9, 10]
    quotes_by_id = {q.id: q for q in mined.quotes()}
    for iid, row in rows.items():
        assert row["klass"] == nps_band(row["score"])
        assert quotes_by_id[row["quote_id"]].category == "nps_score"
    results = nps.extract(mined.quotes())
    assert all(r.reason_quote_ids for r in results)
    for r in results:
        assert all(quotes_by_id[q].category == "nps_reason" and quotes_by_id[q].interview_id == r.interview_id
                   for q in r.reason_quote_ids)


def test_a_toy_study_still_finds_the_point_two_people_made(store, miner):
    """Three short interviews leave too few clusters to calibrate closeness from, and everything
    stayed unthemed. The level then comes from how far a pair stands out from the other pairs of
    its category: the two data-loss fears join, the lone fear and the other triggers stay apart."""
    turns = {
        "a": [("What made you start looking?", "Our receptionist quit in the middle of the busy season."),
              ("What worried you about switching?", "I was afraid we would lose patient records during the migration."),
              ("How did you first hear about us?", "A colleague mentioned it at a conference.")],
        "b": [("What made you start looking?", "We double-booked two patients on the same morning."),
              ("What worried you about switching?", "Losing our patient records in the move was my biggest fear."),
              ("How did you first hear about us?", "I saw an advert in a trade magazine.")],
        "c": [("What made you start looking?", "The old system stopped getting updates."),
              ("What worried you about switching?", "That the front desk team would refuse to learn a new tool."),
              ("How did you first hear about us?", "I searched online for booking software.")],
    }
    for key, qa in turns.items():
        add_interview(store, [t for q, a in qa for t in ((INTERVIEWER, q), (PARTICIPANT, a))], key)
    pipeline.mine(store, miner=miner)
    theme_of = {q.text: q.theme_id for q in store.quotes()}
    records = [t for t in theme_of if "patient records" in t]
    assert len(records) == 2 and theme_of[records[0]] and theme_of[records[0]] == theme_of[records[1]]
    assert theme_of["That the front desk team would refuse to learn a new tool."] is None
    assert not any(theme_of[q] for q in ("Our receptionist quit in the middle of the busy season.",
                                         "We double-booked two patients on the same morning.",
                                         "The old system stopped getting updates."))


# ---------------------------------------------------------------------------------------------
# Edge cases
# ---------------------------------------------------------------------------------------------


def test_no_participant_speech_is_a_message_not_a_crash(store, miner):
    add_interview(store, [(INTERVIEWER, "Hello? Can you hear me?"), (INTERVIEWER, "I'll try calling again.")], "silent")
    report = pipeline.mine(store, miner=miner)
    assert report.quotes == 0 and report.themes == 0
    assert any("no participant speech" in m for m in report.messages)
    assert store.quotes() == [] and store.themes() == []


def test_empty_study(store, miner):
    report = pipeline.mine(store, miner=miner)
    assert report.quotes == 0 and any("transcribe" in m for m in report.messages)


def test_single_interview_single_quote(store, miner):
    add_interview(store, [(INTERVIEWER, "How did you first hear about us?"),
                          (PARTICIPANT, "A colleague told me about it at a conference.")], "one")
    seen = []
    report = pipeline.mine(store, miner=miner, on_progress=lambda f, m: seen.append((f, m)))
    assert report.quotes == 1 and report.themes == 0 and report.unthemed == 1
    (q,) = store.quotes()
    assert q.category == "channel" and q.theme_id is None
    assert seen and seen[-1][0] == 1.0 and all(0.0 <= f <= 1.0 for f, _ in seen)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_thousands_of_identical_quotes(store, miner):
    turns = [(INTERVIEWER, "What almost stopped you from buying?")]
    turns += [(PARTICIPANT, "The price was too high for us.")] * 2000
    # Interleave acknowledgements so each answer is its own turn, as in a long repetitive call.
    add_interview(store, [t for pair in zip(turns, [(INTERVIEWER, "Right.")] * len(turns)) for t in pair], "same")
    report = pipeline.mine(store, miner=miner)
    assert report.quotes == 2000
    assert report.themes == 1 and report.unthemed == 0
    assert len({q.id for q in store.quotes()}) == 2000
    assert {q.category for q in store.quotes()} == {"objection"}


def test_an_unsure_answer_follows_the_order_the_other_interviews_follow():
    """Three interviews ask criteria -> fear -> objection; in a fourth the fear question was
    garbled, so its answer leans criteria (0.6 vs fear 0.35). The other interviews' order moves it
    to fear; a sure answer, and the same answer in a study of one interview, stay as they were."""
    keys = ("criteria", "fear", "objection", "nps_score", "nps_reason", "other")
    sure = {"criteria": [0.96, 0.02, 0.01, 0, 0, 0.01], "fear": [0.02, 0.96, 0.01, 0, 0, 0.01],
            "objection": [0.01, 0.02, 0.96, 0, 0, 0.01]}
    quotes, rows, answers = [], [], []
    for iid in (1, 2, 3, 4):
        for n, cat in enumerate(("criteria", "fear", "objection")):
            quotes.append(Quote(f"q{iid}_{n}", iid, n * 10.0, n * 10.0 + 5, "words", question=f"Q{n}", index=n))
            rows.append([0.6, 0.35, 0.03, 0, 0, 0.02] if (iid, cat) == (4, "fear") else sure[cat])
            answers.append([len(quotes) - 1])
    opts = categorize.CategorizerOptions()
    probs = np.array(rows, dtype=np.float64)
    categorize._study_order(quotes, answers, probs, np.zeros(len(answers), dtype=bool), opts)
    assert keys[int(probs[10].argmax())] == "fear"  # interview 4's unsure answer
    assert np.allclose(probs[:10], np.array(rows)[:10]) and np.allclose(probs[11], rows[11])  # sure ones untouched
    alone = np.array(rows[9:], dtype=np.float64)
    categorize._study_order(quotes[9:], [[0], [1], [2]], alone, np.zeros(3, dtype=bool), opts)
    assert keys[int(alone[1].argmax())] == "criteria"  # no other interview: nothing to lean on
    assert not np.allclose(probs[10], rows[10])
    off = np.array(rows, dtype=np.float64)
    categorize._study_order(quotes, answers, off, np.zeros(len(answers), dtype=bool),
                            categorize.CategorizerOptions(study_order_min_pairs=10))
    assert keys[int(off[10].argmax())] == "criteria"  # too few pairs in the other interviews
