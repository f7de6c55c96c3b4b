"""Machine-readable exports: the study as JSON (a stable contract, see docs/export-format.md)
and the quotes as CSV (one row per quote, for spreadsheets)."""
from __future__ import annotations

import csv
import io
import json
from typing import Any

from ..canvas import build_canvas, canvas_dict
from ..models import PERSONA_FIELDS
from ..personas import persona_dict
from ..vocab import clock, nps_breakdown
from .study import GENERATED_BY, Study
from .transcripts import segment_dict

# Bump when a key is renamed or removed (adding keys is not a breaking change).
SCHEMA_VERSION = 1

CSV_COLUMNS = (
    "id", "interview_id", "participant", "file_name", "start", "end", "timestamp", "speaker",
    "category", "confidence", "theme_id", "theme_label", "tags", "starred", "question", "text",
    "sub_theme_id", "sub_theme_label",  # new columns go last: spreadsheets reading by position keep working
)
# Cells a spreadsheet would run as a formula (CSV injection): prefixed with an apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def study_dict(study: Study) -> dict[str, Any]:
    interviews = []
    for i in study.interviews:
        interviews.append({
            "id": i.id, "file_name": i.file_name, "participant": i.participant, "kind": i.kind,
            "status": i.status, "duration": i.duration, "language": i.language,
            "metadata": i.metadata or {}, "nps_score": study.nps_score(i.id),
            "segments": [segment_dict(s) for s in study.segments.get(i.id, [])],
        })
    quotes = [{
        "id": q.id, "interview_id": q.interview_id, "index": q.index, "start": round(q.start, 3),
        "end": round(q.end, 3), "speaker": q.speaker, "text": q.text, "question": q.question,
        "category": q.category, "confidence": q.confidence,
        "theme_id": q.theme_id if q.theme_id in study.theme_by_id else None,
        "sub_theme_id": q.sub_theme_id if q.sub_theme_id in study.sub_theme_by_id else None,
        "tags": sorted(q.tags), "starred": bool(q.starred),
    } for q in study.quotes]
    subs: dict[str, list[dict[str, Any]]] = {}
    for t in study.sub_themes:
        subs.setdefault(t.parent_id or "", []).append({**_theme_dict(t), "parent_id": t.parent_id})
    themes = [{**_theme_dict(t), "sub_themes": subs.get(t.id, [])} for t in study.themes]
    scores = [s for s in (study.nps_score(i.id) for i in study.interviews) if s is not None]
    nps_rows = [{
        "interview_id": iid, "score": row.get("score"), "class": row.get("klass"),
        "quote_id": row.get("quote_id"), "text": row.get("text"),
    } for iid, row in sorted(study.nps.items()) if iid in study.interview_by_id]
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_by": GENERATED_BY,
        "study": {"title": study.title, "persona_fields": list(PERSONA_FIELDS), "version": study.version},
        "interviews": interviews,
        "quotes": quotes,
        "themes": themes,
        "nps": {"summary": nps_breakdown(scores), "responses": nps_rows},
        "personas": [{**persona_dict(p), "customer_value": study.persona_values.get(p.id),
                      "canvas": canvas_dict(build_canvas(study, p, study.metadata_keys))}
                     for p in study.personas],
    }


def _theme_dict(t) -> dict[str, Any]:
    return {
        "id": t.id, "category": t.category, "label": t.label, "keywords": list(t.keywords),
        "quote_ids": list(t.quote_ids), "representative_quote_id": t.representative_quote_id,
        "n_participants": t.n_participants, "tags": sorted(t.tags),
    }


def to_json(study: Study) -> str:
    return json.dumps(study_dict(study), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(study: Study) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for q in study.quotes:
        theme = study.theme_by_id.get(q.theme_id or "")
        sub = study.sub_theme_by_id.get(q.sub_theme_id or "") if theme else None
        interview = study.interview_by_id.get(q.interview_id)
        w.writerow([
            q.id, q.interview_id, _cell(study.participant(q.interview_id)),
            _cell(interview.file_name if interview else ""), f"{q.start:.3f}", f"{q.end:.3f}",
            clock(q.start), q.speaker, q.category or "",
            "" if q.confidence is None else f"{q.confidence:.4f}",
            theme.id if theme else "", _cell(theme.label if theme else ""),
            _cell(";".join(sorted(q.tags))), "true" if q.starred else "false",
            _cell(q.question or ""), _cell(q.text),
            sub.id if sub else "", _cell(sub.label if sub else ""),
        ])
    return out.getvalue()
