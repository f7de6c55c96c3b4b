"""Researcher edits in SQLite (called by `Store`): one row per (entity, id, field) change; the
newest row per field wins.

Kept apart from the machine tables because the two never mix: mining replaces its rows
wholesale, while edit rows are only ever appended (and deleted with what they are about). Which
edits exist and how each applies over machine output is `overlay.py`'s business; this module only
stores the rows and hands back the newest value of each field.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .overlay import Edit
from .store_schema import now

if TYPE_CHECKING:  # sqlite-utils imports pandas: at run time only where a study is opened
    import sqlite_utils


def save_edit(db: sqlite_utils.Database, edit: Edit) -> None:
    """Append one edit (validated when the `Edit` was built)."""
    db["edits"].insert(
        {
            "entity": edit.entity,
            "entity_id": edit.entity_id,
            "field": edit.field,
            "value": json.dumps(edit.value),
            "created_at": now(),
        }
    )


def current_edits(
    db: sqlite_utils.Database, entity: str, entity_ids: Iterable[str] | None = None
) -> dict[str, dict[str, Any]]:
    """{entity_id: {field: newest value}} for one entity type."""
    sql = (
        "SELECT entity_id, field, value FROM edits WHERE id IN ("
        " SELECT max(id) FROM edits WHERE entity = ? GROUP BY entity_id, field)"
    )
    out: dict[str, dict[str, Any]] = {}
    wanted = None if entity_ids is None else set(map(str, entity_ids))
    for entity_id, field, value in db.execute(sql, [entity]).fetchall():
        if wanted is not None and entity_id not in wanted:
            continue
        out.setdefault(entity_id, {})[field] = json.loads(value)
    return out


def edit_history(db: sqlite_utils.Database, entity: str | None = None) -> list[dict[str, Any]]:
    """Every edit row (of one entity type, or all), oldest first."""
    where, args = ("entity = ?", [entity]) if entity else (None, [])
    return [dict(r) for r in db["edits"].rows_where(where, args, order_by="id")]
