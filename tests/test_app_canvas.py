"""The persona canvas in the app (AppTest, a real temporary study): decision role, the team's
answers, facts from the interview details (or what participants said), photos, versions."""
from __future__ import annotations

from test_app import app, db, study, texts  # noqa: F401 - db, study: fixtures

from interview_miner import persona_review
from interview_miner.store import Store


def test_persona_canvas_decision_role_team_text_and_card_downloads(study):
    from interview_miner import canvas

    pid = next(p.id for p in persona_review.suggest_and_save(study) if p.name.startswith("Clinic owner"))
    at = app("personas")
    assert "Clinic owner, small, 2 of 2" in texts(at)  # facts from the interview details
    assert "- Support · 2 of 2 participants — “Their support team is great\\.”" in texts(at)  # why they choose us
    assert any(m.label == "Interviews behind this persona" and m.value == "2" for m in at.metric)
    role = next(s for s in at.selectbox if s.key and s.key.startswith(f"decision_role_{pid}_"))
    role.set_value("buyer").run()
    team = next(t for t in at.text_area if t.key and t.key.startswith(f"team_{pid}_goals_"))
    assert team.label == "Goals: How we help them reach it"
    team.input("Reminders that fill every gap").run()
    assert not at.exception, [e.message for e in at.exception]
    p = persona_review.get_persona(study, pid)
    assert (p.decision_role, p.team) == ("buyer", {"goals": "Reminders that fill every gap"})
    assert "Decision role: **buyer** (set by you)" in texts(at, "caption")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("Card (PDF)") == 2 and labels.count("Card (PNG)") == 2 and "All cards (PDF)" in labels
    assert canvas.TEAM_PROMPTS["fears"] in [t.label.split(": ", 1)[1] for t in at.text_area if t.label.startswith("Fears")]


def test_a_bad_photo_upload_is_refused_with_its_reason(study):
    pid = persona_review.suggest_and_save(study)[0].id
    at = app("personas")
    at.file_uploader(key=f"avatar_{pid}").upload("notes.png", b"not an image at all", "image/png")
    at.run()
    assert "notes.png: not an image this app can read" in texts(at, "error")
    assert persona_review.get_persona(study, pid).avatar is None and study.edit_history("persona") == []


def test_save_and_compare_persona_versions(study):
    personas = persona_review.suggest_and_save(study)
    at = app("personas")
    at.text_input(key="version_name").input("2026-Q4 round").run()
    next(b for b in at.button if b.label == "Save version").click()
    at.run()
    assert [v["name"] for v in study.persona_versions()] == ["2026-Q4 round"]
    assert "No change between these two." in texts(at, "success")
    persona_review.set_members(study, personas[0].id, personas[0].interview_ids[:1])
    at.run()
    changed = texts(at)
    assert ":orange-badge[changed]" in changed and "2 → 1 participants" in changed
    # the Export page can export the personas as saved in that version
    from interview_miner import export, versions

    ex = app("export")
    ex.selectbox(key="export_version").set_value("2026-Q4 round").run()
    assert not ex.exception, [e.message for e in ex.exception]
    saved = export.render_study(versions.load_version(study, "2026-Q4 round"), "md")
    assert texts(ex).strip() in saved and saved != export.render_study(export.load_study(study), "md")


def test_two_tabs_editing_different_canvas_fields_keep_both(study):
    pid = next(p.id for p in persona_review.suggest_and_save(study) if p.name.startswith("Clinic owner"))
    tab_a, tab_b = app("personas"), app("personas")
    next(t for t in tab_a.text_area if t.key and t.key.startswith(f"team_{pid}_fears_")).input("We audit yearly").run()
    # Tab B never saw that text; it sets the decision role.
    next(s for s in tab_b.selectbox if s.key and s.key.startswith(f"decision_role_{pid}_")).set_value("influencer").run()
    p = persona_review.get_persona(study, pid)
    assert (p.team, p.decision_role) == ({"fears": "We audit yearly"}, "influencer")
    assert [e["field"] for e in study.edit_history("persona")] == ["team.fears", "decision_role"]


def test_the_study_maps_its_own_detail_key_to_a_canvas_fact(study):
    from interview_miner import canvas

    persona_review.suggest_and_save(study)
    at = app("personas")
    at.selectbox(key="map_key").set_value("company_size").run()
    at.selectbox(key="map_fact_company_size").set_value("industry").run()
    at.button(key="map_apply").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert canvas.metadata_keys(study) == {"company_size": "industry"}
    assert "Industry" in [str(row) for row in at.table[0].value["Fact"]]


def test_the_canvas_shows_the_role_participants_said_when_no_details_name_one(db):
    from interview_miner.models import Interview, Quote

    s = Store(db)
    for n, text in enumerate(["Sure, I'm the office manager at a small clinic.", "I'm the practice manager there."]):
        i = s.add_interview(Interview(id=None, content_hash=f"r{n}", file_name=f"r{n}.txt", kind="transcript",
                                      participant=f"P{n}", status="transcribed"))
        s.save_quotes([Quote(f"r{n}", i.id, 0.0, 1.0, text, category="other")])
    persona_review.suggest_and_save(s)
    at = app("personas")
    rows = sorted(tuple(r) for t in at.table for r in t.value[["Fact", "Value", "Known for"]].itertuples(index=False))
    [(fact, role, known)] = rows  # the open persona's canvas
    assert (fact, known) == ("Role", "1 of 1, said in the interview") and role in ("Office manager", "Practice manager")
    said = [m for m in texts(at).splitlines() if m.startswith("“")]  # where they said it, to play
    expected = {"Office manager": ("“Sure, I'm the office manager at a small clinic\\.”", "P0"),
                "Practice manager": ("“I'm the practice manager there\\.”", "P1")}
    assert said == [expected[role][0]], said
    assert "Role, as they said it:" in texts(at, "caption") and expected[role][1] in texts(at, "caption").splitlines()


def test_a_big_persona_shows_three_said_roles_and_the_rest_one_click_away(db):
    from interview_miner.models import Interview, Quote

    s = Store(db)
    quotes = []
    for n in range(5):
        i = s.add_interview(Interview(id=None, content_hash=f"b{n}", file_name=f"b{n}.txt", kind="transcript",
                                      participant=f"P{n}", status="transcribed"))
        quotes.append(Quote(f"b{n}", i.id, 0.0, 1.0, f"I'm the practice manager at clinic number {n + 1}.", category="other"))
    s.save_quotes(quotes)
    first = persona_review.suggest_and_save(s)[0]
    persona_review.set_members(s, first.id, [i.id for i in s.list_interviews()])
    at = app("personas")
    assert not at.exception, [e.message for e in at.exception]
    said = [m for m in texts(at).splitlines() if m.startswith("“I'm the practice manager")]
    assert len(said) == 5 and [e.label for e in at.expander if e.label == "2 more"] == ["2 more"]
    from interview_miner import export as E

    [p] = [p for p in E.report_context(E.load_study(s))["personas"] if p["id"] == first.id]
    assert p["role_said_text"].count("“") == 3 and p["role_said_text"].endswith("(and 2 more)")
