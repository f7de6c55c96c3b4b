"""Erasure: `forget` removes one participant (or interview) so that nothing of them is left.

What goes (GDPR art. 17, "right to erasure"):
- the recording file and the worker logs of jobs that touched it;
- its segments, quotes (with their categories and theme links), NPS, transcription progress and
  the interview row, which holds its metadata and consent record;
- the cached embeddings of its texts (looked up by text hash: quotes, their embedding form, the
  interviewer's questions, segments, and what a second model heard in their quotes);
- every researcher edit about them: on the interview, its segments, quotes and NPS; PII decisions
  whose words occur in their transcript or name; their ids taken out of persona edits;
- their evidence in themes and personas: machine theme keywords no remaining quote contains and
  themes left without quotes are dropped; personas lose the interview and its quotes, and each
  section's participant count is recounted (claims, "k of n", are computed from what remains);
- finished jobs that covered them, and their pseudonym.

Then SQLite is made to forget too: `secure_delete` zeroes freed cells, the WAL is checkpointed
and truncated, and VACUUM rewrites the file (`Store.scrub_free_pages`). What SQLite cannot
promise: copies outside the study file (backups, exports already written, the file system's own
journal or SSD wear levelling) — say so to whoever asks for erasure.

Bad input changes nothing: an unknown id or name raises before any write, and an interview a
running job works on is refused (stop the job, or wait for it, then forget).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import worker
from .embed import text_hash
from .second_hearing import NAME as SECOND_HEARING
from .errors import InterviewMinerError
from .models import Interview
from .quotes import embedding_text
from .redact import participant_hash
from .vocab import participant_key, participant_name


class UnknownParticipantError(InterviewMinerError, LookupError):
    """No interview with that id or participant: nothing was erased."""

    hint_cli = "see `interview-miner list` for ids and participant names"
    hint_app = "pick the participant from the list on the Study page"


class InterviewBusyError(InterviewMinerError):
    """A job is working on the interview to erase."""

    def __init__(self, job_id: int, kind: str):
        self.job_id, self.kind = job_id, kind
        super().__init__(f"job {job_id} ({kind}) is working on this interview: nothing was erased")

    hint_cli = "wait for the job to finish (or stop it on the Study page), then run forget again"
    hint_app = "wait for the job to finish or stop it, then erase again"


@dataclass
class ForgetReport:
    """What `forget` removed (counts), for the user to read back."""

    interview_ids: list[int]
    participants: list[str]
    recordings_deleted: list[str] = field(default_factory=list)
    segments: int = 0
    quotes: int = 0
    embeddings: int = 0
    edits: int = 0
    jobs: int = 0
    themes_dropped: int = 0
    personas_updated: int = 0

    def summary(self) -> str:
        who = ", ".join(self.participants)
        return (f"erased {who} (interview {', '.join(map(str, self.interview_ids))}): "
                f"{len(self.recordings_deleted)} recording(s), {self.segments} segments, {self.quotes} quotes, "
                f"{self.embeddings} cached embeddings, {self.edits} edits, {self.jobs} job records; "
                f"{self.themes_dropped} theme(s) left empty dropped, {self.personas_updated} persona(s) updated; "
                "database vacuumed")


def resolve(store, interview_ids: list[int] | None = None, participant: str | None = None) -> list[Interview]:
    """The interviews to erase: these ids, or every interview of the participant named (as
    `participant_key` counts people: case-insensitive). UnknownParticipantError when none."""
    interviews = store.list_interviews()
    if participant is not None:
        wanted = participant_key(Interview(None, "", "", "", participant=participant))
        found = [i for i in interviews if participant.strip() and participant_key(i) == wanted]
        if not found:
            raise UnknownParticipantError(f"no interview with participant {participant!r}")
        return found
    by_id = {i.id: i for i in interviews}
    missing = [i for i in interview_ids or [] if i not in by_id]
    if missing or not interview_ids:
        raise UnknownParticipantError(f"no interview with id {', '.join(map(str, missing)) or '(none given)'}")
    return [by_id[i] for i in interview_ids]


def _busy(store, ids: set[int]) -> None:
    job = worker.active_job(store)
    if job is None:
        return
    covered = job.params.get("ids")
    if not covered or ids & {int(i) for i in covered}:
        raise InterviewBusyError(job.id, job.kind)


def forget(store, interview_ids: list[int] | None = None, participant: str | None = None) -> ForgetReport:
    """Erase interviews (by id) or a participant (by name) completely; see the module docstring."""
    targets = resolve(store, interview_ids, participant)
    ids = {i.id for i in targets}
    _busy(store, ids)
    report = ForgetReport(sorted(ids), sorted({participant_name(i) for i in targets}))

    texts: set[str] = set()
    segment_ids: list[str] = []
    for i in targets:
        for apply in (False, True):
            for s in store.segments(i.id, apply_edits=apply):
                texts.add(s.text)
                segment_ids.append(str(s.id))
    quotes = [q for apply in (False, True) for q in store.quotes(apply_edits=apply) if q.interview_id in ids]
    quote_ids = sorted({q.id for q in quotes})
    for q in quotes:
        texts.update({q.text, embedding_text(q.text)} | ({q.question} if q.question else set()))
    report.segments = len(set(segment_ids))
    report.quotes = len(quote_ids)
    hashes = {text_hash(t) for t in texts if t}
    hashes |= {i.content_hash for i in targets if i.content_hash}  # what is cached per recording (its pauses)
    # what a second model heard in their quotes (second_hearing.py, kept under the quote's hash):
    # the vectors of those words are cached under the hash of the words themselves
    heard = [bytes(row[0]).decode("utf-8", "replace") for row in store.db.execute(
        "SELECT vector FROM embeddings WHERE model LIKE ? AND text_hash IN (SELECT value FROM json_each(?))",
        [f'["{SECOND_HEARING}"%', json.dumps(sorted(hashes))])]
    hashes |= {text_hash(t) for h in heard for t in (h, embedding_text(h)) if t}
    report.embeddings = store.db.execute(
        "SELECT count(*) FROM embeddings WHERE text_hash IN (SELECT value FROM json_each(?))", [json.dumps(sorted(hashes))]
    ).fetchone()[0]

    words = " ".join(texts).casefold()
    names = [n.casefold() for i in targets for n in [i.participant or ""] if n.strip()]
    edit_keys = {("interview", str(i)) for i in ids} | {("nps", str(i)) for i in ids}
    edit_keys |= {("segment", s) for s in segment_ids} | {("quote", q) for q in quote_ids}
    for key in store.current_edits("pii"):
        said = key.split(":", 1)[1]
        if said and (said in words or any(said in n or n in said for n in names)):
            edit_keys.add(("pii", key))
    report.edits = sum(store.db.execute("SELECT count(*) FROM edits WHERE entity = ? AND entity_id = ?", k).fetchone()[0]
                       for k in edit_keys)
    # what persona texts must not keep: their name, the details only they gave, and their quotes
    # (persona claims quote the participants' own words)
    said = {v for q in quotes for v in (q.text.strip(), q.text.strip().rstrip(".!?…"))}  # claims drop the full stop
    leaks = sorted(set(_their_words(store, targets)) | {v for v in said if len(v) >= 3}, key=lambda v: (-len(v), v))
    rewrites = _persona_edit_rewrites(store, ids, set(quote_ids), leaks)

    jobs = [j for j in store.list_jobs(limit=100_000) if j.status not in worker.ACTIVE
            and (not j.params.get("ids") or ids & {int(x) for x in j.params["ids"]})]
    report.jobs = len(jobs)
    pseudonym_hashes = [participant_hash(store, participant_key(i)) for i in targets]
    remaining_people = {participant_key(i) for i in store.list_interviews() if i.id not in ids}
    pseudonym_hashes = [h for h, i in zip(pseudonym_hashes, targets) if participant_key(i) not in remaining_people]

    with store.transaction() as db:
        store.erase_interviews(sorted(ids), hashes, edit_keys, [j.id for j in jobs], pseudonym_hashes)
        db.conn.executemany("UPDATE edits SET value = ? WHERE id = ?", rewrites)
        report.themes_dropped = _prune_themes(store)
        report.personas_updated = _prune_personas(store, ids, set(quote_ids), leaks)

    for i in targets:
        if i.stored_path and Path(i.stored_path).exists() and not _shared_recording(store, i.stored_path):
            Path(i.stored_path).unlink()
            report.recordings_deleted.append(i.stored_path)
    for j in jobs:
        worker.log_path(j.id, store.path).unlink(missing_ok=True)
    store.scrub_free_pages()
    return report


def _shared_recording(store, path: str) -> bool:
    return store.db.execute("SELECT count(*) FROM interviews WHERE stored_path = ?", [path]).fetchone()[0] > 0


def _their_words(store, targets: list[Interview]) -> list[str]:
    """Their name and the details only they gave (metadata values no remaining interview has),
    longest first: what persona texts built from their metadata must not keep."""
    gone = {i.id for i in targets}
    def values(interviews):
        return {v.strip() for i in interviews for v in [i.participant, *(i.metadata or {}).values()]
                if isinstance(v, str) and len(v.strip()) >= 3}
    theirs = values(targets) - values([i for i in store.list_interviews() if i.id not in gone])
    return sorted(theirs, key=lambda v: (-len(v), v))


def _scrub(text: str, leaks: list[str]) -> str:
    for leak in leaks:
        text = text.replace(leak, "[erased]")
    return text


def _persona_edit_rewrites(store, ids: set[int], quote_ids: set[str], leaks: list[str]) -> list[tuple[str, int]]:
    """(new JSON value, edit row id) for every persona edit, in its whole history, that lists an
    erased interview or quote, or whose text names them."""
    out = []
    for row in store.edit_history("persona"):
        value = json.loads(row["value"])
        if row["field"] == "interview_ids" and isinstance(value, list) and ids & set(value):
            out.append((json.dumps([v for v in value if v not in ids]), row["id"]))
        elif row["field"].endswith(".quote_ids") and isinstance(value, list) and quote_ids & set(value):
            out.append((json.dumps([v for v in value if v not in quote_ids]), row["id"]))
        elif isinstance(value, str) and _scrub(value, leaks) != value:
            out.append((json.dumps(_scrub(value, leaks)), row["id"]))
    return out


def _prune_themes(store) -> int:
    """Machine themes after their quotes went: empty ones dropped, keywords no remaining member
    quote contains dropped (they may be the erased participant's words)."""
    themes = store.machine_themes()
    text_of = {q.id: q.text.casefold() for q in store.quotes(apply_edits=False)}
    kept = []
    for t in themes:
        t.quote_ids = [q for q in t.quote_ids if q in text_of]
        if not t.quote_ids:
            continue
        members = " ".join(text_of[q] for q in t.quote_ids)
        t.keywords = [k for k in t.keywords if k.casefold() in members]
        if not any(w in members for w in t.label.casefold().split() if len(w) >= 4):
            t.label = ", ".join(t.keywords[:3]) or "Unnamed theme"  # its words were theirs
        if t.representative_quote_id not in t.quote_ids:
            t.representative_quote_id = t.quote_ids[0]
        kept.append(t)
    store.save_themes(kept)
    return len(themes) - len(kept)


def _prune_personas(store, ids: set[int], quote_ids: set[str], leaks: list[str]) -> int:
    """Machine personas without the erased interviews and quotes; section counts recounted; their
    name and the details only they gave (demographics are built from metadata) replaced."""
    personas = store.machine_personas()
    participant_of = {q.id: q.interview_id for q in store.quotes(apply_edits=False)}
    changed = 0
    for p in personas:
        touched = bool(ids & set(p.interview_ids))
        p.interview_ids = [i for i in p.interview_ids if i not in ids]
        for f in p.fields.values():
            if quote_ids & set(f.quote_ids):
                touched = True
                f.quote_ids = [q for q in f.quote_ids if q not in quote_ids]
                f.n_participants = len({participant_of[q] for q in f.quote_ids if q in participant_of})
        for attr in ("name", "role", "demographics", "description"):
            if _scrub(getattr(p, attr) or "", leaks) != (getattr(p, attr) or ""):
                setattr(p, attr, _scrub(getattr(p, attr), leaks))
                touched = True
        for f in p.fields.values():
            if _scrub(f.text, leaks) != f.text:
                f.text, touched = _scrub(f.text, leaks), True
        changed += touched
    if changed:
        store.save_personas(personas)
    return changed
