"""The buyer-persona method: interview guide, the study's codebook, journey map, NPS by band,
fish pond, scenario needs (issue 11). Real SQLite studies, real Streamlit AppTest, the real
embedding model where categorizing is what is tested."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import shared_path
from corpus_fixture import load_corpus, load_literal_study
from interview_miner import categorize, cli, codebook, guide, insights, journey, persona_review, pipeline, review
from interview_miner.app import MAIN_SCRIPT
from interview_miner.codebook import CodebookFileError
from interview_miner.export import render_study
from interview_miner.export.study import Study, load_study
from interview_miner.models import Interview, Quote
from interview_miner.overlay import EditError
from interview_miner.store import Store
from stages import HashEmbedder

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


def run_cli(db: Path, *args: str, capsys) -> tuple[int, str]:
    rc = cli.main([*args, "--db", str(db)])
    return rc, capsys.readouterr().out


# --- Interview guide ------------------------------------------------------------------------------


def test_default_guide_carries_the_method():
    g = guide.default_guide()
    asked = {q.text: q.category for q in g.all_questions()}
    cats = set(asked.values())
    assert {"channel", "alternatives", "trigger", "usage", "objection", "nps_score", "adjacent_purchase"} <= cats
    word_of_mouth = next(q for s in g.sections for q in s.questions if q.category == "nps_score")
    assert set(word_of_mouth.band_follow_ups) == {"8-10", "5", "0-4"}
    assert g.nps_bands == "method"
    assert set(codebook.Codebook.default().keys) >= g.categories()


def test_guide_parse_errors_name_the_line(store):
    with pytest.raises(CodebookFileError, match="line 3"):
        guide.parse_guide("title: x\nsections:\n  - title: [unclosed\n")
    bad = "title: x\nsections:\n  - title: A\n    questions:\n      - text: Why?\n        category: pricing\n"
    with pytest.raises(CodebookFileError, match="line 5: unknown category 'pricing'"):
        guide.save_text(store, bad)
    assert not guide.guide_path(store).exists()  # refused: nothing written
    assert guide.load(store) == guide.default_guide()


def test_guide_round_trip_file_to_app_to_file(tmp_path, monkeypatch, capsys):
    db = tmp_path / "study.db"
    monkeypatch.setenv("INTERVIEW_MINER_DB", str(db))
    Store(db).close()
    text = guide.default_text().replace("Where and when did you first hear of the product?",
                                        "Where did our shop first cross your path?")
    text += ("  - title: Our own block\n    questions:\n      - id: budget\n"
             "        text: How did you set the budget?\n        category: criteria\n")
    source = tmp_path / "my-guide.yaml"
    source.write_text(text, encoding="utf-8")

    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=30).run()
    at.switch_page("app_pages/journey.py").run()
    assert not at.exception, [e.message for e in at.exception]
    area = next(a for a in at.text_area if a.label == "Guide (YAML)")
    area.set_value(source.read_text(encoding="utf-8")).run()
    next(b for b in at.button if b.label == "Save guide").click().run()
    assert not at.exception, [e.message for e in at.exception]

    rc, out = run_cli(db, "guide", "--format", "yaml", capsys=capsys)
    assert rc == 0
    assert guide.parse_guide(out) == guide.parse_guide(text)
    rc, md = run_cli(db, "guide", "--format", "md", capsys=capsys)
    assert "Where did our shop first cross your path?" in md and "How did you set the budget?" in md
    pdf = tmp_path / "guide.pdf"
    assert run_cli(db, "guide", "--format", "pdf", "--out", str(pdf), capsys=capsys)[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_guide_questions_are_the_categorizers_question_prior():
    g = guide.parse_guide("title: g\nsections:\n  - title: s\n    questions:\n"
                          "      - text: Which shop window made you stop?\n        category: channel\n")
    priors = codebook.Codebook.default().priors(g)
    channel = next(p for p in priors if p.key == "channel")
    assert channel.questions == ("Which shop window made you stop?",)
    encode = HashEmbedder().encode
    model = categorize.Categorizer(encode, priors=priors)
    q = Quote("q1", 1, 0.0, 1.0, "The one on the corner.", question="Which shop window made you stop?")
    vecs = encode([q.text])
    [(category, _)] = categorize.categorize([q], vecs, {q.question: encode([q.question])[0]}, encode, categorizer=model)
    assert category == "channel"  # the exact guide wording is recognised (hash vectors know nothing else)


# --- Codebook -------------------------------------------------------------------------------------


def test_codebook_add_rename_remove_restore_never_drops_quotes(store):
    load_literal_study(store)
    key = codebook.add_category(store, "Pricing", "What they said about price and cost.", ["It costs too much."])
    codebook.update_category(store, "fear", title="Risks")
    cb = codebook.load(store)
    assert key == "pricing" and cb.keys[-1] == "pricing" and cb.title("fear") == "Risks"
    objection_quotes = [q.id for q in store.quotes() if q.category == "fear"]
    assert objection_quotes
    review.set_quote_category(store, objection_quotes[0], "pricing")  # a custom category is a valid target
    with pytest.raises(EditError, match="unknown category"):
        review.set_quote_category(store, objection_quotes[0], "jtbd_push")
    with pytest.raises(EditError, match="cannot be removed"):
        codebook.remove_category(store, "other")

    codebook.remove_category(store, "pricing")
    cb = codebook.load(store)
    study = load_study(store)
    shown = {q.id: q.category for q in journey.study_quotes(study, cb, None)}
    assert shown[objection_quotes[0]] == "other"  # moved to other, not dropped
    assert len(shown) == len(store.quotes())
    assert codebook.removed_categories(store) == ["pricing"]
    codebook.restore_category(store, "pricing")
    assert {q.id: q.category for q in store.quotes()}[objection_quotes[0]] == "pricing"


def test_codebook_file_import_and_errors(store, tmp_path):
    cb = codebook.load(store)
    text = codebook.to_yaml(cb).replace("title: Fears", "title: Anxieties")
    text += "- key: habit\n  title: Habit\n  description: What keeps them doing it the old way.\n  examples: []\n"
    text = text.replace("categories:\n", "categories:\n", 1)
    changes = codebook.import_yaml(store, text)
    assert "added habit" in changes and "edited fear" in changes
    assert codebook.load(store).title("fear") == "Anxieties"
    with pytest.raises(CodebookFileError, match="line 2"):
        codebook.import_yaml(store, "categories:\n  - key: [broken\n")
    with pytest.raises(CodebookFileError, match="leaves out"):
        codebook.import_yaml(store, "categories:\n  - key: fear\n    title: F\n")
    assert codebook.load(store).title("fear") == "Anxieties"  # a refused file changes nothing


def test_corrections_train_a_custom_category():
    encode = HashEmbedder().encode
    cb = codebook.Codebook.default()
    priors = cb.priors() + [categorize.CategoryPrior("pricing", (), ("What they said about price.",))]
    priors = [p for p in priors if p.key != "other"] + [p for p in priors if p.key == "other"]
    model = categorize.Categorizer(encode, priors=priors)
    question = "What else should we know?"
    quotes = [Quote(f"q{i}", i, 0.0, 1.0, "Forty a month per seat is steep.", question=question) for i in (1, 2)]
    vecs = encode([q.text for q in quotes])
    qv = {question: encode([question])[0]}
    out = categorize.categorize(quotes, vecs, qv, encode, {"q1": "pricing"}, categorizer=model)
    assert out[0] == ("pricing", 1.0)
    assert out[1][0] == "pricing"  # the look-alike follows the correction


@pytest.mark.slow
def test_custom_category_learned_from_its_description_on_the_corpus():
    """The channel category removed and replaced by a researcher's own "Discovery", known only by
    its description, one example and the guide's questions: zero-shot it finds the answers to
    questions worded like the guide's; after the researcher corrects three missed quotes it finds
    (nearly) all of them, like a built-in category learns from corrections."""
    corpus = shared_path("corpus", "dev")
    sys.path.insert(0, str(REPO / "bench"))
    from codebook_eval import evaluate_codebook

    def prepare(store: Store) -> None:
        codebook.remove_category(store, "channel")
        codebook.add_category(store, "Discovery", "How they first heard of or found the product.",
                              ["A friend told me about it."])
        text = guide.default_text().replace("category: channel", "category: discovery")
        guide.save_text(store, text)

    r = evaluate_codebook(corpus, prepare, aliases={"discovery": "channel"}, corrections=3)
    zero_shot = r["zero_shot"]["category_f1"]["channel"]
    assert zero_shot >= 0.4, r["zero_shot"]["category_f1"]
    assert "channel" not in r["predicted"] and r["predicted"].get("discovery", 0) >= 8
    # measured (shared CPU, bundled MiniLM): zero-shot 0.50, after three corrections 0.857 (macro 0.97)
    assert r["category_f1"]["channel"] >= 0.8 and r["category_f1"]["channel"] > zero_shot, r["category_f1"]
    assert r["category_macro_f1"] >= 0.95


# --- Journey map ----------------------------------------------------------------------------------


def test_journey_json_contract_coverage_and_persona_filter(tmp_path, capsys):
    db = tmp_path / "study.db"
    store = Store(db)
    load_corpus(store, shared_path("corpus", "dev"))
    persona = persona_review.create_persona(store, "Two people", [i.id for i in store.list_interviews()][:2])
    store.close()

    data = _journey_json(db, capsys)
    assert list(data) == ["schema_version", "stages"] and data["schema_version"] == 1
    assert [s["key"] for s in data["stages"]] == [s.key for s in journey.default_stages()]
    for stage in data["stages"]:
        assert list(stage) == ["key", "title", "categories", "n_participants", "coverage", "themes", "quotes"]
        assert stage["coverage"] in ("ok", "thin")
        for t in stage["themes"]:
            assert list(t) == ["theme_id", "label", "n_participants"]
        for q in stage["quotes"]:
            assert list(q) == ["quote_id", "interview_id", "start", "end", "text", "category", "theme_id"]
            assert q["category"] in stage["categories"]
        assert len(stage["quotes"]) <= journey.MAX_QUOTES
        thin = len(stage["quotes"]) < 6 or stage["n_participants"] < 3
        assert stage["coverage"] == ("thin" if thin else "ok")
    by_key = {s["key"]: s for s in data["stages"]}
    deciding = by_key["deciding"]
    assert deciding["coverage"] == "ok" and deciding["n_participants"] == 6
    # distinct participants first: the first six quotes come from six different interviews
    assert len({q["interview_id"] for q in deciding["quotes"][:6]}) == 6
    ranks = [t["n_participants"] for t in deciding["themes"]]
    assert ranks == sorted(ranks, reverse=True)
    assert by_key["buying"]["coverage"] == "thin"  # nobody was asked the fish-pond questions

    filtered = _journey_json(db, capsys, "--persona", persona.id)
    assert all(s["coverage"] == "thin" and s["n_participants"] <= 2 for s in filtered["stages"])
    assert {q["interview_id"] for s in filtered["stages"] for q in s["quotes"]} <= set(persona.interview_ids)
    rc = cli.main(["journey", "--persona", "nobody", "--db", str(db)])
    assert rc == 1 and "unknown persona 'nobody'" in capsys.readouterr().err


def test_journey_stages_are_editable(store):
    load_literal_study(store)
    journey.set_stage(store, "deciding", title="Weighing it up", categories=["criteria"])
    journey.set_stage(store, "onboarding", title="Onboarding", categories=["usage"])
    journey.remove_stage(store, "buying")
    stages = journey.load_stages(store)
    assert [s.key for s in stages] == ["first_thought", "looking", "deciding", "using", "recommending", "onboarding"]
    assert stages[2].title == "Weighing it up" and stages[2].categories == ["criteria"]
    with pytest.raises(EditError, match="unknown categories"):
        journey.set_stage(store, "using", categories=["nonsense"])


def _journey_json(db: Path, capsys, *extra: str) -> dict:
    rc, out = run_cli(db, "journey", "--json", *extra, capsys=capsys)
    assert rc == 0
    return json.loads(out)


# --- NPS by band, fish pond, scenario needs -------------------------------------------------------


def _study(scores: dict[int, int], reasons: list[tuple[int, str, str]]) -> Study:
    interviews = [Interview(i, f"h{i}", f"p{i}.txt", "transcript", participant=f"P{i}", status="transcribed")
                  for i in scores]
    quotes = [Quote(f"r{n}", iid, float(n), n + 1.0, text, category="nps_reason", question=question, index=n)
              for n, (iid, question, text) in enumerate(reasons)]
    nps = {iid: {"interview_id": iid, "score": s, "klass": None} for iid, s in scores.items()}
    return Study("t", interviews, {}, quotes, [], nps, [], guide=guide.default_guide())


def test_nps_reasons_split_by_band_earns_and_loses():
    study = _study({1: 10, 2: 8, 3: 5, 4: 3, 5: 7}, [
        (1, "What is most worth recommending about it?", "The reminders run themselves."),
        (2, "What cost it the missing points?", "The mobile app."),
        (2, "What is most worth recommending about it?", "Setup took an afternoon."),
        (3, "What is merely average about it?", "Reports."),
        (4, "What earns it points, and what loses them?", "Support is great and friendly."),
        (4, "What earns it points, and what loses them?", "But it is slow and the export is broken."),
        (5, "Why that score?", "It is fine."),
    ])
    splits = {(b.scheme, b.key): b for b in insights.nps_by_band(study, codebook.Codebook.default(), study.guide)}
    assert {k for k in splits if k[0] == "guide"} == {("guide", "follow_up_high"), ("guide", "follow_up_average"),
                                                     ("guide", "follow_up_low")}
    promoters, passives, detractors = (splits["standard", k] for k in ("promoter", "passive", "detractor"))
    assert (promoters.n_participants, passives.n_participants, detractors.n_participants) == (1, 2, 2)
    assert [q.text for q in passives.earns] == ["Setup took an afternoon.", "It is fine."]
    assert [q.text for q in passives.loses] == ["The mobile app."]
    assert [q.text for q in detractors.earns] == ["Support is great and friendly."]
    assert [q.text for q in detractors.loses] == ["Reports.", "But it is slow and the export is broken."]
    high = splits["guide", "follow_up_high"]
    assert high.n_participants == 2 and len(high.earns) == 2 and len(high.loses) == 1
    assert splits["guide", "follow_up_average"].label == "Merely average (5)"
    standard_only = insights.nps_by_band(study, codebook.Codebook.default(), None)
    assert {b.scheme for b in standard_only} == {"standard"}


@pytest.mark.slow
def test_fish_pond_from_an_imported_interview(store):
    report = pipeline.add_files(store, [str(DATA / "fishpond-interview.txt")])
    assert report.ok, report.errors
    pipeline.mine(store)
    study = load_study(store)
    cb = codebook.load(store)
    assert sum(q.category == "adjacent_purchase" for q in study.quotes) >= 4
    pond = {(i.when, i.name) for i in insights.fish_pond(study, cb)}
    assert {("before", "online accounting service"), ("with", "card reader"), ("with", "receipt printer"),
            ("after", "email newsletter tool"), ("after", "delivery app")} <= pond, pond
    md = render_study(study, "md")
    assert "## Fish pond" in md and "card reader" in md and "## Journey map" in md


def test_scenario_needs_ranked_by_share(store):
    load_corpus(store, shared_path("corpus", "dev"))
    study = load_study(store)
    needs = insights.scenario_needs(study, codebook.load(store))
    assert needs and {n.kind for n in needs} <= {"Purchase trigger", "Usage scenario"}
    shares = [n.n_participants for n in needs]
    assert shares == sorted(shares, reverse=True)
    assert all(0 < n.share <= 1 for n in needs)


# --- App ------------------------------------------------------------------------------------------


def test_journey_page(tmp_path, monkeypatch):
    db = tmp_path / "study.db"
    monkeypatch.setenv("INTERVIEW_MINER_DB", str(db))
    store = Store(db)
    load_literal_study(store)
    store.close()
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=30).run()
    at.switch_page("app_pages/journey.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Journey map"
    shown = "\n".join(str(s.value) for s in at.subheader)
    for stage in journey.default_stages():
        assert stage.title in shown
    assert any("Thin: interview more" in str(w.value) for w in at.warning)  # a two-person study is thin

    at.text_input(key="cb_new_title").set_value("Pricing")
    at.text_area(key="cb_new_desc").set_value("What they said about price and cost.")
    next(b for b in at.button if b.label == "Add category").click().run()
    assert not at.exception, [e.message for e in at.exception]
    store = Store(db)
    assert "pricing" in codebook.load(store).keys
    store.close()


def test_a_promoter_reason_in_complaint_words_loses_points():
    """A reason with no follow-up to go by is sided by its wording: a promoter's "the migration
    was painful" is what cost points, not what earned them (it was listed under earns)."""
    asked = "How likely are you to recommend it, from zero to ten?"
    painful = Quote("q1", 1, 60.0, 64.0, "Two years ago I'd have said a six, the migration was painful.", question=asked)
    support = Quote("q2", 1, 66.0, 70.0, "Support picks up the phone every time.", question=asked)
    assert insights.reason_side(painful, "promoter") == "loses"
    assert insights.reason_side(support, "promoter") == "earns"
