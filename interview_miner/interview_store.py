"""Interviews, their transcript segments and transcription progress in SQLite (called by `Store`).

The SQL of the capture and transcribe side, apart from mining's tables (mining_store.py): these
rows are written once per recording and grow while it is transcribed, whereas mining replaces its
rows wholesale on every run. Functions take the `sqlite_utils.Database` and return dataclasses as
stored: researcher edits are applied on top by `Store` (overlay.py), and writers expect to be
called inside `Store.transaction()`.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .models import Interview, Segment, TranscriptionState, Word
from .store_schema import now

if TYPE_CHECKING:  # sqlite-utils imports pandas: at run time only where a study is opened
    import sqlite_utils

# ---------------------------------------------------------------------------------------------
# Interviews
# ---------------------------------------------------------------------------------------------


def add_interview(db: sqlite_utils.Database, interview: Interview) -> int:
    """Insert a new interview (its `id` is ignored) and return the id it was given."""
    row = _interview_row(interview)
    row.pop("id", None)
    row["created_at"] = row["updated_at"] = now()
    db["interviews"].insert(row)
    return db.execute("SELECT last_insert_rowid()").fetchone()[0]


def find_interview_by_hash(db: sqlite_utils.Database, content_hash: str) -> Interview | None:
    rows = list(db["interviews"].rows_where("content_hash = ?", [content_hash]))
    return _interview_from_row(rows[0]) if rows else None


def get_interview(db: sqlite_utils.Database, interview_id: int) -> Interview:
    row = _row(db, "interviews", int(interview_id))
    if row is None:
        raise KeyError(f"no interview with id {interview_id}")
    return _interview_from_row(row)


def _row(db: sqlite_utils.Database, table: str, pk: int) -> dict[str, Any] | None:
    """The row of `table` with this primary key, None when there is none."""
    from sqlite_utils.db import NotFoundError  # a study is open, so sqlite-utils is already imported

    try:
        return dict(db[table].get(pk))
    except NotFoundError:
        return None


def list_interviews(db: sqlite_utils.Database) -> list[Interview]:
    """Every interview as stored, by id."""
    return [_interview_from_row(r) for r in db["interviews"].rows_where(order_by="id")]


def update_interview(db: sqlite_utils.Database, interview_id: int, fields: dict[str, Any]) -> None:
    if "metadata" in fields and not isinstance(fields["metadata"], str):
        fields["metadata"] = json.dumps(fields["metadata"], sort_keys=True)
    fields["updated_at"] = now()
    db["interviews"].update(int(interview_id), fields)


def delete_interview(db: sqlite_utils.Database, interview_id: int) -> None:
    """The interview and every machine row about it (segments, quotes and their categories and
    theme links, NPS, transcription progress), and the edits of its quotes."""
    quote_ids = [r["id"] for r in db["quotes"].rows_where("interview_id = ?", [interview_id])]
    for table in ("quote_categories", "theme_quotes"):
        db[table].delete_where(
            "quote_id IN (SELECT id FROM quotes WHERE interview_id = ?)", [interview_id]
        )
    db["quotes"].delete_where("interview_id = ?", [interview_id])
    db["nps"].delete_where("interview_id = ?", [interview_id])
    db["segments"].delete_where("interview_id = ?", [interview_id])
    db["transcriptions"].delete_where("interview_id = ?", [interview_id])
    db["interviews"].delete_where("id = ?", [interview_id])
    if quote_ids:
        db["edits"].delete_where(
            "entity = 'quote' AND entity_id IN (%s)" % ",".join("?" * len(quote_ids)),
            quote_ids,
        )


# ---------------------------------------------------------------------------------------------
# Segments
# ---------------------------------------------------------------------------------------------


def segment_count(db: sqlite_utils.Database, interview_id: int) -> int:
    return db.execute(
        "SELECT count(*) FROM segments WHERE interview_id = ?", [interview_id]
    ).fetchone()[0]


def append_segments(db: sqlite_utils.Database, interview_id: int, segments: list[Segment]) -> None:
    """Append after the last stored segment."""
    start_idx = segment_count(db, interview_id)
    db["segments"].insert_all(
        _segment_row(interview_id, start_idx + i, s) for i, s in enumerate(segments)
    )


def replace_segments(db: sqlite_utils.Database, interview_id: int, segments: list[Segment]) -> None:
    db["segments"].delete_where("interview_id = ?", [interview_id])
    db["segments"].insert_all(
        _segment_row(interview_id, i, s) for i, s in enumerate(segments)
    )


def get_segment(db: sqlite_utils.Database, segment_id: int) -> Segment:
    """One segment as stored; KeyError naming it when it does not exist."""
    row = _row(db, "segments", int(segment_id))
    if row is None:
        raise KeyError(f"no segment {segment_id!r}")
    return _segment_from_row(row)


def segments(db: sqlite_utils.Database, interview_id: int) -> list[Segment]:
    """One interview's segments as stored, in order."""
    rows = db["segments"].rows_where("interview_id = ?", [interview_id], order_by="idx")
    return [_segment_from_row(r) for r in rows]


# ---------------------------------------------------------------------------------------------
# Transcription progress (resume)
# ---------------------------------------------------------------------------------------------


def get_transcription(db: sqlite_utils.Database, interview_id: int) -> TranscriptionState | None:
    row = _row(db, "transcriptions", interview_id)
    if row is None:
        return None
    return TranscriptionState(
        interview_id=row["interview_id"], run_key=row["run_key"], model=row["model"],
        settings=row["settings"], committed_until=row["committed_until"] or 0.0,
        completed=bool(row["completed"]), speakers_done=bool(row["speakers_done"]),
        updated_at=row["updated_at"], lanes=row.get("lanes"),
    )


def set_transcription(db: sqlite_utils.Database, interview_id: int, fields: dict[str, Any]) -> None:
    fields["interview_id"] = interview_id
    fields["updated_at"] = now()
    db["transcriptions"].upsert(fields, pk="interview_id")


def commit_transcribed(db: sqlite_utils.Database, interview_id: int, segments: list[Segment],
                       committed_until: float, lanes: str | None = None) -> None:
    """Freshly transcribed segments and the resume point(s) (call inside one transaction)."""
    append_segments(db, interview_id, segments)
    fields: dict[str, Any] = {"committed_until": committed_until, "updated_at": now()}
    if lanes is not None:
        fields["lanes"] = lanes
    db["transcriptions"].update(interview_id, fields)


def reset_transcription(db: sqlite_utils.Database, interview_id: int) -> None:
    db["segments"].delete_where("interview_id = ?", [interview_id])
    db["transcriptions"].delete_where("interview_id = ?", [interview_id])


# ---------------------------------------------------------------------------------------------
# Row <-> dataclass
# ---------------------------------------------------------------------------------------------


def _interview_row(i: Interview) -> dict[str, Any]:
    row = asdict(i)
    row["metadata"] = json.dumps(i.metadata or {}, sort_keys=True)
    return row


def _interview_from_row(row: dict[str, Any]) -> Interview:
    """An interview as stored (researcher edits are applied by the overlay)."""
    row = dict(row)
    row.pop("updated_at", None)
    row["metadata"] = json.loads(row.get("metadata") or "{}")
    return Interview(**row)


def _segment_row(interview_id: int, idx: int, s: Segment) -> dict[str, Any]:
    return {
        "interview_id": interview_id,
        "idx": idx,
        "start": s.start,
        "end": s.end,
        "speaker": s.speaker,
        "text": s.text,
        "words": json.dumps([[w.start, w.end, w.word, w.probability] for w in s.words]),
        "avg_logprob": s.avg_logprob,
        "no_speech_prob": s.no_speech_prob,
        "compression_ratio": s.compression_ratio,
        "flags": json.dumps(s.flags),
    }


def _segment_from_row(r: dict[str, Any]) -> Segment:
    return Segment(
        id=r["id"],
        interview_id=r["interview_id"],
        index=r["idx"],
        start=r["start"],
        end=r["end"],
        speaker=r["speaker"],
        text=r["text"],
        words=[Word(*w) for w in json.loads(r["words"] or "[]")],
        avg_logprob=r["avg_logprob"],
        no_speech_prob=r["no_speech_prob"],
        compression_ratio=r["compression_ratio"],
        flags=json.loads(r["flags"] or "[]"),
    )
