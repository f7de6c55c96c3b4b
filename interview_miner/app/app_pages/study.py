"""Study: open a study, add recordings or transcripts, run transcription and mining as jobs."""
import pandas as pd
import streamlit as st

from interview_miner import capture, errors, intake, overview, speakers, worker
from interview_miner.app import PAGES_DIR, ui
from interview_miner.models import Job

store = ui.get_store()
ui.show_flash()

st.title("Study")
st.caption("Add customer interviews, then let Interview Miner transcribe them, find themes and "
           "suggest personas. Everything is saved in the study file as you go.")

with st.expander(f"Study file · `{store.path}`", icon=":material/database:"):
    with st.form("open_study", border=False):
        path = st.text_input("Database file", value=store.path,
                             help="An existing study, or a new file name to start an empty study.")
        if st.form_submit_button("Open study", icon=":material/folder_open:"):
            try:
                ui.open_study(path)
            except ValueError as e:
                st.error(str(e))
            else:
                st.rerun()

summary = overview.study_summary(store)
cols = st.columns(6)
cols[0].metric("Interviews", summary["interviews"])
cols[1].metric("Transcribed", summary["transcribed"])
cols[2].metric("Audio", ui.hours(summary["audio_seconds"]) if summary["audio_seconds"] else "–")
cols[3].metric("Quotes", summary["quotes"])
cols[4].metric("Themes", summary["themes"])
cols[5].metric("Personas", summary["personas"])

# --- Add interviews -----------------------------------------------------------------------------
AUDIO = sorted(e.lstrip(".") for e in capture.AUDIO_EXTENSIONS)
TEXT = sorted(e.lstrip(".") for e in capture.TRANSCRIPT_EXTENSIONS)
LIMIT_GB = capture.max_bytes_default() / 1024**3

with st.container(border=True):
    st.subheader("Add interviews", anchor=False)
    st.caption(f"Audio or video recordings ({', '.join(AUDIO)}) or transcripts exported from Zoom, "
               f"Teams or Otter ({', '.join(TEXT)}). Several at once, up to {LIMIT_GB:g} GB each.")
    nonce = st.session_state.setdefault("upload_nonce", 0)
    files = st.file_uploader("Recordings or transcripts", type=AUDIO + TEXT, accept_multiple_files=True,
                             key=f"uploads_{nonce}", label_visibility="collapsed")
    left, right = st.columns(2)
    participant = left.text_input("Participant name", key=f"participant_{nonce}",
                                  help="Applied to every file in this upload; leave empty for several people.")
    meta_text = right.text_area("Details (key=value, one per line)", key=f"meta_{nonce}", height=68,
                                placeholder="role=Practice manager\ncompany_size=12")
    tracks = st.checkbox("These files are the separate tracks of one call (a person each)", key=f"tracks_{nonce}",
                         disabled=not 2 <= len(files or []) <= max(capture.TRACK_LAYOUTS),
                         help="Zoom (\"separate audio file for each participant\"), Riverside and SquadCast "
                              "record a file per person. Added together (2 to 8) they make one interview, each "
                              "track transcribed alone and its words that person's.")
    if st.button("Add to study", type="primary", icon=":material/upload:", disabled=not files):
        try:
            meta = intake.parse_metadata(meta_text)
        except intake.MetadataError as e:
            st.error(f"Details must be key=value: {', '.join(e.bad)}")
        else:
            report = intake.add_uploads(store, [intake.Upload(f.name, f) for f in files], participant, meta,
                                        tracks=tracks and 2 <= len(files) <= max(capture.TRACK_LAYOUTS))
            for i in report.added:
                ui.flash(f"Added {i.file_name}")
            for i in report.existing:
                ui.flash(f"{i.file_name} is already in the study", "info")
            st.session_state["upload_errors"] = report.errors + errors.hints(report.failures, "app")
            st.session_state["upload_nonce"] = nonce + 1
            st.rerun()
    for err in st.session_state.get("upload_errors", []):
        st.error(err, icon=":material/error:")

# --- Process ------------------------------------------------------------------------------------
POLL_S = 1.0 if worker.active_job(store) else 5.0  # fast while a job runs (also one from another tab)


def job_params() -> dict:
    return {"hotwords": (st.session_state.get("vocab") or "").strip() or None,
            "n_speakers": int(st.session_state.get("n_speakers") or speakers.DEFAULT_SPEAKERS)}


@st.fragment(run_every=POLL_S)
def processing() -> None:
    """Re-drawn every second while a job runs, from the jobs table (so a reload shows the same)."""
    jobs = worker.recent_jobs(store, limit=4)
    running = next((job for job, state in jobs if state in worker.ACTIVE), None)
    b = st.columns([1, 1, 1.3, 2])
    kinds = {
        "transcribe": b[0].button("Transcribe", icon=":material/record_voice_over:", disabled=bool(running),
                                  width="stretch", help="Transcribe new recordings and label speakers"),
        "mine": b[1].button("Mine themes", icon=":material/category:", disabled=bool(running),
                            width="stretch", help="Find quotes, categories, themes and NPS"),
        "process": b[2].button("Process everything", type="primary", icon=":material/play_circle:",
                               disabled=bool(running), width="stretch",
                               help="Transcribe, mine themes, then suggest personas"),
    }
    for kind, clicked in kinds.items():
        if clicked:
            st.session_state.pop("upload_errors", None)
            worker.start_job(store.path, kind, job_params() if kind != "mine" else {})
            st.rerun()  # the whole page, so polling speeds up
    for n, (job, state) in enumerate(jobs[:1] if running else jobs[:2]):
        job_row(job, state, latest=n == 0)
    if st.session_state.get("_job_was_running") and not running:
        st.session_state["_job_was_running"] = False
        st.rerun()  # the whole page: metrics, tables
    st.session_state["_job_was_running"] = bool(running)


def job_row(job: Job, state: str, latest: bool) -> None:
    with st.container(border=False):
        head = st.columns([4, 1])
        with head[0]:
            st.markdown(f"**{worker.KIND_TITLES.get(job.kind, job.kind)}** · job {job.id} · "
                        f"{(job.updated_at or '')[11:16]} UTC")
        with head[1]:
            ui.job_badge(state)
        if state in worker.ACTIVE:
            st.progress(float(job.progress or 0), text=job.message or "starting…")
            if st.button("Stop", key=f"stop_{job.id}", icon=":material/stop_circle:", type="tertiary"):
                worker.stop_job(store, job.id)
                st.rerun()
        elif state in ("interrupted", "stopped"):
            st.progress(float(job.progress or 0),
                        text=f"Stopped at {job.message or 'the start'}. Transcripts done so far are kept.")
            if st.button("Resume", key=f"resume_{job.id}", icon=":material/replay:"):
                worker.resume_job(store.path, job.id)
                st.rerun()
        elif state == "done" and latest:
            st.caption(f":material/check: {job.message}")
            if job.kind in ("mine", "process"):
                st.page_link(str(PAGES_DIR / "themes.py"), label="Review the themes", icon=":material/arrow_forward:")
        if job.error and latest:
            (st.error if state == "failed" else st.warning)(job.error, icon=":material/error:")
            if state == "failed":
                job_log = worker.read_log(store.path, job.id)
                if job_log:
                    with st.expander("Worker log", icon=":material/article:"):
                        st.code(job_log, language=None)
                if st.button("Try again", key=f"retry_{job.id}", icon=":material/replay:"):
                    worker.resume_job(store.path, job.id)
                    st.rerun()


@st.fragment(run_every=POLL_S)
def interviews_table() -> None:
    """Status and transcription progress of every interview, refreshed with the jobs panel."""
    rows = overview.interview_rows(store)
    if not rows:
        ui.empty("No interviews yet — upload recordings or transcripts above.")
        return
    df = pd.DataFrame(rows)
    df["duration"] = df["duration"].map(ui.duration)
    df["status"] = df.apply(lambda r: r["status"] + (f" — {r['error']}" if r["error"] else ""), axis=1)
    st.dataframe(
        df[["id", "participant", "file", "duration", "language", "status", "progress", "quotes", "metadata"]],
        hide_index=True,
        column_config={
            "id": st.column_config.NumberColumn("#", width="small"),
            "participant": "Participant", "file": "File", "duration": "Duration", "language": "Lang",
            "status": st.column_config.TextColumn("Status", width="medium"),
            "progress": st.column_config.ProgressColumn("Transcribed", min_value=0, max_value=1, format="percent"),
            "quotes": st.column_config.NumberColumn("Quotes", width="small"),
            "metadata": "Details",
        },
    )


with st.container(border=True):
    st.subheader("Process", anchor=False)
    st.caption("Transcription and mining run in the background: you can close or reload this page, "
               "or keep reviewing in another tab. On two CPU cores a one-hour interview takes a few "
               "minutes to transcribe.")
    with st.expander("Transcription options", icon=":material/tune:"):
        st.text_input("Names and jargon to spell right", key="vocab", placeholder="ClinicFlow, HIPAA, Dr. Okafor",
                      help="Comma-separated hints handed to the speech model, for names it cannot spell at all. "
                           "Names in the interview guide are respelled without hints; hints can make the "
                           "small bundled models skip speech, so check the transcript.")
        st.number_input("Voices per recording", key="n_speakers", min_value=1, max_value=6, value=speakers.DEFAULT_SPEAKERS,
                        help="Usually 2: the interviewer and one participant.")
    processing()

st.subheader("Interviews", anchor=False)
interviews_table()
