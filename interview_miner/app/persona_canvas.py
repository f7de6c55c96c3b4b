"""Persona canvas, card downloads and persona versions on the Personas page (not a page itself:
app_pages/personas.py calls these). Writes go through canvas.py / versions.py like the CLI's."""
from __future__ import annotations

import streamlit as st

from interview_miner import cards, canvas, versions
from interview_miner.app import ui
from interview_miner.models import DECISION_ROLES

MAIN_TEAM_FIELDS = ("goals", "fears", "objections")  # "how we help", "how we address this fear/objection"
SAID_SHOWN = 3  # quotes of a said fact shown at once
SOURCE_NOTE = {"researcher": "set by you", "metadata": "from interview details", "": "not known yet"}


def card_downloads(study, c: canvas.Canvas) -> None:
    """The one-page card of this persona, as PDF and PNG (made when the button is clicked)."""
    stem = f"persona-card-{c.persona_id}"
    st.download_button("Card (PDF)", lambda: cards.cards_pdf([c], study.title), f"{stem}.pdf", "application/pdf",
                       key=f"card_pdf_{c.persona_id}", icon=":material/picture_as_pdf:",
                       help="A one-page A4 card to print and pin up")
    st.download_button("Card (PNG)", lambda: cards.card_png(c, study.title), f"{stem}.png", "image/png",
                       key=f"card_png_{c.persona_id}", icon=":material/image:")


def deck_download(study, canvases: list[canvas.Canvas]) -> None:
    """Every persona's card in one PDF (one page each), to print for the whole team."""
    st.download_button("All cards (PDF)", lambda: cards.cards_pdf(canvases, study.title), "persona-cards.pdf",
                       "application/pdf", key="card_deck", icon=":material/library_books:",
                       help="One A4 page per persona", disabled=not canvases)


def canvas_panel(store, c: canvas.Canvas, interviews: dict | None = None) -> None:
    """Who they are (facts from interview details), decision role, the team's answers next to
    each claim, and whether there are enough interviews behind the persona. `interviews` (id ->
    Interview) lets a fact said in the interview be played where it was said."""
    st.subheader("Canvas", anchor=False)
    st.caption("Facts come from the interview details (a role nobody typed in: the one the participant says "
               "they do); the team's answers are yours and are never "
               "changed by re-mining.")
    left, right = st.columns([1, 1], gap="large")
    with left:
        options = ["", *DECISION_ROLES]
        key = ui.key_of("decision_role", c.persona_id, c.decision_role)
        st.selectbox("Decision role", options, index=options.index(c.decision_role) if c.decision_role in options
                     else 0, key=key, format_func=lambda r: r.capitalize() if r else "— from interview details —",
                     help=f"Buyer, decision-maker, end user or influencer: {SOURCE_NOTE[c.decision_role_source]}",
                     on_change=ui.callback(canvas.set_decision_role, store, c.persona_id, key=key))
        st.caption(f"Decision role: **{ui.escape_md(c.decision_role or 'unknown')}** "
                   f"({SOURCE_NOTE[c.decision_role_source]})")
        if c.headline:
            st.markdown(f"**{ui.escape_md(c.headline)}**")
        if c.facts:
            st.table({"Fact": [f.title for f in c.facts], "Value": [f.text for f in c.facts],
                      "Known for": [f.known_for for f in c.facts]})
            said_quotes(c, interviews or {})
        else:
            ui.empty("No interview details yet: add role, company size, industry, … with each interview.")
        why = next(cl for cl in c.claims if cl.field == canvas.WHY_US)
        st.markdown("**Why they choose us** (reasons of the promoters)")
        for t in why.themes:
            quote = f" — “{ui.escape_md(t.quotes[0].text)}”" if t.quotes else ""
            st.markdown(f"- {ui.escape_md(t.label)} · {t.k} of {t.n} participants{quote}")
        if not why.themes:
            st.caption("No promoter gave a reason that fits a theme yet.")
    with right:
        cov = c.coverage
        st.metric("Interviews behind this persona", cov.n_interviews,
                  delta=(f"{cov.more_needed} more needed" if cov.more_needed else "enough for the method"),
                  delta_color="inverse" if cov.more_needed else "normal", delta_arrow="off",
                  help=f"The method asks {cov.wanted[0]}-{cov.wanted[1]} interviews per persona")
        st.caption(cov.reading)
        if cov.saturation:
            import altair as alt
            import pandas as pd

            df = pd.DataFrame([{"interview": f"{n}. {x['participant']}", "new themes": x["new_themes"]}
                               for n, x in enumerate(cov.saturation, 1)])
            st.altair_chart(alt.Chart(df).mark_bar(cornerRadiusEnd=3, color="#4f46e5").encode(
                x=alt.X("interview:N", title="Interviews, in the order added", sort=None,
                        axis=alt.Axis(labelAngle=0, labelLimit=120)),
                # whole numbers, and an axis up to 1 at least: all zeros drew a "0.000000" tick
                y=alt.Y("new themes:Q", title="New themes", axis=alt.Axis(tickMinStep=1, format="d"),
                        scale=alt.Scale(domain=[0, max(1, int(df["new themes"].max()))])),
            ).properties(height=160))
    shown = [cl for cl in c.claims if cl.team_prompt and (cl.themes or cl.text or cl.team_text)]
    main = [cl for cl in shown if cl.field in MAIN_TEAM_FIELDS or cl.team_text]
    for claim in main:
        team_text(store, c, claim)
    more = [cl for cl in shown if cl not in main]
    if more:
        with st.expander(f"The team's answers to the other claims ({len(more)})"):
            for claim in more:
                team_text(store, c, claim)


def said_quotes(c: canvas.Canvas, interviews: dict) -> None:
    """Where members said a fact nobody typed in ("I'm the office manager at ..."): the fact is a
    claim like any other, so its evidence is one click away."""
    def row(f, q) -> None:
        with st.container(border=True, gap="xsmall"):
            st.markdown(f"“{ui.escape_md(q.text)}”")
            with st.container(horizontal=True, vertical_alignment="center", gap="small"):
                ui.play_button(interviews.get(q.interview_id), q.start, label=q.timestamp,
                               key=f"said_{c.persona_id}_{f.name}_{q.id}")
                st.caption(ui.escape_md(q.participant), width="content")

    for f in (f for f in c.facts if f.quotes):
        st.caption(f"{ui.escape_md(f.title)}, as they said it:")
        for q in f.quotes[:SAID_SHOWN]:
            row(f, q)
        if len(f.quotes) > SAID_SHOWN:  # a big persona: the rest one click away, the canvas stays short
            with st.expander(f"{len(f.quotes) - SAID_SHOWN} more"):
                for q in f.quotes[SAID_SHOWN:]:
                    row(f, q)


def team_text(store, c: canvas.Canvas, claim: canvas.Claim) -> None:
    key = ui.key_of("team", c.persona_id, claim.field, claim.team_text)
    st.text_area(f"{claim.title}: {claim.team_prompt}", value=claim.team_text, key=key, height=68,
                 placeholder="The team's answer (kept across re-mining)",
                 on_change=ui.callback(canvas.set_team_text, store, c.persona_id, claim.field, key=key))


def key_mapping(store, study_keys: list[str]) -> None:
    """Let the study say which of its own detail keys is which fact ("practice size" is the
    company size): one mapping for the whole study, kept in the edits."""
    with st.popover("Read a detail as…", icon=":material/swap_horiz:"):
        st.caption("Interview details are free-form: tell the canvas what your own keys mean.")
        key = st.selectbox("Detail key", study_keys, key="map_key", placeholder="No details yet")
        facts = [None, *canvas.FACT_BY_NAME]
        current = canvas.fact_name(key, canvas.metadata_keys(store)) if key else None
        fact = st.selectbox("Is the fact", facts, key=f"map_fact_{key}", index=facts.index(current),
                            format_func=lambda f: "— nothing (or the default) —" if f is None else
                            canvas.FACT_BY_NAME[f].title)
        if st.button("Apply to the study", key="map_apply", disabled=not key):
            ui.act(canvas.map_metadata_key, store, key, fact, done=f"“{key}” is read as "
                   f"{canvas.FACT_BY_NAME[fact].title.lower() if fact else 'nothing special'}")


def versions_panel(store) -> None:
    """Save the personas as a named version; compare any two (or one with now)."""
    saved = versions.list_versions(store)
    with st.expander(f"Persona versions ({len(saved)} saved)", icon=":material/history:"):
        st.caption("Save the personas as they are now (e.g. “2026-Q4 round”); later rounds of interviews "
                   "never change a saved version. Compare two to see how your customers changed.")
        with st.container(horizontal=True, vertical_alignment="bottom"):
            name = st.text_input("Version name", key="version_name", placeholder="e.g. 2026-Q4 round")
            if st.button("Save version", icon=":material/bookmark_add:", disabled=not name.strip()):
                ui.act(versions.save_version, store, name, done=f"Saved version “{name.strip()}”")
        if not saved:
            return
        names = [v.name for v in saved]
        with st.container(horizontal=True):
            a = st.selectbox("From", names, key="compare_a")
            b = st.selectbox("To", [versions.CURRENT, *names], key="compare_b",
                             format_func=lambda n: "Now (live study)" if n == versions.CURRENT else n)
        diff = versions.compare(store, a, b)
        show_comparison(diff)


def show_comparison(diff: versions.Comparison) -> None:
    if not (diff.added or diff.removed or diff.changed):
        st.success("No change between these two.", icon=":material/check:")
    for p in diff.added:
        st.markdown(f":green-badge[new persona] **{ui.escape_md(p['name'])}** ({p['members']} participants)")
    for p in diff.removed:
        st.markdown(f":red-badge[gone] **{ui.escape_md(p['name'])}** ({p['members']} participants)")
    for p in diff.changed:
        title = p.name_b if p.name_a == p.name_b else f"{p.name_a} → {p.name_b}"
        nps = f", NPS {versions.signed_nps(p.nps_a)} → {versions.signed_nps(p.nps_b)}" if p.nps_a != p.nps_b else ""
        st.markdown(f":orange-badge[changed] **{ui.escape_md(title)}**: {p.members_a} → {p.members_b} participants "
                    f"({p.share_a:.0%} → {p.share_b:.0%} of the study){ui.escape_md(nps)}")
        for label, items, fmt in (("gained", p.gained, lambda x: f"{x.k_b} of {x.n_b}"),
                                  ("lost", p.lost, lambda x: f"{x.k_a} of {x.n_a}"),
                                  ("moved", p.moved, lambda x: f"{x.k_a} of {x.n_a} → {x.k_b} of {x.n_b}")):
            for ch in items:
                st.markdown(f"- {label}: *{ui.escape_md(ch.title)}* — {ui.escape_md(ch.label)} ({fmt(ch)})")
                for q in ch.quotes[:1]:
                    st.caption(f"“{ui.escape_md(q['text'])}” — {ui.escape_md(q['participant'])}, {q['timestamp']}")
    if diff.unchanged:
        st.caption("Unchanged: " + ", ".join(ui.escape_md(n) for n in diff.unchanged))
