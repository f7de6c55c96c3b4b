"""The jobs table (called by `Store`): long work runs in a worker process, and the UI and CLI
read its progress from here.

Separate from the study's data modules because a job row is about the work, not about the
interviews: the worker writes it, every front end polls it, and erasure removes it by id.
Writers expect to be called inside `Store.transaction()`.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .models import Job
from .store_schema import now

if TYPE_CHECKING:  # sqlite-utils imports pandas: at run time only where a study is opened
    import sqlite_utils


def create_job(db: sqlite_utils.Database, kind: str, params: dict[str, Any]) -> int:
    """A queued job; returns its id."""
    db["jobs"].insert(
        {
            "kind": kind,
            "params": json.dumps(params, sort_keys=True),
            "status": "queued",
            "progress": 0.0,
            "message": "",
            "created_at": now(),
            "updated_at": now(),
        }
    )
    return db.execute("SELECT last_insert_rowid()").fetchone()[0]


def update_job(db: sqlite_utils.Database, job_id: int, fields: dict[str, Any]) -> None:
    fields["updated_at"] = now()
    db["jobs"].update(job_id, fields)


def get_job(db: sqlite_utils.Database, job_id: int) -> Job:
    return _job_from_row(db["jobs"].get(job_id))


def list_jobs(db: sqlite_utils.Database, status: str | None = None, limit: int = 50) -> list[Job]:
    """Newest first."""
    where, args = ("status = ?", [status]) if status else (None, [])
    return [_job_from_row(r) for r in db["jobs"].rows_where(where, args, order_by="id desc", limit=limit)]


def _job_from_row(r: dict[str, Any]) -> Job:
    return Job(
        id=r["id"], kind=r["kind"], params=json.loads(r["params"] or "{}"), status=r["status"] or "queued",
        progress=r["progress"] or 0.0, message=r["message"] or "", error=r["error"], pid=r["pid"],
        created_at=r["created_at"], updated_at=r["updated_at"],
    )
