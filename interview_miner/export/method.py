"""The buyer-persona method's tables in every report: the journey map (stage x themes x quotes,
with the coverage flag), NPS reasons by band, the fish pond and scenario needs.

`method_context(study)` turns them into plain dicts once (like `study.report_context`); the
Markdown/HTML templates lay them out as tables researchers paste into a deck, and
`write_pdf_sections` draws the same tables in the PDF.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import insights, journey
from ..vocab import clock

if TYPE_CHECKING:
    from .pdf import _Report
    from .study import Study


def _people(n: int) -> str:
    return f"{n} participant{'' if n == 1 else 's'}"


def _quote(study: Study, q: Any) -> dict[str, Any]:
    return {"text": q.text, "participant": study.participant(q.interview_id), "timestamp": clock(q.start)}


def method_context(study: Study) -> dict[str, Any]:
    """The method's tables as plain data (empty lists when the study has nothing for them)."""
    cb = study.codebook
    j = journey.build_journey(study, study.stages, cb)
    stages = [{
        "title": s.title, "categories": [cb.title(c) for c in s.categories], "n_participants": s.n_participants,
        "coverage": s.coverage, "themes": [{"label": t.label, "n_participants": t.n_participants} for t in s.themes[:5]],
        "quotes": [_quote(study, q) for q in s.quotes],
    } for s in j.stages]
    bands = [{
        "scheme": b.scheme, "label": b.label, "n_participants": b.n_participants,
        "earns": [_quote(study, q) for q in b.earns[:6]], "loses": [_quote(study, q) for q in b.loses[:6]],
        "n_earns": len(b.earns), "n_loses": len(b.loses),
    } for b in insights.nps_by_band(study, cb, study.guide) if b.n_participants]
    pond = [{"when": i.when, "name": i.name, "n_participants": i.n_participants, "quote": _quote(study, i.quotes[0])}
            for i in insights.fish_pond(study, cb)]
    needs = [{"label": n.label, "kind": n.kind, "n_participants": n.n_participants, "share": f"{n.share:.0%}",
              "quote": _quote(study, n.quote) if n.quote else None} for n in insights.scenario_needs(study, cb)]
    return {"journey": stages, "nps_bands": bands, "fish_pond": pond, "needs": needs}


def write_pdf_sections(pdf: _Report, method: dict[str, Any]) -> None:
    """The method's tables in the PDF report (after the NPS section)."""
    from .pdf import LINE, MUTED, SOFT, _heading_style

    def table(headings: tuple[str, ...], widths: tuple[int, ...], rows: list[tuple[str, ...]]) -> None:
        pdf.font(8.5)
        pdf.set_draw_color(*LINE)
        with pdf.table(col_widths=widths, headings_style=_heading_style(pdf), line_height=4.4, v_align="TOP",
                       cell_fill_color=SOFT, cell_fill_mode="ROWS", text_align="LEFT") as t:
            head = t.row()
            for h in headings:
                head.cell(pdf.clean(h))
            for r in rows:
                row = t.row()
                for value in r:  # one cleaned line per line: clean() folds whitespace
                    row.cell("\n".join(pdf.clean(line) for line in value.split("\n")))
        pdf.ln(2)

    def said(q: dict[str, Any] | None) -> str:
        return f"“{q['text']}” ({q['participant']}, {q['timestamp']})" if q else ""

    pdf.heading("Journey map")
    pdf.para("Per stage: themes by participants, the strongest quotes from different participants; "
             "'thin' marks a stage with fewer than 6 quotes or 3 participants (interview more).", 8.5, color=MUTED)
    table(("Stage", "Themes", "Quotes"), (22, 38, 118), [
        (f"{s['title']}\n{_people(s['n_participants'])}" + ("\nTHIN: interview more" if s["coverage"] == "thin" else ""),
         "\n".join(f"{t['label']} ({t['n_participants']})" for t in s["themes"]) or "-",
         "\n".join(said(q) for q in s["quotes"]) or "-") for s in method["journey"]])
    if method["nps_bands"]:
        pdf.heading("NPS reasons by band")
        table(("Band", "Earns points", "Loses points"), (30, 74, 74), [
            (f"{b['label']}\n{_people(b['n_participants'])}",
             f"{b['n_earns']} reasons\n" + "\n".join(said(q) for q in b["earns"]),
             f"{b['n_loses']} reasons\n" + "\n".join(said(q) for q in b["loses"])) for b in method["nps_bands"]])
    if method["fish_pond"]:
        pdf.heading("Fish pond: bought before, with and after ours")
        table(("Bought", "What", "Participants", "In their words"), (18, 40, 22, 98), [
            (i["when"], i["name"], str(i["n_participants"]), said(i["quote"])) for i in method["fish_pond"]])
    if method["needs"]:
        pdf.heading("Scenario needs by share of participants")
        table(("Need", "Kind", "Share", "In their words"), (48, 28, 16, 86), [
            (n["label"], n["kind"], f"{n['share']} ({n['n_participants']})", said(n["quote"])) for n in method["needs"]])

