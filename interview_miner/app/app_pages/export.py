"""Export: the persona summary exactly as the CLI writes it, and single transcripts."""
import streamlit as st

from interview_miner import export as exporting
from interview_miner import overview, redact, versions
from interview_miner.app import ui
from interview_miner.errors import describe

FORMATS = {  # label: (format id, file extension, mime type)
    "Markdown": ("md", "md", "text/markdown"),
    "HTML": ("html", "html", "text/html"),
    "JSON": ("json", "json", "application/json"),
    "CSV": ("csv", "csv", "text/csv"),
    "PDF": ("pdf", "pdf", "application/pdf"),
    "Excel": ("xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "REFI-QDA project": ("qdpx", "qdpx", "application/zip"),
    "REFI-QDA codebook": ("qdc", "qdc", "application/xml"),
}

store = ui.get_store()
st.title("Export")
st.caption("Download the persona summary to share with your team — the same files "
           "`interview-miner export` writes.")

with st.container(border=True):
    st.subheader("Persona summary", anchor=False)
    if not store.quotes():
        ui.empty("Nothing to export yet — process some interviews on the Study page first.")
    else:
        unclear = overview.unclear_names(store)
        if unclear:
            names = ", ".join(f"“{ui.escape_md(u.theme.label)}”" for u in unclear[:3]) + (f" and {len(unclear) - 3} more"
                                                                                         if len(unclear) > 3 else "")
            many = len(unclear) != 1
            st.caption(f":material/hearing: {len(unclear)} theme name{'s hold' if many else ' holds'} words that "
                       f"may be misheard ({names}): listen to them on the Themes page before you share.")
        if not store.personas():
            st.caption(":material/info: No personas yet, so the report lists themes only — "
                       "suggest personas on the Personas page first.")
        label = st.segmented_control("Format", list(FORMATS), default="Markdown", key="export_format") or "Markdown"
        fmt, ext, mime = FORMATS[label]
        saved = [v.name for v in versions.list_versions(store)]
        version = st.selectbox("Personas as of", [None, *saved], key="export_version",
                               format_func=lambda v: "Now" if v is None else f"Version “{v}”") if saved else None
        hide = st.toggle("Redact personal data", value=redact.redact_by_default(store, fmt), key=f"redact_{fmt}",
                         help="Participants become P1, P2…; names, e-mails, phone numbers… become [PERSON], [EMAIL]…")
        try:  # the CLI's own path: `interview-miner export [--persona-version] [--redact]`
            study = exporting.load_study(store, fmt=fmt, privacy=redact.ExportPrivacy(redact=hide), version=version)
            data = exporting.file_content(study, fmt)  # CSV with Excel's BOM
        except ui.USER_ERRORS as e:
            st.error(f"{label} export failed: {describe(e, 'app')}")
        else:
            st.download_button(f"Download {label}", data=data, file_name=f"personas.{ext}", mime=mime,
                               type="primary", icon=":material/download:", on_click="ignore")
            if fmt == "md":
                st.caption("Preview")
                with st.container(height=520, border=True):
                    st.markdown(data.decode("utf-8"))

with st.container(border=True):
    st.subheader("Transcripts", anchor=False)
    interviews = [i for i in store.list_interviews() if store.segment_count(i.id)]
    if not interviews:
        ui.empty("No transcripts yet.")
    else:
        c = st.columns([3, 1.2, 1.2], vertical_alignment="bottom")
        iid = c[0].selectbox("Interview", [i.id for i in interviews], key="export_interview",
                             format_func=lambda i: next(f"{x.participant or 'Unnamed'} — {x.file_name}"
                                                        for x in interviews if x.id == i))
        fmt = c[1].selectbox("Format", ["txt", "srt", "vtt", "json"], key="export_transcript_format")
        name = next(x.file_name for x in interviews if x.id == iid).rsplit(".", 1)[0]
        c[2].download_button("Download", data=exporting.transcript_text(store, iid, fmt), file_name=f"{name}.{fmt}",
                             icon=":material/download:", on_click="ignore", width="stretch")
