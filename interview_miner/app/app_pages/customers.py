"""Customers: import sales transactions, see who brings the value, pick whom to interview."""
import json
import tempfile
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from interview_miner import customers, customers_recruit
from interview_miner.app import ui
from interview_miner.customers_source import SOURCE_KINDS, CustomerDataError
from interview_miner.store import Store

INDIGO, LIGHT = "#4f46e5", "#a5b4fc"
COLUMN_ROLES = (("customer", "Customer id"), ("date", "Date"), ("amount", "Amount"), ("margin", "Margin"),
                ("status", "Deal status"), ("name", "Name"), ("contact", "Contact"))


@st.cache_data(max_entries=8, show_spinner=False)
def recruiting_list(db_path: str, analysis_stamp: str, size: int, links: tuple) -> customers_recruit.RecruitList:
    """The list only changes with the import, the analysis, the size or the interview links:
    cached so a rerun of this page does not re-read every customer."""
    study = Store(db_path)
    try:
        return customers_recruit.recruit(study, size)
    finally:
        study.close()


store = ui.get_store()
ui.show_flash()
st.title("Customers")
st.caption("Find the customers who bring the value in your own sales data (CRM, bank statements, "
           "loyalty cards — 2-3 years is best), then interview them. The books win over anyone's memory.")

info = customers.current_import(store)

with st.expander("Import transactions" if info is None else f"Import transactions · `{info['file_name']}`",
                 icon=":material/upload_file:", expanded=info is None):
    st.caption("One row per transaction: customer, date, amount (negative = return); optionally margin, "
               "deal status (lost / declined / postponed), name and contact. Columns are guessed from the "
               "header — name any of them below. A new import replaces the previous one.")
    nonce = st.session_state.setdefault("customers_upload_nonce", 0)
    upload = st.file_uploader("Transaction file", type=sorted(k.lstrip(".") for k in SOURCE_KINDS),
                              key=f"customers_upload_{nonce}")
    cols = st.columns(len(COLUMN_ROLES))
    given = {role: cols[n].text_input(label, key=f"customers_col_{role}", placeholder="guess")
             for n, (role, label) in enumerate(COLUMN_ROLES)}
    if st.button("Import", type="primary", icon=":material/upload:", disabled=upload is None):
        with tempfile.TemporaryDirectory() as tmp, st.spinner("Reading transactions…"):
            path = Path(tmp) / Path(upload.name).name
            path.write_bytes(upload.getbuffer())
            try:
                report, _ = customers.import_file(store, path, {k: v.strip() or None for k, v in given.items()})
            except CustomerDataError as e:
                st.error(str(e), icon=":material/error:")
            else:
                st.session_state["customers_upload_nonce"] = nonce + 1
                ui.flash(f"Imported {report.customers:,} customers from {report.transactions:,} transactions")
                st.rerun()

if info is None:
    ui.empty("No customer data yet — import a transaction file above (CSV, TSV, Excel or Parquet).")
    st.stop()

report = info["report"]
options, summary, curve = customers.last_analysis(store)
if report.get("has_margin"):
    by = st.segmented_control("Value", customers.VALUE_BASES, default=options.by, key="customers_by",
                              help="Rank customers by revenue or by margin")
    if by and by != options.by:
        customers.analyze(store, customers.AnalysisOptions(by=by))
        st.rerun()
basis = options.by
total = summary["total_value"]
pareto = summary["pareto"]
m = st.columns(5)
m[0].metric("Customers", f"{summary['customers']:,}",
            help=f"with at least one purchase; {summary['prospects']:,} more only have declined or postponed deals")
m[1].metric("Transactions", f"{summary['transactions']:,}",
            help=f"{summary['returns']['transactions']:,} returns, {summary['returns']['value']:,.2f}, netted")
m[2].metric(basis.capitalize(), f"{total:,.0f}")
m[3].metric("Top 20% hold", "–" if pareto["top20_share"] is None else f"{pareto['top20_share']:.0%}",
            help="share of value held by the top 20% of customers (the top 4% hold "
                 + ("–" if pareto["top4_share"] is None else f"{pareto['top4_share']:.0%}") + ")")
window = summary.get("window")
m[4].metric("Months", summary["months"], help=f"{window[0]} to {window[1]}" if window else None)
for note in report.get("notes", []):
    st.caption(f":material/info: {ui.escape_md(note)}")

left, right = st.columns(2, gap="large")
with left, st.container(border=True):
    st.subheader("Pareto curve", anchor=False)
    if curve:
        df = pd.DataFrame(curve, columns=["customers", "value"])
        line = alt.Chart(df).mark_area(line={"color": INDIGO}, color=LIGHT, opacity=0.5).encode(
            x=alt.X("customers:Q", title="Share of customers, best first", axis=alt.Axis(format="%")),
            y=alt.Y("value:Q", title=f"Share of {basis}", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip("customers:Q", format=".0%"), alt.Tooltip("value:Q", format=".0%")],
        )
        marks = pd.DataFrame([{"customers": 0.04, "value": pareto["top4_share"], "label": "top 4%"},
                              {"customers": 0.20, "value": pareto["top20_share"], "label": "top 20%"}])
        rules = alt.Chart(marks).mark_rule(color="#64748b", strokeDash=[4, 3]).encode(x="customers:Q")
        points = alt.Chart(marks).mark_point(filled=True, color=INDIGO, size=60).encode(
            x="customers:Q", y="value:Q", tooltip=["label", alt.Tooltip("value:Q", format=".0%")])
        labels = points.mark_text(align="left", dx=7, dy=10, color="#1e1b4b").encode(
            text=alt.Text("value:Q", format=".0%"))
        st.altair_chart((line + rules + points + labels).properties(height=260))
        st.caption(f"The top 20% of customers hold {pareto['top20_share']:.0%} of {basis}, "
                   f"the top 4% hold {pareto['top4_share']:.0%}.")
    else:
        st.caption("No positive value to chart.")

with right, st.container(border=True):
    st.subheader("ABC-XYZ matrix", anchor=False)
    if summary["matrix"] is None:
        st.caption(ui.escape_md(summary["xyz_note"] or "") + " — ABC only:")
        df = pd.DataFrame([{"class": k, "customers": n, "value": summary["abc_value"][k]}
                           for k, n in summary["abc"].items()])
        st.altair_chart(alt.Chart(df).mark_bar(color=INDIGO, cornerRadiusEnd=4).encode(
            x=alt.X("customers:Q", title="Customers"), y=alt.Y("class:N", title=None),
            tooltip=["class", "customers", alt.Tooltip("value:Q", format=",.0f")]).properties(height=200))
    else:
        df = pd.DataFrame([{"abc": cell[0], "xyz": cell[1], "customers": n, "value": summary["matrix_value"][cell],
                            "share": summary["matrix_value"][cell] / total if total > 0 else 0.0}
                           for cell, n in summary["matrix"].items()])
        df["label"] = [f"{n:,} · {s:.0%}" if n else "–" for n, s in zip(df["customers"], df["share"])]
        base = alt.Chart(df).encode(
            x=alt.X("xyz:N", title="XYZ: regularity (X steady … Z irregular)", axis=alt.Axis(labelAngle=0, orient="top")),
            y=alt.Y("abc:N", title="ABC: value (A most)"))
        heat = base.mark_rect(cornerRadius=4, stroke="white", strokeWidth=2).encode(
            color=alt.Color("share:Q", scale=alt.Scale(scheme="purples", domain=[0, 1]), legend=None),
            tooltip=["abc", "xyz", "customers", alt.Tooltip("value:Q", format=",.0f"),
                     alt.Tooltip("share:Q", format=".1%")])
        text = base.mark_text(fontSize=14).encode(
            text="label:N", color=alt.condition(alt.datum.share > 0.4, alt.value("white"), alt.value("#1e1b4b")))
        st.altair_chart((heat + text).properties(height=260))
        st.caption(f"Each cell: customers · share of {basis}. A: the customers who bring the first "
                   f"{options.a:.0%}; X: monthly {basis} varies by at most {options.x:.0%} (coefficient of variation).")

with st.container(border=True):
    st.subheader("RFM segments", anchor=False)
    df = pd.DataFrame([{"segment": k, "customers": n} for k, n in summary["rfm_segments"].items() if n])
    st.altair_chart(alt.Chart(df).mark_bar(cornerRadiusEnd=4, color=INDIGO).encode(
        x=alt.X("customers:Q", title="Customers", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("segment:N", title=None, sort="-x"), tooltip=["segment", "customers"],
    ).properties(height=max(160, 30 * len(df))))
    st.caption("Recency (days since the last purchase), frequency (purchase days) and monetary value, each "
               "scored 1-5 by quintile. Champions buy often, recently and a lot; *at risk* and *cannot lose* "
               "used to buy often but have not lately.")

with st.container(border=True):
    st.subheader("Whom to interview", anchor=False)
    st.caption("Best customers first, then valuable ones slipping away, then declined and postponed deals. "
               "Ask sales and support to help arrange the calls: 8-12 of 50-75 usually agree. An interview is "
               "linked to a customer by its detail `customer_id=…` on the Study page.")
    size = st.number_input("Names on the list", min_value=1, max_value=500, value=customers_recruit.DEFAULT_SIZE,
                           step=5, key="customers_recruit_size")
    links = tuple(sorted((k, tuple(v)) for k, v in customers_recruit.interview_links(store).items()))
    stamp = json.dumps([info["imported_at"], summary], sort_keys=True)
    result = recruiting_list(store.path, stamp, int(size), links)
    done = result.interviewed
    st.markdown(f"**{len(result.candidates)}** names · "
                + " · ".join(f"{n} {g}" for g, n in result.groups.items() if n)
                + f" · **{done}** interviewed")
    table = pd.DataFrame([{
        "#": c.rank, "customer": c.customer_id, "name": c.name or "", "contact": c.contact or "",
        "group": c.group, "class": (c.abc or "") + (c.xyz or ""), "segment": c.segment or "", "value": c.value,
        "interview": c.interview_status + (f" (#{', #'.join(map(str, c.interview_ids))})" if c.interview_ids else ""),
        "why": c.reason,
    } for c in result.candidates])
    table = table.drop(columns=[c for c in ("name", "contact") if c in table and not table[c].any()])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"value": st.column_config.NumberColumn(format="%.0f"),
                                "why": st.column_config.TextColumn(width="large")})
    st.download_button("Download the list (CSV)", customers_recruit.recruit_csv_text(result),
                       file_name="recruiting.csv", mime="text/csv", icon=":material/download:")
    for note in result.notes:
        st.caption(f":material/info: {ui.escape_md(note)}")
