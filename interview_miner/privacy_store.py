"""Privacy in SQLite (issue 18; called by `Store`): study privacy settings, participant
pseudonyms, and erasing interviews so that no trace is left in the file.

Separate because erasure is the one operation that cuts across every table, and it must stay
next to the settings and pseudonyms it also removes: what belongs to an erased participant is
decided in forget.py, the deleting is done here. Writers expect to be called inside
`Store.transaction()` (except `scrub_free_pages`, which cannot run in one).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # sqlite-utils imports pandas: at run time only where a study is opened
    import sqlite_utils


def privacy_setting(db: sqlite_utils.Database, key: str, default: Any = None) -> Any:
    row = db.execute("SELECT value FROM privacy_settings WHERE key = ?", [key]).fetchone()
    return json.loads(row[0]) if row else default


def set_privacy_setting(db: sqlite_utils.Database, key: str, value: Any) -> None:
    db["privacy_settings"].upsert({"key": key, "value": json.dumps(value, sort_keys=True)}, pk="key")


def pseudonym_rows(db: sqlite_utils.Database) -> dict[str, str]:
    """{participant_hash: label}."""
    return {h: label for h, label in db.execute("SELECT participant_hash, label FROM pseudonyms")}


def add_pseudonyms(db: sqlite_utils.Database, hashes: Iterable[str], prefix: str = "P") -> None:
    """Number new participants after every number ever given (kept in privacy_settings), so
    an erased participant's number is never reused for someone else."""
    known = pseudonym_rows(db)
    counter = privacy_setting(db, "pseudonym_counter", 0)
    for h in hashes:
        if h in known:
            continue
        counter += 1
        db["pseudonyms"].insert({"participant_hash": h, "label": f"{prefix}{counter}", "number": counter})
        known[h] = f"{prefix}{counter}"
    db["privacy_settings"].upsert({"key": "pseudonym_counter", "value": json.dumps(counter)}, pk="key")


def erase_interviews(db: sqlite_utils.Database, interview_ids: list[int], text_hashes: Iterable[str],
                     edit_keys: Iterable[tuple[str, str]], job_ids: Iterable[int],
                     pseudonym_hashes: Iterable[str]) -> None:
    """Delete every row about these interviews (see `Store.erase_interviews`)."""
    ids = [int(i) for i in interview_ids]
    marks = ",".join("?" * len(ids))
    quote_ids = [r[0] for r in db.execute(f"SELECT id FROM quotes WHERE interview_id IN ({marks})", ids)]
    for table in ("quote_categories", "theme_quotes"):
        for i in range(0, len(quote_ids), 500):
            chunk = quote_ids[i:i + 500]
            db.execute(f"DELETE FROM {table} WHERE quote_id IN ({','.join('?' * len(chunk))})", chunk)
    for table, column in (("quotes", "interview_id"), ("nps", "interview_id"), ("nps_to_confirm", "interview_id"), ("segments", "interview_id"),
                          ("transcriptions", "interview_id"), ("interviews", "id")):
        db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", ids)
    db.conn.executemany("DELETE FROM embeddings WHERE text_hash = ?", [(h,) for h in set(text_hashes)])
    db.conn.executemany("DELETE FROM edits WHERE entity = ? AND entity_id = ?", list(set(edit_keys)))
    db.conn.executemany("DELETE FROM jobs WHERE id = ?", [(j,) for j in set(job_ids)])
    db.conn.executemany("DELETE FROM pseudonyms WHERE participant_hash = ?", [(h,) for h in set(pseudonym_hashes)])


def scrub_free_pages(db: sqlite_utils.Database) -> None:
    """Make deleted rows unrecoverable from the files: secure_delete zeroes freed content,
    the WAL is checkpointed into the database and truncated, and VACUUM rewrites the file
    without free pages (then the WAL it wrote is truncated as well). Outside any transaction."""
    db.execute("PRAGMA secure_delete = ON")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
