"""Sub-themes (issue 9): the two-level theme hierarchy persisted in SQLite (m006_theme_hierarchy),
researcher edits at both levels (before and after re-mining), the Themes board, and every export
(md, html, pdf, json, csv, xlsx, qdpx) showing top-level themes with their sub-themes.

Real components throughout: SQLite studies in temporary folders, the default Miner, Streamlit's
AppTest, the REFI-QDA XSD, pdftotext where installed.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest
import sqlite_utils
from lxml import etree, html
from streamlit.testing.v1 import AppTest

from corpus_fixture import HOSTILE, load_literal_study
from interview_miner import export as E
from interview_miner import pipeline, review, store as store_mod, versions
from interview_miner.app import MAIN_SCRIPT
from interview_miner.export import qdpx, sheets
from interview_miner.mining import Miner, keep_researcher_sub_themes
from interview_miner.models import Theme
from interview_miner.overlay import EditError
from interview_miner.store import Store
from interview_miner.themes import ThemeList
from test_interop_schemas import assert_matches_schema
from test_mining import add_interview, import_heldout

XSD = Path(__file__).parent / "data" / "refi-qda" / "Project-mrt2019.xsd"
SUB_LABEL = "No shows"

# Top-level theme -> (category, label, {sub-theme id: (label, quote ids)}); flat themes have none.
HIERARCHY = {
    "trigger_booking": ("trigger", "Booking chaos", {
        "trigger_no_shows": (SUB_LABEL, ["lit0_0", "lit1_0"]),
        "trigger_double_booking": ("Double booking", ["lit2_0", "lit3_0"]),
    }),
    "fear_data": ("fear", "Data worries", {
        "fear_privacy": ("Privacy", ["lit0_1", "lit1_1"]),
        "fear_migration": ("Migration", ["lit2_1", "lit3_1"]),
    }),
    "outcome_revenue": ("outcome", "Revenue", {"": ("", ["lit0_2", "lit1_2"])}),
    "outcome_calm": ("outcome", "Calm", {"": ("", ["lit2_2", "lit3_2"])}),
    "nps_reason_price": ("nps_reason", "Price", {"": ("", ["lit0_3", "lit1_3"])}),
    "nps_reason_support": ("nps_reason", "Support", {"": ("", ["lit2_3", "lit3_3"])}),
}


def hierarchy_themes(hostile: bool = False) -> list[Theme]:
    """Both levels as mining would hand them to the store (a parent lists every quote under it)."""
    out = []
    for tid, (cat, label, subs) in HIERARCHY.items():
        quotes = sorted(q for _, qs in subs.values() for q in qs)
        out.append(Theme(tid, cat, label, keywords=[label.lower()], quote_ids=quotes, representative_quote_id=quotes[0]))
        for sid, (sub_label, qs) in subs.items():
            if sid:
                if hostile and sid == "trigger_no_shows":
                    sub_label = f"{SUB_LABEL} {HOSTILE}"
                out.append(Theme(sid, cat, sub_label, quote_ids=qs, representative_quote_id=qs[0], parent_id=tid))
    return out


def load_hierarchy(store: Store, hostile: bool = False) -> None:
    load_literal_study(store, hostile=hostile, with_themes=False)
    store.save_themes(hierarchy_themes(hostile))


@pytest.fixture
def tree(store) -> Store:
    load_hierarchy(store)
    return store


def shown(store: Store) -> dict[str, Theme]:
    """Every visible theme (both levels) by id."""
    return {t.id: t for t in store.themes().all()}


def placed(store: Store, qid: str) -> tuple:
    q = next(q for q in store.quotes() if q.id == qid)
    return q.category, q.theme_id, q.sub_theme_id


# ---------------------------------------------------------------------------------------------
# Persistence
# ---------------------------------------------------------------------------------------------


def test_both_levels_are_stored_and_read_back(tree):
    assert tree.schema_version == store_mod.SCHEMA_VERSION
    assert "parent_id" in tree.db["themes"].columns_dict and "sub_theme_id" in tree.db["theme_quotes"].columns_dict
    machine = {t.id: t for t in tree.machine_themes()}
    assert machine["trigger_no_shows"].parent_id == "trigger_booking" and machine["trigger_booking"].parent_id is None
    assert machine["trigger_booking"].quote_ids == ["lit0_0", "lit1_0", "lit2_0", "lit3_0"]
    assert machine["trigger_no_shows"].quote_ids == ["lit0_0", "lit1_0"]
    themes = tree.themes()
    assert (len(themes), len(themes.sub_themes)) == (6, 4)
    assert all(t.parent_id is None for t in themes) and all(t.parent_id for t in themes.sub_themes)
    s = shown(tree)
    assert (s["trigger_booking"].n_participants, s["trigger_no_shows"].n_participants) == (4, 2)
    assert placed(tree, "lit2_0") == ("trigger", "trigger_booking", "trigger_double_booking")
    assert placed(tree, "lit0_2") == ("outcome", "outcome_revenue", None)


def test_a_sub_theme_quote_the_parent_does_not_list_is_still_the_parents(store):
    """An imported code tree codes a quote with the child code only: it is the parent's too."""
    load_literal_study(store, with_themes=False)
    store.save_themes([Theme("p", "trigger", "Parent", quote_ids=["lit0_0"]),
                       Theme("s", "trigger", "Child", quote_ids=["lit1_0"], parent_id="p"),
                       Theme("g", "trigger", "Grandchild", quote_ids=["lit2_0"], parent_id="s")])
    s = shown(store)
    assert s["p"].quote_ids == ["lit0_0", "lit1_0", "lit2_0"]
    assert (s["s"].parent_id, s["g"].parent_id) == ("p", "p")  # two levels: deeper trees are flattened


def test_a_broken_hierarchy_is_refused_and_nothing_is_lost(tree):
    before = tree.machine_themes()
    with pytest.raises(ValueError, match="parent 'nowhere'"):
        tree.save_themes([Theme("x", "fear", "Orphan", quote_ids=["lit0_1"], parent_id="nowhere")])
    assert tree.machine_themes() == before


def test_a_study_from_before_sub_themes_opens_and_keeps_its_themes(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    store_mod.migrations.apply(db, stop_before="m006_theme_hierarchy")
    db["themes"].insert({"id": "t1", "category": "fear", "label": "Leaks", "keywords": "[]",
                         "representative_quote_id": "q1", "created_at": "2026-01-01"})
    db["theme_quotes"].insert({"quote_id": "q1", "theme_id": "t1"})
    db.close()
    s = Store(path)
    [t] = s.machine_themes()
    assert (t.id, t.parent_id, t.quote_ids) == ("t1", None, ["q1"])
    assert s.schema_version == store_mod.SCHEMA_VERSION
    s.close()
    names = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM _sqlite_migrations")]
    assert "m006_theme_hierarchy" in names and names[-1] == store_mod.migrations.steps[-1][0].__name__


# ---------------------------------------------------------------------------------------------
# Edits at both levels (what each one means is documented in theme_overlay.py)
# ---------------------------------------------------------------------------------------------


def test_rename_and_move_at_both_levels(tree):
    review.rename_theme(tree, "trigger_booking", "Scheduling breaks down")
    review.rename_theme(tree, "trigger_no_shows", "Patients forget to come")
    s = shown(tree)
    assert (s["trigger_booking"].label, s["trigger_no_shows"].label, s["trigger_double_booking"].label) == (
        "Scheduling breaks down", "Patients forget to come", "Double booking")
    # into a sub-theme: it sits there, and so in that sub-theme's parent
    review.move_quote(tree, "lit2_0", theme_id="trigger_no_shows")
    assert placed(tree, "lit2_0") == ("trigger", "trigger_booking", "trigger_no_shows")
    # into a parent: it sits directly in that theme, in none of its sub-themes (category follows)
    review.move_quote(tree, "lit0_2", theme_id="trigger_booking")
    assert placed(tree, "lit0_2") == ("trigger", "trigger_booking", None)
    s = shown(tree)
    assert s["trigger_no_shows"].quote_ids == ["lit0_0", "lit1_0", "lit2_0"]
    assert s["trigger_double_booking"].quote_ids == ["lit3_0"]
    assert s["trigger_booking"].quote_ids == ["lit0_0", "lit0_2", "lit1_0", "lit2_0", "lit3_0"]
    assert s["outcome_revenue"].quote_ids == ["lit1_2"]


def test_merge_dissolve_delete_and_nest(tree):
    # sub-theme into a sibling: its quotes follow
    review.merge_themes(tree, ["trigger_double_booking"], into="trigger_no_shows")
    s = shown(tree)
    assert "trigger_double_booking" not in s and len(s["trigger_no_shows"].quote_ids) == 4
    # a top-level theme into another: its sub-themes come along, under the survivor
    cost = review.create_theme(tree, "fear", "Cost of switching")
    review.merge_themes(tree, ["fear_data"], into=cost)
    s = shown(tree)
    assert "fear_data" not in s and (s["fear_privacy"].parent_id, s["fear_migration"].parent_id) == (cost, cost)
    assert len(s[cost].quote_ids) == 4
    # a dissolved sub-theme leaves its quotes in its parent
    review.delete_theme(tree, "fear_privacy")
    assert placed(tree, "lit0_1") == ("fear", cost, None) and "fear_privacy" not in shown(tree)
    # a deleted parent takes its sub-themes along: quotes unthemed, still in their category
    review.delete_theme(tree, cost)
    assert placed(tree, "lit2_1") == ("fear", None, None) and "fear_migration" not in shown(tree)
    assert {q.id for q in review.unthemed_quotes(tree, "fear")} == {"lit0_1", "lit1_1", "lit2_1", "lit3_1"}
    # nest a theme under another, then lift it back out
    review.nest_theme(tree, "outcome_calm", "outcome_revenue")
    s = shown(tree)
    assert s["outcome_calm"].parent_id == "outcome_revenue" and len(s["outcome_revenue"].quote_ids) == 4
    assert placed(tree, "lit2_2") == ("outcome", "outcome_revenue", "outcome_calm")
    review.nest_theme(tree, "outcome_calm", None)
    assert shown(tree)["outcome_calm"].parent_id is None and len(shown(tree)["outcome_revenue"].quote_ids) == 2
    # a split of a sub-theme is a new sub-theme of the same parent
    new = review.split_theme(tree, "trigger_no_shows", ["lit0_0"], "Forgot the appointment")
    assert (shown(tree)[new].parent_id, placed(tree, "lit0_0")) == ("trigger_booking", ("trigger", "trigger_booking", new))


def test_impossible_hierarchy_edits_are_refused(tree):
    with pytest.raises(EditError, match="own sub-themes"):
        review.merge_themes(tree, ["trigger_booking"], into="trigger_no_shows")
    with pytest.raises(EditError, match="is a sub-theme"):
        review.nest_theme(tree, "trigger_double_booking", "trigger_no_shows")
    with pytest.raises(EditError, match="'trigger'"):
        review.nest_theme(tree, "fear_data", "trigger_booking")
    with pytest.raises(EditError, match="own sub-theme"):
        review.nest_theme(tree, "fear_data", "fear_data")
    assert tree.edit_history() == []


@pytest.mark.slow
def test_remining_keeps_ids_and_edits_at_both_levels(tmp_path):
    s = Store(tmp_path / "study.db")
    import_heldout(s)
    miner = Miner()
    first = pipeline.mine(s, miner=miner)
    themes = s.themes()
    assert first.sub_themes == len(themes.sub_themes) >= 2
    parent = next(t for t in themes if len([x for x in themes.sub_themes if x.parent_id == t.id]) >= 2)
    sub_a, sub_b = [x for x in themes.sub_themes if x.parent_id == parent.id][:2]
    mover = sub_a.quote_ids[0]
    outsider = next(q for q in s.quotes() if q.category == parent.category and q.theme_id != parent.id) \
        if any(q.category == parent.category and q.theme_id != parent.id for q in s.quotes()) else None
    review.rename_theme(s, parent.id, "Renamed parent")
    review.rename_theme(s, sub_b.id, "Renamed sub-theme")
    review.move_quote(s, mover, theme_id=sub_b.id)
    if outsider:
        review.move_quote(s, outsider.id, theme_id=parent.id)

    add_interview(s, [("interviewer", "What made you start looking?"),
                      ("participant", "Our rota spreadsheet broke the week two nurses were off sick."),
                      ("interviewer", "What worried you about switching?"),
                      ("participant", "Losing the holiday balances we had typed in by hand.")], "late-addition")
    report = pipeline.mine(s, miner=miner)
    after = shown(s)
    assert parent.id in after and sub_b.id in after
    assert report.reused_sub_theme_ids >= 1 and report.reused_theme_ids >= 0.7 * first.themes
    assert (after[parent.id].label, after[sub_b.id].label) == ("Renamed parent", "Renamed sub-theme")
    assert after[sub_b.id].parent_id == parent.id
    assert placed(s, mover)[1:] == (parent.id, sub_b.id)
    if outsider:
        assert placed(s, outsider.id)[1:] == (parent.id, None)
    s.close()


def test_a_touched_sub_theme_lifted_to_the_top_level_is_kept_under_it():
    """New interviews pulled a parent's two sub-themes apart into two top-level themes: the
    sub-theme a researcher renamed stays, under the top-level theme holding its quotes."""
    previous = [Theme("p", "fear", "Data worries", quote_ids=["a", "b", "c", "d"]),
                Theme("s1", "fear", "Privacy", quote_ids=["a", "b"], parent_id="p"),
                Theme("s2", "fear", "Migration", quote_ids=["c", "d"], parent_id="p"),
                Theme("s3", "fear", "Untouched", quote_ids=["x", "y"], parent_id="q")]
    new = ThemeList([Theme("p", "fear", "Privacy", quote_ids=["a", "b", "e"]),
                     Theme("t_new", "fear", "Migration", quote_ids=["c", "d"]),
                     Theme("t_x", "fear", "Other", quote_ids=["x", "y"])])
    kept = keep_researcher_sub_themes(new, previous, {"p", "s1", "s2"}, {"a": "Ann", "b": "Bob", "c": "Ann", "d": "Cat"})
    assert kept == ["s1", "s2"]  # s3 was never touched: the machine's choice stands
    assert [(t.id, t.parent_id, t.quote_ids, t.n_participants) for t in new.sub_themes] == [
        ("s1", "p", ["a", "b"], 2), ("s2", "t_new", ["c", "d"], 2)]


# ---------------------------------------------------------------------------------------------
# The Themes board
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def board_study(tmp_path, monkeypatch):
    path = tmp_path / "study.db"
    monkeypatch.setenv("INTERVIEW_MINER_DB", str(path))
    monkeypatch.delenv("INTERVIEW_MINER_RECORDINGS", raising=False)
    s = Store(path)
    load_hierarchy(s)
    yield s
    s.close()


def themes_page() -> AppTest:
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=30).run()
    at.switch_page("app_pages/themes.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_board_shows_sub_themes_with_counts_and_edits_them(board_study):
    at = themes_page()
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Themes"], metrics["Sub-themes"]) == ("6", "4")
    board = "\n".join(str(m.value) for m in at.markdown)
    assert "**Booking chaos**  \n:gray[4 participants · 4 quotes · 2 sub-themes]" in board
    assert at.subheader[0].value == "Booking chaos"
    labels = [e.label for e in at.expander]
    assert "No shows · :gray[2 participants · 2 quotes]" in labels
    assert "Double booking · :gray[2 participants · 2 quotes]" in labels
    # a sub-theme's quote is shown inside its expander and can be moved to the sibling sub-theme
    at.selectbox(key="dest_trigger_double_booking_lit2_0").set_value("theme:trigger_no_shows").run()
    at.button(key="move_trigger_double_booking_lit2_0").click().run()
    assert placed(board_study, "lit2_0") == ("trigger", "trigger_booking", "trigger_no_shows")
    assert "No shows · :gray[3 participants · 3 quotes]" in [e.label for e in at.expander]
    # rename a sub-theme; dissolve one into its parent
    box = next(t for t in at.text_input if t.label == "Sub-theme name" and t.value == SUB_LABEL)
    box.input("Patients forget to come").run()
    at.button(key="rename_go_trigger_no_shows").click().run()
    assert shown(board_study)["trigger_no_shows"].label == "Patients forget to come"
    at.button(key="delete_go_trigger_double_booking").click().run()
    assert placed(board_study, "lit3_0") == ("trigger", "trigger_booking", None)
    assert any(e.label.startswith("In no sub-theme") for e in at.expander)
    assert not at.exception


# ---------------------------------------------------------------------------------------------
# Exports
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def hostile_tree(store) -> Store:
    load_hierarchy(store, hostile=True)
    return store


def test_reports_nest_sub_themes_under_their_theme_and_escape_them(hostile_tree):
    study = E.load_study(hostile_tree)
    md = E.render_study(study, "md")
    assert "- **Booking chaos** (4 participants, 4 quotes, 2 sub-themes)" in md
    assert "\n  - Double booking (2 participants, 2 quotes)" in md
    assert "(10 themes" not in md and "6 themes (4 sub-themes)" in md

    page = E.render_study(study, "html")
    assert HOSTILE not in page and "&lt;script&gt;" in page
    doc = html.fromstring(page)
    [booking] = [d for d in doc.xpath('//div[@class="theme"]') if d.xpath('./span[@class="label"]/text()') == ["Booking chaos"]]
    subs = booking.xpath('./ul[@class="subthemes"]/li/span[@class="sublabel"]/text()')
    assert sorted(subs) == sorted(["Double booking", f"{SUB_LABEL} {HOSTILE}"])
    shown_quotes = booking.xpath(".//blockquote/p/text()")
    # the parent's representative quote, then up to two per sub-theme; none printed twice
    assert len(shown_quotes) == len(set(shown_quotes)) == 4

    if shutil.which("pdftotext"):
        blob = E.render_study(study, "pdf")
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=blob, capture_output=True, check=True).stdout
        text = " ".join(text.decode().split())
        assert "Booking chaos (4 participants, 4 quotes)" in text
        assert "› Double booking (2 participants, 2 quotes)" in text


def test_data_exports_carry_the_hierarchy(hostile_tree):
    study = E.load_study(hostile_tree)
    doc = json.loads(E.render_study(study, "json"))
    assert_matches_schema("study", doc)
    themes = {t["id"]: t for t in doc["themes"]}
    assert set(themes) == set(HIERARCHY)
    assert [(s["id"], s["parent_id"], s["quote_ids"]) for s in themes["fear_data"]["sub_themes"]] == [
        ("fear_migration", "fear_data", ["lit2_1", "lit3_1"]), ("fear_privacy", "fear_data", ["lit0_1", "lit1_1"])]
    assert themes["outcome_calm"]["sub_themes"] == []
    q = next(q for q in doc["quotes"] if q["id"] == "lit2_1")
    assert (q["theme_id"], q["sub_theme_id"]) == ("fear_data", "fear_migration")

    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(E.render_study(study, "csv")))}
    assert (rows["lit3_0"]["theme_label"], rows["lit3_0"]["sub_theme_label"]) == ("Booking chaos", "Double booking")
    assert rows["lit0_2"]["sub_theme_id"] == ""

    sheet = sheets.to_xlsx(study) if hasattr(sheets, "to_xlsx") else E.render_study(study, "xlsx")
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(sheet))
    rows = [[c.value for c in r] for r in wb["themes"].iter_rows()]
    parent_col = rows[0].index("parent_id")
    ids = [r[0] for r in rows[1:]]
    assert ids.index("fear_data") + 1 == ids.index("fear_migration")  # sub-themes right under their theme
    assert rows[1 + ids.index("fear_migration")][parent_col] == "fear_data"

    snap = versions.study_from_snapshot(json.loads(json.dumps(versions.snapshot(study))))
    assert [t.id for t in snap.sub_themes] == [t.id for t in study.sub_themes]


def test_qdpx_nests_sub_theme_codes_validates_and_imports_back(hostile_tree, tmp_path):
    out = E.export_study(hostile_tree, "qdpx", tmp_path / "study.qdpx")[0]
    with zipfile.ZipFile(out) as z:
        xml = z.read("project.qde")
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.fromstring(xml)
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)
    ns = {"q": qdpx.PROJECT_NS}
    [booking] = doc.xpath('//q:Code[@name="Booking chaos"]', namespaces=ns)
    assert booking.getparent().get("name") == "Triggers"
    assert sorted(booking.xpath("./q:Code/@name", namespaces=ns)) == sorted(["Double booking", f"{SUB_LABEL} {HOSTILE}"])
    # a quote in a sub-theme is coded with the sub-theme's code
    double_guid = qdpx.guid("theme", "trigger_double_booking")
    assert len(doc.xpath(f'//q:Coding/q:CodeRef[@targetGUID="{double_guid}"]', namespaces=ns)) == 2

    back = Store(tmp_path / "back.db")
    report = pipeline.add_files(back, [str(out)])
    assert report.ok, report.errors
    themes = back.themes()
    [parent] = [t for t in themes if t.label == "Booking chaos"]
    assert sorted(t.label for t in themes.sub_themes if t.parent_id == parent.id) == sorted(
        ["Double booking", f"{SUB_LABEL} {HOSTILE}"])
    assert len(parent.quote_ids) == 4
    back.close()
