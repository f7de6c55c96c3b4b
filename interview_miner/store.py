"""A study: one SQLite file, and the one object (`Store`) every stage, the CLI and the app use.

Design rules (see README "Data model"):
- One SQLite file per study, WAL mode, so the app and a worker can read while another writes.
- Machine output (segments, quotes, categories, themes, personas) lives in its own tables and is
  replaced wholesale when a stage re-runs. A researcher's change is one row in `edits`
  (entity, id, field, value): what users see is machine output with edits applied on top, so edits
  survive re-mining by construction and two tabs editing different fields never overwrite each
  other (last write per field wins). Which edits exist and how each applies is `overlay.py`'s
  business; the store only stores edit rows and hands the newest ones to the overlay on read.
- Every stage writes inside `transaction()`, so a crash never leaves half-written rows.

Where things are: `Store` (here) opens the file, runs transactions and applies the overlay on
read; the SQL lives in one module per area, each called only from here (forget.py also counts
a few rows itself):
  store_schema.py     the migrations (append only), the connection, the default study path
  interview_store.py  interviews, transcript segments, transcription progress
  job_store.py        background jobs and their progress
  edit_store.py       researcher edit rows
  mining_store.py     quotes, categories, embeddings, NPS
  theme_store.py      machine themes, two levels deep
  persona_store.py    suggested personas and named persona versions
  customer_store.py   the imported customer base
  privacy_store.py    privacy settings, pseudonyms, erasure
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from . import (customer_store, edit_store, interview_store, job_store, mining_store, overlay, persona_store,
               privacy_store, theme_store)
from .models import Interview, Job, Persona, Quote, Segment, Theme, TranscriptionState
from .overlay import Edit
# DEFAULT_DB, SCHEMA_VERSION, migrations, now, default_db_path: importable from here, as before the split
from .store_schema import DEFAULT_DB, SCHEMA_VERSION, connect, default_db_path, migrations, now  # noqa: F401
from .vocab import nps_band, participant_key

if TYPE_CHECKING:  # sqlite-utils imports pandas: at run time only where a study is opened
    import sqlite_utils
    from .themes import ThemeList


class Store:
    """A study: one SQLite file. Cheap to open; open one per thread/process."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = str(path or default_db_path())
        self.db = connect(self.path)

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
        with self.transaction() as db:
            interview.id = interview_store.add_interview(db, interview)
        return self.get_interview(interview.id)

    def find_interview_by_hash(self, content_hash: str) -> Interview | None:
        found = interview_store.find_interview_by_hash(self.db, content_hash)
        return self._with_edits(found) if found else None

    def get_interview(self, interview_id: int) -> Interview:
        return self._with_edits(interview_store.get_interview(self.db, interview_id))

    def _with_edits(self, interview: Interview) -> Interview:
        edits = self.current_edits("interview", [str(interview.id)])
        return overlay.apply_interview_edits([interview], edits)[0]

    def list_interviews(self, ids: Iterable[int] | None = None) -> list[Interview]:
        edits = self.current_edits("interview")  # one query for the whole list, not one per row
        out = overlay.apply_interview_edits(interview_store.list_interviews(self.db), edits)
        if ids is not None:
            wanted = {int(i) for i in ids}
            out = [i for i in out if i.id in wanted]
        return out

    def update_interview(self, interview_id: int, **fields: Any) -> None:
        with self.transaction() as db:
            interview_store.update_interview(db, interview_id, fields)

    def delete_interview(self, interview_id: int) -> None:
        with self.transaction() as db:
            interview_store.delete_interview(db, interview_id)

    # -----------------------------------------------------------------------------------------
    # Segments
    # -----------------------------------------------------------------------------------------

    def segment_count(self, interview_id: int) -> int:
        return interview_store.segment_count(self.db, interview_id)

    def append_segments(self, interview_id: int, segments: list[Segment]) -> None:
        """Append after the last stored segment (used while transcribing, one batch per commit)."""
        with self.transaction() as db:
            interview_store.append_segments(db, interview_id, segments)

    def replace_segments(self, interview_id: int, segments: list[Segment]) -> None:
        with self.transaction() as db:
            interview_store.replace_segments(db, interview_id, segments)

    def get_segment(self, segment_id: int) -> Segment:
        """One segment as stored (no edits); KeyError naming it when it does not exist."""
        return interview_store.get_segment(self.db, segment_id)

    def segments(self, interview_id: int, apply_edits: bool = True) -> list[Segment]:
        segs = interview_store.segments(self.db, interview_id)
        if apply_edits and segs:
            overlay.apply_segment_edits(segs, self.current_edits("segment", [str(s.id) for s in segs]))
        return segs

    # -----------------------------------------------------------------------------------------
    # Transcription progress (resume)
    # -----------------------------------------------------------------------------------------

    def get_transcription(self, interview_id: int) -> TranscriptionState | None:
        return interview_store.get_transcription(self.db, interview_id)

    def set_transcription(self, interview_id: int, **fields: Any) -> None:
        with self.transaction() as db:
            interview_store.set_transcription(db, interview_id, fields)

    def commit_transcribed(self, interview_id: int, segments: list[Segment], committed_until: float,
                           lanes: str | None = None) -> None:
        """Store freshly transcribed segments and the resume point(s) in one transaction."""
        with self.transaction() as db:
            interview_store.commit_transcribed(db, interview_id, segments, committed_until, lanes)

    def reset_transcription(self, interview_id: int) -> None:
        """Forget stored segments and progress (a new model or settings = a new transcript)."""
        with self.transaction() as db:
            interview_store.reset_transcription(db, interview_id)

    # -----------------------------------------------------------------------------------------
    # Jobs: long work runs in a worker process; the UI and CLI read progress from here.
    # -----------------------------------------------------------------------------------------

    def create_job(self, kind: str, params: dict[str, Any]) -> int:
        with self.transaction() as db:
            return job_store.create_job(db, kind, params)

    def update_job(self, job_id: int, **fields: Any) -> None:
        with self.transaction() as db:
            job_store.update_job(db, job_id, fields)

    def get_job(self, job_id: int) -> Job:
        return job_store.get_job(self.db, job_id)

    def list_jobs(self, status: str | None = None, limit: int = 50) -> list[Job]:
        """Newest first."""
        return job_store.list_jobs(self.db, status, limit)

    # -----------------------------------------------------------------------------------------
    # Researcher edits: one row per (entity, id, field) change; the newest wins.
    # -----------------------------------------------------------------------------------------

    def save_edit(self, edit: Edit) -> None:
        """Store one researcher edit (validated when the `Edit` was built). Review operations
        (`review.py`, `persona_review.py`) are the writers; they check the target exists."""
        with self.transaction() as db:
            edit_store.save_edit(db, edit)

    def add_edit(self, entity: str, entity_id: str | int, field: str, value: Any) -> None:
        """`save_edit(Edit(entity, entity_id, field, value))`: for scripts and tests that set up a
        study; an unknown entity or field raises `overlay.EditError`."""
        self.save_edit(Edit(entity, entity_id, field, value))

    def current_edits(
        self, entity: str, entity_ids: Iterable[str] | None = None
    ) -> dict[str, dict[str, Any]]:
        """{entity_id: {field: newest value}} for one entity type."""
        return edit_store.current_edits(self.db, entity, entity_ids)

    def edit_history(self, entity: str | None = None) -> list[dict[str, Any]]:
        return edit_store.edit_history(self.db, entity)

    # -----------------------------------------------------------------------------------------
    # Mining: machine rows, replaced wholesale by each `mine`; edits are applied on read.
    # Quote ids are content keys and theme ids are matched across runs (themes.py), so edits
    # keyed by them survive re-mining.
    # -----------------------------------------------------------------------------------------

    def save_quotes(self, quotes: list[Quote], interview_ids: Iterable[int] | None = None) -> None:
        """Replace the machine quotes of these interviews (all when None)."""
        with self.transaction() as db:
            mining_store.save_quotes(db, quotes, interview_ids)

    def get_embeddings(self, model: str, text_hashes: Iterable[str]) -> dict[str, bytes]:
        return mining_store.get_embeddings(self.db, model, text_hashes)

    def save_embeddings(self, model: str, vectors: dict[str, bytes], dim: int) -> None:
        with self.transaction() as db:
            mining_store.save_embeddings(db, model, vectors, dim)

    def save_categories(self, rows: Iterable[tuple[str, str, float]]) -> None:
        """(quote_id, category, confidence) for every quote: replaces the machine categories."""
        with self.transaction() as db:
            mining_store.save_categories(db, rows)

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
        quotes = mining_store.quotes(self.db, interview_id)
        if not apply_edits:
            return quotes
        theme_edits = self.current_edits("theme")
        return overlay.apply_quote_edits(quotes, self.current_edits("quote"), theme_edits,
                                         self.theme_parents(theme_edits))

    def theme_parents(self, theme_edits: overlay.EditsById | None = None) -> dict[str, str | None]:
        """{theme id: its machine parent id (None: top level)} for mined and researcher-made
        themes: where a quote assigned to a theme sits in the hierarchy (overlay.place_in_hierarchy)."""
        parents = mining_store.theme_parents(self.db)
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
            mining_store.save_nps(db, rows)

    def nps(self) -> dict[int, dict[str, Any]]:
        """{interview_id: {score, klass, quote_id, text}} with researcher corrections applied."""
        return overlay.apply_nps_edits(mining_store.nps(self.db), self.current_edits("nps"), nps_band)

    def save_nps_to_confirm(self, rows: list[dict[str, Any]]) -> None:
        """rows: {interview_id, listen_at, suggested}: answers heard again without a score taken."""
        with self.transaction() as db:
            mining_store.save_nps_to_confirm(db, rows)

    def nps_to_confirm(self) -> dict[int, dict[str, Any]]:
        """{interview_id: {listen_at, suggested}}: answers the audio check heard again without
        taking a score, minus those the researcher has scored since (`nps` has them)."""
        scored = {iid for iid, row in self.nps().items() if row.get("score") is not None}
        return {iid: row for iid, row in mining_store.nps_to_confirm(self.db).items() if iid not in scored}

    def save_personas(self, personas: list[Persona]) -> None:
        """Replace machine-suggested personas (researcher-created ones live in edits)."""
        with self.transaction() as db:
            persona_store.save_personas(db, personas)

    def machine_personas(self) -> list[Persona]:
        """Personas as the last suggestion wrote them (no edits), by id: what erasure rewrites."""
        return persona_store.personas(self.db)

    def personas(self) -> list[Persona]:
        """Personas with researcher edits applied (see `overlay.apply_persona_edits`)."""
        return overlay.apply_persona_edits(self.machine_personas(), self.current_edits("persona"))

    # -----------------------------------------------------------------------------------------
    # Persona versions (versions.py): saved once, read many times, never rewritten.
    # -----------------------------------------------------------------------------------------

    def save_persona_version(self, name: str, snapshot: dict[str, Any]) -> None:
        """Store a new version; a name already taken raises ValueError (versions are immutable)."""
        with self.transaction() as db:
            persona_store.save_persona_version(db, name, snapshot)

    def persona_versions(self) -> list[dict[str, Any]]:
        """[{name, created_at, n_personas}], oldest first."""
        return persona_store.persona_versions(self.db)

    def persona_version(self, name: str) -> dict[str, Any]:
        return persona_store.persona_version(self.db, name)

    # -----------------------------------------------------------------------------------------
    # Customers (issue 13): per-customer summaries of an imported transaction file.
    # -----------------------------------------------------------------------------------------

    CUSTOMER_COLUMNS = customer_store.COLUMNS

    def replace_customers(
        self, rows: Iterable[tuple], file_name: str, report: dict[str, Any], analysis: dict[str, Any]
    ) -> None:
        """Replace the whole customer base in one transaction (rows: tuples in CUSTOMER_COLUMNS
        order), so a failed import leaves the previous one intact."""
        with self.transaction() as db:
            customer_store.replace_customers(db, rows, file_name, report, analysis)

    def save_customer_classes(self, rows: Iterable[tuple], analysis: dict[str, Any]) -> None:
        """rows: (recency_days, abc, xyz, r, f, m, segment, customer_id) from a new analysis."""
        with self.transaction() as db:
            customer_store.save_customer_classes(db, rows, analysis)

    def customer_rows(self, ids: Iterable[str] | None = None) -> list[tuple]:
        """Customers as tuples in CUSTOMER_COLUMNS order, by id: all of them, or those in `ids`."""
        return customer_store.customer_rows(self.db, ids)

    def customer_import(self) -> dict[str, Any] | None:
        """The current import: file_name, imported_at, report and analysis (dicts); None before any."""
        return customer_store.customer_import(self.db)

    # -----------------------------------------------------------------------------------------
    # Privacy (issue 18): settings, pseudonyms, and erasing one interview without a trace.
    # -----------------------------------------------------------------------------------------

    def privacy_setting(self, key: str, default: Any = None) -> Any:
        return privacy_store.privacy_setting(self.db, key, default)

    def set_privacy_setting(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            privacy_store.set_privacy_setting(db, key, value)

    def pseudonym_rows(self) -> dict[str, str]:
        """{participant_hash: label}."""
        return privacy_store.pseudonym_rows(self.db)

    def add_pseudonyms(self, hashes: Iterable[str], prefix: str = "P") -> None:
        """Number new participants after every number ever given (kept in privacy_settings), so
        an erased participant's number is never reused for someone else."""
        with self.transaction() as db:
            privacy_store.add_pseudonyms(db, hashes, prefix)

    def erase_interviews(self, interview_ids: list[int], text_hashes: Iterable[str], edit_keys: Iterable[tuple[str, str]],
                         job_ids: Iterable[int], pseudonym_hashes: Iterable[str]) -> None:
        """Delete every row about these interviews in one transaction: segments, quotes and their
        categories/theme links, NPS, transcription progress, the interview rows, the embeddings of
        their texts (`text_hashes`), the edits in `edit_keys` ((entity, entity_id): those about
        them), their jobs and pseudonyms. `forget.py` decides what belongs to them."""
        self.db.execute("PRAGMA secure_delete = ON")  # freed cells are zeroed, not left in pages
        with self.transaction() as db:
            privacy_store.erase_interviews(db, interview_ids, text_hashes, edit_keys, job_ids, pseudonym_hashes)

    def scrub_free_pages(self) -> None:
        """Make deleted rows unrecoverable from the files (`privacy_store.scrub_free_pages`); an
        in-memory study has no files."""
        if self.path == ":memory:":
            return
        privacy_store.scrub_free_pages(self.db)
