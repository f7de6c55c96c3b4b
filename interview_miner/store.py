"""The only module that speaks SQL: schema, migrations, reads and writes (via sqlite-utils).

Design rules (see README "Data model"):
- One SQLite file per study, WAL mode, so the app and a worker can read while another writes.
- Machine output (segments, quotes, categories, themes, personas) lives in its own tables and is
  replaced wholesale when a stage re-runs. A researcher's change is one row in `edits`
  (entity, id, field, value): what users see is machine output with edits applied on top, so edits
  survive re-mining by construction and two tabs editing different fields never overwrite each
  other (last write per field wins). Which edits exist and how each applies is `overlay.py`'s
  business; this module only stores edit rows and hands the newest ones to the overlay on read.
- Every stage writes inside `transaction()`, so a crash never leaves half-written rows.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils
from sqlite_utils import Migrations

from . import encryption, overlay, theme_store
from .models import Interview, Job, Persona, PersonaField, Quote, Segment, Theme, TranscriptionState, Word
from .overlay import Edit
from .vocab import nps_band, participant_key

if TYPE_CHECKING:
    from .themes import ThemeList

DEFAULT_DB = "interview_miner.db"
migrations = Migrations("interview_miner")


def default_db_path() -> str:
    return os.environ.get("INTERVIEW_MINER_DB") or DEFAULT_DB


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# Schema. Never edit a migration that has shipped: add a new one below.
# ---------------------------------------------------------------------------------------------


@migrations()
def m001_capture(db: sqlite_utils.Database) -> None:
    db["interviews"].create(
        {
            "id": int,
            "content_hash": str,
            "file_name": str,
            "kind": str,
            "stored_path": str,
            "participant": str,
            "metadata": str,
            "duration": float,
            "language": str,
            "language_probability": float,
            "status": str,
            "error": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={"content_hash", "file_name", "kind", "status"},
    )
    db["interviews"].create_index(["content_hash"], unique=True)
    db["segments"].create(
        {
            "id": int,
            "interview_id": int,
            "idx": int,
            "start": float,
            "end": float,
            "speaker": str,
            "text": str,
            "words": str,
            "avg_logprob": float,
            "no_speech_prob": float,
            "compression_ratio": float,
            "flags": str,
        },
        pk="id",
        foreign_keys=[("interview_id", "interviews", "id")],
    )
    db["segments"].create_index(["interview_id", "idx"], unique=True)
    # One row per interview: what was transcribed with which model/settings, and how far.
    # `committed_until` is the audio time up to which segments are stored: a resumed run starts
    # there, so a killed run neither redoes nor loses work.
    db["transcriptions"].create(
        {
            "interview_id": int,
            "run_key": str,
            "model": str,
            "settings": str,
            "committed_until": float,
            "completed": int,
            "speakers_done": int,
            "updated_at": str,
        },
        pk="interview_id",
    )
    db["jobs"].create(
        {
            "id": int,
            "kind": str,
            "params": str,
            "status": str,
            "progress": float,
            "message": str,
            "error": str,
            "pid": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db["edits"].create(
        {
            "id": int,
            "entity": str,
            "entity_id": str,
            "field": str,
            "value": str,
            "created_at": str,
        },
        pk="id",
    )
    db["edits"].create_index(["entity", "entity_id", "field"])


@migrations()
def m002_mining(db: sqlite_utils.Database) -> None:
    db["quotes"].create(
        {
            "id": str,
            "interview_id": int,
            "idx": int,
            "start": float,
            "end": float,
            "text": str,
            "question": str,
            "speaker": str,
        },
        pk="id",
    )
    db["quotes"].create_index(["interview_id", "idx"])
    db["embeddings"].create(
        {"model": str, "text_hash": str, "dim": int, "vector": bytes},
        pk=("model", "text_hash"),
    )
    db["quote_categories"].create(
        {"quote_id": str, "category": str, "confidence": float}, pk="quote_id"
    )
    db["themes"].create(
        {
            "id": str,
            "category": str,
            "label": str,
            "keywords": str,
            "representative_quote_id": str,
            "created_at": str,
        },
        pk="id",
    )
    db["theme_quotes"].create({"quote_id": str, "theme_id": str}, pk="quote_id")
    db["nps"].create(
        {"interview_id": int, "score": int, "klass": str, "quote_id": str, "text": str},
        pk="interview_id",
    )
    db["personas"].create(
        {
            "id": str,
            "name": str,
            "role": str,
            "demographics": str,
            "description": str,
            "interview_ids": str,
            "fields": str,
            "avatar": str,
            "created_at": str,
        },
        pk="id",
    )


@migrations()
def m003_customers(db: sqlite_utils.Database) -> None:
    """Customer base (issue 13): one summary row per customer, written by `customers import`
    (interview_miner.customers_import) and re-classified by `customers analyze`; the raw
    transactions stay in the source file. `customer_imports` holds the one current import
    (id 1): its report and the options of the last analysis, as JSON."""
    db["customers"].create(
        {
            "customer_id": str, "name": str, "contact": str, "status": str, "deal": str,
            "revenue": float, "margin": float, "transactions": int, "returns": int,
            "return_value": float, "purchase_days": int, "first_purchase": str, "last_purchase": str,
            "active_months": int, "cv_revenue": float, "cv_margin": float, "recency_days": int,
            "abc": str, "xyz": str, "r": int, "f": int, "m": int, "segment": str,
        },
        pk="customer_id",
    )
    db["customer_imports"].create(
        {"id": int, "file_name": str, "imported_at": str, "report": str, "analysis": str}, pk="id"
    )


@migrations()
def m004_persona_versions(db: sqlite_utils.Database) -> None:
    # A named snapshot of the study's personas and the evidence behind them (versions.py): JSON,
    # written once, never touched by mining.
    db["persona_versions"].create(
        {"name": str, "created_at": str, "n_personas": int, "snapshot": str}, pk="name",
    )


@migrations()
def m005_privacy(db: sqlite_utils.Database) -> None:
    """Privacy (issue 18): study-level settings (custom PII terms, redact-by-default) as JSON
    values, and the stable pseudonym of each participant ("P3"), keyed by a salted hash of who
    they are so the table itself names nobody (interview_miner.pseudonyms)."""
    db["privacy_settings"].create({"key": str, "value": str}, pk="key")
    db["pseudonyms"].create({"participant_hash": str, "label": str, "number": int}, pk="participant_hash")


@migrations()
def m006_theme_hierarchy(db: sqlite_utils.Database) -> None:
    """Hierarchical themes (issue 9): sub-themes one level below top-level themes (theme_store.py)."""
    theme_store.migrate(db)


SCHEMA_VERSION = len(migrations._migrations)


# ---------------------------------------------------------------------------------------------
# Connection
# ---------------------------------------------------------------------------------------------


class Store:
    """A study: one SQLite file. Cheap to open; open one per thread/process."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = str(path or default_db_path())
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # plain sqlite3, or SQLCipher when INTERVIEW_MINER_PASSPHRASE is set (encryption.py)
        conn = encryption.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        if self.path != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA busy_timeout = 30000")
        migrations.apply(self.db)
        self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """All-or-nothing writes: BEGIN IMMEDIATE so two writers queue instead of failing."""
        conn = self.db.conn
        if conn.in_transaction:  # nested: join the outer transaction
            yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    # -----------------------------------------------------------------------------------------
    # Interviews
    # -----------------------------------------------------------------------------------------

    def add_interview(self, interview: Interview) -> Interview:
        row = _interview_row(interview)
        row.pop("id", None)
        row["created_at"] = row["updated_at"] = now()
        with self.transaction() as db:
            db["interviews"].insert(row)
            interview.id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
        return self.get_interview(interview.id)

    def find_interview_by_hash(self, content_hash: str) -> Interview | None:
        rows = list(self.db["interviews"].rows_where("content_hash = ?", [content_hash]))
        return self._interview(rows[0]) if rows else None

    def get_interview(self, interview_id: int) -> Interview:
        try:
            row = self.db["interviews"].get(int(interview_id))
        except sqlite_utils.db.NotFoundError:
            raise KeyError(f"no interview with id {interview_id}") from None
        return self._interview(row)

    def _interview(self, row: dict[str, Any]) -> Interview:
        edits = self.current_edits("interview", [str(row["id"])])
        return overlay.apply_interview_edits([_interview_from_row(row)], edits)[0]

    def list_interviews(self, ids: Iterable[int] | None = None) -> list[Interview]:
        edits = self.current_edits("interview")  # one query for the whole list, not one per row
        rows = self.db["interviews"].rows_where(order_by="id")
        out = overlay.apply_interview_edits([_interview_from_row(r) for r in rows], edits)
        if ids is not None:
            wanted = {int(i) for i in ids}
            out = [i for i in out if i.id in wanted]
        return out

    def update_interview(self, interview_id: int, **fields: Any) -> None:
        if "metadata" in fields and not isinstance(fields["metadata"], str):
            fields["metadata"] = json.dumps(fields["metadata"], sort_keys=True)
        fields["updated_at"] = now()
        with self.transaction() as db:
            db["interviews"].update(int(interview_id), fields)

    def delete_interview(self, interview_id: int) -> None:
        with self.transaction() as db:
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

    # -----------------------------------------------------------------------------------------
    # Segments
    # -----------------------------------------------------------------------------------------

    def segment_count(self, interview_id: int) -> int:
        return self.db.execute(
            "SELECT count(*) FROM segments WHERE interview_id = ?", [interview_id]
        ).fetchone()[0]

    def append_segments(self, interview_id: int, segments: list[Segment]) -> None:
        """Append after the last stored segment (used while transcribing, one batch per commit)."""
        with self.transaction() as db:
            start_idx = self.segment_count(interview_id)
            db["segments"].insert_all(
                _segment_row(interview_id, start_idx + i, s) for i, s in enumerate(segments)
            )

    def replace_segments(self, interview_id: int, segments: list[Segment]) -> None:
        with self.transaction() as db:
            db["segments"].delete_where("interview_id = ?", [interview_id])
            db["segments"].insert_all(
                _segment_row(interview_id, i, s) for i, s in enumerate(segments)
            )

    def get_segment(self, segment_id: int) -> Segment:
        """One segment as stored (no edits); KeyError naming it when it does not exist."""
        try:
            return _segment_from_row(self.db["segments"].get(int(segment_id)))
        except sqlite_utils.db.NotFoundError:
            raise KeyError(f"no segment {segment_id!r}") from None

    def segments(self, interview_id: int, apply_edits: bool = True) -> list[Segment]:
        rows = self.db["segments"].rows_where("interview_id = ?", [interview_id], order_by="idx")
        segs = [_segment_from_row(r) for r in rows]
        if apply_edits and segs:
            overlay.apply_segment_edits(segs, self.current_edits("segment", [str(s.id) for s in segs]))
        return segs

    # -----------------------------------------------------------------------------------------
    # Transcription progress (resume)
    # -----------------------------------------------------------------------------------------

    def get_transcription(self, interview_id: int) -> TranscriptionState | None:
        try:
            row = dict(self.db["transcriptions"].get(interview_id))
        except sqlite_utils.db.NotFoundError:
            return None
        return TranscriptionState(
            interview_id=row["interview_id"], run_key=row["run_key"], model=row["model"],
            settings=row["settings"], committed_until=row["committed_until"] or 0.0,
            completed=bool(row["completed"]), speakers_done=bool(row["speakers_done"]),
            updated_at=row["updated_at"],
        )

    def set_transcription(self, interview_id: int, **fields: Any) -> None:
        fields["interview_id"] = interview_id
        fields["updated_at"] = now()
        with self.transaction() as db:
            db["transcriptions"].upsert(fields, pk="interview_id")

    def commit_transcribed(self, interview_id: int, segments: list[Segment], committed_until: float) -> None:
        """Store freshly transcribed segments and the resume point in one transaction."""
        with self.transaction() as db:
            self.append_segments(interview_id, segments)
            db["transcriptions"].update(
                interview_id, {"committed_until": committed_until, "updated_at": now()}
            )

    def reset_transcription(self, interview_id: int) -> None:
        """Forget stored segments and progress (a new model or settings = a new transcript)."""
        with self.transaction() as db:
            db["segments"].delete_where("interview_id = ?", [interview_id])
            db["transcriptions"].delete_where("interview_id = ?", [interview_id])

    # -----------------------------------------------------------------------------------------
    # Jobs: long work runs in a worker process; the UI and CLI read progress from here.
    # -----------------------------------------------------------------------------------------

    def create_job(self, kind: str, params: dict[str, Any]) -> int:
        with self.transaction() as db:
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

    def update_job(self, job_id: int, **fields: Any) -> None:
        fields["updated_at"] = now()
        with self.transaction() as db:
            db["jobs"].update(job_id, fields)

    def get_job(self, job_id: int) -> Job:
        return _job_from_row(self.db["jobs"].get(job_id))

    def list_jobs(self, status: str | None = None, limit: int = 50) -> list[Job]:
        """Newest first."""
        where, args = ("status = ?", [status]) if status else (None, [])
        return [_job_from_row(r) for r in self.db["jobs"].rows_where(where, args, order_by="id desc", limit=limit)]

    # -----------------------------------------------------------------------------------------
    # Researcher edits: one row per (entity, id, field) change; the newest wins.
    # -----------------------------------------------------------------------------------------

    def save_edit(self, edit: Edit) -> None:
        """Store one researcher edit (validated when the `Edit` was built). Review operations
        (`review.py`, `persona_review.py`) are the writers; they check the target exists."""
        with self.transaction() as db:
            db["edits"].insert(
                {
                    "entity": edit.entity,
                    "entity_id": edit.entity_id,
                    "field": edit.field,
                    "value": json.dumps(edit.value),
                    "created_at": now(),
                }
            )

    def add_edit(self, entity: str, entity_id: str | int, field: str, value: Any) -> None:
        """`save_edit(Edit(entity, entity_id, field, value))`: for scripts and tests that set up a
        study; an unknown entity or field raises `overlay.EditError`."""
        self.save_edit(Edit(entity, entity_id, field, value))

    def current_edits(
        self, entity: str, entity_ids: Iterable[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """{entity_id: {field: newest value}} for one entity type."""
        sql = (
            "SELECT entity_id, field, value FROM edits WHERE id IN ("
            " SELECT max(id) FROM edits WHERE entity = ? GROUP BY entity_id, field)"
        )
        out: dict[str, dict[str, Any]] = {}
        wanted = None if entity_ids is None else set(map(str, entity_ids))
        for entity_id, field, value in self.db.execute(sql, [entity]).fetchall():
            if wanted is not None and entity_id not in wanted:
                continue
            out.setdefault(entity_id, {})[field] = json.loads(value)
        return out

    def edit_history(self, entity: str | None = None) -> list[dict[str, Any]]:
        where, args = ("entity = ?", [entity]) if entity else (None, [])
        return [dict(r) for r in self.db["edits"].rows_where(where, args, order_by="id")]


    # -----------------------------------------------------------------------------------------
    # Mining: machine rows, replaced wholesale by each `mine`; edits are applied on read.
    # Quote ids are content keys and theme ids are matched across runs (themes.py), so edits
    # keyed by them survive re-mining.
    # -----------------------------------------------------------------------------------------

    def save_quotes(self, quotes: list[Quote], interview_ids: Iterable[int] | None = None) -> None:
        """Replace the machine quotes of these interviews (all when None)."""
        with self.transaction() as db:
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

    def get_embeddings(self, model: str, text_hashes: Iterable[str]) -> dict[str, bytes]:
        hashes = list(dict.fromkeys(text_hashes))
        out: dict[str, bytes] = {}
        for i in range(0, len(hashes), 500):
            chunk = hashes[i : i + 500]
            rows = self.db.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({','.join('?' * len(chunk))})",
                [model, *chunk],
            ).fetchall()
            out.update({h: v for h, v in rows})
        return out

    def save_embeddings(self, model: str, vectors: dict[str, bytes], dim: int) -> None:
        with self.transaction() as db:
            db["embeddings"].insert_all(
                ({"model": model, "text_hash": h, "dim": dim, "vector": v} for h, v in vectors.items()),
                replace=True,
            )

    def save_categories(self, rows: Iterable[tuple[str, str, float]]) -> None:
        """(quote_id, category, confidence) for every quote: replaces the machine categories."""
        with self.transaction() as db:
            db["quote_categories"].delete_where()
            db["quote_categories"].insert_all(
                {"quote_id": q, "category": c, "confidence": round(float(conf), 4)} for q, c, conf in rows
            )

    def save_themes(self, themes: list[Theme]) -> None:
        """Replace machine themes and their quote assignments: top-level themes, and sub-themes
        (`parent_id` set) when `themes` is a `themes.ThemeList` or lists them too."""
        with self.transaction() as db:
            theme_store.save(db, themes)

    def machine_themes(self) -> list[Theme]:
        """Themes of both levels as the last `mine` wrote them (no edits): what new clusters are
        matched against. Sub-themes have `parent_id` set."""
        return theme_store.load(self.db)

    def quotes(self, interview_id: int | None = None, apply_edits: bool = True) -> list[Quote]:
        """Quotes with category, confidence and theme; researcher edits applied on top."""
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
        cur = self.db.execute(sql, args)
        cols = [d[0] for d in cur.description]
        quotes = []
        for row in cur.fetchall():
            r = dict(zip(cols, row))
            quotes.append(Quote(
                id=r["id"], interview_id=r["interview_id"], start=r["start"], end=r["end"], text=r["text"],
                question=r["question"], speaker=r["speaker"], index=r["idx"], category=r["category"],
                confidence=r["confidence"], theme_id=r["theme_id"], sub_theme_id=r["sub_theme_id"],
            ))
        if not apply_edits:
            return quotes
        theme_edits = self.current_edits("theme")
        return overlay.apply_quote_edits(quotes, self.current_edits("quote"), theme_edits,
                                         self.theme_parents(theme_edits))

    def theme_parents(self, theme_edits: overlay.EditsById | None = None) -> dict[str, str | None]:
        """{theme id: its machine parent id (None: top level)} for mined and researcher-made
        themes: where a quote assigned to a theme sits in the hierarchy (overlay.place_in_hierarchy)."""
        parents: dict[str, str | None] = dict(self.db.execute("SELECT id, parent_id FROM themes").fetchall())
        for tid in theme_edits if theme_edits is not None else self.current_edits("theme"):
            parents.setdefault(tid, None)
        return parents

    def themes(self, quotes: list[Quote] | None = None) -> ThemeList:
        """Top-level themes as the researcher sees them, with their sub-themes in `.sub_themes`:
        machine themes plus edits (rename, merge, delete, split/new themes, moved quotes, nesting);
        quote lists and participant counts are recomputed at both levels."""
        quotes = self.quotes() if quotes is None else quotes
        participants = {i.id: participant_key(i) for i in self.list_interviews()}
        return overlay.apply_theme_edits(self.machine_themes(), self.current_edits("theme"), quotes, participants)

    def save_nps(self, rows: list[dict[str, Any]]) -> None:
        """rows: {interview_id, score, klass, quote_id, text}; replaces machine NPS."""
        with self.transaction() as db:
            db["nps"].delete_where()
            db["nps"].insert_all(rows)

    def nps(self) -> dict[int, dict[str, Any]]:
        """{interview_id: {score, klass, quote_id, text}} with researcher corrections applied."""
        machine = {r["interview_id"]: dict(r) for r in self.db["nps"].rows}
        return overlay.apply_nps_edits(machine, self.current_edits("nps"), nps_band)

    def save_personas(self, personas: list[Persona]) -> None:
        """Replace machine-suggested personas (researcher-created ones live in edits)."""
        with self.transaction() as db:
            db["personas"].delete_where()
            db["personas"].insert_all(_persona_row(p) for p in personas)

    def personas(self) -> list[Persona]:
        """Personas with researcher edits applied (see `overlay.apply_persona_edits`)."""
        machine = [_persona_from_row(r) for r in self.db["personas"].rows_where(order_by="id")]
        return overlay.apply_persona_edits(machine, self.current_edits("persona"))

    # -----------------------------------------------------------------------------------------
    # Persona versions (versions.py): saved once, read many times, never rewritten.
    # -----------------------------------------------------------------------------------------

    def save_persona_version(self, name: str, snapshot: dict[str, Any]) -> None:
        """Store a new version; a name already taken raises ValueError (versions are immutable)."""
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM persona_versions WHERE name = ?", [name]).fetchone():
                raise ValueError(f"a persona version named {name!r} already exists")
            db["persona_versions"].insert({"name": name, "created_at": now(), "snapshot": json.dumps(snapshot),
                                           "n_personas": len(snapshot.get("personas", []))})

    def persona_versions(self) -> list[dict[str, Any]]:
        """[{name, created_at, n_personas}], oldest first."""
        return list(self.db.query("SELECT name, created_at, n_personas FROM persona_versions ORDER BY rowid"))

    def persona_version(self, name: str) -> dict[str, Any]:
        row = self.db.execute("SELECT snapshot FROM persona_versions WHERE name = ?", [name]).fetchone()
        if row is None:
            raise KeyError(f"no persona version named {name!r}")
        return json.loads(row[0])


    # -----------------------------------------------------------------------------------------
    # Customers (issue 13): per-customer summaries of an imported transaction file.
    # -----------------------------------------------------------------------------------------

    CUSTOMER_COLUMNS = (
        "customer_id", "name", "contact", "status", "deal", "revenue", "margin", "transactions",
        "returns", "return_value", "purchase_days", "first_purchase", "last_purchase",
        "active_months", "cv_revenue", "cv_margin", "recency_days", "abc", "xyz", "r", "f", "m",
        "segment",
    )

    def replace_customers(
        self, rows: Iterable[tuple], file_name: str, report: dict[str, Any], analysis: dict[str, Any]
    ) -> None:
        """Replace the whole customer base in one transaction (rows: tuples in CUSTOMER_COLUMNS
        order), so a failed import leaves the previous one intact."""
        cols = self.CUSTOMER_COLUMNS
        sql = f"INSERT INTO customers ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        with self.transaction() as db:
            db.execute("DELETE FROM customers")
            db.conn.executemany(sql, rows)
            db.execute("DELETE FROM customer_imports")
            db.execute(
                "INSERT INTO customer_imports (id, file_name, imported_at, report, analysis)"
                " VALUES (1, ?, ?, ?, ?)",
                [file_name, now(), json.dumps(report, sort_keys=True), json.dumps(analysis, sort_keys=True)],
            )

    def save_customer_classes(self, rows: Iterable[tuple], analysis: dict[str, Any]) -> None:
        """rows: (recency_days, abc, xyz, r, f, m, segment, customer_id) from a new analysis."""
        with self.transaction() as db:
            db.conn.executemany(
                "UPDATE customers SET recency_days = ?, abc = ?, xyz = ?, r = ?, f = ?, m = ?,"
                " segment = ? WHERE customer_id = ?",
                rows,
            )
            db.execute("UPDATE customer_imports SET analysis = ? WHERE id = 1",
                       [json.dumps(analysis, sort_keys=True)])

    def customer_rows(self, ids: Iterable[str] | None = None) -> list[tuple]:
        """Customers as tuples in CUSTOMER_COLUMNS order, by id: all of them, or those in `ids`."""
        sql = f"SELECT {', '.join(self.CUSTOMER_COLUMNS)} FROM customers"
        if ids is None:
            return self.db.execute(sql + " ORDER BY customer_id").fetchall()
        wanted = sorted(set(map(str, ids)))
        rows: list[tuple] = []
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows += self.db.execute(f"{sql} WHERE customer_id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        return sorted(rows)

    def customer_import(self) -> dict[str, Any] | None:
        """The current import: file_name, imported_at, report and analysis (dicts); None before any."""
        row = self.db.execute(
            "SELECT file_name, imported_at, report, analysis FROM customer_imports WHERE id = 1"
        ).fetchone()
        if row is None:
            return None
        return {"file_name": row[0], "imported_at": row[1], "report": json.loads(row[2] or "{}"),
                "analysis": json.loads(row[3] or "{}")}

    # -----------------------------------------------------------------------------------------
    # Privacy (issue 18): settings, pseudonyms, and erasing one interview without a trace.
    # -----------------------------------------------------------------------------------------

    def privacy_setting(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM privacy_settings WHERE key = ?", [key]).fetchone()
        return json.loads(row[0]) if row else default

    def set_privacy_setting(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            db["privacy_settings"].upsert({"key": key, "value": json.dumps(value, sort_keys=True)}, pk="key")

    def pseudonym_rows(self) -> dict[str, str]:
        """{participant_hash: label}."""
        return {h: label for h, label in self.db.execute("SELECT participant_hash, label FROM pseudonyms")}

    def add_pseudonyms(self, hashes: Iterable[str], prefix: str = "P") -> None:
        """Number new participants after every number ever given (kept in privacy_settings), so
        an erased participant's number is never reused for someone else."""
        with self.transaction() as db:
            known = self.pseudonym_rows()
            counter = self.privacy_setting("pseudonym_counter", 0)
            for h in hashes:
                if h in known:
                    continue
                counter += 1
                db["pseudonyms"].insert({"participant_hash": h, "label": f"{prefix}{counter}", "number": counter})
                known[h] = f"{prefix}{counter}"
            db["privacy_settings"].upsert({"key": "pseudonym_counter", "value": json.dumps(counter)}, pk="key")

    def erase_interviews(self, interview_ids: list[int], text_hashes: Iterable[str], edit_keys: Iterable[tuple[str, str]],
                         job_ids: Iterable[int], pseudonym_hashes: Iterable[str]) -> None:
        """Delete every row about these interviews in one transaction: segments, quotes and their
        categories/theme links, NPS, transcription progress, the interview rows, the embeddings of
        their texts (`text_hashes`), the edits in `edit_keys` ((entity, entity_id): those about
        them), their jobs and pseudonyms. `forget.py` decides what belongs to them."""
        ids = [int(i) for i in interview_ids]
        marks = ",".join("?" * len(ids))
        self.db.execute("PRAGMA secure_delete = ON")  # freed cells are zeroed, not left in pages
        with self.transaction() as db:
            quote_ids = [r[0] for r in db.execute(f"SELECT id FROM quotes WHERE interview_id IN ({marks})", ids)]
            for table in ("quote_categories", "theme_quotes"):
                for i in range(0, len(quote_ids), 500):
                    chunk = quote_ids[i:i + 500]
                    db.execute(f"DELETE FROM {table} WHERE quote_id IN ({','.join('?' * len(chunk))})", chunk)
            for table, column in (("quotes", "interview_id"), ("nps", "interview_id"), ("segments", "interview_id"),
                                  ("transcriptions", "interview_id"), ("interviews", "id")):
                db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", ids)
            db.conn.executemany("DELETE FROM embeddings WHERE text_hash = ?", [(h,) for h in set(text_hashes)])
            db.conn.executemany("DELETE FROM edits WHERE entity = ? AND entity_id = ?", list(set(edit_keys)))
            db.conn.executemany("DELETE FROM jobs WHERE id = ?", [(j,) for j in set(job_ids)])
            db.conn.executemany("DELETE FROM pseudonyms WHERE participant_hash = ?", [(h,) for h in set(pseudonym_hashes)])

    def scrub_free_pages(self) -> None:
        """Make deleted rows unrecoverable from the files: secure_delete zeroes freed content,
        the WAL is checkpointed into the database and truncated, and VACUUM rewrites the file
        without free pages (then the WAL it wrote is truncated as well)."""
        if self.path == ":memory:":
            return
        self.db.execute("PRAGMA secure_delete = ON")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")





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


def _job_from_row(r: dict[str, Any]) -> Job:
    return Job(
        id=r["id"], kind=r["kind"], params=json.loads(r["params"] or "{}"), status=r["status"] or "queued",
        progress=r["progress"] or 0.0, message=r["message"] or "", error=r["error"], pid=r["pid"],
        created_at=r["created_at"], updated_at=r["updated_at"],
    )
