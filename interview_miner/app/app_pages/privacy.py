"""Privacy: consent per interview, expired retention, the study's PII terms and export defaults,
and erasing a participant. Calls the same functions as `interview-miner consent|pii|forget`."""
import pandas as pd
import streamlit as st

from interview_miner import consent, forget, redact
from interview_miner.app import ui
from interview_miner.errors import describe
from interview_miner.overlay import CONSENT_SCOPES

store = ui.get_store()
ui.show_flash()
st.title("Privacy")
st.caption("Record what each participant consented to, keep personal data out of what you share, and erase "
           "a participant completely when they ask. Exports follow the consent: no quotes or transcript of "
           "anyone whose consent stops at analysis, no audio without audio consent.")

rows = consent.consent_report(store)
if not rows:
    ui.empty("No interviews yet — add some on the Study page.")
    st.stop()

# --- Consent ------------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("Consent", anchor=False)
    expired = [r for r in rows if r.expired]
    if expired:
        st.warning(f"Retention expired for {len(expired)} interview(s): "
                   + ", ".join(f"{r.participant} (#{r.interview_id}, {r.consent.retention_until})" for r in expired)
                   + ". Erase them below.", icon=":material/auto_delete:")
    missing = sum(not r.consent.recorded for r in rows)
    if missing:
        st.caption(f":material/info: {missing} interview(s) without a consent record.")
    nonce = st.session_state.setdefault("consent_nonce", 0)
    key = f"consent_{nonce}"
    df = pd.DataFrame({
        "id": [r.interview_id for r in rows], "participant": [r.participant for r in rows],
        "scope": [r.consent.scope for r in rows],
        "date": [pd.to_datetime(r.consent.date).date() if r.consent.date else None for r in rows],
        "retention": [pd.to_datetime(r.consent.retention_until).date() if r.consent.retention_until else None
                      for r in rows],
        "action": [r.action for r in rows],
    })

    def save_consent() -> None:
        for row, cols in st.session_state[key].get("edited_rows", {}).items():
            iid = rows[int(row)].interview_id
            try:
                consent.set_consent(store, iid, scope=cols.get("scope"), given_on=cols.get("date"),
                                    retention_until=cols.get("retention"))
            except consent.ConsentError as e:
                ui.flash(describe(e, "app"), "error")
        ui.flash("Consent saved")
        st.session_state["consent_nonce"] = nonce + 1

    st.data_editor(
        df, key=key, hide_index=True, num_rows="fixed", disabled=["id", "participant", "action"], on_change=save_consent,
        column_config={
            "id": st.column_config.NumberColumn("#", width="small"),
            "participant": "Participant",
            "scope": st.column_config.SelectboxColumn("Consent", options=list(CONSENT_SCOPES), width="medium",
                                                      help="; ".join(f"{k}: {v}" for k, v in consent.SCOPE_TITLES.items())),
            "date": st.column_config.DateColumn("Given on", format="YYYY-MM-DD"),
            "retention": st.column_config.DateColumn("Keep until", format="YYYY-MM-DD"),
            "action": st.column_config.TextColumn("To do", width="medium"),
        },
    )

# --- Redaction ----------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("Personal data in exports", anchor=False)
    c = st.columns(2)
    shareable = c[0].toggle("Redact shareable exports by default", value=bool(store.privacy_setting("redact_shareable", False)),
                            help=f"{', '.join(redact.SHAREABLE_FORMATS)}: names become P1, P2…, e-mails [EMAIL], …")
    required = c[1].toggle("Require a consent record", value=bool(store.privacy_setting("require_consent", False)),
                           help="Interviews without one export as 'analysis only'.")
    if shareable != bool(store.privacy_setting("redact_shareable", False)):
        store.set_privacy_setting("redact_shareable", shareable)
    if required != bool(store.privacy_setting("require_consent", False)):
        store.set_privacy_setting("require_consent", required)
    with st.form("terms", border=False):
        terms = st.text_area("Study terms to redact (one per line)", value="\n".join(redact.study_terms(store)),
                             help="Your clients' names, the participants' employers: words no detector knows.")
        if st.form_submit_button("Save terms"):
            redact.set_study_terms(store, terms.splitlines())
            ui.flash("Study terms saved")
            st.rerun()

# --- Erase --------------------------------------------------------------------------------------
with st.container(border=True):
    st.subheader("Erase a participant", anchor=False)
    st.caption("Deletes their recording, transcript, quotes, embeddings, edits, NPS, consent and job records, "
               "takes them out of themes and personas, then rewrites the study file so their words cannot be "
               "recovered from it. Exports already written elsewhere are not touched.")
    people = sorted({r.participant for r in rows}, key=str.casefold)
    who = st.selectbox("Participant", people, index=None, placeholder="Choose…", key="forget_who")
    confirm = st.text_input("Type the participant's name to confirm", key="forget_confirm")
    if st.button("Erase for good", type="primary", icon=":material/delete_forever:",
                 disabled=not who or confirm.strip() != (who or "").strip()):
        ids = [r.interview_id for r in rows if r.participant == who]
        try:
            report = forget.forget(store, ids)
        except (forget.UnknownParticipantError, forget.InterviewBusyError) as e:
            st.error(describe(e, "app"))
        else:
            ui.flash(report.summary())
            st.rerun()
