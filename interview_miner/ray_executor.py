"""The `ray` executor's driver: transcription, speaker labelling and sentence embeddings on a Ray cluster.

Ray schedules; this module submits tasks and commits what comes back (the tasks and the worker
are in `ray_tasks`, the code every node runs). A pool of `Transcriber` actors
(`ray.util.ActorPool`) loads Whisper, the voice models and the embedding model once per actor and
keeps them. Each recording is a *plan* task (its options, its duration
and where its windows are cut), then one task per window of audio, then a *speakers* task; the
driver (this process) is the only writer of the study: results stream back as they finish and are
committed at once, in audio order per recording (a window that finishes early waits in memory for
the one before it).

Guarantees (the same as the local executor's):
- A worker killed mid-task: Ray restarts the actor (`max_restarts`) and runs the task again
  (`max_task_retries`). A commit is keyed by (interview, window end) and happens only when the
  stored resume point is that window's start, so a result that arrives twice is stored once.
- The driver killed: everything committed stays; the next `transcribe` plans the same windows
  (cuts depend only on the audio) and submits only those after the stored resume point.

A call with a person per channel (`sides.sides_apart`) runs the local lanes on the driver, a side
at a time, with the decoding on the pool (`RemoteWhisper`): the driver reads each side's channel,
shuts it where only another side leaks in, sends the window to a worker, and commits what comes
back as a local run would, so the transcript does not depend on where it ran.

Windows: a long recording is cut near every `window_s` seconds, in the longest pause Silero VAD
finds in the half-window before that point, so no word is cut and each window is independent (the
local executor instead starts each window where the last one's kept segments ended, which is
sequential by nature). A recording shorter than one window is one task and gives the local
executor's transcript exactly.

Recordings reach workers by content hash (`Recording`): when every actor sees the stored path with
the right size (NFS, a mounted bucket, a single machine), only the path travels; otherwise the
driver `ray.put`s the file's bytes once per recording and each node writes them to its temp folder
(`<tmp>/interview-miner-ray/<sha256>`) on first use (sizes: docs/cluster.md).

Hardware: the pool is one actor per GPU when the cluster has GPUs (`transcribe.for_hardware` on a
worker: CUDA float16, batched decoding), else one per `cpus_per_worker` CPUs (int8); the pool is
assumed to be of one kind, since the options (and so the transcript's content key) are chosen once.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from .executor import ClusterUnreachableError, ExecutorSettings, require_ray

ray = require_ray()  # RayUnavailableError, with the install hint, when the extra is missing
from ray.util import ActorPool  # noqa: E402

from . import embed as embed_mod, pipeline, sides, transcribe  # noqa: E402
from .errors import InterviewMinerError, MissingRecordingError, NoSpeechError  # noqa: E402
from .lanes import join_at_cuts  # noqa: E402
from .console import package_version  # noqa: E402
from .mining import Embedder, Miner  # noqa: E402
from .models import Interview, Segment  # noqa: E402
from .ray_tasks import Outcome, Plan, Recording, Transcriber, WindowResult, windows_from  # noqa: E402
from .store import Store  # noqa: E402

log = logging.getLogger(__name__)

MAX_RESTARTS = 3  # an actor process that dies is started again this often ...
MAX_TASK_RETRIES = 3  # ... and the task it was running is run again this often
EMBED_MIN_BATCH = 64  # texts per embedding task at least (smaller batches cost more than they share)
EPS = 1e-3
POOL_START_TIMEOUT_S = 300.0  # workers the cluster cannot place in this time: say so instead of waiting


# ---------------------------------------------------------------------------------------------
# The pool (one per process)
# ---------------------------------------------------------------------------------------------


@dataclass
class Pool:
    actors: list
    gpus_per_worker: float
    workers: list[dict[str, Any]]

    def pool(self) -> ActorPool:
        return ActorPool(self.actors)

    def all(self, call: Callable[[Any], Any]) -> list:
        return ray.get([call(a) for a in self.actors])


_pool: list[tuple[tuple, Pool]] = []  # this process's pool, with the settings that shaped it


def connect(settings: ExecutorSettings) -> None:
    """Join the cluster at `settings.address` (None: RAY_ADDRESS, else start Ray on this machine)."""
    if ray.is_initialized():
        return
    local = settings.address is None and not os.environ.get("RAY_ADDRESS")
    try:
        ray.init(address=settings.address, logging_level=logging.WARNING, log_to_driver=False,
                 **({"include_dashboard": False} if local else {}))
    except (ConnectionError, TimeoutError, RuntimeError) as e:
        raise ClusterUnreachableError(f"could not reach the Ray cluster at {settings.address or os.environ.get('RAY_ADDRESS')}: {e}") from None


def pool_for(settings: ExecutorSettings) -> Pool:
    """The actor pool for these settings, one per process (a pool of another shape replaces it,
    so two pools never hold the cluster's CPUs at once): one actor per GPU when the cluster has
    GPUs (unless `gpus_per_worker` says otherwise), else one per `cpus_per_worker` CPUs."""
    shape = (settings.address, settings.workers, settings.cpus_per_worker, settings.gpus_per_worker)
    if _pool and _pool[0][0] == shape:
        return _pool[0][1]
    while _pool:
        for actor in _pool.pop()[1].actors:
            ray.kill(actor)
    connect(settings)
    resources = ray.cluster_resources()
    gpus = settings.gpus_per_worker if settings.gpus_per_worker is not None else (1.0 if resources.get("GPU") else 0.0)
    if settings.workers:
        n = int(settings.workers)
    elif gpus:
        n = max(1, int(resources.get("GPU", 0) / gpus))
    else:
        n = max(1, int(resources.get("CPU", 1) // settings.cpus_per_worker))
    remote = ray.remote(Transcriber).options(
        num_cpus=settings.cpus_per_worker, num_gpus=gpus, max_restarts=MAX_RESTARTS, max_task_retries=MAX_TASK_RETRIES)
    actors = [remote.remote(max(1, int(settings.cpus_per_worker))) for _ in range(n)]
    try:
        workers = ray.get([a.identity.remote() for a in actors], timeout=POOL_START_TIMEOUT_S)
    except ray.exceptions.GetTimeoutError:
        for actor in actors:
            ray.kill(actor)
        raise ClusterUnreachableError(
            f"the Ray cluster could not start {n} workers of {settings.cpus_per_worker} CPUs and {gpus} GPUs in "
            f"{POOL_START_TIMEOUT_S:.0f} s (it has {resources.get('CPU', 0):.0f} CPUs, {resources.get('GPU', 0):.0f} GPUs)"
        ) from None
    mismatched = sorted({w["version"] for w in workers} - {package_version()})
    if mismatched:
        raise InterviewMinerError(f"the cluster's workers run interview-miner {', '.join(mismatched)}, this machine "
                                  f"{package_version()}: install the same version on every node")
    log.info("Ray pool: %d workers (%s CPUs, %s GPUs each) on %d node(s)", n, settings.cpus_per_worker, gpus,
             len({w['node'] for w in workers}))
    _pool.append((shape, Pool(actors, gpus, workers)))
    return _pool[0][1]


# ---------------------------------------------------------------------------------------------
# Transcription: the driver
# ---------------------------------------------------------------------------------------------


@dataclass
class ClusterReport(pipeline.Report):
    """`pipeline.Report` plus what went to the cluster: per interview, the windows submitted and
    how its recording travelled; per window, (audio seconds, worker CPU seconds, worker wall seconds)."""

    windows: dict[int, list[tuple[float, float | None]]] = field(default_factory=dict)
    sent: dict[int, str] = field(default_factory=dict)  # "path" or "object"
    window_costs: list[tuple[float, float, float]] = field(default_factory=list)
    worker_cpu_s: float = 0.0  # every task's CPU seconds on its worker (plans and speakers too)
    driver_cpu_s: float = 0.0


@dataclass
class _Job:
    """The driver's state of one recording in flight."""

    interview: Interview
    recording: Recording
    plan: Plan | None = None
    windows: list[tuple[float, float | None]] = field(default_factory=list)
    arrived: dict[int, WindowResult] = field(default_factory=dict)
    next: int = 0
    recent: list[Segment] = field(default_factory=list)
    detect_language: bool = False
    pending: int = 0  # tasks submitted whose outcome has not come back
    over: bool = False  # transcribed, or failed


def transcribe_interviews(
    store: Store,
    ids: list[int] | None,
    options: transcribe.TranscribeOptions | None,
    n_speakers: int | None,
    show_progress: bool,
    on_progress: pipeline.Progress | None,
    settings: ExecutorSettings,
) -> ClusterReport:
    """`pipeline.transcribe_interviews` on a Ray cluster (same selection, resume and errors)."""
    cpu = time.process_time()
    report = ClusterReport()
    pool = pool_for(settings)
    options = ray.get(pool.actors[0].for_hardware.remote(options or transcribe.TranscribeOptions()))
    todo, report.errors = pipeline.transcription_todo(store, ids, options)
    # A call with a track per person is transcribed a side at a time (`lanes`, on this machine,
    # which shuts each channel where another side leaks in); its windows are decoded on the pool.
    by_side = [i for i in todo if options.split_channels and i.stored_path and sides.sides_apart(i.stored_path)]
    if by_side:
        here = pipeline.transcribe_interviews(store, [i.id for i in by_side], options, n_speakers, show_progress,
                                              on_progress, model=RemoteWhisper(pool.actors, report))
        report.done += here.done
        report.errors += here.errors
        report.failures += here.failures
        todo = [i for i in todo if i not in by_side]
    if todo:
        _Driver(store, pool, settings, report, options, n_speakers, show_progress, on_progress).run(todo)
    report.driver_cpu_s = round(time.process_time() - cpu, 3)
    return report


class RemoteWhisper:
    """Whisper on the pool, for the lanes of a call split by side (`lanes.decode_window`): each
    lane's thread keeps one actor for its windows (an actor decodes one at a time, so two sides
    decode at once on two actors), and each window's cost goes into the report."""

    def __init__(self, actors: Sequence, report: ClusterReport):
        self.actors, self.report = list(actors), report
        self.by_thread: dict[int, Any] = {}
        self.lock = threading.Lock()

    def decode_window(self, audio: np.ndarray, offset: float, options: transcribe.TranscribeOptions,
                      language: str | None) -> tuple[list[Segment], Any]:
        with self.lock:
            actor = self.by_thread.setdefault(threading.get_ident(), self.actors[len(self.by_thread) % len(self.actors)])
        outcome = ray.get(actor.decode.remote(("decode", offset), audio, offset, options, language))
        if outcome.error is not None:
            raise outcome.error
        with self.lock:
            self.report.worker_cpu_s += outcome.cpu_s
            self.report.window_costs.append((len(audio) / transcribe.SAMPLE_RATE, outcome.cpu_s, outcome.wall_s))
        result = outcome.value
        return result.segments, SimpleNamespace(language=result.language, language_probability=result.language_probability or 0.0)


class _Driver:
    def __init__(self, store: Store, pool: Pool, settings: ExecutorSettings, report: ClusterReport,
                 options: transcribe.TranscribeOptions, n_speakers: int | None, show_progress: bool,
                 on_progress: pipeline.Progress | None):
        self.store, self.pool, self.settings, self.report = store, pool, settings, report
        self.options, self.n_speakers, self.on_progress = options, n_speakers, on_progress
        self.window_s = settings.window_s or pipeline.WINDOW_S
        self.jobs: dict[int, _Job] = {}
        self.actors = pool.pool()
        self.done_s, self.total_s = 0.0, 1.0
        self.show_progress = show_progress
        self._profile: list = []

    def submit(self, method: str, tag: tuple, *args: Any) -> None:
        self.jobs[tag[1]].pending += 1
        self.actors.submit(lambda actor, a: getattr(actor, method).remote(*a), (tag, *args))

    def run(self, todo: list[Interview]) -> None:
        from tqdm import tqdm

        self.total_s = sum(i.duration or 0 for i in todo) or 1.0
        self.bar = tqdm(total=round(self.total_s), unit="s", desc="transcribing on Ray", disable=not self.show_progress,
                        file=sys.stderr)
        self.waiting = self.reachable(todo)
        sent: list[str] = []
        try:
            self.admit()
            while self.actors.has_next():
                try:
                    outcome = self.actors.get_next_unordered(timeout=self.settings.task_timeout_s)
                except TimeoutError:
                    raise InterviewMinerError(f"no result from the Ray cluster in {self.settings.task_timeout_s} s") from None
                self.handle(outcome)
                sent += self.release()
                self.admit()
        finally:
            self.bar.close()
            sent += [j.recording.content_hash for j in self.jobs.values() if j.recording.by_reference]
            if sent:
                self.pool.all(lambda a: a.forget.remote(sent))

    def reachable(self, todo: list[Interview]) -> list[tuple[Interview, str, int, bool]]:
        """(interview, path, size, shared) for each recording this machine has; `shared` when every
        actor sees the same file at that path (then only the path travels). Missing ones fail."""
        present = []
        for i in todo:
            if not i.stored_path or not Path(i.stored_path).exists():
                self.fail(i, MissingRecordingError(i.file_name, i.stored_path))
            else:
                present.append(i)
        files = [(str(Path(i.stored_path).resolve()), os.path.getsize(i.stored_path)) for i in present]
        seen = self.pool.all(lambda a: a.sees.remote(files)) if files else []
        return [(i, path, size, all(s[n] for s in seen)) for n, (i, (path, size)) in enumerate(zip(present, files))]

    def admit(self) -> None:
        """Start recordings while fewer than two per worker are in flight: only those have their
        bytes in the object store (put here), so a 1,000-hour batch never holds more than a few."""
        while self.waiting and len(self.jobs) < 2 * len(self.pool.actors):
            interview, path, size, shared = self.waiting.pop(0)
            recording = Recording(interview.content_hash, Path(path).suffix, size, path,
                                  None if shared else ray.put(Path(path).read_bytes()))
            self.report.sent[interview.id] = "path" if shared else "object"
            self.jobs[interview.id] = _Job(interview, recording)
            options = pipeline.with_study_vocabulary(self.store, self.options, interview)  # as locally
            self.submit("plan", ("plan", interview.id), interview, recording, options, self.window_s)

    def release(self) -> list[str]:
        """Drop the recordings that are done (their object references with them); their hashes."""
        over = [self.jobs.pop(i) for i, j in list(self.jobs.items()) if j.over and j.pending == 0]
        return [j.recording.content_hash for j in over if j.recording.by_reference]

    def handle(self, outcome: Outcome) -> None:
        kind, interview_id, *rest = outcome.tag
        job = self.jobs[interview_id]
        job.pending -= 1
        self.report.worker_cpu_s += outcome.cpu_s
        if job.over:
            return  # a late window of a recording that failed
        if outcome.error is not None:
            self.fail(job.interview, outcome.error)
            return
        try:
            if kind == "plan":
                self.planned(job, outcome.value)
            elif kind == "window":
                self.report.window_costs.append(((rest[1] or job.plan.duration) - rest[0], outcome.cpu_s, outcome.wall_s))
                job.arrived[rest[2]] = outcome.value
                self.commit_ready(job)
            else:
                with self.store.transaction():
                    self.store.replace_segments(interview_id, outcome.value)
                    self.store.set_transcription(interview_id, speakers_done=1)
                self.finished(job)
        except InterviewMinerError as e:
            self.fail(job.interview, e)

    def planned(self, job: _Job, plan: Plan) -> None:
        job.plan = plan
        interview = job.interview
        state = pipeline.start_transcription(self.store, interview, plan.options)
        if state.completed:
            self.label_speakers(job)
            return
        self.store.update_interview(interview.id, status="transcribing", error=None)
        job.windows = windows_from(plan.cuts, state.committed_until)
        job.recent = self.store.segments(interview.id, apply_edits=False)[-2:]
        job.detect_language = pipeline.chosen_language(interview, plan.options) is None
        self.report.windows[interview.id] = list(job.windows)
        self.advance(state.committed_until)
        if state.committed_until:
            log.info("%s: resuming at %.1f s, %d window(s) to go", interview.file_name, state.committed_until, len(job.windows))
        language = pipeline.chosen_language(interview, plan.options)
        for n, (start, end) in enumerate(job.windows):
            self.submit("window", ("window", interview.id, start, end, n), job.recording, plan.options, start, end, language)

    def commit_ready(self, job: _Job) -> None:
        """Commit the windows that are next in audio order (the others wait for their turn)."""
        while job.next in job.arrived:
            n = job.next
            start, end = job.windows[n]
            result = job.arrived.pop(n)
            last = end is None
            for seg in result.segments:
                seg.flags = transcribe.quality_flags(seg, job.recent)
                job.recent = (job.recent + [seg])[-2:]
            if commit_window(self.store, job.interview.id, start, end if not last else job.plan.duration,
                             result.segments, last, job.plan.cuts) and job.detect_language and result.language:
                job.detect_language = False
                self.store.update_interview(job.interview.id, language=result.language,
                                            language_probability=result.language_probability)
            job.next += 1
            self.advance((end or job.plan.duration) - start, f"{job.interview.file_name}: transcribed "
                         f"{(end or job.plan.duration):.0f}/{job.plan.duration:.0f} s")
        if job.next == len(job.windows):
            self.label_speakers(job)

    def label_speakers(self, job: _Job) -> None:
        interview = job.interview
        if self.store.segment_count(interview.id) == 0:
            raise NoSpeechError(interview.file_name)
        if self.store.get_transcription(interview.id).speakers_done:
            self.finished(job)
            return
        segments = self.store.segments(interview.id, apply_edits=False)
        self.submit("speakers", ("speakers", interview.id), job.recording, segments, self.n_speakers, self.profile())

    def profile(self):
        """The study's interviewer voice (`pipeline.interviewer_profile`), looked up once per run."""
        if not self._profile:
            self._profile.append(pipeline.interviewer_profile(self.store))
        return self._profile[0]

    def finished(self, job: _Job) -> None:
        job.over = True
        self.store.update_interview(job.interview.id, status="transcribed", error=None)
        self.report.done.append(self.store.get_interview(job.interview.id))

    def fail(self, interview: Interview, error: InterviewMinerError) -> None:
        if interview.id in self.jobs:
            self.jobs[interview.id].over = True
        self.store.update_interview(interview.id, status="failed", error=str(error))
        self.report.errors.append(str(error))
        self.report.failures.append(error)

    def advance(self, seconds: float, message: str = "") -> None:
        self.done_s += seconds
        self.bar.update(max(0.0, min(round(self.done_s), self.bar.total) - self.bar.n))
        if self.on_progress and message:
            self.on_progress(min(1.0, self.done_s / self.total_s), message)


def commit_window(store: Store, interview_id: int, start: float, end: float, segments: list[Segment],
                  last: bool, cuts: Sequence[float] = ()) -> bool:
    """Store one window's segments and move the resume point to `end`, in one transaction; only
    when the stored resume point is `start` (keyed by interview and window: a result that arrives
    twice, or after a resumed driver stored it, is not stored again). True when stored. With the
    last window, a sentence split where two windows meet (`cuts`) is joined again, as lanes do
    (`lanes.join_at_cuts`)."""
    with store.transaction():
        state = store.get_transcription(interview_id)
        if state is None or state.completed:
            return False
        if state.committed_until >= end - EPS:
            if last:  # resumed right at the end: nothing was left to store
                store.set_transcription(interview_id, completed=1)
            return False
        if abs(state.committed_until - start) > EPS:
            raise InterviewMinerError(f"interview {interview_id}: window {start:.1f}-{end:.1f} s does not follow "
                                      f"the stored transcript (up to {state.committed_until:.1f} s)")
        store.commit_transcribed(interview_id, segments, committed_until=end)
        if last:
            if cuts:
                store.replace_segments(interview_id, join_at_cuts(store.segments(interview_id, apply_edits=False), list(cuts)))
            store.set_transcription(interview_id, completed=1)
    return True


# ---------------------------------------------------------------------------------------------
# Sentence embeddings for large corpora: the vectors on the cluster, the mining here
# ---------------------------------------------------------------------------------------------


class ClusterEmbedder:
    """An `Embedder` whose `encode` spreads the texts over the pool in equal batches (at least
    EMBED_MIN_BATCH each) and returns the vectors in order. Same model and name as the local
    `embed.LazyEmbedder`, so vectors already cached in the study are reused."""

    def __init__(self, pool: Pool, spec: str | None, backend: str | None, name: str):
        self.pool, self.spec, self.backend, self.name = pool, spec, backend, name
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.encode(["dimension"])
        return self._dim

    def encode(self, texts: list[str], batch_size: int = 0, show_progress: bool = False) -> np.ndarray:
        size = max(EMBED_MIN_BATCH, -(-len(texts) // len(self.pool.actors)))
        batches = [texts[i:i + size] for i in range(0, len(texts), size)]
        results = list(self.pool.pool().map(lambda a, batch: a.embed.remote(self.spec, self.backend, batch), batches))
        self.name = results[0][0] if results else self.name  # the worker's name if the ONNX backend fell back
        vectors = np.vstack([v for _, v in results]) if results else np.zeros((0, self._dim or 0), np.float32)
        self._dim = int(vectors.shape[1]) if len(vectors) else self._dim
        return vectors


class ClusterMiner(Miner):
    """A `Miner` whose embedder (the one chosen per study language, or `embed_model`) computes on
    the Ray pool; splitting, categorizing and themes stay in this process."""

    def __init__(self, settings: ExecutorSettings, **kwargs: Any):
        super().__init__(**kwargs)
        self.settings = settings
        self._cluster: dict[str, ClusterEmbedder] = {}

    def embedder_for(self, interviews) -> Embedder:
        chosen = super().embedder_for(interviews)
        if not isinstance(chosen, embed_mod.LazyEmbedder):
            return chosen  # an embedder passed in runs where it was made
        if chosen.name not in self._cluster:
            self._cluster[chosen.name] = ClusterEmbedder(pool_for(self.settings), chosen.spec, chosen.backend, chosen.name)
        return self._cluster[chosen.name]


def shutdown() -> None:
    """Forget the pools and leave the cluster (tests and benchmarks switch clusters in one process)."""
    _pool.clear()
    if ray.is_initialized():
        ray.shutdown()
