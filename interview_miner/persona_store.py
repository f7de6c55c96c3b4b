"""Personas in SQLite (called by `Store`): the machine suggestions, and named persona versions.

Two tables with opposite lives, kept together because both are about personas: suggestions are
replaced wholesale by each `personas --suggest` (researcher-made personas and changes live in the
edits, edit_store.py), while a version (versions.py) is a snapshot written once and never
rewritten. Writers expect to be called inside `Store.transaction()`.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .models import Persona, PersonaField
from .store_schema import now

if TYPE_CHECKING:  # sqlite-utils imports pandas: at run time only where a study is opened
    import sqlite_utils


def save_personas(db: sqlite_utils.Database, personas: list[Persona]) -> None:
    """Replace the machine-suggested personas."""
    db["personas"].delete_where()
    db["personas"].insert_all(_persona_row(p) for p in personas)


def personas(db: sqlite_utils.Database) -> list[Persona]:
    """The machine-suggested personas as stored (no edits), by id."""
    return [_persona_from_row(r) for r in db["personas"].rows_where(order_by="id")]


def save_persona_version(db: sqlite_utils.Database, name: str, snapshot: dict[str, Any]) -> None:
    """Store a new version; a name already taken raises ValueError (versions are immutable)."""
    if db.execute("SELECT 1 FROM persona_versions WHERE name = ?", [name]).fetchone():
        raise ValueError(f"a persona version named {name!r} already exists")
    db["persona_versions"].insert({"name": name, "created_at": now(), "snapshot": json.dumps(snapshot),
                                   "n_personas": len(snapshot.get("personas", []))})


def persona_versions(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """[{name, created_at, n_personas}], oldest first."""
    return list(db.query("SELECT name, created_at, n_personas FROM persona_versions ORDER BY rowid"))


def persona_version(db: sqlite_utils.Database, name: str) -> dict[str, Any]:
    row = db.execute("SELECT snapshot FROM persona_versions WHERE name = ?", [name]).fetchone()
    if row is None:
        raise KeyError(f"no persona version named {name!r}")
    return json.loads(row[0])


def _persona_row(p: Persona) -> dict[str, Any]:
    return {
        "id": p.id, "name": p.name, "role": p.role, "demographics": p.demographics,
        "description": p.description, "interview_ids": json.dumps(p.interview_ids),
        "fields": json.dumps({k: asdict(v) for k, v in p.fields.items()}, sort_keys=True),
        "avatar": p.avatar, "created_at": now(),
    }


def _persona_from_row(r: dict[str, Any]) -> Persona:
    return Persona(
        id=r["id"], name=r["name"], role=r["role"] or "", demographics=r["demographics"] or "",
        description=r["description"] or "", interview_ids=json.loads(r["interview_ids"] or "[]"),
        fields={k: PersonaField(**v) for k, v in json.loads(r["fields"] or "{}").items()},
        avatar=r["avatar"],
    )
