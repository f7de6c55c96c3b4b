"""The edit overlay on plain data: which edits exist (typed, validated) and how each entity's edits
apply over machine output. No database here except where the on-disk format itself is the point."""
from __future__ import annotations

import json

import pytest

from interview_miner import overlay
from interview_miner.errors import InterviewMinerError
from interview_miner.models import Interview, Persona, PersonaField, Quote, Segment, Theme
from interview_miner.overlay import Edit, EditError
from interview_miner.store import Store
from interview_miner.vocab import nps_band as nps_class

# --- typed edits --------------------------------------------------------------------------------


def test_every_entity_accepts_its_fields():
    accepted = [
        Edit.theme("t1", "label", "Pricing"), Edit.theme("t1", "tags", ["ux"]),
        Edit.theme("t1", "category", "fear"), Edit.theme("t1", "merged_into", "t2"),
        Edit.theme("t1", "merged_into", None), Edit.theme("t1", "deleted", True),
        Edit.theme("u1", "created", {"category": "fear", "label": "Leaks"}),
        Edit.quote("q1", "category", "objection"), Edit.quote("q1", "theme_id", None),
        Edit.quote("q1", "tags", ("a", "b")), Edit.quote("q1", "starred", False), Edit.quote("q1", "text", "x"),
        Edit.segment(7, "speaker", "interviewer"), Edit.segment(7, "text", "fixed"),
        Edit.persona("p1", "name", "Owner"), Edit.persona("p1", "avatar", None),
        Edit.persona("p1", "interview_ids", [1, 2]), Edit.persona("p1", "fields.fears.text", "Audits"),
        Edit.persona("p1", "fields.fears.quote_ids", ["q1"]), Edit.persona("u_1", "created", {"name": "New"}),
        Edit.persona("p1", "deleted", False),
        Edit.persona("p1", "decision_role", "buyer"), Edit.persona("p1", "team.fears", "We audit yearly"),
        Edit.study("metadata_key.practice size", "company_size"),
        Edit.interview(3, "participant", "Ana"), Edit.interview(3, "metadata.role", "Owner"),
        Edit.nps(3, "score", 0), Edit.nps(3, "score", 10),
        Edit("category", "pricing", "created", {"title": "Pricing"}), Edit("category", "fear", "title", "Risks"),
        Edit("category", "pricing", "examples", ["Too dear"]), Edit("category", "pricing", "deleted", True),
        Edit("stage", "onboarding", "created", {"title": "Onboarding"}),
        Edit("stage", "onboarding", "categories", ["usage", "pricing"]),
        Edit.interview(3, "consent.scope", "quotes"), Edit.interview(3, "consent.date", "2026-01-31"),
        Edit.interview(3, "consent.retention_until", None), Edit("pii", "PERSON:ann", "status", "dismissed"),
    ]
    tags = next(e for e in accepted if (e.entity, e.field) == ("quote", "tags"))
    assert tags.value == ["a", "b"]  # a tuple is stored as a JSON list
    assert {e.entity_id for e in accepted if e.entity in ("segment", "interview", "nps")} == {"7", "3"}
    assert set(overlay.FIELDS) == {"theme", "quote", "segment", "persona", "interview", "nps", "study", "category",
                                   "stage", "pii"}


@pytest.mark.parametrize("entity, field", [
    ("theme", "colour"), ("quote", "theme"), ("segment", "words"), ("persona", "fields.colour.text"),
    ("persona", "fields.goals.colour"), ("persona", "fields.goals"), ("interview", "metadata."),
    ("interview", "metadata.a.b"), ("interview", "status"), ("nps", "klass"),
])
def test_unknown_field_is_refused_naming_what_is_accepted(entity, field):
    with pytest.raises(EditError, match=f"no editable field '{field}'") as e:
        Edit(entity, "1", field, "x")
    assert overlay.FIELDS[entity][0].name in str(e.value)  # the message lists the accepted fields


def test_unknown_entity_and_malformed_values_are_refused():
    with pytest.raises(EditError, match="unknown edit entity 'codebook'"):
        Edit("codebook", "c1", "label", "x")
    bad = [
        ("quote", "category", "Not a category!"), ("quote", "starred", "yes"), ("quote", "tags", "a,b"),
        ("theme", "created", {"label": "no category"}), ("theme", "label", None),
        ("persona", "interview_ids", ["1"]), ("persona", "created", {"title": "x"}),
        ("nps", "score", 11), ("nps", "score", True), ("interview", "metadata.role", ["a"]),
    ]
    for entity, field, value in bad:
        with pytest.raises(EditError, match=f"{entity}.{field} must be"):
            Edit(entity, "1", field, value)
    with pytest.raises(EditError, match="no id"):
        Edit.quote("", "starred", True)
    # one error type the CLI words (InterviewMinerError) and the app's ValueError handlers catch
    assert issubclass(EditError, InterviewMinerError) and issubclass(EditError, ValueError)


def test_store_refuses_an_unknown_edit_and_writes_nothing(store):
    with pytest.raises(EditError):
        store.add_edit("quote", "q1", "favourite", True)
    assert store.edit_history() == []


def test_edit_rows_written_before_the_overlay_read_the_same(store):
    """Existing studies: rows in the `edits` table as earlier versions wrote them (plain JSON values,
    no validation) apply exactly as before; no migration."""
    store.save_quotes([Quote("q1", 1, 0.0, 1.0, "Too dear", category="fear", confidence=0.5)])
    store.save_themes([Theme("t1", "fear", "Cost", quote_ids=["q1"]), Theme("t2", "fear", "Money")])
    legacy = [("theme", "t1", "merged_into", "t2"), ("theme", "t2", "label", "Price"),
              ("quote", "q1", "tags", ["pricing"]), ("persona", "u_x", "created", {"name": "Ana"})]
    store.db["edits"].insert_all(
        {"entity": e, "entity_id": i, "field": f, "value": json.dumps(v), "created_at": "2026-01-01T00:00:00+00:00"}
        for e, i, f, v in legacy
    )
    [q] = store.quotes()
    assert (q.theme_id, q.tags) == ("t2", ["pricing"])
    assert [(t.id, t.label, t.quote_ids) for t in store.themes()] == [("t2", "Price", ["q1"])]
    assert [p.name for p in store.personas()] == ["Ana"]


# --- applying edits, per entity, on plain dataclasses -------------------------------------------


def _quote(qid="q1", interview_id=1, category="fear", theme_id="t1"):
    return Quote(qid, interview_id, 0.0, 1.0, f"text of {qid}", category=category, confidence=0.4, theme_id=theme_id)


def test_quote_edits():
    quotes = [_quote("q1"), _quote("q2"), _quote("q3"), _quote("q4"), _quote("q5", theme_id="t9")]
    edits = {
        "q1": {"category": "fear", "tags": ["a"], "starred": True},  # confirmed: keeps its theme
        "q2": {"category": "objection"},  # corrected: leaves the old category's theme
        "q3": {"category": "objection", "theme_id": "t5", "text": "fixed"},  # moved into a theme
        "q4": {"theme_id": None},  # taken out of its theme
    }
    out = overlay.apply_quote_edits(quotes, edits, {"t9": {"merged_into": "t1"}})
    assert [(q.category, q.confidence, q.theme_id) for q in out] == [
        ("fear", 0.4, "t1"), ("objection", 1.0, None), ("objection", 1.0, "t5"), ("fear", 0.4, None),
        ("fear", 0.4, "t1"),  # its theme was merged into t1
    ]
    assert (out[0].tags, out[0].starred, out[2].text, out[1].tags, out[1].starred) == (["a"], True, "fixed", [], False)


def test_theme_merges_are_followed_and_cycles_end():
    edits = {"a": {"merged_into": "b"}, "b": {"merged_into": "c"}, "d": {"deleted": True},
             "x": {"merged_into": "y"}, "y": {"merged_into": "x"}, "r": {"merged_into": None, "deleted": False}}
    assert [overlay.resolve_theme(t, edits) for t in ("a", "d", "r", None)] == ["c", None, "r", None]
    assert overlay.resolve_theme("x", edits) in ("x", "y")  # a cycle cannot hang a read


def test_theme_edits():
    machine = [Theme("t1", "fear", "Leaks", representative_quote_id="q9"), Theme("t2", "fear", "Old"),
               Theme("t3", "fear", "Gone"), Theme("t4", "fear", "Kept", representative_quote_id="q4")]
    quotes = [_quote("q1", 1, theme_id="t1"), _quote("q2", 2, theme_id="t1"), _quote("q3", 3, theme_id="u1"),
              _quote("q4", 1, theme_id="t4"), _quote("q5", 2, theme_id="t4")]
    edits = {"t1": {"label": "Data leaks", "tags": ["gdpr"], "category": "objection"},
             "t2": {"merged_into": "t1"}, "t3": {"deleted": True},
             "u1": {"created": {"category": "trigger", "label": "No-shows"}}, "u2": {"label": "never created"}}
    # interviews 1 and 2 are the same person: one participant, not two
    out = overlay.apply_theme_edits(machine, edits, quotes, {1: "Ana", 2: "Ana", 3: "Ben"})
    assert [(t.id, t.category, t.label, t.tags, t.quote_ids, t.n_participants, t.representative_quote_id)
            for t in out] == [
        ("t1", "objection", "Data leaks", ["gdpr"], ["q1", "q2"], 1, "q1"),  # representative was gone
        ("t4", "fear", "Kept", [], ["q4", "q5"], 1, "q4"),
        ("u1", "trigger", "No-shows", [], ["q3"], 1, "q3"),
    ]


def test_segment_interview_and_nps_edits():
    segs = [Segment(0.0, 1.0, "hello", speaker="participant", id=5), Segment(1.0, 2.0, "hi", speaker="interviewer", id=6)]
    overlay.apply_segment_edits(segs, {"5": {"speaker": "interviewer", "text": "Hello there"}})
    assert [(s.speaker, s.text) for s in segs] == [("interviewer", "Hello there"), ("interviewer", "hi")]

    [i] = overlay.apply_interview_edits(
        [Interview(2, "h", "a.wav", "audio", metadata={"role": "GP"})],
        {"2": {"participant": "Ana", "metadata.company": "Clinic", "metadata.role": "Owner"}})
    assert (i.participant, i.metadata) == ("Ana", {"role": "Owner", "company": "Clinic"})

    machine = {1: {"interview_id": 1, "score": 3, "klass": "detractor", "quote_id": "q1", "text": "a three"}}
    out = overlay.apply_nps_edits(machine, {"1": {"score": 9}, "2": {"score": 7}}, nps_class)
    assert out == {1: {"interview_id": 1, "score": 9, "klass": "promoter", "quote_id": "q1", "text": "a three"},
                   2: {"interview_id": 2, "score": 7, "klass": "passive", "quote_id": None, "text": None}}


def test_persona_edits():
    machine = [Persona("p1", "Owner", fields={"goals": PersonaField("Grow", ["q1"])}), Persona("p2", "Manager")]
    edits = {"p1": {"name": "Owner-clinician", "avatar": "data:image/png;base64,AA", "interview_ids": ["3", 1],
                    "fields.goals.quote_ids": ["q2"], "fields.fears.text": "Audits"},
             "p2": {"deleted": True}, "u_1": {"created": {}}, "u_2": {"deleted": True, "created": {"name": "x"}}}
    out = overlay.apply_persona_edits(machine, edits)
    assert [p.id for p in out] == ["p1", "u_1"]
    p1 = out[0]
    assert (p1.name, p1.avatar, p1.interview_ids) == ("Owner-clinician", "data:image/png;base64,AA", [3, 1])
    assert (p1.fields["goals"].text, p1.fields["goals"].quote_ids, p1.fields["fears"].text) == ("Grow", ["q2"], "Audits")
    assert out[1].name == "New persona"


def test_what_mining_reads_from_the_edits():
    quote_edits = {"q1": {"category": "fear", "theme_id": "t7"}, "q2": {"category": "old_name"},
                   "q3": {"tags": ["x"], "theme_id": None}}
    assert overlay.category_corrections(quote_edits) == {"q1": "fear"}  # unknown categories ignored
    assert overlay.researcher_theme_ids({"t1": {"deleted": True}}, quote_edits) == {"t1", "t7"}
    assert overlay.speaker_corrected_segments({"4": {"speaker": "interviewer"}, "5": {"text": "x"}}) == {4}


def test_overlay_docstring_examples_run():
    import doctest

    assert doctest.testmod(overlay).failed == 0


def test_store_reads_apply_the_overlay(tmp_path):
    """The store's read methods are the overlay over the machine rows (one end-to-end check)."""
    s = Store(tmp_path / "s.db")
    s.save_quotes([_quote("q1")])
    s.save_categories([("q1", "fear", 0.4)])
    s.save_themes([Theme("t1", "fear", "Leaks", quote_ids=["q1"])])
    s.save_edit(Edit.quote("q1", "starred", True))
    s.save_edit(Edit.theme("t1", "label", "Data leaks"))
    assert s.quotes()[0].starred and not s.quotes(apply_edits=False)[0].starred
    assert [t.label for t in s.themes()] == ["Data leaks"]
    s.close()
