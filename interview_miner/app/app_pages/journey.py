"""Journey map: the method's summary table (stages x themes x quotes), NPS reasons by band, the
fish pond, scenario needs, and the study's interview guide and codebook."""
import pandas as pd
import streamlit as st

from interview_miner import codebook, guide, insights, journey
from interview_miner.app import ui
from interview_miner.export.study import load_study

store = ui.get_store()
ui.show_flash()
st.title("Journey map")
st.caption("The summary table of the buyer-persona method: what participants said at each stage, "
           "ranked by how many said it. Edit the stages, the guide and the codebook below.")

cb = codebook.load(store)
stages = journey.load_stages(store)
study = load_study(store)
tabs = st.tabs(["Journey map", "NPS by band", "Fish pond", "Scenario needs", "Interview guide", "Codebook"])


def quote_line(q, key: str) -> None:
    play, text = st.columns([1, 14], vertical_alignment="center")
    with play:
        ui.play_button(study.interview_by_id.get(q.interview_id), q.start, key=key)
    text.markdown(f"“{ui.escape_md(q.text)}” — *{ui.escape_md(study.participant(q.interview_id))}* "
                  f"`{q.timestamp if hasattr(q, 'timestamp') else ''}`")


with tabs[0]:
    personas = {p.id: p.name for p in study.personas}
    who = st.selectbox("Whose journey", [None, *personas], key="journey_persona",
                       format_func=lambda pid: "Everyone" if pid is None else personas[pid])
    j = journey.build_journey(study, stages, cb, who)
    if not study.quotes:
        ui.empty("No quotes yet — add interviews on the Study page and press *Process everything*.")
    table = [{"Stage": s.title, "Participants": s.n_participants,
              "Themes": "; ".join(f"{t.label} ({t.n_participants})" for t in s.themes[:5]),
              "Quotes": " | ".join(f"“{q.text}” ({q.participant})" for q in s.quotes)} for s in j.stages]
    st.download_button("Download the table (CSV)", pd.DataFrame(table).to_csv(index=False), "journey.csv",
                       icon=":material/download:")
    for s in j.stages:
        with st.container(border=True):
            head, flag = st.columns([5, 2])
            head.subheader(ui.escape_md(s.title), anchor=False)
            head.caption(ui.escape_md(" · ".join(cb.title(c) for c in s.categories))
                         + f" — {s.n_participants} participant{'s' if s.n_participants != 1 else ''}")
            if s.coverage == "thin":
                flag.warning("Thin: interview more", icon=":material/warning:")
            else:
                flag.success(f"{len(s.quotes)} quotes", icon=":material/check_circle:")
            for t in s.themes[:6]:
                st.markdown(f"- **{ui.escape_md(t.label)}** — {t.n_participants} participant"
                            f"{'s' if t.n_participants != 1 else ''}")
            for n, q in enumerate(s.quotes):
                quote_line(q, f"jplay_{s.key}_{n}")
    with st.expander("Edit stages", icon=":material/edit:"):
        for s in stages:
            with st.form(f"stage_{s.key}"):
                title = st.text_input("Title", s.title, key=ui.key_of("stage_title", s.key, s.title))
                cats = st.multiselect("Categories", list(cb.keys), [c for c in s.categories if c in cb.keys],
                                      format_func=cb.title, key=ui.key_of("stage_cats", s.key, s.categories))
                save, remove = st.columns(2)
                if save.form_submit_button("Save stage"):
                    ui.act(journey.set_stage, store, s.key, title=title, categories=cats, done=f"Saved {title}")
                if remove.form_submit_button("Remove stage"):
                    ui.act(journey.remove_stage, store, s.key, done=f"Removed {s.title}")
        with st.form("stage_new"):
            title = st.text_input("New stage title", key="stage_new_title")
            cats = st.multiselect("Categories", list(cb.keys), format_func=cb.title, key="stage_new_cats")
            if st.form_submit_button("Add stage") and title.strip():
                ui.act(journey.set_stage, store, codebook.category_key(title), title=title, categories=cats,
                       done=f"Added {title}")

with tabs[1]:
    g = guide.load(store)
    splits = insights.nps_by_band(study, cb, g)
    if not any(b.n_participants for b in splits):
        ui.empty("No 0-10 recommendation scores yet.")
    for scheme, heading in (("standard", "Standard bands"), ("guide", "The guide's follow-up bands")):
        rows = [b for b in splits if b.scheme == scheme]
        if not rows:
            continue
        st.subheader(heading, anchor=False)
        for b in rows:
            with st.container(border=True):
                st.markdown(f"**{b.label}** — {b.n_participants} participant{'s' if b.n_participants != 1 else ''}")
                earns, loses = st.columns(2)
                for col, side, quotes in ((earns, "Earns points", b.earns), (loses, "Loses points", b.loses)):
                    col.markdown(f"*{side}* ({len(quotes)})")
                    for q in quotes[:8]:
                        col.markdown(f"“{ui.escape_md(q.text)}” — *{ui.escape_md(study.participant(q.interview_id))}*")

with tabs[2]:
    pond = insights.fish_pond(study, cb)
    st.caption("Products and services bought before, with and after ours: where our customers gather "
               "(partners for joint marketing). From quotes in the category "
               f"*{ui.escape_md(cb.title('adjacent_purchase'))}*.")
    if not pond:
        ui.empty("No purchases mentioned yet — ask the guide's fish-pond questions.")
    else:
        st.dataframe(pd.DataFrame([{"Bought": i.when, "What": i.name, "Participants": i.n_participants,
                                    "Quote": i.quotes[0].text} for i in pond]), hide_index=True)

with tabs[3]:
    needs = insights.scenario_needs(study, cb)
    if not needs:
        ui.empty("No purchase triggers or usage scenarios themed yet.")
    else:
        st.dataframe(pd.DataFrame([{"Need": n.label, "Kind": n.kind, "Participants": n.n_participants,
                                    "Share": f"{n.share:.0%}", "Quote": n.quote.text if n.quote else ""}
                                   for n in needs]), hide_index=True)

with tabs[4]:
    path = guide.guide_path(store)
    try:
        current = guide.load(store)
        text = guide.to_yaml(current)
    except codebook.CodebookFileError as e:  # the file was edited by hand into something broken
        st.error(str(e), icon=":material/error:")
        current, text = guide.default_guide(), path.read_text(encoding="utf-8") if path else ""
    st.caption(f"Each question names the category it collects; the categorizer uses these questions "
               f"to recognise your wording. Stored in `{path.name if path else 'memory'}` beside the study.")
    edited = st.text_area("Guide (YAML)", text, height=420, key=ui.key_of("guide_text", text))
    if st.button("Save guide", icon=":material/save:"):
        ui.act(guide.save_text, store, edited, done="Guide saved; re-mine to use its questions")
    titles = {e.key: e.title for e in cb.entries}
    d1, d2, d3 = st.columns(3)
    d1.download_button("Markdown", guide.to_markdown(current, titles), "guide.md", icon=":material/download:")
    d2.download_button("PDF", guide.to_pdf(current, titles), "guide.pdf", icon=":material/download:")
    d3.download_button("YAML file", guide.to_yaml(current), "guide.yaml", icon=":material/download:")
    upload = st.file_uploader("Import a guide file (YAML or JSON)", type=["yaml", "yml", "json"], key="guide_upload")
    if upload is not None and st.button("Import guide", icon=":material/upload:"):
        ui.act(guide.save_text, store, upload.getvalue().decode("utf-8", "replace"), done="Guide imported")

with tabs[5]:
    st.caption("The categories quotes are sorted into. A new category is recognised from its description "
               "and examples, and learns from your corrections; re-mine after changing the codebook.")
    asked: dict[str, list[str]] = {}
    for question in current.all_questions():  # the guide's questions that collect each category
        asked.setdefault(question.category, []).append(question.text)
    st.dataframe(pd.DataFrame([{"Key": e.key, "Title": e.title, "Description": e.description,
                                "Guide questions": " | ".join(asked.get(e.key, [])),
                                "Examples": len(e.examples)} for e in cb.entries]), hide_index=True)
    pick = st.selectbox("Edit a category", list(cb.keys), format_func=cb.title, key="codebook_pick")
    entry = cb.get(pick)
    with st.form("codebook_edit"):
        title = st.text_input("Title", entry.title, key=ui.key_of("cb_title", pick, entry.title))
        desc = st.text_area("Description", entry.description, key=ui.key_of("cb_desc", pick, entry.description))
        ex = st.text_area("Example quotes (one a line)", "\n".join(entry.examples),
                          key=ui.key_of("cb_ex", pick, entry.examples))
        save, remove = st.columns(2)
        if save.form_submit_button("Save category"):
            ui.act(codebook.update_category, store, pick, title=title, description=desc,
                   examples=[x for x in ex.splitlines() if x.strip()], done=f"Saved {title}")
        if remove.form_submit_button("Remove category"):
            ui.act(codebook.remove_category, store, pick, done=f"Removed {entry.title}: its quotes read as Other")
    with st.form("codebook_add"):
        st.markdown("**Add a category**")
        title = st.text_input("Title", key="cb_new_title")
        desc = st.text_area("Description: what belongs in it", key="cb_new_desc")
        ex = st.text_area("Example quotes (one a line)", key="cb_new_ex")
        if st.form_submit_button("Add category"):
            ui.act(codebook.add_category, store, title, desc, [x for x in ex.splitlines() if x.strip()],
                   done=f"Added {title}; re-mine to sort quotes into it")
    st.download_button("Codebook file (YAML)", codebook.to_yaml(cb), "codebook.yaml", icon=":material/download:")
    upload = st.file_uploader("Import a codebook file", type=["yaml", "yml", "json"], key="codebook_upload")
    if upload is not None and st.button("Import codebook", icon=":material/upload:"):
        ui.act(codebook.import_yaml, store, upload.getvalue().decode("utf-8", "replace"), done="Codebook imported")
    for key in codebook.removed_categories(store):
        if st.button(f"Restore {key}", key=f"cb_restore_{key}"):
            ui.act(codebook.restore_category, store, key, done=f"Restored {key}")
