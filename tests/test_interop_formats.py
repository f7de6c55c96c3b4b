"""Transcripts and spreadsheets other tools open: every transcript format the tool writes imports
back to the same turns (entities, voice tags, non-ASCII names), CSV files carry a UTF-8 BOM for
Excel, and the .xlsx workbook has its five sheets with text that never runs as a formula."""
from __future__ import annotations

import codecs
import csv
import io

import pytest
import webvtt
from openpyxl import load_workbook

from corpus_fixture import load_literal_study
from interview_miner import capture, persona_review, pipeline
from interview_miner import export as E
from interview_miner.cli import main
from interview_miner.export.sheets import SHEETS
from interview_miner.store import Store

TRICKY_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.250
<v Ben &amp; Jerry&#39;s>What did R&amp;D say about the &lt;script&gt; tag?</v>

2
00:00:04.500 --> 00:00:09.125
<v Zoë Ñúñez>They said a &gt; b, and I typed &amp;amp; literally. Très bien — 日本語 too.</v>

3
00:00:09.500 --> 00:01:02.000
<v Ben &amp; Jerry&#39;s>Would you recommend it?</v>

4
00:01:02.500 --> 01:00:03.004
<v Zoë Ñúñez>Nine out of ten, <i>easily</i>.</v>
"""
EXPECTED = [
    ("interviewer", 1.0, 4.25, "What did R&D say about the <script> tag?"),
    ("participant", 4.5, 9.125, "They said a > b, and I typed &amp; literally. Très bien — 日本語 too."),
    ("interviewer", 9.5, 62.0, "Would you recommend it?"),
    ("participant", 62.5, 3603.004, "Nine out of ten, easily."),
]
NAMES = {"Ben & Jerry's": "interviewer", "Zoë Ñúñez": "participant"}


@pytest.fixture
def tricky(store, tmp_path):
    path = tmp_path / "call.vtt"
    path.write_text(TRICKY_VTT, encoding="utf-8")
    report = pipeline.add_files(store, [str(path)])
    assert report.ok, report.errors
    return store, report.added[0]


def _turns(store, interview_id):
    return [(s.speaker, s.start, s.end, s.text) for s in store.segments(interview_id)]


def test_vtt_import_decodes_entities_and_voice_names(tricky):
    store, interview = tricky
    assert _turns(store, interview.id) == EXPECTED
    assert interview.metadata["speaker_names"] == NAMES
    assert interview.participant == "Zoë Ñúñez"


def test_vtt_export_escapes_text_and_voice_names(tricky):
    store, interview = tricky
    vtt = E.transcript_text(store, interview.id, "vtt")
    assert "<v Ben &amp; Jerry's>What did R&amp;D say about the &lt;script&gt; tag?</v>" in vtt
    assert "<v Zoë Ñúñez>They said a &gt; b, and I typed &amp;amp; literally." in vtt
    captions = webvtt.from_string(vtt).captions  # a conforming file for a WebVTT reader
    assert [c.voice for c in captions] == ["Ben &amp; Jerry's", "Zoë Ñúñez"] * 2
    assert captions[-1].end == "01:00:03.004"


@pytest.mark.parametrize("fmt", ["vtt", "srt", "json", "txt"])
def test_every_transcript_format_imports_back_to_the_same_turns(tricky, tmp_path, fmt):
    store, interview = tricky
    path = tmp_path / f"again.{fmt}"
    path.write_text(E.transcript_text(store, interview.id, fmt), encoding="utf-8")
    target = Store(tmp_path / f"{fmt}.db")
    report = pipeline.add_files(target, [str(path)])
    assert report.ok, report.errors
    again = report.added[0]
    got = _turns(target, again.id)
    if fmt == "txt":  # the txt shows whole seconds and no end times: speakers, text and starts
        assert [(s, int(a), t) for s, a, _, t in got] == [(s, int(a), t) for s, a, _, t in EXPECTED]
    else:
        assert got == EXPECTED
    if fmt != "json":  # JSON carries roles, the others the names the source transcript used
        assert again.metadata["speaker_names"] == NAMES


def test_names_step_aside_once_a_researcher_relabels_speakers(tricky):
    """Names were matched to roles at import; after a swap they would sit on the other voice."""
    from interview_miner import review

    store, interview = tricky
    assert "<v Zoë Ñúñez>They said" in E.transcript_text(store, interview.id, "vtt")
    review.swap_speakers(store, interview.id)
    vtt = E.transcript_text(store, interview.id, "vtt")
    assert "Zoë" not in vtt and "<v Interviewer>They said" in vtt
    assert "Zoë" not in E.transcript_text(store, interview.id, "srt")


def test_srt_keeps_angle_brackets_that_are_not_formatting(tmp_path):
    path = tmp_path / "x.srt"
    path.write_text("1\n00:00:00,000 --> 00:00:02,000\nAnn: <b>Pricing</b> <10 seats> & R&D\n", encoding="utf-8")
    (turn,) = capture.parse_transcript(path)
    assert (turn.speaker_name, turn.text) == ("Ann", "Pricing <10 seats> & R&D")


def test_a_broken_subtitle_file_gets_a_clear_error(store, tmp_path):
    bad = tmp_path / "bad.vtt"
    bad.write_text("NOT A VTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n", encoding="utf-8")
    report = pipeline.add_files(store, [str(bad)])
    assert report.errors and "bad.vtt" in report.errors[0] and "WebVTT" in report.errors[0]
    assert store.list_interviews() == []


def test_a_folder_walk_skips_json_but_a_named_json_transcript_is_accepted(tricky, tmp_path):
    store, interview = tricky
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "study.json").write_text("{}", encoding="utf-8")
    assert capture.expand_paths([str(folder)]) == []
    assert capture.file_kind(folder / "study.json") == "transcript"
    report = pipeline.add_files(Store(tmp_path / "j.db"), [str(folder / "study.json")])
    assert report.errors and "not an interview-miner transcript JSON" in report.errors[0]


# ---------------------------------------------------------------------------------------------
# Spreadsheets
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def literal(store):
    load_literal_study(store)
    persona_review.suggest_and_save(store)
    return store


def test_csv_file_starts_with_a_utf8_bom_unless_turned_off(literal, tmp_path, capsys):
    from interview_miner.review import set_participant

    set_participant(literal, 1, "Zoë Ñúñez")
    with_bom = E.export_study(literal, "csv", tmp_path / "a.csv")[0].read_bytes()
    assert with_bom.startswith(codecs.BOM_UTF8)
    rows = list(csv.DictReader(io.StringIO(with_bom.decode("utf-8-sig"))))
    assert "Zoë Ñúñez" in {r["participant"] for r in rows} and "id" in rows[0]
    assert main(["export", "--db", literal.path, "--format", "csv", "--no-bom", "--out", str(tmp_path / "b.csv")]) == 0
    assert (tmp_path / "b.csv").read_bytes() == with_bom[len(codecs.BOM_UTF8):]
    capsys.readouterr()
    assert main(["export", "--db", literal.path, "--format", "csv"]) == 0
    assert not capsys.readouterr().out.startswith("\ufeff")  # standard output: data for pipes, no BOM


def test_xlsx_has_every_sheet_with_numbers_as_numbers(literal, tmp_path):
    path = E.export_study(literal, "xlsx", tmp_path / "study.xlsx")[0]
    wb = load_workbook(path)
    assert wb.sheetnames == list(SHEETS) == ["quotes", "themes", "personas", "nps", "interviews"]
    study = E.load_study(literal)
    quotes = list(wb["quotes"].iter_rows(values_only=True))
    assert quotes[0][:3] == ("id", "interview_id", "participant") and len(quotes) == len(study.quotes) + 1
    assert isinstance(quotes[1][4], (int, float)) and isinstance(quotes[1][1], int)  # numbers, not text
    themes = list(wb["themes"].iter_rows(values_only=True))
    assert len(themes) == len(study.themes) + 1
    head, *claims = list(wb["personas"].iter_rows(values_only=True))
    col = {name: n for n, name in enumerate(head)}
    with_counts = [r for r in claims if r[col["claim"]]]
    assert with_counts and all(isinstance(r[col["count"]], int) and r[col["count"]] <= r[col["of"]] for r in with_counts)
    assert {r[col["persona"]] for r in claims} == {p.name for p in study.personas}
    nps = list(wb["nps"].iter_rows(values_only=True))
    assert sorted(r[2] for r in nps[1:]) == [6, 7, 9, 10]
    interviews = list(wb["interviews"].iter_rows(values_only=True))
    assert [r[1] for r in interviews[1:]] == [i.participant for i in study.interviews]


def test_xlsx_text_never_runs_as_a_formula_and_bytes_are_stable(store, tmp_path):
    load_literal_study(store)
    q = store.quotes()[0]
    store.add_edit("quote", q.id, "text", '=HYPERLINK("http://evil","x")')
    first = E.export_study(store, "xlsx", tmp_path / "a.xlsx")[0]
    ws = load_workbook(first)["quotes"]
    col = [c.value for c in ws[1]].index("text") + 1
    cell = ws.cell(row=2, column=col)
    assert cell.value == '=HYPERLINK("http://evil","x")' and cell.data_type == "s"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    second = E.export_study(Store(store.path), "xlsx", tmp_path / "b.xlsx")[0]
    assert first.read_bytes() == second.read_bytes()
