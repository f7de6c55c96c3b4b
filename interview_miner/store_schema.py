"""The study file's schema and how it is opened: every migration, in order, and the connection.

Separate from `store.py` because the schema is the one part that must never be edited once it
has shipped, only appended to: keeping the migrations alone in one file makes every schema change
one visible addition at its end. `Store` opens its file with `connect`; the per-area modules
(interview_store, mining_store, edit_store, theme_store, customer_store, privacy_store) read and
write the tables created here.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from . import encryption, theme_store

if TYPE_CHECKING:
    import sqlite_utils

DEFAULT_DB = "interview_miner.db"
Step = Callable[["sqlite_utils.Database"], None]


class SchemaSteps:
    """The study's migrations, registered in file order with `@migrations()` as on a
    `sqlite_utils.Migrations`, which is built from them on first use instead of at import:
    importing sqlite-utils imports pandas whenever it is installed (0.3-0.5 s), and
    `interview-miner --help`, `--version` or a mistyped option should not wait for that. Same
    names, same order, same `_sqlite_migrations` rows as a `Migrations` set made at import."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.steps: list[tuple[Step, str | None, bool]] = []
        self._built: sqlite_utils.Migrations | None = None

    def __call__(self, *, name: str | None = None, transactional: bool = True) -> Callable[[Step], Step]:
        def register(step: Step) -> Step:
            if self._built is not None:
                raise RuntimeError(f"migration {name or step.__name__} registered after the schema was first used")
            self.steps.append((step, name, transactional))
            return step

        return register

    def built(self) -> sqlite_utils.Migrations:
        """The `sqlite_utils.Migrations` set of these steps (made once)."""
        if self._built is None:
            from sqlite_utils import Migrations

            made = Migrations(self.name)
            for step, name, transactional in self.steps:
                made(name=name, transactional=transactional)(step)
            self._built = made
        return self._built

    def apply(self, db: sqlite_utils.Database, *, stop_before: str | Iterable[str] | None = None) -> None:
        self.built().apply(db, stop_before=stop_before)

    def pending(self, db: sqlite_utils.Database) -> list:
        return self.built().pending(db)

    def applied(self, db: sqlite_utils.Database) -> list:
        return self.built().applied(db)


migrations = SchemaSteps("interview_miner")


def default_db_path() -> str:
    return os.environ.get("INTERVIEW_MINER_DB") or DEFAULT_DB


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def connect(path: str) -> sqlite_utils.Database:
    """Open the study at `path` (":memory:" for a throwaway one), creating its folder, and bring
    its schema up to date. WAL mode, so the app and a worker can read while another writes."""
    import sqlite_utils  # here, not at import: see SchemaSteps

    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # plain sqlite3, or SQLCipher when INTERVIEW_MINER_PASSPHRASE is set (encryption.py)
    conn = encryption.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    if path != ":memory:":
        db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 30000")
    migrations.apply(db)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return db


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


@migrations()
def m007_transcription_lanes(db: sqlite_utils.Database) -> None:
    """Lanes (issue 17): a recording decoded as parts side by side keeps one resume point per
    part, as JSON `[[start, end, resume_at, done], ...]`; NULL for a one-pass transcription,
    which resumes at `committed_until` as before."""
    db["transcriptions"].add_column("lanes", str)


@migrations()
def m008_nps_to_confirm(db: sqlite_utils.Database) -> None:
    """Recommendation answers heard again without a score being taken (issue 9): where to listen
    and, from a check that may only suggest (one model, another language), the score the audio
    points to, so the Transcript page and the report can offer it beside "listen to confirm"."""
    db["nps_to_confirm"].create({"interview_id": int, "listen_at": float, "suggested": int}, pk="interview_id")


SCHEMA_VERSION = len(migrations.steps)
