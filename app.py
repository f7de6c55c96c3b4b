"""Interview Miner, the researcher app: `streamlit run app.py` (or `make app`).

Navigation and the sidebar only. Each page lives in app_pages/ and calls the same package
functions as the CLI; long work runs in a worker process (interview_miner.worker). The folder is
not called pages/ on purpose: Streamlit also treats a pages/ folder as old-style pages and, when a
page URL is opened directly, runs that file without this navigation and sidebar.
"""
from pathlib import Path

import streamlit as st

from interview_miner import ui

st.set_page_config(page_title="Interview Miner", page_icon=":material/graphic_eq:", layout="wide")

pages = {
    "Collect": [
        st.Page("app_pages/study.py", title="Study", icon=":material/folder_open:", default=True),
        st.Page("app_pages/transcript.py", title="Transcripts", icon=":material/subtitles:"),
    ],
    "Analyse": [
        st.Page("app_pages/themes.py", title="Themes", icon=":material/view_kanban:"),
        st.Page("app_pages/personas.py", title="Personas", icon=":material/groups:"),
        st.Page("app_pages/overview.py", title="Overview", icon=":material/monitoring:"),
        st.Page("app_pages/customers.py", title="Customers", icon=":material/leaderboard:"),
    ],
    "Share": [
        st.Page("app_pages/export.py", title="Export", icon=":material/download:"),
        st.Page("app_pages/privacy.py", title="Privacy", icon=":material/shield_person:"),
    ],
}
page = st.navigation(pages)

store = ui.get_store()
with st.sidebar:
    st.caption(f":material/database: Study · **{ui.escape_md(Path(store.path).name)}**",
               help=f"{Path(store.path).resolve()} — open another study on the Study page")
    ui.player(store)

page.run()
