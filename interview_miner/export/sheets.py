"""The study as an Excel workbook (`.xlsx`, openpyxl): one sheet each for quotes, themes,
personas (every claim with its "k of n" count), NPS and interviews.

Text cells are written as strings, never formulas, whatever they start with (a quote reading
`=HYPERLINK(...)` stays text: the spreadsheet form of the CSV's formula-injection guard).
Numbers are numbers (seconds, counts, scores), so the sheets sort and filter as expected. The
workbook's dates and the zip's entry times are fixed: the same study gives the same bytes.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .data import CSV_COLUMNS
from ..vocab import category_title, clock
from .study import Study, persona_view, theme_views

SHEETS = ("quotes", "themes", "personas", "nps", "interviews")
_FIXED = "2000-01-01T00:00:00Z"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_WIDEST = 80  # characters: long quotes wrap instead of making one column screen-wide


def _rows_quotes(study: Study) -> list[list[Any]]:
    rows = []
    for q in study.quotes:
        theme = study.theme_by_id.get(q.theme_id or "")
        sub = study.sub_theme_by_id.get(q.sub_theme_id or "") if theme else None
        interview = study.interview_by_id.get(q.interview_id)
        rows.append([
            q.id, q.interview_id, study.participant(q.interview_id), interview.file_name if interview else "",
            round(q.start, 3), round(q.end, 3), clock(q.start), q.speaker, q.category or "",
            q.confidence, theme.id if theme else "", theme.label if theme else "", ";".join(sorted(q.tags)),
            bool(q.starred), q.question or "", q.text, sub.id if sub else "", sub.label if sub else "",
        ])
    return [list(CSV_COLUMNS)] + rows


def _rows_themes(study: Study) -> list[list[Any]]:
    """One row per theme, each followed by its sub-themes (`parent_id` names their theme)."""
    head = ["id", "category", "category_title", "label", "keywords", "n_participants", "n_quotes",
            "representative_quote", "tags", "parent_id"]
    rows = []
    views = {t["id"]: t for t in theme_views(study)}
    views.update({s["id"]: s for t in list(views.values()) for s in t["sub_themes"]})
    subs: dict[str, list] = {}
    for s in study.sub_themes:
        subs.setdefault(s.parent_id or "", []).append(s)
    for t in study.themes:
        for x in [t, *subs.get(t.id, [])]:
            v = views.get(x.id, {})
            rep = study.quote_by_id.get(x.representative_quote_id or "")
            rows.append([x.id, x.category, category_title(x.category), x.label, ", ".join(x.keywords),
                         v.get("n_participants", 0), v.get("n_quotes", 0), rep.text if rep else "",
                         ";".join(sorted(x.tags)), x.parent_id or ""])
    return [head] + rows


def _rows_personas(study: Study) -> list[list[Any]]:
    """One row per claim (a theme backing a persona field), with how many of the persona's
    participants voiced it; a field with text but no claims still gets a row."""
    head = ["persona_id", "persona", "role", "n_participants", "field", "field_text", "claim_theme_id", "claim",
            "count", "of", "supporting_quote_ids"]
    rows = []
    for p in study.personas:
        view = persona_view(study, p)
        for f in view["fields"]:
            base = [p.id, p.name, p.role, view["n_participants"], f["title"], f["text"]]
            if not f["claims"]:
                rows.append(base + ["", "", f["n_participants"], f["of"],
                                    ";".join(q["id"] for q in f["other_quotes"])])
            for c in f["claims"]:
                rows.append(base + [c["theme_id"], c["label"], c["count"], c["of"],
                                    ";".join(q["id"] for q in c["quotes"])])
        if not view["fields"]:
            rows.append([p.id, p.name, p.role, view["n_participants"], "", p.description, "", "", None, None, ""])
    return [head] + rows


def _rows_nps(study: Study) -> list[list[Any]]:
    head = ["interview_id", "participant", "score", "class", "quote_id", "in_their_words"]
    rows = []
    for iid, row in sorted(study.nps.items()):
        if iid not in study.interview_by_id or row.get("score") is None:
            continue
        rows.append([iid, study.participant(iid), int(row["score"]), row.get("klass") or "",
                     row.get("quote_id") or "", row.get("text") or ""])
    return [head] + rows


def _rows_interviews(study: Study) -> list[list[Any]]:
    head = ["id", "participant", "file_name", "kind", "status", "duration_s", "language", "n_quotes",
            "nps_score", "metadata"]
    n_quotes: dict[int, int] = {}
    for q in study.quotes:
        n_quotes[q.interview_id] = n_quotes.get(q.interview_id, 0) + 1
    rows = [[i.id, study.participant(i.id), i.file_name, i.kind, i.status, i.duration, i.language or "",
             n_quotes.get(i.id, 0), study.nps_score(i.id),
             json.dumps(i.metadata or {}, sort_keys=True, ensure_ascii=False)] for i in study.interviews]
    return [head] + rows


_BUILDERS = {"quotes": _rows_quotes, "themes": _rows_themes, "personas": _rows_personas, "nps": _rows_nps,
             "interviews": _rows_interviews}
# Characters openpyxl (and the xlsx format) refuse inside a cell.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _put(ws, row: int, col: int, value: Any) -> Cell:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = _ILLEGAL.sub("", value)
        cell.data_type = "s"  # text, even when it starts with "=", "+", "-" or "@"
    else:
        cell.value = value
    return cell


def to_xlsx(study: Study) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for name in SHEETS:
        ws = wb.create_sheet(name)
        rows = _BUILDERS[name](study)
        widths = [len(str(h)) for h in rows[0]]
        for r, values in enumerate(rows, 1):
            for c, value in enumerate(values, 1):
                cell = _put(ws, r, c, value)
                if r == 1:
                    cell.font = Font(bold=True)
                widths[c - 1] = max(widths[c - 1], min(_WIDEST, len(str("" if value is None else value))))
        for c, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(c)].width = w + 2
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_times(buf.getvalue())


def _fixed_times(xlsx: bytes) -> bytes:
    """The same bytes for the same study: openpyxl stamps the save time into docProps/core.xml
    and every zip entry; both are replaced by a fixed date."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + _FIXED.encode(), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, data)
    return out.getvalue()
