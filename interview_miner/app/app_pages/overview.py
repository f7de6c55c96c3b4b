"""Overview: the study at a glance — personas, NPS, themes per category, saturation."""
import altair as alt
import pandas as pd
import streamlit as st

from interview_miner import codebook, customers_recruit, insights, overview, review
from interview_miner.app import ui
from interview_miner.export.study import load_study

store = ui.get_store()
st.title("Overview")
st.caption("The study at a glance. Charts follow your edits on the Themes and Personas pages.")

summary = overview.study_summary(store)
if not summary["quotes"]:
    ui.empty("Nothing to chart yet — add interviews on the Study page and press *Process everything*.")
    st.stop()

nps = overview.nps_summary(store)
curve = review.saturation_curve(store)
m = st.columns(5)
m[0].metric("Participants", summary["participants"])
m[1].metric("Themes", summary["themes"], help="Top-level themes in every category. The saturation line below leaves out "
            "Other (background answers), which says nothing about whether new topics are still coming.")
m[2].metric("Personas", summary["personas"])
m[3].metric("NPS", "–" if nps["score"] is None else f"{nps['score']:+d}",
            help=f"% promoters − % detractors, from {nps['n']} scored interview{'s' if nps['n'] != 1 else ''}")
m[4].metric("Key quotes", summary["starred"])

reading = review.saturation_reading(curve)
st.info(f"**Saturation:** {reading}", icon=":material/insights:")

left, right = st.columns(2, gap="large")
with left, st.container(border=True):
    st.subheader("Interviews per persona", anchor=False)
    rows = overview.persona_interviews(store)
    if rows:
        df = pd.DataFrame(rows)
        st.altair_chart(
            alt.Chart(df).mark_bar(cornerRadiusEnd=4, color="#4f46e5").encode(
                x=alt.X("interviews:Q", title="Interviews", axis=alt.Axis(tickMinStep=1)),
                y=alt.Y("persona:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
                tooltip=["persona", "interviews", "participants"],
            ).properties(height=max(220, 40 * len(df))),
        )
    else:
        st.caption("No personas yet — suggest them on the Personas page.")

with right, st.container(border=True):
    st.subheader("NPS distribution", anchor=False)
    if nps["n"]:
        colors = alt.Scale(domain=["detractor", "passive", "promoter"], range=["#e05d5d", "#f2b134", "#3fa36b"])
        df = pd.DataFrame(nps["rows"])
        st.altair_chart(
            alt.Chart(df).mark_bar(cornerRadiusEnd=3).encode(
                x=alt.X("score:O", title="Score (0–10)", scale=alt.Scale(domain=list(range(11))),
                        axis=alt.Axis(labelAngle=0)),
                y=alt.Y("count():Q", title="Interviews", axis=alt.Axis(tickMinStep=1)),
                color=alt.Color("klass:N", title=None, scale=colors, legend=alt.Legend(orient="top")),
                tooltip=["participant", "score", "klass"],
            ).properties(height=220),
        )
        c = nps["counts"]
        st.caption(" · ".join(f"{c[k]} {k}{'s' if c[k] != 1 else ''}" for k in ("promoter", "passive", "detractor")))
        # Reasons per band: what earns points and what loses them (the method's NPS follow-ups).
        bands = insights.nps_by_band(load_study(store), codebook.load(store))
        df = pd.DataFrame([{"band": b.label, "side": side, "reasons": len(qs)}
                           for b in bands for side, qs in (("earns points", b.earns), ("loses points", b.loses))])
        if df["reasons"].sum():
            st.altair_chart(
                alt.Chart(df).mark_bar(cornerRadiusEnd=3).encode(
                    y=alt.Y("band:N", title=None, sort=[b.label for b in bands]),
                    x=alt.X("reasons:Q", title="Reasons", axis=alt.Axis(tickMinStep=1, format="d")),
                    color=alt.Color("side:N", title=None, legend=alt.Legend(orient="top"),
                                    scale=alt.Scale(domain=["earns points", "loses points"], range=["#3fa36b", "#e05d5d"])),
                    tooltip=["band", "side", "reasons"],
                ).properties(height=alt.Step(28)),  # a fixed height leaves the bars no room under the legend
            )
    else:
        st.caption("No NPS scores found in the interviews.")

values = [v for v in customers_recruit.persona_value_shares(store) if v.customers]
if values:  # personas weighed by the customers behind their interviews (Customers page)
    with st.container(border=True):
        st.subheader("Personas by customer value", anchor=False)
        df = pd.DataFrame([{"persona": v.persona, "share": v.share or 0.0, "customers": v.customers,
                            "ABC": " · ".join(f"{n} {k}" for k, n in v.abc.items() if n)} for v in values])
        df["label"] = [f"{s:.1%} · {abc}" for s, abc in zip(df["share"], df["ABC"])]
        bars = alt.Chart(df).mark_bar(cornerRadiusEnd=4, color="#4f46e5").encode(
            x=alt.X("share:Q", title=f"Share of {values[0].by}", axis=alt.Axis(format="%")),
            y=alt.Y("persona:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
            tooltip=["persona", alt.Tooltip("share:Q", format=".1%"), "customers", "ABC"])
        text = bars.mark_text(align="left", dx=6, color="#1e1b4b").encode(text="label:N")
        st.altair_chart((bars + text).properties(height=max(140, 56 * len(df))))
        st.caption("Share of the customer base's value held by the customers interviewed for each persona "
                   "(linked by the interview detail `customer_id`).")

with st.container(border=True):
    st.subheader("Themes per category", anchor=False)
    df = pd.DataFrame(overview.category_theme_rows(store))
    df["category"] = df["category"].map(ui.category)
    order = [ui.category(c) for c in ui.CATEGORY_ORDER]
    st.altair_chart(
        alt.Chart(df).mark_bar(stroke="white", strokeWidth=1).encode(
            y=alt.Y("category:N", title=None, sort=order, axis=alt.Axis(labelLimit=220)),  # "Alternatives considered" whole
            x=alt.X("sum(quotes):Q", title="Quotes", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("theme:N", legend=None, scale=alt.Scale(scheme="tableau20")),
            order=alt.Order("participants:Q", sort="descending"),
            tooltip=["category", "theme", "quotes", "participants"],
        ).properties(height=34 * df["category"].nunique() + 40),
    )
    st.caption("Each bar is a category, each block a theme (hover for its name and counts); a block "
               "named *Unthemed* holds quotes not yet in any theme.")

with st.container(border=True):
    st.subheader("Saturation", anchor=False)
    st.caption("New themes found by each added interview (bars) and the running total (line). "
               "When new interviews stop adding themes, you have heard most of what there is to hear.")
    df = pd.DataFrame([{"n": n + 1, "interview": f"{n + 1}. {p.participant}", "new themes": p.new_themes,
                        "total": p.total_themes, "new": ", ".join(p.new_theme_labels) or "–"}
                       for n, p in enumerate(curve)])
    base = alt.Chart(df).encode(x=alt.X("interview:N", title="Interviews, in the order added", sort=None,
                                        axis=alt.Axis(labelAngle=0, labelLimit=140)))
    bars = base.mark_bar(color="#a5b4fc", cornerRadiusEnd=3).encode(
        y=alt.Y("new themes:Q", title="Themes", axis=alt.Axis(tickMinStep=1, format="d")), tooltip=["interview", "new themes", "new"])
    line = base.mark_line(color="#4f46e5", point=True).encode(y="total:Q", tooltip=["interview", "total"])
    st.altair_chart((bars + line).properties(height=260))
