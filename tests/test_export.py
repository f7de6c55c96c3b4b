"""Study exports (md, html, json, csv, pdf, transcripts) from real temporary stores."""
from __future__ import annotations

import base64
import csv
import io
import json
import re
import shutil
import subprocess

import pytest

from conftest import shared_path
from corpus_fixture import HOSTILE, load_corpus, load_literal_study
from interview_miner import export as E
from interview_miner import persona_review
from interview_miner.cli import main
from interview_miner.export import data, pdf, report
from interview_miner.models import PERSONA_FIELDS
from interview_miner.store import Store

TEXT_FORMATS = ("md", "html", "json", "csv")


@pytest.fixture
def literal(store):
    load_literal_study(store)
    persona_review.suggest_and_save(store)
    return store


@pytest.fixture
def hostile(store):
    load_literal_study(store, hostile=True)
    persona_review.suggest_and_save(store)
    pid = store.personas()[0].id
    persona_review.rename_persona(store, pid, f"Evil {HOSTILE}")
    persona_review.set_field(store, pid, "goals", f"**bold** {HOSTILE}")
    return store


def pdf_pages(blob: bytes) -> int:
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", blob)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", blob)]
    return max(counts, default=0)


# ---------------------------------------------------------------------------------------------
# Determinism: same store, same bytes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv", "pdf"])
def test_exports_are_byte_identical_for_the_same_study(literal, tmp_path, fmt):
    first = E.export_study(literal, fmt, tmp_path / f"a.{fmt}")[0].read_bytes()
    second = E.export_study(Store(literal.path), fmt, tmp_path / f"b.{fmt}")[0].read_bytes()
    # a second store built the same way (other file, other row timestamps) exports the same bytes
    twin = Store(tmp_path / "twin.db")
    load_literal_study(twin)
    persona_review.suggest_and_save(twin)
    third = E.export_study(twin, fmt, tmp_path / f"c.{fmt}")[0].read_bytes()
    assert first == second == third
    assert len(first) > 500


def test_transcripts_export_is_deterministic_srt_and_vtt(literal, tmp_path):
    a = E.export_study(literal, "transcripts", tmp_path / "a")
    b = E.export_study(literal, "transcripts", tmp_path / "b")
    assert [p.name for p in a] == [p.name for p in b] == [
        f"{i:03d}-interview_{i}.{ext}" for i in range(1, 5) for ext in ("srt", "vtt")]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))
    vtt = (tmp_path / "a" / "001-interview_1.vtt").read_text()
    assert vtt.startswith("WEBVTT") and "<v Participant>" in vtt
    srt = (tmp_path / "a" / "001-interview_1.srt").read_text()
    assert srt.startswith("1\n00:00:00,000 --> 00:00:02,000\n")


# ---------------------------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------------------------


def test_html_escapes_every_piece_of_user_text(hostile):
    html = E.render_study(E.load_study(hostile, title=f"Study {HOSTILE}"), "html")
    assert "<script" not in html.lower()
    # participant name, theme label, quote, persona name, field text, title: all escaped
    assert html.count("&lt;script&gt;") >= 6
    assert "Ann Owner &lt;script&gt;" in html
    assert "No shows &lt;script&gt;" in html
    assert "Evil &lt;script&gt;" in html
    assert "<title>Study &lt;script&gt;" in html
    # self-contained: no external resources
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html


def test_html_avatar_only_inline_images(literal):
    pid = literal.personas()[0].id
    persona_review.set_field(literal, pid, "avatar", "https://tracker.example/pixel.png")
    assert "tracker.example" not in E.render_study(E.load_study(literal), "html")
    persona_review.set_field(literal, pid, "avatar", "data:image/png;base64,iVBORw0KGgo=")
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in E.render_study(E.load_study(literal), "html")


def test_markdown_escapes_user_text(hostile):
    md = E.render_study(E.load_study(hostile), "md")
    assert "<script" not in md.lower()
    assert "&lt;script&gt;" in md
    assert r"\*bold\*" in md and r"\_x\_" in md and r"\[link\](http://evil)" in md and r"\| pipe" in md
    assert "**bold**" not in md
    assert "Ann Owner &lt;script&gt;" in md


def test_markdown_renders_user_text_inert(hostile):
    markdown_it = pytest.importorskip("markdown_it")
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(
        E.render_study(E.load_study(hostile, title=f"T {HOSTILE}"), "md"))
    assert "<script" not in html and "<a " not in html
    assert "&lt;script&gt;" in html and "*bold*" in html and "[link](http://evil)" in html
    assert re.search(r"<h3>Evil &lt;script&gt;", html)
    assert "<table>" in html  # the NPS and interview tables still are tables


@pytest.mark.parametrize("text, expected", [
    ("# not a heading", r"\# not a heading"),
    ("- not a list", r"\- not a list"),
    ("12. not a list", r"12\. not a list"),
    ("a <b> & `c`", r"a &lt;b&gt; &amp; \`c\`"),
    ("two\n\nlines", "two lines"),
    ("No-shows, 5.0", "No-shows, 5.0"),
])
def test_md_escape(text, expected):
    assert report.md_escape(text) == expected


def test_csv_cells_cannot_run_as_formulas(store):
    load_literal_study(store)
    q = store.quotes()[0]
    store.add_edit("quote", q.id, "text", '=HYPERLINK("http://evil","x")')
    rows = list(csv.DictReader(io.StringIO(E.render_study(E.load_study(store), "csv"))))
    assert rows[0]["text"] == "'=HYPERLINK(\"http://evil\",\"x\")"


# ---------------------------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------------------------


def test_json_contract(literal):
    doc = json.loads(E.render_study(E.load_study(literal), "json"))
    assert doc["schema_version"] == data.SCHEMA_VERSION == 1
    assert doc["generated_by"].startswith("interview-miner ")
    assert {"interviews", "quotes", "themes", "personas", "nps", "study"} <= set(doc)
    i = doc["interviews"][0]
    assert {"id", "file_name", "participant", "nps_score", "segments"} <= set(i)
    assert i["nps_score"] == 6
    seg = i["segments"][1]
    assert {"start", "end", "speaker", "text", "words"} <= set(seg)
    assert set(seg["words"][0]) == {"start", "end", "word"}
    q = doc["quotes"][0]
    assert {"id", "interview_id", "start", "end", "text", "category", "confidence", "theme_id",
            "question", "tags", "starred"} <= set(q)
    t = doc["themes"][0]
    assert {"id", "category", "label", "quote_ids", "keywords", "n_participants"} <= set(t)
    p = doc["personas"][0]
    assert {"id", "name", "interview_ids", "fields"} <= set(p)
    assert list(p["fields"]) == sorted(PERSONA_FIELDS)  # sort_keys
    assert {"text", "quote_ids", "theme_ids", "n_participants"} <= set(p["fields"]["goals"])
    quote_ids = {q["id"] for q in doc["quotes"]}
    assert all(qid in quote_ids for t in doc["themes"] for qid in t["quote_ids"])
    assert all(qid in quote_ids for p in doc["personas"] for f in p["fields"].values() for qid in f["quote_ids"])
    assert doc["nps"]["summary"] == {"n": 4, "promoters": 2, "passives": 1, "detractors": 1, "nps": 25, "mean": 8.0}


def test_json_reflects_researcher_edits(literal):
    q = literal.quotes()[0]
    literal.add_edit("quote", q.id, "starred", True)
    literal.add_edit("quote", q.id, "tags", ["pricing", "angry"])
    doc = json.loads(E.render_study(E.load_study(literal), "json"))
    row = next(x for x in doc["quotes"] if x["id"] == q.id)
    assert row["starred"] is True and row["tags"] == ["angry", "pricing"]


def test_csv_has_one_row_per_quote(literal):
    text = E.render_study(E.load_study(literal), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == data.CSV_COLUMNS
    assert len(rows) - 1 == len(literal.quotes()) == 20
    first = dict(zip(rows[0], rows[1]))
    assert first["participant"] == "Ann Owner" and first["timestamp"] == "00:02"
    assert first["theme_label"] == "No shows" and first["category"] == "trigger"


def test_pdf_is_a_pdf_with_pages(literal):
    blob = E.render_study(E.load_study(literal), "pdf")
    assert blob.startswith(b"%PDF-") and blob.rstrip().endswith(b"%%EOF")
    assert pdf_pages(blob) >= 2


def test_pdf_without_unicode_font_survives_any_text(hostile):
    study = E.load_study(hostile)
    study.quotes[0].text = "Zoë said “fine” — 日本語 🙂 ok"
    blob = pdf.to_pdf(study, unicode_font=False)
    assert blob.startswith(b"%PDF-") and pdf_pages(blob) >= 1
    assert b"/Helvetica" in blob


def test_pdf_shows_an_uploaded_avatar_and_survives_a_broken_one(literal):
    image = pytest.importorskip("PIL.Image")
    buf = io.BytesIO()
    image.new("RGB", (32, 32), (200, 80, 60)).save(buf, format="PNG")
    first, second = sorted(p.id for p in literal.personas())
    persona_review.set_field(literal, first, "avatar", "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode())
    persona_review.set_field(literal, second, "avatar", "data:image/png;base64,AAAA")  # not an image
    blob = E.render_study(E.load_study(literal), "pdf")
    assert blob.count(b"/Subtype /Image") == 1


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) not installed")
def test_pdf_text_has_quotes_names_and_timestamps(literal, tmp_path):
    path = E.export_study(literal, "pdf", tmp_path / "r.pdf")[0]
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Personas" in text and "Net Promoter Score" in text
    assert "No-shows were costing us real money." in text
    assert "Ann Owner · 00:02" in text


# ---------------------------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------------------------


def test_report_content(literal):
    study = E.load_study(literal)
    ctx = E.report_context(study)
    assert ctx["summary"] == {"n_interviews": 4, "n_participants": 4, "n_quotes": 20, "n_themed": 16,
                              "n_unthemed": 4, "n_themes": 8, "n_sub_themes": 0, "n_personas": 2, "minutes": 4,
                              "line": "4 interviews with 4 participants, 4 minutes of conversation: 20 quotes "
                                      "(16 themed, 4 unthemed), 8 themes, 2 personas, NPS +25 (4 scored)."}
    md = E.render_study(study, "md")
    html = E.render_study(study, "html")
    for text in (md, html):
        assert "Clinic owner driven by no shows" in text
        assert "No shows" in text and "2 of 2" in text
        assert "Ann Owner" in text and "00:02" in text  # each quote: who and when
        assert "No-shows were costing us real money." in text
        assert "+25" in text  # study NPS
        assert "4 unthemed" in text  # the NPS score sentences have no theme
    assert "Promoters (9&ndash;10): 2" in html


def test_every_persona_claim_cites_member_quotes(literal):
    study = E.load_study(literal)
    for p in E.report_context(study)["personas"]:
        names = set(p["participants"])
        cited = [q for f in p["fields"] for c in f["claims"] for q in c["quotes"]]
        assert cited
        assert {q["participant"] for q in cited} <= names
        assert all(re.fullmatch(r"\d\d:\d\d", q["timestamp"]) for q in cited)


def test_a_persona_prints_each_quote_once_and_the_researchers_own_words(literal, tmp_path):
    """The machine writes a field's text from its claims; printing it above the claims printed
    every quote twice (a wall of text, then the same quotes again). Only a text the researcher
    wrote, or an empty field's plain statement, is printed above the claims."""
    from markupsafe import escape

    study = E.load_study(literal)
    pid = study.personas[0].id
    html = E.render_study(study, "html")
    article = html[html.index(f'id="persona-{pid}"'):]
    article = article[: article.index("</article>")]
    [fears] = [f for f in E.report_context(study)["personas"][0]["fields"] if f["key"] == "fears"]
    for q in fears["claims"][0]["quotes"]:
        assert article.count(str(escape(q["text"].rstrip(".")))) == 1
    assert "Nobody in this group spoke about objections." in article  # an empty field still says so
    assert fears["text"].startswith("Privacy (2 of 2 participants)")  # the spreadsheet keeps the sentence

    persona_review.set_field(literal, pid, "fears", "Fears a breach more than the price.")
    study = E.load_study(literal)
    md, html = E.render_study(study, "md"), E.render_study(study, "html")
    assert "Fears a breach more than the price." in md and "Fears a breach more than the price." in html
    from interview_miner.versions import save_version, study_from_snapshot, snapshot

    save_version(literal, "v1")  # a saved version knows which texts the researcher wrote
    again = study_from_snapshot(snapshot(study))
    assert again.written_texts == {(pid, "fears")}
    assert "Fears a breach more than the price." in E.render_study(again, "html")
    old = study_from_snapshot({k: v for k, v in snapshot(study).items() if k != "written_texts"})
    assert old.written_texts is None  # a version saved before this prints every text, as it did
    assert E.render_study(old, "html").count("Revenue (2 of 2 participants)") == 1


def test_empty_study_exports_every_format(store, tmp_path):
    for fmt in ("md", "html", "json", "csv", "pdf"):
        out = E.export_study(store, fmt, tmp_path / f"empty.{fmt}")[0]
        assert out.stat().st_size > 0
    assert "No personas yet" in (tmp_path / "empty.md").read_text()
    assert json.loads((tmp_path / "empty.json").read_text())["quotes"] == []
    assert (tmp_path / "empty.csv").read_text().count("\n") == 1
    assert E.export_study(store, "transcripts", tmp_path / "t") == []


def test_study_without_themes_or_personas(store):
    load_literal_study(store, with_themes=False)
    study = E.load_study(store)
    md = E.render_study(study, "md")
    assert "20 quotes (0 themed, 20 unthemed)" in md
    persona_review.suggest_and_save(store)  # roles and NPS classes still tell the two groups apart
    md = E.render_study(E.load_study(store), "md")
    assert "0 themes, 2 personas" in md
    # no claim is built from unthemed quotes: an empty field says so plainly (they stay listed)
    assert "No goals theme yet" in md and "unthemed quotes from" not in md  # no claim from unthemed quotes
    assert "20 quotes (0 themed, 20 unthemed)" in md  # they stay counted and listed as unthemed


def test_corpus_export(store, tmp_path):
    load_corpus(store, shared_path("corpus", "dev"))
    persona_review.suggest_and_save(store)
    study = E.load_study(store, title="ClinicFlow")
    doc = json.loads(E.render_study(study, "json"))
    assert (len(doc["interviews"]), len(doc["quotes"]), len(doc["themes"]), len(doc["personas"])) == (6, 171, 53, 2)
    assert sorted(i["nps_score"] for i in doc["interviews"]) == [6, 7, 8, 9, 9, 10]
    rows = list(csv.DictReader(io.StringIO(E.render_study(study, "csv"))))
    assert len(rows) == 171 and rows[1]["timestamp"] == "00:08"
    html = E.render_study(study, "html")
    assert "Tom Reilly" in html and "Manager driven by double bookings" in html
    assert pdf_pages(E.render_study(study, "pdf")) >= 5


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def test_cli_export(literal, tmp_path, capsys):
    db = ["--db", literal.path]
    for fmt in ("md", "html", "json", "csv", "pdf"):
        out = tmp_path / f"study.{fmt}"
        assert main(["export", "--format", fmt, "--out", str(out), "--title", "T", *db]) == 0
        assert out.exists()
    assert f"wrote {tmp_path / 'study.pdf'}" in capsys.readouterr().out
    assert main(["export", "--format", "json", *db]) == 0
    assert json.loads(capsys.readouterr().out)["schema_version"] == 1
    assert main(["export", "--format", "pdf", *db]) == 1
    assert "needs --out" in capsys.readouterr().err
    assert main(["export", "--format", "transcripts", "--out", str(tmp_path / "tr"), *db]) == 0
    assert len(list((tmp_path / "tr").iterdir())) == 8


def test_cli_export_names_theme_names_that_may_be_misheard(literal, tmp_path, capsys):
    """As the app's Export page does: a name built on a word Whisper heard unsure is named on
    standard error, and the export is still written."""
    from dataclasses import replace

    db = ["--db", literal.path]
    assert main(["export", "--format", "md", "--out", str(tmp_path / "a.md"), *db]) == 0
    assert "may be misheard" not in capsys.readouterr().err
    q = next(q for q in literal.quotes() if q.id == "lit2_0")  # in "Double booking"
    segments = literal.segments(q.interview_id)
    for seg in segments:
        seg.words = [replace(w, probability=0.2) if seg.start <= q.start < seg.end and w.word.strip(".") == "booking"
                     else w for w in seg.words]
    literal.replace_segments(q.interview_id, segments)
    assert main(["export", "--format", "md", "--out", str(tmp_path / "b.md"), *db]) == 0
    assert "note: 1 theme name holds words that may be misheard: “Double booking”" in capsys.readouterr().err
    assert (tmp_path / "b.md").exists()


def test_report_says_which_scores_are_not_in_the_words_and_where_to_listen(store, tmp_path):
    """A score heard again in the audio is shown with the misheard words it stands on, and says so;
    an answer with no score read or heard is listed with the moment to listen, in every report."""
    from interview_miner.models import Interview, Quote

    ask = "How likely are you to recommend us, from zero to ten?"
    ids = [store.add_interview(Interview(id=None, content_hash=f"h{n}", file_name=f"{name}.wav", kind="audio")).id
           for n, name in enumerate(("read", "heard", "unsure"))]
    said = {ids[0]: "I'd give it an eight.", ids[1]: "Definitely attend.", ids[2]: "And I'm easily,"}
    store.save_quotes([Quote(f"q{iid}", iid, 136.8, 138.0, text, question=ask) for iid, text in said.items()])
    store.save_categories([(f"q{iid}", "nps_score", 0.9) for iid in ids])
    store.save_nps([{"interview_id": ids[0], "score": 8, "klass": "passive", "quote_id": f"q{ids[0]}", "text": said[ids[0]]},
                    {"interview_id": ids[1], "score": 10, "klass": "promoter", "quote_id": f"q{ids[1]}", "text": said[ids[1]]}])
    study = E.load_study(store)
    view = E.report_context(study)["nps"]
    assert [r["not_in_words"] for r in view["rows"]] == [False, True]
    assert view["unscored"] == [{"participant": "unsure.wav", "interview_id": ids[2], "listen_at": "02:16",
                                 "suggested": None, "why": "No score read or heard"}]
    md, html = E.render_study(study, "md"), E.render_study(study, "html")
    assert "| unsure.wav | – | listen to confirm | no score read or heard: the answer is at 02:16 |" in md
    assert md.count("the score is not in these words") == 1 and "Definitely attend.” (02:16) _the score is not" in md
    assert "No score read or heard: the answer is at <span class=\"ts\">02:16</span>" in html
    assert html.count("The score is not in these words") == 1
    path = E.export_study(store, "pdf", tmp_path / "r.pdf")[0]
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "No score read or heard: the answer is at 02:16" in text and "The score is not in these words" in text


def test_report_says_when_the_answer_and_the_interviewers_echo_disagree(store, tmp_path):
    """"Five." heard, "Why nine?" asked next: no score was taken, and the report says both numbers
    where it says where to listen; a typed transcript's answer would have been taken as said."""
    from interview_miner.models import Interview, Quote

    ask = "How likely are you to recommend us, from zero to ten?"
    iid, read = (store.add_interview(Interview(id=None, content_hash=f"h-{name}", file_name=f"{name}.wav", kind="audio")).id
                 for name in ("echo", "read"))
    store.save_quotes([Quote("qa", iid, 136.8, 138.0, "Five.", question=ask),
                       Quote("qb", iid, 140.0, 142.0, "Support is quick.", question="Why nine?", index=1),
                       Quote("qc", read, 100.0, 101.0, "An eight.", question=ask)])
    store.save_categories([("qa", "nps_score", 0.9), ("qb", "nps_reason", 0.9), ("qc", "nps_score", 0.9)])
    store.save_nps([{"interview_id": read, "score": 8, "klass": "passive", "quote_id": "qc", "text": "An eight."}])
    view = E.report_context(E.load_study(store))["nps"]
    assert view["unscored"] == [{"participant": "echo.wav", "interview_id": iid, "listen_at": "02:16", "suggested": None,
                                 "why": "The answer reads 5, the interviewer says back 9"}]
    html = E.render_study(E.load_study(store), "html")
    assert "The answer reads 5, the interviewer says back 9: the answer is at <span class=\"ts\">02:16</span>" in html


def test_a_role_nobody_typed_in_is_shown_with_where_they_said_it(store, tmp_path):
    """The persona's role built from what members said ("I'm the office manager at ...") is a
    claim like the others: the report cites the quote (escaped), in every format."""
    from interview_miner.models import Interview, Quote

    quotes = []
    for n, text in enumerate([f"Sure, I'm the office manager at a clinic called {HOSTILE}.",
                              "I'm the office manager for two practices."]):
        i = store.add_interview(Interview(id=None, content_hash=f"said{n}", file_name=f"s{n}.txt", kind="transcript",
                                          participant=f"P{n}", status="transcribed"))
        quotes += [Quote(f"said{n}", i.id, 65.0, 70.0, text, category="other"),
                   Quote(f"said{n}b", i.id, 80.0, 85.0, "No-shows cost us a fortune.", category="trigger")]
    store.save_quotes(quotes)
    first = persona_review.suggest_and_save(store)[0]  # no themes: one persona each; the researcher joins them
    persona_review.set_members(store, first.id, [i.id for i in store.list_interviews()])
    study = E.load_study(store)
    [p] = [p for p in E.report_context(study)["personas"] if p["id"] == first.id]
    assert p["role"] == "Office manager"
    assert [(q["participant"], q["timestamp"]) for q in p["role_said"]] == [("P0", "01:05"), ("P1", "01:05")]
    # with no themes the name is the role: printed once, not again under it
    assert (p["name"], p["role_line"]) == ("Office manager", "")
    html = E.render_study(study, "html")
    assert '<div class="role">' not in html
    assert "<script" not in html.lower()
    assert "In their words: “Sure, I&#39;m the office manager at a clinic called &lt;script&gt;alert(" in html
    assert "“I&#39;m the office manager for two practices.” (P1, 01:05)" in html
    md = E.render_study(study, "md")
    assert "_In their words: “Sure, I'm the office manager at a clinic called" in md and "(P1, 01:05)_" in md
    path = E.export_study(store, "pdf", tmp_path / "r.pdf")[0]
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "In their words:" in " ".join(text.split())
