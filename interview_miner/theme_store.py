"""Machine themes in SQLite, two levels deep (called by `Store`; the only SQL about themes).

Why this shape (migration m006_theme_hierarchy):
- `themes` holds both levels; a sub-theme's row has `parent_id` set to its top-level theme.
- `theme_quotes` keeps ONE row per themed quote (its primary key is the quote id, as before):
  `theme_id` is the quote's top-level theme and `sub_theme_id` the sub-theme it sits in (NULL when
  its theme has no sub-themes). Every reader that only knows the top level (personas, claims,
  journey, exports) keeps reading `theme_id` unchanged, and deleting a quote's row removes its
  membership at both levels at once (interview deletion and erasure need no change).
A parent's quote list is therefore the union of its sub-themes' quotes (plus any quote that sits
in it directly), which is what `themes.build_themes` produces.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .models import Theme

if TYPE_CHECKING:  # sqlite-utils imports pandas: at run time only where a study is opened
    import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    """Schema step m006: nullable `themes.parent_id` and `theme_quotes.sub_theme_id`; existing
    studies read as top-level themes only (both NULL) until they are mined again."""
    db["themes"].add_column("parent_id", str)
    db["theme_quotes"].add_column("sub_theme_id", str)
    db["themes"].create_index(["parent_id"])


def all_levels(themes: Sequence[Theme]) -> list[Theme]:
    """Top-level themes and their sub-themes as one flat list: a `themes.ThemeList` (which keeps
    sub-themes apart in `.sub_themes`) or any list that already mixes both levels."""
    return [*themes, *getattr(themes, "sub_themes", [])]


def save(db: sqlite_utils.Database, themes: Sequence[Theme]) -> None:
    """Replace the machine themes (both levels) and their quote links. Call inside a transaction.

    A sub-theme's quotes are its parent's too, whether or not the parent lists them (an imported
    REFI-QDA project codes a quote with the child code only). A deeper tree is flattened to two
    levels: a sub-theme of a sub-theme is stored under the top-level theme above it. Raises
    ValueError when a parent is not among `themes` (nothing is written then)."""
    rows = all_levels(themes)
    by_id = {t.id: t for t in rows}
    top = {t.id: _root(t, by_id) for t in rows}
    link: dict[str, dict[str, str | None]] = {}
    for t in sorted(rows, key=lambda t: t.parent_id is not None):  # top level first: sub-themes win
        for q in t.quote_ids:
            link[q] = {"quote_id": q, "theme_id": top[t.id], "sub_theme_id": None if top[t.id] == t.id else t.id}
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    db["themes"].delete_where()
    db["theme_quotes"].delete_where()
    db["themes"].insert_all(
        {
            "id": t.id, "category": t.category, "label": t.label, "keywords": json.dumps(t.keywords),
            "representative_quote_id": t.representative_quote_id, "created_at": created,
            "parent_id": None if top[t.id] == t.id else top[t.id],
        }
        for t in rows
    )
    db["theme_quotes"].insert_all(link.values())


def _root(t: Theme, by_id: dict[str, Theme]) -> str:
    seen = {t.id}
    while t.parent_id is not None:
        parent = by_id.get(t.parent_id)
        if parent is None:
            raise ValueError(f"theme {t.id!r}: its parent {t.parent_id!r} is not among the themes being saved")
        if parent.id in seen:
            raise ValueError(f"theme {t.id!r}: its parents form a cycle")
        seen.add(parent.id)
        t = parent
    return t.id


def load(db: sqlite_utils.Database) -> list[Theme]:
    """Both levels as the last `mine` wrote them, sorted by id; a top-level theme lists every
    quote under it, a sub-theme its own."""
    members: dict[str, list[str]] = {}
    for qid, tid, sub in db.execute("SELECT quote_id, theme_id, sub_theme_id FROM theme_quotes ORDER BY quote_id"):
        members.setdefault(tid, []).append(qid)
        if sub:
            members.setdefault(sub, []).append(qid)
    return [
        Theme(
            id=r["id"], category=r["category"], label=r["label"], keywords=json.loads(r["keywords"] or "[]"),
            representative_quote_id=r["representative_quote_id"], quote_ids=members.get(r["id"], []),
            parent_id=r["parent_id"],
        )
        for r in db["themes"].rows_where(order_by="id")
    ]
