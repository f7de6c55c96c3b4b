"""The job runner: long work (transcription, mining, persona suggestion) outside the page.

The app (or any script) calls `start_job(db, kind, params)`: it writes a row to the study's `jobs`
table and launches `python -m interview_miner.worker --db PATH --job ID` as a detached process.
The worker runs `run_job`, which writes status, progress and messages back to that row, so a page
reload, a second tab or a closed browser loses nothing: they all read the same row.

A worker that dies (killed, machine restarted) leaves its row `running` with a pid that no longer
exists: `job_state` reports it as `interrupted` and `resume_job` starts it again. Transcription
resumes from the segments already stored; mining simply runs again.

    job = start_job("study.db", "process", {"hotwords": "ClinicFlow"})
    Store("study.db").get_job(job).status   # 'queued', then 'running', ... 'done'

Each worker logs (stdlib `logging`, plus anything it prints and the traceback of a crash) to
`<study>.logs/job-N.log` beside the study database (`log_path`); the app shows it (`read_log`).

Job params: `transcribe` and `process` take TranscribeOptions fields (`model`, `language`,
`beam_size`, `hotwords`, ...) plus `ids` and `n_speakers`; `mine` takes `embed_model`. Every kind
takes `executor` (`local` or `ray`, default $INTERVIEW_MINER_EXECUTOR) and `ray_address`: with Ray
the worker stays the study's only writer and the cluster does the decoding (`ray_executor`).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import subprocess
import sys
import logging
import time
from pathlib import Path
from typing import Any, Callable

from . import pipeline, speakers, transcribe, whole_job
from .errors import InterviewMinerError, describe
from .executor import ExecutorSettings
from .mining import Miner
from .models import Job
from .store import Store

# Each kind of job is `whole_job.process` over these steps (one orchestrator for the CLI, the
# worker and evaluate); `process` is the whole job short of adding files and exporting.
KIND_STEPS = {
    "transcribe": ("transcribe",),
    "mine": ("mine",),
    "personas": ("personas",),
    "process": ("transcribe", "mine", "personas"),
}
KINDS = tuple(KIND_STEPS)
KIND_TITLES = {kind: whole_job.STEP_TITLES.get(kind, "Process everything") for kind in KINDS}
# States shown to users. `queued`/`running`/`done`/`failed`/`stopped` are written by the worker;
# `interrupted` is derived: the row says running (or queued) but its process is gone.
ACTIVE = ("queued", "running")
PROGRESS_EVERY_S = 0.5  # at most this often a progress write to the jobs table
log = logging.getLogger(__name__)
_children: dict[int, subprocess.Popen] = {}  # workers this process started (polled, so never zombies)


class JobStopped(Exception):
    """Raised inside the worker when it is asked to stop (SIGTERM)."""


# ---------------------------------------------------------------------------------------------
# Starting, watching, stopping
# ---------------------------------------------------------------------------------------------


def start_job(db_path: str | os.PathLike, kind: str, params: dict[str, Any] | None = None) -> int:
    """Create a job row and launch a detached worker for it; returns the job id.

    Only one job runs per study at a time (two workers writing the same transcripts would fight):
    if one is already active, its id is returned instead of starting another.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r} (one of: {', '.join(KINDS)})")
    return _launch_unless_active(db_path, lambda store: store.create_job(kind, params or {}))


def resume_job(db_path: str | os.PathLike, job_id: int) -> int:
    """Run an interrupted, stopped or failed job again (same row); returns its id, or the id of
    another job that is active now (then nothing is resumed)."""

    def requeue(store: Store) -> int:
        store.update_job(job_id, status="queued", error=None, pid=None, message="resuming…")
        return job_id

    return _launch_unless_active(db_path, requeue)


def _launch_unless_active(db_path: str | os.PathLike, prepare: Callable[[Store], int]) -> int:
    """Run `prepare` (which returns the job id to launch) unless a job is active already: the
    check and the write share one transaction, so two tabs clicking at once start one worker."""
    db_path = str(Path(db_path).resolve())
    store = Store(db_path)
    try:
        with store.transaction():
            active = active_job(store)
            if active:
                return active.id
            job_id = prepare(store)
        _launch(store, db_path, job_id)
        return job_id
    finally:
        store.close()


def stop_job(store: Store, job_id: int) -> bool:
    """Ask a running worker to stop (it records `stopped`; resume it later). False if not running."""
    job = store.get_job(job_id)
    pid = job.pid
    if job.status not in ACTIVE or not pid_alive(pid):
        return False
    try:
        os.killpg(int(pid), signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(int(pid), signal.SIGTERM)
        except OSError:
            return False
    return True


def job_state(job: Job) -> str:
    """queued | running | done | failed | stopped | interrupted (running, but its process is gone)."""
    status = job.status or "queued"
    if status in ACTIVE and not pid_alive(job.pid):
        return "interrupted"
    return status


def active_job(store: Store) -> Job | None:
    """The job running (or about to) for this study, if any."""
    for job in store.list_jobs(limit=20):
        if job_state(job) in ACTIVE:
            return job
    return None


def recent_jobs(store: Store, limit: int = 5) -> list[tuple[Job, str]]:
    """Newest first, each job with its derived state (see `job_state`)."""
    return [(job, job_state(job)) for job in store.list_jobs(limit=limit)]


def pid_alive(pid: int | None) -> bool:
    """True if a worker process with this pid exists and is not a zombie."""
    if not pid:
        return False
    pid = int(pid)
    if pid in _children:  # a worker this process started: poll() also reaps it once it exits
        return _children[pid].poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):
                return False
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            return b"interview_miner" in cmdline  # a recycled pid belongs to someone else
        except (OSError, IndexError):
            return False
    return True


def log_path(job_id: int, db_path: str | os.PathLike) -> Path:
    """Where a job's worker logs: `<study>.logs/job-N.log` beside the study database, so it is
    found with the study (and removed with it), not in a temporary folder nobody looks in.

    >>> log_path(7, "/data/clinics.db").as_posix()
    '/data/clinics.db.logs/job-7.log'
    """
    db_path = Path(db_path)
    return db_path.with_name(db_path.name + ".logs") / f"job-{job_id}.log"


def read_log(db_path: str | os.PathLike, job_id: int, max_chars: int = 20_000) -> str:
    """The end of a job's log ('' when it has none yet)."""
    try:
        with open(log_path(job_id, db_path), "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - max_chars))
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def _launch(store: Store, db_path: str, job_id: int) -> None:
    env = {**os.environ}
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    try:
        path = log_path(job_id, db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as log_file:  # also catches what the worker prints before logging is set up
            proc = subprocess.Popen(
                [sys.executable, "-m", "interview_miner.worker", "--db", db_path, "--job", str(job_id)],
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, start_new_session=True, env=env,
                cwd=str(Path(db_path).parent),
            )
    except OSError as e:
        store.update_job(job_id, status="failed", error=f"could not start the worker: {e}")
        raise
    _children[proc.pid] = proc
    store.update_job(job_id, pid=proc.pid)


# ---------------------------------------------------------------------------------------------
# Running (inside the worker process, or inline from a test or script)
# ---------------------------------------------------------------------------------------------


def run_job(store: Store, job_id: int, miner: Miner | None = None) -> Job:
    """Execute one job, writing progress to its row; returns the final row. Never raises for a
    failure of the work itself: the row says `failed` and why. `miner` mines and suggests
    personas (a default one, with the job's `embed_model`, when None)."""
    job = store.get_job(job_id)
    if job.status == "running" and job.pid not in (None, os.getpid()) and pid_alive(job.pid):
        return job  # another worker has it
    store.update_job(job_id, status="running", pid=os.getpid(), progress=0.0, error=None,
                     message=f"{KIND_TITLES.get(job.kind, job.kind)}: starting")
    report = _Reporter(store, job_id)
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum, frame):  # pragma: no cover - exercised through a real process
        raise JobStopped()

    in_main = _in_main_thread()
    if in_main:
        signal.signal(signal.SIGTERM, on_term)
    try:
        request = process_request(job.kind, job.params)
        result = whole_job.process(store, request, miner=miner,
                                  on_progress=whole_job.overall_progress(report, request.steps))
        report.flush()
        store.update_job(job_id, status="done", progress=1.0, message=result.summary() or "done",
                         error="\n".join(result.errors) if result.errors else None)
    except JobStopped:
        store.update_job(job_id, status="stopped", message=f"stopped at {report.last_message or 'start'}")
    except InterviewMinerError as e:  # jobs are shown in the app: its wording
        store.update_job(job_id, status="failed", error=describe(e, "app"), message=report.last_message)
    except Exception as e:  # an unexpected bug: keep the traceback in the log, the reason in the row
        log.exception("job %s failed", job_id)
        store.update_job(job_id, status="failed", error=f"{type(e).__name__}: {e}", message=report.last_message)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    return store.get_job(job_id)


def process_request(kind: str, params: dict[str, Any]) -> whole_job.ProcessRequest:
    """The `whole_job.process` request for a job of this kind with these params (see the module
    docstring; unknown params are ignored, so an old row still runs)."""
    if kind not in KIND_STEPS:
        raise InterviewMinerError(f"unknown job kind {kind!r}")
    known = {f.name for f in dataclasses.fields(transcribe.TranscribeOptions)}
    options = transcribe.TranscribeOptions(**{k: v for k, v in params.items() if k in known and v is not None})
    return whole_job.ProcessRequest(
        steps=KIND_STEPS[kind], ids=params.get("ids") or None, options=options,
        n_speakers=speakers.parse_speakers(params.get("n_speakers") or speakers.DEFAULT_SPEAKERS), embed_model=params.get("embed_model"),
        executor=ExecutorSettings.from_params(params),  # `executor`/`ray_address`, else $INTERVIEW_MINER_EXECUTOR
    )


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


class _Reporter:
    """Throttled progress writes: at most every PROGRESS_EVERY_S, always the last one."""

    def __init__(self, store: Store, job_id: int):
        self.store, self.job_id = store, job_id
        self.last_write = 0.0
        self.pending: tuple[float, str] | None = None
        self.last_message = ""

    def __call__(self, fraction: float, message: str) -> None:
        self.last_message = message
        self.pending = (max(0.0, min(1.0, float(fraction))), message)
        if time.monotonic() - self.last_write >= PROGRESS_EVERY_S:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            fraction, message = self.pending
            self.store.update_job(self.job_id, progress=round(fraction, 4), message=message)
            self.pending = None
            self.last_write = time.monotonic()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m interview_miner.worker",
                                     description="Run one job of a study (started by the app or CLI).")
    parser.add_argument("--db", required=True, help="study database")
    parser.add_argument("--job", required=True, type=int, help="job id in that study's jobs table")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # standard error is the job's log file when the app started this worker (`_launch`)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    store = Store(args.db)
    try:
        log.info("job %s started (pid %s)", args.job, os.getpid())
        job = run_job(store, args.job)
        log.info("job %s %s%s", args.job, job.status, f": {job.error}" if job.error else "")
    finally:
        store.close()
    return 0 if job.status == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
