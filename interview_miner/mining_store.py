"""What `mine` writes, in SQLite (called by `Store`): quotes, their categories, the embedding
cache and NPS scores. Themes have their own module (theme_store.py).

Separate from the interview tables because these rows live differently: each `mine` replaces
them wholesale, and researcher edits (edit_store.py) are applied over them on read by `Store`.
Quote ids are content keys and theme ids are matched across runs (themes.py), so edits keyed by
them survive re-mining. Functions return rows or dataclasses as stored; writers expect to be
called inside `Store.transaction()`.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .models import Quote

if TYPE_CHECKING:  # sqlite-utils imports pandas: at run time only where a study is opened
    import sqlite_utils


def save_quotes(db: sqlite_utils.Database, quotes: list[Quote], interview_ids: Iterable[int] | None = None) -> None:
    """Replace the machine quotes of these interviews (all when None)."""
    if interview_ids is None:
        db["quotes"].delete_where()
    else:
        ids = [int(i) for i in interview_ids]
        if ids:
            db["quotes"].delete_where(f"interview_id IN ({','.join('?' * len(ids))})", ids)
    db["quotes"].insert_all(
        {
            "id": q.id, "interview_id": q.interview_id, "idx": q.index, "start": q.start,
            "end": q.end, "text": q.text, "question": q.question, "speaker": q.speaker,
        }
        for q in quotes
    )


def quotes(db: sqlite_utils.Database, interview_id: int | None = None) -> list[Quote]:
    """Quotes with their machine category, confidence, theme and sub-theme (no edits), in order."""
    sql = (
        "SELECT q.*, c.category, c.confidence, t.theme_id, t.sub_theme_id FROM quotes q"
        " LEFT JOIN quote_categories c ON c.quote_id = q.id"
        " LEFT JOIN theme_quotes t ON t.quote_id = q.id"
    )
    args: list[Any] = []
    if interview_id is not None:
        sql += " WHERE q.interview_id = ?"
        args.append(int(interview_id))
    sql += " ORDER BY q.interview_id, q.idx"
    cur = db.execute(sql, args)
    cols = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        r = dict(zip(cols, row))
        out.append(Quote(
            id=r["id"], interview_id=r["interview_id"], start=r["start"], end=r["end"], text=r["text"],
            question=r["question"], speaker=r["speaker"], index=r["idx"], category=r["category"],
            confidence=r["confidence"], theme_id=r["theme_id"], sub_theme_id=r["sub_theme_id"],
        ))
    return out


def theme_parents(db: sqlite_utils.Database) -> dict[str, str | None]:
    """{machine theme id: its parent id (None: top level)}: read with every quote list, so one
    light query instead of loading whole themes (theme_store.load)."""
    return dict(db.execute("SELECT id, parent_id FROM themes").fetchall())


def get_embeddings(db: sqlite_utils.Database, model: str, text_hashes: Iterable[str]) -> dict[str, bytes]:
    hashes = list(dict.fromkeys(text_hashes))
    out: dict[str, bytes] = {}
    for i in range(0, len(hashes), 500):
        chunk = hashes[i : i + 500]
        rows = db.execute(
            f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({','.join('?' * len(chunk))})",
            [model, *chunk],
        ).fetchall()
        out.update({h: v for h, v in rows})
    return out


def save_embeddings(db: sqlite_utils.Database, model: str, vectors: dict[str, bytes], dim: int) -> None:
    db["embeddings"].insert_all(
        ({"model": model, "text_hash": h, "dim": dim, "vector": v} for h, v in vectors.items()),
        replace=True,
    )


def save_categories(db: sqlite_utils.Database, rows: Iterable[tuple[str, str, float]]) -> None:
    """(quote_id, category, confidence) for every quote: replaces the machine categories."""
    db["quote_categories"].delete_where()
    db["quote_categories"].insert_all(
        {"quote_id": q, "category": c, "confidence": round(float(conf), 4)} for q, c, conf in rows
    )


def save_nps(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """rows: {interview_id, score, klass, quote_id, text}; replaces machine NPS."""
    db["nps"].delete_where()
    db["nps"].insert_all(rows)


def nps(db: sqlite_utils.Database) -> dict[int, dict[str, Any]]:
    """{interview_id: {score, klass, quote_id, text}} as mined (no corrections)."""
    return {r["interview_id"]: dict(r) for r in db["nps"].rows}


def save_nps_to_confirm(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """rows: {interview_id, listen_at, suggested}: answers heard again without a score taken;
    replaces the last mining's."""
    db["nps_to_confirm"].delete_where()
    db["nps_to_confirm"].insert_all(rows)


def nps_to_confirm(db: sqlite_utils.Database) -> dict[int, dict[str, Any]]:
    """{interview_id: {listen_at, suggested}} as the last mining left them."""
    return {r["interview_id"]: dict(r) for r in db["nps_to_confirm"].rows}
