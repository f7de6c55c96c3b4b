"""Interview Miner, the researcher app: `interview-miner app` (or `make app`, `streamlit run app.py`).

Navigation and the sidebar only. Each page lives in app_pages/ beside this file and calls the same
package functions as the CLI; long work runs in a worker process (interview_miner.worker). The
folder is not called pages/ on purpose: Streamlit also treats a pages/ folder as old-style pages
and, when a page URL is opened directly, runs that file without this navigation and sidebar. Pages
are given by absolute path, so the root `app.py` of a clone can run this script unchanged.
"""
from pathlib import Path

import streamlit as st

from interview_miner.app import PAGES_DIR, ui

st.set_page_config(page_title="Interview Miner", page_icon=":material/graphic_eq:", layout="wide")

pages = {
    "Collect": [
        st.Page(PAGES_DIR / "study.py", title="Study", icon=":material/folder_open:", default=True),
        st.Page(PAGES_DIR / "transcript.py", title="Transcripts", icon=":material/subtitles:"),
    ],
    "Analyse": [
        st.Page(PAGES_DIR / "themes.py", title="Themes", icon=":material/view_kanban:"),
        st.Page(PAGES_DIR / "personas.py", title="Personas", icon=":material/groups:"),
        st.Page(PAGES_DIR / "overview.py", title="Overview", icon=":material/monitoring:"),
        st.Page(PAGES_DIR / "journey.py", title="Journey map", icon=":material/route:"),
        st.Page(PAGES_DIR / "customers.py", title="Customers", icon=":material/leaderboard:"),
    ],
    "Share": [
        st.Page(PAGES_DIR / "export.py", title="Export", icon=":material/download:"),
        st.Page(PAGES_DIR / "privacy.py", title="Privacy", icon=":material/shield_person:"),
    ],
}
page = st.navigation(pages)

store = ui.get_store()
with st.sidebar:
    st.caption(f":material/database: Study · **{ui.escape_md(Path(store.path).name)}**",
               help=f"{Path(store.path).resolve()} — open another study on the Study page")
    ui.player(store)

page.run()
