"""Transcripts: read, play from any line, fix speakers and words, search, find similar quotes."""
import pandas as pd
import streamlit as st

from interview_miner import hear_again, nps, review
from interview_miner.app import ui
from interview_miner.errors import describe
from interview_miner.models import INTERVIEWER, PARTICIPANT
from interview_miner.nps_audio import where_to_listen
from interview_miner.quotes import UNSURE_WORD_PROBABILITY, unsure_spans

PAGE_SIZE = 60

store = ui.get_store()
ui.show_flash()
st.title("Transcripts")
st.caption("Click ▶ to hear any line. Fix a speaker or a mis-heard word in *Fix transcript*; "
           "fixes are saved at once and kept when interviews are mined again.")

interviews = [i for i in store.list_interviews() if store.segment_count(i.id)]
if not interviews:
    ui.empty("No transcripts yet — add recordings on the Study page and press Transcribe.")
    st.stop()
by_id = {i.id: i for i in interviews}

# --- Search across the study ----------------------------------------------------------------------
with st.container(border=True):
    query = st.text_input("Search all transcripts", key="search", icon=":material/search:",
                          placeholder='Words or "a phrase", e.g. "online booking" price')
    if query:
        hits = review.search_transcripts(store, query, limit=30)
        terms = review.query_terms(query)
        st.caption(f"{len(hits)} line{'s' if len(hits) != 1 else ''} found" + (" (first 30)" if len(hits) == 30 else ""))
        for n, hit in enumerate(hits):
            c = st.columns([0.4, 9, 1.2], vertical_alignment="center")
            with c[0]:
                ui.play_button(by_id.get(hit.interview_id), hit.start, key=f"hit_play_{n}")
            c[1].markdown(f"{ui.highlight(hit.text, terms)}  \n:gray[{ui.escape_md(hit.participant)} · "
                          f"{ui.clock(hit.start)} · {ui.speaker(hit.speaker)}]")
            if c[2].button("Open", key=f"hit_open_{n}", type="tertiary", icon=":material/open_in_new:"):
                st.session_state["interview"] = hit.interview_id
                st.rerun()

# --- One interview --------------------------------------------------------------------------------
iid = st.selectbox(
    "Interview", [i.id for i in interviews], key="interview", bind="query-params",
    format_func=lambda i: f"{by_id[i].participant or 'Unnamed'} — {by_id[i].file_name} ({ui.duration(by_id[i].duration)})",
)
interview = by_id[iid]
segments = store.segments(iid)
nps_row = store.nps().get(iid) or {}
to_confirm = store.nps_to_confirm().get(iid) or {}
listen_at = (to_confirm.get("listen_at", where_to_listen(store.quotes(iid), iid))
             if nps_row.get("score") is None else None)
suggested = to_confirm.get("suggested")
label = (f"Likelihood to recommend: {nps_row['score']} ({nps_row.get('klass')})" if nps_row.get("score") is not None
         else f"Likelihood to recommend: listen to confirm at {ui.clock(listen_at)}"
         + (f" (the audio suggests {suggested})" if suggested is not None else "") if listen_at is not None
         else "Likelihood to recommend: not found")
with st.expander(label, icon=":material/thumb_up:", expanded=listen_at is not None):
    if listen_at is not None:
        c = st.columns([0.4, 9.6], vertical_alignment="center")
        with c[0]:
            ui.play_button(interview, listen_at, key=f"nps_listen_{iid}")
        conflict = nps.disagreement(store.quotes(iid), {iid} if interview.kind == "audio" else set()).get(iid)
        read = (f"The transcript reads **{conflict[0]}** in the answer, but the interviewer's next question says "
                f"back **{conflict[1]}**: one of them was misheard." if conflict else
                "No score could be read from the transcript.")
        if suggested is None:
            c[1].markdown(f"The participant answered the recommendation question at **{ui.clock(listen_at)}**. {read} "
                          "Heard again, the audio did not single out a score. Play it and set the score below; it "
                          "is kept when interviews are mined again.")
        else:
            c[1].markdown(f"The participant answered the recommendation question at **{ui.clock(listen_at)}**. {read} "
                          f"Heard again, the audio points to **{suggested}**, but not clearly enough to count it. Play "
                          "it, and save the score you hear below; it is kept when interviews are mined again.")
    else:
        st.caption("Found in the participant's answer when mining. If Whisper misheard the number, "
                   "listen to the answer and set it here; your score is kept when interviews are mined again.")
    c = st.columns([2, 1, 5], vertical_alignment="bottom")
    new_score = c[0].number_input("Score (0-10)", 0, 10, value=nps_row.get("score") or suggested or 0, key=f"nps_{iid}")
    if c[1].button("Save score", key=f"nps_save_{iid}"):
        review.set_nps_score(store, iid, int(new_score))
        st.toast("NPS score saved")
        st.rerun()
pii = {}  # segment id -> findings, once the researcher asks for them (loading the detector takes seconds)
if st.toggle("Show personal data", key=f"pii_{iid}", help="Names, e-mails, phone numbers, addresses, account "
             "numbers and URLs, found offline. Confirm or dismiss each; redacted exports replace what stays."):
    from interview_miner import redact

    with st.spinner("Looking for personal data…"):
        for f in redact.findings(store, [iid]):
            pii.setdefault(f.segment_id, []).append(f)
    with st.expander(f"{sum(map(len, pii.values()))} finding(s) in this interview", icon=":material/shield_person:"):
        for n, f in enumerate(sorted({f.span.key: f for fs in pii.values() for f in fs}.values(), key=lambda f: f.start)):
            c = st.columns([5, 1.2, 1.2], vertical_alignment="center")
            c[0].markdown(f"`{f.span.placeholder}` {ui.escape_md(f.span.text)} · {ui.clock(f.start)}"
                          + (" · :green[confirmed]" if f.status == "confirmed" else ""))
            c[1].button("Confirm", key=f"pii_ok_{n}", on_click=redact.decide, args=(store, f.span.key, "confirmed"),
                        disabled=f.status == "confirmed", type="tertiary", icon=":material/check:")
            c[2].button("Dismiss", key=f"pii_no_{n}", on_click=redact.decide, args=(store, f.span.key, "dismissed"),
                        type="tertiary", icon=":material/close:", help="Not personal data: never redacted in this study")
read_tab, fix_tab, similar_tab = st.tabs([":material/menu_book: Read & play", ":material/edit: Fix transcript",
                                          ":material/join_inner: Similar quotes"])

with read_tab:
    mark = st.toggle("Mark words heard with low confidence", value=True, key="mark_unsure",
                     help=f"Words Whisper heard below {UNSURE_WORD_PROBABILITY:.0%} probability are wrong about "
                          "half the time: listen before you quote them, and fix them in *Fix transcript*.")
    pages = max(1, -(-len(segments) // PAGE_SIZE))
    page = st.pagination(pages, key=f"page_{iid}") if pages > 1 else 1
    for s in segments[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]:
        c = st.columns([0.4, 0.7, 1.3, 9], vertical_alignment="top")
        with c[0]:
            ui.play_button(interview, s.start, key=f"seg_play_{s.id}")
        c[1].caption(ui.clock(s.start))
        who = ui.speaker(s.speaker)
        c[2].markdown(f":blue[**{who}**]" if s.speaker == INTERVIEWER else f"**{who}**")
        flags = f"  \n:orange[:material/warning: {', '.join(s.flags)}]" if s.flags else ""
        found = [f.span.text for f in pii.get(s.id, [])]
        text = ui.mark_unsure(s.text, unsure_spans(s.text, s.words)) if mark and not found else ui.highlight(s.text, found)
        c[3].markdown(text + flags)


def save_fixes(key: str, ids: list) -> None:
    """Write only the cells just changed, one edit per field, then start a fresh editor."""
    changes = st.session_state[key].get("edited_rows", {})
    for row, cols in changes.items():
        sid = ids[int(row)]
        try:
            if "speaker" in cols and cols["speaker"]:
                review.set_segment_speaker(store, sid, cols["speaker"])
            if "text" in cols:
                review.set_segment_text(store, sid, cols["text"])
        except ValueError as e:
            ui.flash(str(e), "error")
    if changes:
        ui.flash("Transcript fix saved")
    st.session_state["fix_nonce"] = st.session_state.get("fix_nonce", 0) + 1


with fix_tab:
    st.caption("Edit a speaker or the text of a line directly in the table; each change is saved as you leave the cell.")
    speakers = sorted({INTERVIEWER, PARTICIPANT} | {s.speaker for s in segments if s.speaker})
    key = f"fix_{iid}_{st.session_state.get('fix_nonce', 0)}"
    ids = [s.id for s in segments]
    df = pd.DataFrame({"time": [ui.clock(s.start) for s in segments], "speaker": [s.speaker for s in segments],
                       "text": [s.text for s in segments]})
    st.data_editor(
        df, key=key, hide_index=True, num_rows="fixed", disabled=["time"], on_change=save_fixes, args=(key, ids),
        column_config={
            "time": st.column_config.TextColumn("Time", width="small"),
            "speaker": st.column_config.SelectboxColumn("Speaker", options=speakers, width="medium", required=True),
            "text": st.column_config.TextColumn("Text", width="large"),
        },
    )
    with st.form("replace_word", border=True):
        st.markdown("**Replace a mis-heard word everywhere in this interview**")
        a, b = st.columns(2)
        old = a.text_input("Heard", placeholder="Clinic Flow")
        new = b.text_input("Should be", placeholder="ClinicFlow")
        if st.form_submit_button("Replace", icon=":material/find_replace:"):
            try:
                n = review.replace_in_transcript(store, iid, old, new)
            except ValueError as e:
                st.error(str(e))
            else:
                ui.flash(f"Replaced in {n} line{'s' if n != 1 else ''}" if n else f"“{old}” not found", "success" if n else "info")
                st.rerun()
    if interview.kind == "audio" and interview.stored_path and segments and hear_again.available():
        with st.container(border=True):
            st.markdown("**Hear a line again with another model**")
            unsure_first = sorted(segments, key=lambda s: (not unsure_spans(s.text, s.words), s.start))
            line = st.selectbox("Line", [s.id for s in segments], index=[s.id for s in segments].index(unsure_first[0].id),
                                key=f"again_line_{iid}", format_func=lambda i: next(
                                    f"{ui.clock(s.start)} · {ui.short(s.text, 80)}" for s in segments if s.id == i),
                                help="Starts on a line with words heard at low confidence")
            seg = next(s for s in segments if s.id == line)
            done = f"again_seg_{seg.id}_{hash(seg.text)}"
            if st.button("Hear it with another model", key=f"again_seg_go_{iid}", icon=":material/hearing:",
                         help="What a second speech model (Whisper base) hears in the same seconds: often the right "
                              "words where Whisper misheard, but it mishears too, so listen before you fix."):
                with st.spinner("Listening again…"):
                    try:
                        st.session_state[done] = hear_again.hear_again(interview.stored_path, seg.start, seg.end,
                                                                       interview.language)
                    except ui.USER_ERRORS as e:
                        st.error(f"Could not hear it again: {describe(e, 'app')}")
            if done in st.session_state:
                again = st.session_state[done]
                st.caption(f"Another model heard: “{ui.escape_md(again)}”" if again else "Another model heard no clear words there.")
    if st.button("Swap interviewer and participant", icon=":material/swap_horiz:",
                 help="For when the two voices were labelled the wrong way round"):
        n = review.swap_speakers(store, iid)
        ui.flash(f"Swapped speakers on {n} lines")
        st.rerun()

with similar_tab:
    quotes = store.quotes(iid)
    if not quotes:
        ui.empty("This interview has not been mined yet — press *Mine themes* on the Study page.")
    else:
        qid = st.selectbox("Quote", [q.id for q in quotes], key=f"similar_{iid}",
                           format_func=lambda q: ui.short(next(x.text for x in quotes if x.id == q), 110))
        names = {i.id: i for i in store.list_interviews()}
        labels = {t.id: t.label for t in store.themes()}
        matches = review.similar_quotes(store, qid, k=8)
        if matches and matches[0].method == "words":
            st.caption("No sentence vectors yet (mine themes first): matched by shared words.")
        for n, m in enumerate(matches):
            with st.container(border=True):
                c = st.columns([0.4, 9, 1.6], vertical_alignment="center")
                with c[0]:
                    ui.play_button(names.get(m.quote.interview_id), m.quote.start, key=f"sim_play_{n}")
                who = names[m.quote.interview_id].participant or names[m.quote.interview_id].file_name
                c[1].markdown(f"“{ui.escape_md(m.quote.text)}”  \n:gray[{ui.escape_md(who)} · {ui.clock(m.quote.start)}"
                              f" · {ui.category(m.quote.category)} · {ui.escape_md(labels.get(m.quote.theme_id, 'unthemed'))}]")
                c[2].metric("Similarity", f"{m.score:.0%}", label_visibility="collapsed")
