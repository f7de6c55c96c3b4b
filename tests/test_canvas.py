"""Persona canvas, one-page cards and persona versions (issue 12), on real SQLite studies."""
from __future__ import annotations

import io
import json
from dataclasses import replace

import pypdfium2 as pdfium
import pytest
from PIL import Image

from corpus_fixture import load_literal_study
from interview_miner import canvas, cards, cli, persona_review, pipeline, versions
from interview_miner.canvas import FACT_BY_NAME, aggregate_fact, build_canvas
from interview_miner.export import load_study, render_study
from interview_miner.models import Interview, Persona, PersonaField, Quote, Theme
from interview_miner.overlay import EditError
from interview_miner.personas import persona_id
from stages import replaying_miner


@pytest.fixture
def study(store):
    load_literal_study(store)
    persona_review.suggest_and_save(store)
    return store


def owner(store) -> Persona:
    return next(p for p in store.personas() if p.name.startswith("Clinic owner"))


# --- canvas --------------------------------------------------------------------------------------


def test_canvas_is_in_the_json_export_with_its_three_kinds_of_field(study):
    pid = owner(study).id
    canvas.set_team_text(study, pid, "goals", "Reminders that fill every gap")
    data = json.loads(render_study(load_study(study), "json"))
    p = next(p for p in data["personas"] if p["id"] == pid)
    c = p["canvas"]
    goals = next(cl for cl in c["claims"] if cl["field"] == "goals")
    assert goals["themes"][0]["label"] == "Revenue" and (goals["themes"][0]["k"], goals["themes"][0]["n"]) == (2, 2)
    q = goals["themes"][0]["quotes"][0]
    assert q["participant"] in ("Ann Owner", "Bob Owner") and q["timestamp"].count(":") == 1 and q["file_name"]
    assert (goals["team_prompt"], goals["team_text"]) == ("How we help them reach it", "Reminders that fill every gap")
    facts = {f["name"]: f for f in c["facts"]}
    assert facts["role"]["text"] == "Clinic owner" and facts["role"]["values"] == [{"value": "Clinic owner", "n": 2}]
    assert c["headline"] == "Clinic owner, small, 2 of 2"
    assert c["coverage"]["wanted"] == [8, 12] and c["coverage"]["more_needed"] == 6
    assert c["nps"]["band"] == "detractors" and c["nps"]["nps"] == -50
    assert data["study"]["version"] is None


def test_team_text_and_decision_role_survive_remining(study):
    pid = owner(study).id
    canvas.set_team_text(study, pid, "fears", "Data stays in the EU, audited yearly")
    canvas.set_decision_role(study, pid, "Economic buyer")  # a common spelling, stored as "buyer"
    miner = replaying_miner(study)
    pipeline.mine(study, miner=miner)
    persona_review.suggest_and_save(study, miner=miner)
    p = owner(study)
    assert p.id == pid and p.team == {"fears": "Data stays in the EU, audited yearly"}
    assert p.decision_role == "buyer"
    c = build_canvas(load_study(study), p)
    assert (c.decision_role, c.decision_role_source) == ("buyer", "researcher")


def test_bad_canvas_edits_are_refused_and_change_nothing(study):
    pid = owner(study).id
    with pytest.raises(EditError, match="one of buyer, decision-maker, end user, influencer"):
        canvas.set_decision_role(study, pid, "boss")
    with pytest.raises(EditError, match="unknown claim 'hobbies'"):
        canvas.set_team_text(study, pid, "hobbies", "x")
    with pytest.raises(EditError, match="unknown canvas fact 'shoe_size'"):
        canvas.map_metadata_key(study, "feet", "shoe_size")
    assert study.edit_history("persona") == [] and study.edit_history("study") == []


def test_two_tabs_editing_different_canvas_fields_keep_both(study):
    pid = owner(study).id
    before = owner(study)  # both tabs read this
    canvas.set_team_text(study, pid, "goals", "Tab A: how we help")
    canvas.set_decision_role(study, pid, "end user")  # tab B, still showing `before`
    persona_review.set_field(study, pid, "role", before.role + " (edited in tab B)")
    p = owner(study)
    assert (p.team["goals"], p.decision_role, p.role) == ("Tab A: how we help", "end user",
                                                          "Clinic owner (edited in tab B)")


def _study_with_metadata(store, metas: list[dict], said: tuple[str, ...] = ()) -> Persona:
    """Interviews with these details; `said`: each one's quote (default "hello")."""
    ids = []
    for n, meta in enumerate(metas):
        i = store.add_interview(Interview(id=None, content_hash=f"m{n}", file_name=f"m{n}.txt", kind="transcript",
                                          participant=f"P{n}", metadata=meta, status="transcribed"))
        ids.append(i.id)
    store.save_quotes([Quote(f"q{n}", iid, 0.0, 1.0, said[n] if said else "hello") for n, iid in enumerate(ids)])
    return Persona(id=persona_id(ids), name="Managers", interview_ids=ids)


def test_a_role_nobody_typed_is_the_one_members_said_and_the_canvas_says_so(store):
    p = _study_with_metadata(store, [{}, {}, {"role": "Owner"}], said=(
        "Sure, I'm a physiotherapist and I run a small practice.", "I'm the chiropractor there.",
        "I'm a chiropractor too."))
    c = build_canvas(load_study(store), replace(p, role="Physiotherapist, chiropractor"))
    role = next(f for f in c.facts if f.name == "role")
    assert (role.values, role.n_known, role.n_said) == ([("Chiropractor", 1), ("Owner", 1), ("Physiotherapist and owner", 1)], 3, 2)
    assert c.headline == "Physiotherapist, chiropractor, 2 of 3"  # the persona's roles listed: who holds one
    c = build_canvas(load_study(store), replace(p, role="Physiotherapist, chiropractor or owner"))
    assert c.headline == "Physiotherapist, chiropractor or owner, 3 of 3"
    # the card shows the role in a member's own words where "who they are" has nothing typed in
    drawn = " ".join(d.text for d in cards.render_pdf([c]).drawn)
    assert "“Sure, I'm a physiotherapist and I run a small practice.” (P0, 00:00)" in drawn, drawn
    assert "No other interview details yet" in drawn
    # the said role is a claim with its evidence: where each of them said it (not P2, whose role was typed)
    assert [(q.participant, q.text, q.id) for q in role.quotes] == [
        ("P0", "Sure, I'm a physiotherapist and I run a small practice.", "q0"), ("P1", "I'm the chiropractor there.", "q1")]
    assert [q["id"] for q in canvas.canvas_dict(c)["facts"][0]["quotes"]] == ["q0", "q1"]


def test_metadata_facts_are_ranges_and_counts_and_the_study_can_rename_keys(store):
    p = _study_with_metadata(store, [
        {"role": "Practice manager", "Practice size": "5-10", "city": "Leeds", "decision role": "decision maker"},
        {"job_title": "practice manager", "Practice size": "20", "city": "York", "decision role": "Decision-maker"},
        {"Role": "Practice Manager", "Practice size": "12 staff", "country": "UK"},
        {"position": "practice manager", "age": "34", "codec": "opus"},
        {"role": "Owner", "age": "52", "decision role": "end user"},
    ])
    study = load_study(store)
    c = build_canvas(study, p)
    facts = {f.name: f for f in c.facts}
    assert facts["role"].values == [("Practice manager", 4), ("Owner", 1)]
    assert facts["age"].text == "34-52" and (facts["age"].n_known, facts["age"].n_members) == (2, 5)
    assert "company_size" not in facts  # "Practice size" is not a common spelling ...
    assert (c.decision_role, c.decision_role_source) == ("decision-maker", "metadata")
    assert "codec" not in json.dumps(canvas.canvas_dict(c))  # pipeline metadata is not a fact
    canvas.map_metadata_key(store, "Practice size", "company_size")  # ... until the study says so
    c = build_canvas(load_study(store), p, canvas.metadata_keys(store))
    facts = {f.name: f for f in c.facts}
    assert facts["company_size"].text == "5-20 staff" and facts["company_size"].n_known == 3
    assert c.headline == "Practice manager, 5-20 staff, 4 of 5"
    canvas.map_metadata_key(store, "Practice size", None)  # undone
    assert canvas.metadata_keys(store) == {}


@pytest.mark.parametrize("values, text", [
    (["10", "50+"], "10-50+ staff"), (["small", "small", "large"], "small (2), large (1)"),
    (["7"], "7 staff"), (["1,200", "300"], "300-1200 staff"),
])
def test_aggregate_fact(values, text):
    assert aggregate_fact(FACT_BY_NAME["company_size"], values, len(values)).text == text


def test_per_persona_saturation_counts_new_themes_per_member_interview(study):
    c = build_canvas(load_study(study), owner(study))
    assert [s["new_themes"] for s in c.coverage.saturation] == [4, 0]
    assert c.coverage.n_interviews == 2 and "too few to judge" in c.coverage.reading


# --- photos --------------------------------------------------------------------------------------


def _png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 80, 60)).save(buf, format="PNG")
    return buf.getvalue()


def test_a_photo_that_is_not_an_image_or_too_large_is_refused_and_the_persona_unchanged(study, monkeypatch):
    pid = owner(study).id
    with pytest.raises(canvas.PhotoError, match=r"notes.pdf: not an image this app can read"):
        canvas.set_photo(study, pid, b"%PDF-1.4 not a photo", "notes.pdf")
    monkeypatch.setattr(canvas, "MAX_PHOTO_PIXELS", 1000)
    with pytest.raises(canvas.PhotoError, match=r"big.png: 100x100 pixels is too large"):
        canvas.set_photo(study, pid, _png(100, 100), "big.png")
    monkeypatch.setattr(canvas, "MAX_PHOTO_BYTES", 100)
    with pytest.raises(canvas.PhotoError, match=r"huge.png: .* too large for a photo \(at most"):
        canvas.set_photo(study, pid, _png(100, 100), "huge.png")
    assert owner(study).avatar is None and study.edit_history("persona") == []
    monkeypatch.undo()
    assert canvas.set_photo(study, pid, _png(900, 600), "me.png").avatar.startswith("data:image/jpeg;base64,")


# --- cards ---------------------------------------------------------------------------------------

LONG = ("Extraordinarily overcommitted multi-site practice manager who also runs payroll, rota planning, "
        "patient complaints and the new telehealth pilot ") * 2


def long_study(store) -> None:
    """One persona with every text far longer than its box, one with nothing at all."""
    i = store.add_interview(Interview(id=None, content_hash="long", file_name="a-very-long-file-name-" * 4 + ".wav",
                                      kind="transcript", participant="Maximiliana " * 6, status="transcribed",
                                      metadata={"role": LONG, "company_size": "5-20", "industry": LONG,
                                                **{k: LONG for k in ("company_type", "stage", "revenue", "location",
                                                                     "income", "education", "family")}}))
    quotes = [Quote(f"q{k}", i.id, 60.0 * k + 3, 60.0 * k + 9, f"{k} " + LONG + "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3)
              for k in range(8)]
    store.save_quotes(quotes)
    store.save_categories([(q.id, cat, 0.9) for q, cat in zip(quotes, ["outcome", "trigger", "fear", "objection",
                                                                     "criteria", "alternatives", "channel", "usage"])])
    themes = [Theme(f"t{k}", cat, f"Theme {k}: " + LONG, quote_ids=[f"q{k}"])
              for k, cat in enumerate(["outcome", "trigger", "fear", "objection", "criteria", "alternatives",
                                       "channel", "usage"])]
    store.save_themes(themes)
    fields = {f: PersonaField(text=LONG, theme_ids=[t.id for t in themes if t.category == c], n_participants=1)
              for f, c in (("goals", "outcome"), ("triggers", "trigger"), ("fears", "fear"), ("objections", "objection"),
                           ("criteria", "criteria"), ("alternatives", "alternatives"), ("channels", "channel"),
                           ("usage", "usage"))}
    store.save_personas([Persona(id="p_long", name=LONG, role=LONG, description=LONG + ". Second.", interview_ids=[i.id],
                                 fields=fields), Persona(id="p_empty", name="E", interview_ids=[])])
    canvas.set_team_text(store, "p_long", "goals", LONG * 3)
    canvas.set_decision_role(store, "p_long", "influencer")


def test_cards_fit_every_text_in_its_box(store):
    long_study(store)
    canvases = cards.persona_canvases(load_study(store))
    pdf = cards.render_pdf(canvases, "Study " + LONG)
    assert pdf.pages_count == 2
    assert pdf.drawn, "the card recorded what it drew"
    for line in pdf.drawn:  # measured with fpdf's own string widths, against the box
        assert line.width <= line.box_width + 1e-6, line
        assert line.bottom <= cards.PAGE_H - 8, line  # nothing runs off the page
    texts = [d.text for d in pdf.drawn]
    assert any(t.endswith("…") for t in texts), "long texts are shortened with an ellipsis"
    cut = [t for t in texts if t.endswith("…")]
    assert all(not t[:-1].endswith(" ") for t in cut)
    assert any(t.startswith("· Influencer") for t in texts), "the decision role is never cut off"
    above_footer = [d for d in pdf.drawn if not d.text.startswith("Persona card")]
    assert all(d.bottom <= cards.FOOTER_Y for d in above_footer), "the card never runs into its footer"
    page2 = " ".join(texts[next(i for i, t in enumerate(texts) if t == "E"):])  # the empty persona
    assert "No themed claims yet: mine the interviews and suggest personas." in page2
    assert "No quotes behind this persona yet." in page2 and "No NPS scores yet" in page2


def test_a_quote_of_a_nameless_participant_names_its_file_once(study):
    """Without a participant name the study shows the file name for them; the card's quote line
    read "00:32 · dev04.mp3 · dev04.mp3"."""
    from dataclasses import replace

    canvas_ = cards.persona_canvases(load_study(study))[0]
    for claim in canvas_.claims:
        claim.quotes = [replace(q, participant=q.file_name) for q in claim.quotes]
        for t in claim.themes:
            t.quotes = [replace(q, participant=q.file_name) for q in t.quotes]
    lines = [d.text for d in cards.render_pdf([canvas_]).drawn if ".txt" in d.text and " · " in d.text]
    assert lines and all(line.count(".txt") == 1 for line in lines), lines


def test_card_pdf_page_count_and_png_size(study):
    canvases = cards.persona_canvases(load_study(study))
    deck = cards.cards_pdf(canvases)
    assert len(pdfium.PdfDocument(deck)) == 2
    png = cards.card_png(canvases[0])
    assert Image.open(io.BytesIO(png)).size == (1241, 1754)  # A4 at 150 dpi


def test_a_card_shows_the_uploaded_photo(study):
    pid = owner(study).id
    canvas.set_photo(study, pid, _png(400, 400), "me.png")
    [c] = cards.persona_canvases(load_study(study), [pid])
    page = pdfium.PdfDocument(cards.cards_pdf([c]))[0]
    assert any(obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects())
    plain = cards.persona_canvases(load_study(study), [p.id for p in study.personas() if p.id != pid])
    page = pdfium.PdfDocument(cards.cards_pdf(plain))[0]
    assert not any(obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects())  # generated avatar


def test_avatar_colour_and_initials_are_stable():
    assert cards.avatar_colour("p_1") == cards.avatar_colour("p_1") != cards.avatar_colour("p_2")
    assert cards.initials("Time-poor practice manager") == "TP" and cards.initials("") == "?"


def test_cli_card_one_all_and_png(study, tmp_path, capsys):
    db = study.path
    pid = owner(study).id
    assert cli.main(["personas", "card", pid, "--format", "png", "--out", str(tmp_path / "one.png"), "--db", db]) == 0
    assert Image.open(tmp_path / "one.png").size == (1241, 1754)
    assert cli.main(["personas", "card", "--all", "--out", str(tmp_path / "deck.pdf"), "--db", db]) == 0
    assert len(pdfium.PdfDocument(str(tmp_path / "deck.pdf"))) == 2
    assert cli.main(["personas", "card", "--all", "--format", "png", "--out", str(tmp_path / "pngs"), "--db", db]) == 0
    assert len(list((tmp_path / "pngs").glob("*.png"))) == 2
    assert cli.main(["personas", "card", "p_nope", "--out", str(tmp_path / "x.pdf"), "--db", db]) == 1
    assert "no persona with id p_nope" in capsys.readouterr().err


# --- versions ------------------------------------------------------------------------------------


def test_version_snapshot_is_never_rewritten_and_compare_names_the_changes(study):
    v = versions.save_version(study, "2026-Q4 round")
    assert (v.name, v.n_personas) == ("2026-Q4 round", 2)
    pid = owner(study).id
    saved_json = render_study(versions.load_version(study, "2026-Q4 round"), "json")
    # Later: the persona loses a member, a claim changes, the team writes text; then re-mining.
    persona_review.set_members(study, pid, [1])
    study.add_edit("quote", "lit0_1", "theme_id", "fear_migration")  # Ann's fear moves theme
    miner = replaying_miner(study)
    pipeline.mine(study, miner=miner)
    persona_review.suggest_and_save(study, miner=miner)
    again = render_study(versions.load_version(study, "2026-Q4 round"), "json")
    assert json.loads(again)["personas"] == json.loads(saved_json)["personas"]  # the version is as saved
    assert json.loads(again)["study"]["version"] == "2026-Q4 round"
    diff = versions.compare(study, "2026-Q4 round")
    change = next(c for c in diff.changed if c.persona_id == pid)
    assert (change.members_a, change.members_b) == (2, 1) and (change.nps_a, change.nps_b) == (-50, -100)
    assert (change.share_a, change.share_b) == (0.5, 0.25)
    lines = "\n".join(versions.comparison_lines(diff))
    assert "2 -> 1 participants" in lines and "NPS -50 -> -100" in lines


def test_compare_lists_added_removed_gained_lost_and_moved_with_quotes(study):
    versions.save_version(study, "before")
    p = owner(study)
    fears = p.fields["fears"]
    # claims: drop the fears theme, add a criteria theme; a new persona appears, one disappears
    persona_review.delete_persona(study, next(x.id for x in study.personas() if x.id != p.id))
    persona_review.create_persona(study, "The sceptic", [3])
    study.add_edit("theme", fears.theme_ids[0], "deleted", True)
    versions.save_version(study, "after")
    diff = versions.compare(study, "before", "after")
    assert [a["name"] for a in diff.added] == ["The sceptic"]
    assert len(diff.removed) == 1 and diff.removed[0]["name"].startswith("Front desk")
    change = next(c for c in diff.changed if c.persona_id == p.id)
    lost = next(c for c in change.lost if c.field == "fears")
    assert lost.label == "Privacy" and (lost.k_a, lost.n_a) == (2, 2)
    assert lost.quotes and lost.quotes[0]["text"], "the quotes that explain the change"
    assert versions.comparison_dict(diff)["a"] == "before"


def test_version_names_are_checked(study):
    versions.save_version(study, "v1")
    with pytest.raises(versions.VersionError, match="already exists .* never overwritten"):
        versions.save_version(study, " v1 ")
    with pytest.raises(versions.VersionError, match="means the live study"):
        versions.save_version(study, "Current")
    with pytest.raises(versions.VersionError, match="needs a name"):
        versions.save_version(study, "   ")
    with pytest.raises(versions.VersionError, match=r"no persona version named 'v2' \(versions: v1\)"):
        versions.compare(study, "v2")


def test_cli_versions_and_export_of_a_version(study, tmp_path, capsys):
    db = study.path
    assert cli.main(["personas", "version", "save", "2026-Q4 round", "--db", db]) == 0
    assert cli.main(["personas", "version", "list", "--db", db]) == 0
    assert "2026-Q4 round" in capsys.readouterr().out
    persona_review.rename_persona(study, owner(study).id, "Owner-clinician")
    assert cli.main(["personas", "version", "compare", "2026-Q4 round", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Clinic owner driven by no shows -> Owner-clinician" in out
    assert cli.main(["export", "--format", "md", "--persona-version", "2026-Q4 round", "--db", db]) == 0
    md = capsys.readouterr().out
    assert "Clinic owner driven by no shows" in md and "Owner-clinician" not in md
    assert cli.main(["export", "--format", "json", "--persona-version", "nope", "--db", db]) == 1
    assert "no persona version named 'nope'" in capsys.readouterr().err


def test_headline_uses_the_shared_role_when_no_role_holds_a_majority():
    roles = aggregate_fact(FACT_BY_NAME["role"], ["Owner and dentist", "Owner and chiropractor", "Manager"], 3)
    size = aggregate_fact(FACT_BY_NAME["company_size"], ["1", "7"], 3)
    assert canvas.facts_headline([roles, size], 3) == "Manager, 1-7 staff, 1 of 3"  # no hint: the first value
    assert canvas.facts_headline([roles, size], 3, "Owner") == "Owner, 1-7 staff, 2 of 3"


def test_a_version_saved_by_another_release_still_opens(study):
    versions.save_version(study, "old")
    data = study.persona_version("old")
    for p in data["personas"]:
        p.pop("team"), p.pop("decision_role")  # saved before the canvas existed
        p["mood"] = "added by a later release"
    data["quotes"][0]["sentiment"] = 0.5
    study.save_persona_version("edited", data)
    old = versions.load_version(study, "edited")
    assert [p.team for p in old.personas] == [{}, {}] and old.version == "edited"


def test_why_they_choose_us_is_mined_from_the_reasons_of_those_who_recommend(study):
    manager = next(p for p in study.personas() if p.name.startswith("Front desk"))
    claims = {c.field: c for c in build_canvas(load_study(study), manager).claims}
    why = claims[canvas.WHY_US]
    assert [(t.label, t.k, t.n) for t in why.themes] == [("Support", 2, 2)]  # both scored 9-10
    assert why.themes[0].quotes[0].text == "Their support team is great." and why.team_prompt == ""
    owners = {c.field: c for c in build_canvas(load_study(study), owner(study)).claims}
    assert owners[canvas.WHY_US].themes == []  # a 6 and a 7: Bob's 7 came with a price complaint


def test_the_card_story_is_not_dressed_as_a_quote(study):
    """The story line is the persona's summary ("Triggers: no shows (2 of 2). ..." until the team
    writes one); in quotation marks it read as something a participant said."""
    c = cards.persona_canvases(load_study(study))[0]
    assert c.story.startswith("Triggers: ")
    drawn = [d.text for d in cards.render_pdf([c]).drawn]
    assert any(t.startswith("Triggers: ") for t in drawn), drawn
    assert not any(t.startswith("“Triggers") for t in drawn)
