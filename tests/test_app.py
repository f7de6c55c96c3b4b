"""The Streamlit pages, run headless with AppTest against a real temporary study.

Each test fills a study through the store API, points the app at it with $INTERVIEW_MINER_DB,
and checks what the page shows and that widget interactions write the expected edits.
"""
from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from corpus_fixture import load_literal_study
from interview_miner import persona_review, pipeline, worker
from interview_miner.app import MAIN_SCRIPT
from interview_miner.models import INTERVIEWER, PARTICIPANT, Segment, Word
from interview_miner.store import Store

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 30


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "study.db"
    monkeypatch.setenv("INTERVIEW_MINER_DB", str(path))
    monkeypatch.delenv("INTERVIEW_MINER_RECORDINGS", raising=False)
    return path


@pytest.fixture
def study(db):
    s = Store(db)
    load_literal_study(s)
    yield s
    s.close()


def app(page: str | None = None, script: Path = MAIN_SCRIPT) -> AppTest:
    """The whole app (navigation + sidebar), on `page` (a file under app_pages/) if given."""
    at = AppTest.from_file(str(script), default_timeout=TIMEOUT).run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at, kind: str = "markdown") -> str:
    return "\n".join(str(e.value) for e in getattr(at, kind))


def wav_bytes(seconds: float = 4.0, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


# --- Study --------------------------------------------------------------------------------------


def test_study_page_empty_state(db):
    at = app()
    assert at.title[0].value == "Study"
    assert "No interviews yet — upload recordings or transcripts above." in texts(at, "info")
    assert {m.label: m.value for m in at.metric}["Interviews"] == "0"
    assert "up to 2 GB each" in texts(at, "caption")


def test_root_app_py_of_a_clone_runs_the_packaged_app(db):
    """`streamlit run app.py` (a clone) and `interview-miner app` (an install) show the same app."""
    at = app(script=REPO / "app.py")
    assert at.title[0].value == "Study"
    assert "No interviews yet — upload recordings or transcripts above." in texts(at, "info")


def test_study_page_lists_interviews_with_metrics(study):
    at = app()
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Interviews"], metrics["Quotes"], metrics["Themes"]) == ("4", "20", "8")
    table = at.dataframe[0].value
    assert list(table["participant"]) == ["Ann Owner", "Bob Owner", "Cat Manager", "Dan Manager"]
    assert set(table["status"]) == {"transcribed"} and list(table["quotes"]) == [5, 5, 5, 5]


def test_upload_adds_good_files_and_names_the_bad_one(db):
    at = app()
    up = at.file_uploader[0]
    up.upload("call-with-priya.txt", b"Interviewer: What set it off?\nParticipant: We kept double booking patients.\n",
              "text/plain")
    up.upload("empty-notes.txt", b"   \n", "text/plain")
    up.upload("tone.wav", wav_bytes(), "audio/wav")
    at.text_input[1].input("Priya Shah")  # [0] is the study path
    at.text_area[0].input("role=Office manager\ncompany_size=12")
    at.run()  # the browser reruns after an upload; the button is enabled once files are there
    next(b for b in at.button if b.label == "Add to study").click()
    at.run()
    assert not at.exception
    s = Store(db)
    added = {i.file_name: i for i in s.list_interviews()}
    assert set(added) == {"call-with-priya.txt", "tone.wav"}
    assert added["call-with-priya.txt"].participant == "Priya Shah"
    assert added["tone.wav"].metadata["role"] == "Office manager"
    assert added["tone.wav"].metadata["company_size"] == "12"
    errors = texts(at, "error")
    assert "empty-notes.txt" in errors and "call-with-priya" not in errors
    assert list(at.dataframe[0].value["file"]) == ["call-with-priya.txt", "tone.wav"]


def test_two_uploads_added_as_the_separate_tracks_of_one_call(db):
    at = app()
    up = at.file_uploader[0]
    up.upload("audioPriya.wav", wav_bytes(), "audio/wav")
    up.upload("audioSam.wav", wav_bytes(3.0), "audio/wav")
    at.run()
    box = next(c for c in at.checkbox if c.label.startswith("These files are the separate tracks of one call"))
    assert not box.disabled
    box.check()
    next(b for b in at.button if b.label == "Add to study").click()
    at.run()
    assert not at.exception and not texts(at, "error")
    (interview,) = Store(db).list_interviews()
    assert interview.file_name == "audioPriya.wav + audioSam.wav"
    assert interview.metadata["channels"] == 2 and interview.metadata["tracks"] == ["audioPriya.wav", "audioSam.wav"]
    assert abs(interview.duration - 4.0) < 0.05


def test_bad_metadata_line_is_refused(db):
    at = app()
    at.file_uploader[0].upload("a.txt", b"Interviewer: Hi?\nParticipant: Hello there, we use paper.\n", "text/plain")
    at.text_area[0].input("role Office manager")
    at.run()
    next(b for b in at.button if b.label == "Add to study").click()
    at.run()
    assert "Details must be key=value: role Office manager" in texts(at, "error")
    assert Store(at.session_state["db_path"]).list_interviews() == []


def test_process_buttons_start_jobs_and_progress_comes_from_the_jobs_table(study, monkeypatch):
    started = []

    def fake_start(db_path, kind, params):
        started.append((kind, params))
        s = Store(db_path)
        job_id = s.create_job(kind, params)
        s.update_job(job_id, status="running", pid=4242, progress=0.42, message="Transcribe: dev03.m4a: transcribed 61/145 s")
        return job_id

    monkeypatch.setattr(worker, "start_job", fake_start)
    monkeypatch.setattr(worker, "pid_alive", lambda pid: pid == 4242)
    at = app()
    at.text_input(key="vocab").input("ClinicFlow, HIPAA")
    next(b for b in at.button if b.label == "Process everything").click()
    at.run()
    assert started == [("process", {"hotwords": "ClinicFlow, HIPAA", "n_speakers": 2})]
    bars = at.get("progress")
    assert bars and bars[0].value == 42 and "transcribed 61/145 s" in bars[0].proto.text
    assert all(b.disabled for b in at.button if b.label in ("Transcribe", "Mine themes", "Process everything"))

    # A fresh session (a reload) shows the same job: state lives in the jobs table.
    again = app()
    assert again.get("progress")[0].value == 42


def test_interrupted_job_can_be_resumed_and_failures_show_the_file(study, monkeypatch):
    resumed = []
    monkeypatch.setattr(worker, "resume_job", lambda db_path, job_id: resumed.append(job_id) or job_id)
    job_id = study.create_job("transcribe", {})
    study.update_job(job_id, status="running", pid=999999, progress=0.3, message="Transcribe: dev03.m4a: transcribed 40/145 s")
    at = app()
    assert "Interrupted" in texts(at)
    next(b for b in at.button if b.label == "Resume").click()
    at.run()
    assert resumed == [job_id]

    study.update_job(job_id, status="failed", error="dev03.m4a: stored recording is missing (/x/dev03.m4a)")
    at = app()
    assert "dev03.m4a: stored recording is missing" in texts(at, "error")


def test_open_another_study_file(study, tmp_path):
    at = app()
    other = tmp_path / "second.db"
    at.text_input[0].input(str(other))
    next(b for b in at.button if b.label == "Open study").click()
    at.run()
    assert at.session_state["db_path"] == str(other) and other.exists()
    assert {m.label: m.value for m in at.metric}["Interviews"] == "0"


# --- Transcripts --------------------------------------------------------------------------------


def add_audio_interview(study, tmp_path) -> int:
    src = tmp_path / "call.wav"
    src.write_bytes(wav_bytes())
    interview = pipeline.add_files(study, [str(src)], participant="Eve Example").added[0]
    study.replace_segments(interview.id, [
        Segment(0.0, 1.8, "What made you start looking?", INTERVIEWER),
        Segment(2.1, 3.9, "We lost our receptionist and the bookings fell apart.", PARTICIPANT),
    ])
    study.update_interview(interview.id, status="transcribed")
    return interview.id


def test_transcript_page_plays_from_a_line(study, tmp_path):
    iid = add_audio_interview(study, tmp_path)
    at = app("transcript")
    at.selectbox(key="interview").set_value(iid).run()
    assert "We lost our receptionist and the bookings fell apart\\." in texts(at)
    seg = study.segments(iid)[1]
    at.button(key=f"seg_play_{seg.id}").click().run()
    assert at.session_state["play"] == {"interview_id": iid, "start": 2.1}
    assert any("Now playing" in c.value and "from 00:02" in c.value for c in at.sidebar.caption)
    assert at.sidebar.get("audio"), "the sidebar player shows the recording"


def test_a_call_of_five_tracks_plays_as_a_mono_excerpt(study, tmp_path):
    """A browser mixes a five-channel FLAC down as it likes (it may drop people): such a call is
    played as a decoded mono excerpt, with 'Play on' for the next stretch."""
    import numpy as np

    from interview_miner import capture

    rng = np.random.default_rng(1)
    paths = []
    for k in range(5):
        x = np.zeros(16000 * 5, dtype=np.float32)
        x[k * 16000: (k + 1) * 16000] = 0.2 * rng.standard_normal(16000)
        paths.append(str(capture.write_wav(tmp_path / f"person{k}.wav", x)))
    interview = pipeline.add_tracks(study, paths).added[0]
    study.replace_segments(interview.id, [Segment(1.0, 2.0, "What made you start looking?", INTERVIEWER)])
    study.update_interview(interview.id, status="transcribed")
    at = app("transcript")
    at.selectbox(key="interview").set_value(interview.id).run()
    at.button(key=f"seg_play_{study.segments(interview.id)[0].id}").click().run()
    assert at.sidebar.get("audio") and at.sidebar.button(key="play_on"), "a mono excerpt, not the file"
    iid = add_audio_interview(study, tmp_path)  # a plain recording is still played whole
    at = app("transcript")
    at.selectbox(key="interview").set_value(iid).run()
    at.button(key=f"seg_play_{study.segments(iid)[0].id}").click().run()
    assert at.sidebar.get("audio") and not [b for b in at.sidebar.button if b.key == "play_on"]


def test_transcript_marks_words_heard_with_low_confidence(study, tmp_path):
    src = tmp_path / "call.wav"
    src.write_bytes(wav_bytes())
    iid = pipeline.add_files(study, [str(src)], participant="Eve Example").added[0].id
    heard = [(" We", 0.95), (" moved", 0.9), (" off", 0.9), (" Clinicflo,", 0.21), (" finally.", 0.8)]
    words = [Word(2.1 + 0.3 * n, 2.4 + 0.3 * n, w, p) for n, (w, p) in enumerate(heard)]
    study.replace_segments(iid, [Segment(0.0, 1.8, "What did you switch from?", INTERVIEWER),
                                 Segment(2.1, 3.9, " We moved off Clinicflo, finally.", PARTICIPANT, words=words)])
    study.update_interview(iid, status="transcribed")
    at = app("transcript")
    at.selectbox(key="interview").set_value(iid).run()
    assert "We moved off :orange-background[Clinicflo], finally\\." in texts(at)  # the comma stays outside
    at.toggle(key="mark_unsure").set_value(False).run()
    assert "We moved off Clinicflo, finally\\." in texts(at) and "orange-background" not in texts(at)


def test_transcript_search_and_word_fix(study):
    at = app("transcript")
    at.text_input(key="search").input("double").run()
    found = texts(at)
    assert "We kept **double** booking patients" in found and ":gray[Cat Manager · 00:02 · Participant]" in found
    ann = study.list_interviews()[0].id
    at.selectbox(key="interview").set_value(ann).run()
    heard = next(t for t in at.text_input if t.label == "Heard")
    should = next(t for t in at.text_input if t.label == "Should be")
    heard.input("No-shows")
    should.input("Missed appointments")
    next(b for b in at.button if b.label == "Replace").click()
    at.run()
    assert study.segments(ann)[1].text == "Missed appointments were costing us real money."
    assert study.segments(ann, apply_edits=False)[1].text == "No-shows were costing us real money."


def test_transcript_fix_table_and_speaker_swap(study):
    at = app("transcript")
    iid = at.selectbox(key="interview").value
    editor = at.data_editor[0]  # cell edits themselves need a browser (see test_browser.py)
    assert editor.editing_mode == "fixed"
    assert list(editor.value["speaker"][:2]) == [INTERVIEWER, PARTICIPANT]
    next(b for b in at.button if b.label == "Swap interviewer and participant").click()
    at.run()
    assert [s.speaker for s in study.segments(iid)][:2] == [PARTICIPANT, INTERVIEWER]
    assert list(at.data_editor[0].value["speaker"][:2]) == [PARTICIPANT, INTERVIEWER]


def test_similar_quotes_tab(study):
    at = app("transcript")
    at.selectbox(key=f"similar_{at.selectbox(key='interview').value}").set_value("lit0_1").run()
    assert "Similarity" in [m.label for m in at.metric]
    assert "Data privacy was my main fear" in texts(at)


# --- Themes -------------------------------------------------------------------------------------


def test_themes_board_shows_categories_and_counts(study):
    at = app("themes")
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Themes"], metrics["Unthemed quotes"]) == ("8", "4")
    assert [t.label for t in at.tabs] == ["Triggers", "Fears", "NPS reasons", "Outcomes", "NPS scores"]
    assert "**Double booking**" in texts(at) and "2 participants · 2 quotes" in texts(at)


def test_rename_theme_from_the_board(study):
    at = app("themes")
    selected = at.subheader[0].value
    tid = next(t.id for t in study.themes() if t.label == selected)
    box = next(t for t in at.text_input if t.label == "Theme name")
    box.input("Double bookings every week")
    at.button(key=f"rename_go_{tid}").click()
    at.run()
    assert next(t for t in study.themes() if t.id == tid).label == "Double bookings every week"
    assert at.subheader[0].value == "Double bookings every week"
    assert [(e["entity"], e["field"]) for e in study.edit_history()] == [("theme", "label")]


def test_star_move_and_tag_a_quote(study):
    at = app("themes")
    tid = "trigger_double_booking"
    at.button(key=f"star_{tid}_lit2_0").click().run()
    assert next(q for q in study.quotes() if q.id == "lit2_0").starred
    at.selectbox(key=f"dest_{tid}_lit3_0").set_value("theme:fear_migration").run()
    at.button(key=f"move_{tid}_lit3_0").click().run()
    q = next(q for q in study.quotes() if q.id == "lit3_0")
    assert (q.category, q.theme_id) == ("fear", "fear_migration")
    tags = next(m for m in at.multiselect if m.key and m.key.startswith(f"qtags_{tid}_lit2_0_"))
    tags.set_value(["urgent"]).run()
    assert next(q for q in study.quotes() if q.id == "lit2_0").tags == ["urgent"]


def test_merge_split_and_delete_from_the_board(study):
    at = app("themes")
    tid = "trigger_double_booking"
    at.multiselect(key=f"merge_{tid}").set_value(["trigger_no_shows"]).run()
    at.button(key=f"merge_go_{tid}").click().run()
    merged = next(t for t in study.themes() if t.id == tid)
    assert len(merged.quote_ids) == 4 and "trigger_no_shows" not in {t.id for t in study.themes()}
    at.multiselect(key=f"split_{tid}").set_value(["lit0_0"])
    at.text_input(key=f"split_label_{tid}").input("Lost revenue").run()
    at.button(key=f"split_go_{tid}").click().run()
    assert any(t.label == "Lost revenue" and t.quote_ids == ["lit0_0"] for t in study.themes())
    at.button(key=f"delete_go_{tid}").click().run()
    assert tid not in {t.id for t in study.themes()}
    assert "Unthemed quotes" in texts(at)


def test_unthemed_quotes_are_visible_and_assignable(study):
    at = app("themes")
    at.session_state["category"] = "NPS scores"
    at.run()
    assert "**Unthemed quotes**" in texts(at)
    at.multiselect(key="new_nps_score").set_value(["lit0_4", "lit1_4"])
    at.text_input(key="new_label_nps_score").input("Scores").run()
    at.button(key="new_go_nps_score").click().run()
    assert next(t for t in study.themes() if t.label == "Scores").quote_ids == ["lit0_4", "lit1_4"]


# --- Personas -----------------------------------------------------------------------------------


def test_personas_empty_state_and_suggest(study):
    at = app("personas")
    assert "No personas yet" in texts(at, "info")
    assert "the themes are mined" in texts(at, "info")  # themes exist: says what to press, not to mine
    next(b for b in at.button if b.label == "Suggest personas").click()
    at.run()
    assert len(study.personas()) == 2
    assert len(at.tabs) == 2
    assert any(b.label == "Suggest personas again" for b in at.button)


def test_edit_persona_fields_and_pick_evidence(study):
    pid = persona_review.suggest_and_save(study)[0].id
    at = app("personas")
    name = next(t for t in at.text_input if t.key and t.key.startswith(f"pf_{pid}_name_"))
    name.input("Owner-clinician").run()
    assert persona_review.get_persona(study, pid).name == "Owner-clinician"
    assert at.tabs[0].label == "Owner-clinician"
    assert "0 participants" in texts(at)  # criteria: no quotes picked (st.badge renders as Markdown)
    fears = next(m for m in at.multiselect if m.key and m.key.startswith(f"evidence_{pid}_fears_"))
    assert fears.label == "Supporting quotes (2)"
    fears.set_value(["lit0_1"]).run()
    assert persona_review.get_persona(study, pid).fields["fears"].quote_ids == ["lit0_1"]
    fears = next(m for m in at.multiselect if m.key and m.key.startswith(f"evidence_{pid}_fears_"))
    assert fears.label == "Supporting quotes (1)" and fears.value == ["lit0_1"]
    claim = next(t for t in at.text_area if t.key and t.key.startswith(f"claim_{pid}_fears_"))
    claim.input("Worries that patient data leaks.").run()
    assert persona_review.get_persona(study, pid).fields["fears"].text == "Worries that patient data leaks."


def test_upload_a_persona_photo(study):
    from PIL import Image

    pid = persona_review.suggest_and_save(study)[0].id
    buf = io.BytesIO()
    Image.new("RGB", (900, 600), (79, 70, 229)).save(buf, format="PNG")
    at = app("personas")
    at.file_uploader(key=f"avatar_{pid}").upload("me.png", buf.getvalue(), "image/png")
    at.run()
    avatar = persona_review.get_persona(study, pid).avatar
    assert avatar.startswith("data:image/jpeg;base64,")  # shrunk to a small JPEG data URI
    assert len(avatar) < 40_000 and len(at.image) == 1, "the photo is shown"
    assert [e["field"] for e in study.edit_history("persona")] == ["avatar"]


def test_create_persona(study):
    at = app("personas")
    at.text_input(key="new_persona_name").input("The sceptic").run()
    next(b for b in at.button if b.label == "Create").click()
    at.run()
    assert [p.name for p in study.personas()] == ["The sceptic"]


# --- Overview and export ------------------------------------------------------------------------


def test_overview_metrics_and_saturation_line(study):
    persona_review.suggest_and_save(study)
    at = app("overview")
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Participants"], metrics["Themes"], metrics["Personas"], metrics["NPS"]) == ("4", "8", "2", "+25")
    assert "Last 3 interviews added 4 new themes" in texts(at, "info")
    assert len(at.get("vega_lite_chart")) == 5  # with NPS reasons by band (earns vs loses)


def test_overview_empty_state(db):
    at = app("overview")
    assert "Nothing to chart yet" in texts(at, "info")


def test_export_page_offers_the_report_and_transcripts(study):
    from interview_miner import export

    names = [p.name for p in persona_review.suggest_and_save(study)]
    at = app("export")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download Markdown", "Download"]  # the report, then one transcript
    preview = texts(at)
    assert all(n in preview for n in names)
    assert preview.strip() in export.render_study(export.load_study(study), "md")  # the CLI's bytes
    at.segmented_control(key="export_format").set_value("PDF").run()
    assert not at.exception and [b.proto.label for b in at.get("download_button")][0] == "Download PDF"


def test_export_page_empty_state(db):
    at = app("export")
    assert "Nothing to export yet" in texts(at, "info") and "No transcripts yet." in texts(at, "info")


# --- two tabs -----------------------------------------------------------------------------------


def test_two_tabs_keep_both_edits(study):
    tab_a, tab_b = app("themes"), app("themes")
    tid = "trigger_double_booking"
    next(t for t in tab_a.text_input if t.label == "Theme name").input("Double bookings")
    tab_a.button(key=f"rename_go_{tid}").click().run()
    # Tab B still shows the old name; it tags the theme and stars a quote.
    next(m for m in tab_b.multiselect if m.label == "Theme tags").set_value(["ops"]).run()
    tab_b.button(key=f"star_{tid}_lit2_0").click().run()
    t = next(t for t in study.themes() if t.id == tid)
    assert (t.label, t.tags) == ("Double bookings", ["ops"])
    assert tab_b.subheader[0].value == "Double bookings"  # B re-read the store; it wrote no stale label
    assert [e["field"] for e in study.edit_history()] == ["label", "tags", "starred"]


def test_transcript_page_corrects_a_misheard_nps_score(study):
    at = app("transcript")
    iid = study.list_interviews()[0].id
    at.selectbox(key="interview").set_value(iid).run()
    at.number_input(key=f"nps_{iid}").set_value(4).run()
    next(b for b in at.button if b.label == "Save score").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert study.nps()[iid]["score"] == 4 and study.nps()[iid]["klass"] == "detractor"
    assert any(e.label.startswith("Likelihood to recommend: 4 (detractor)") for e in at.expander)


def test_overlapping_runs_of_one_session_write_through_their_own_connections(tmp_path):
    """Streamlit starts a new run when a widget changes while the interrupted run may still be in a
    long write. A rename made in the new run must not join the old run's transaction (and vanish
    when that one rolls back): each thread has its own connection, and the writes queue."""
    import threading

    from interview_miner.app.ui import this_threads_store

    stores: dict = {}
    path = str(tmp_path / "study.db")
    first = this_threads_store(stores, path)
    assert this_threads_store(stores, path) is first
    inside, release = threading.Event(), threading.Event()

    def interrupted_run() -> None:  # e.g. suggesting personas, failing after the rename was made
        store = this_threads_store(stores, path)
        assert store is not first
        try:
            with store.transaction():
                store.add_edit("persona", "p_1", "name", "Half-written")
                inside.set()
                release.wait(10)
                raise RuntimeError("the run failed")
        except RuntimeError:
            pass

    old = threading.Thread(target=interrupted_run)
    old.start()
    assert inside.wait(10)
    new = threading.Thread(target=lambda: this_threads_store(stores, path).add_edit("theme", "t_1", "label", "Kept"))
    new.start()
    release.set()
    old.join(10)
    new.join(20)
    names = {(e["entity"], e["field"]): e["value"] for e in Store(path).edit_history()}
    assert names == {("theme", "label"): '"Kept"'}
    this_threads_store(stores, path)  # the ended runs' connections are closed and forgotten
    assert list(stores) == [threading.get_ident()]
