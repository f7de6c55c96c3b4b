"""The whole job: add -> transcribe -> mine -> personas -> export, run in order by `process`, the one
orchestrator behind `interview-miner run`, the worker's jobs and `evaluate`. Each step is a call
into `pipeline` (or `persona_review`, `export`), so what a job does is exactly what the separate
commands do; a job adds only the order, one progress bar over its steps (`overall_progress`) and a
summary line (`ProcessResult.summary`). The steps are called through the `pipeline` module, so a test
that replaces one of them there (a study without audio) replaces it here too.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import persona_review, pipeline, speakers, transcribe, voices
from .errors import InterviewMinerError
from .executor import ExecutorSettings
from .mining import MineReport, Miner
from .models import Persona
from .pipeline import Progress, Report
from .store import Store

log = logging.getLogger(__name__)

STEPS = ("add", "transcribe", "mine", "personas", "export")
STEP_TITLES = {"add": "Add", "transcribe": "Transcribe", "mine": "Mine themes",
               "personas": "Suggest personas", "export": "Export"}
# Share of a job's progress bar each step gets (transcription dominates), normalised over the
# steps a job runs: the worker's `process` job (transcribe, mine, personas) gets 0.7/0.27/0.03.
STEP_SHARES = {"add": 0.02, "transcribe": 0.7, "mine": 0.27, "personas": 0.03, "export": 0.03}
# What `export` writes into the job's folder: (format, file or folder name).
EXPORT_FILES = (("md", "report.md"), ("html", "report.html"), ("pdf", "report.pdf"),
                ("json", "study.json"), ("csv", "quotes.csv"), ("transcripts", "transcripts"))
StepProgress = Callable[[str, float, str], None]  # (step, fraction of that step, message)


@dataclass
class ProcessRequest:
    """What a `process` job does. `steps` run in STEPS order; the rest configures them."""

    steps: tuple[str, ...] = STEPS
    paths: list[str] = field(default_factory=list)  # add: files or folders
    tracks: bool = False  # add: `paths` are the two separate tracks of one call (`pipeline.add_tracks`)
    participant: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    ids: list[int] | None = None  # transcribe: these interviews (None: every one not done yet)
    options: transcribe.TranscribeOptions | None = None
    n_speakers: int | None = speakers.DEFAULT_SPEAKERS
    embed_model: str | None = None  # mine: ignored when a Miner is passed to `process`
    second_hearing: bool = True  # mine: unsure quotes heard again by a second model (idem)
    export_dir: Path | None = None
    strict: bool = False  # raise after a step that reported per-file errors (evaluate)
    show_progress: bool = False  # terminal progress bars (transcription)
    executor: ExecutorSettings | None = None  # transcribe (and embed) here or on a Ray cluster

    def __post_init__(self) -> None:
        unknown = [s for s in self.steps if s not in STEPS]
        if unknown:
            raise ValueError(f"unknown step(s) {', '.join(unknown)} (known: {', '.join(STEPS)})")
        if "export" in self.steps and self.export_dir is None:
            raise ValueError("the export step needs an export_dir")


@dataclass
class ProcessResult:
    """What each step did (None: the step did not run)."""

    added: Report | None = None
    transcribed: Report | None = None
    mined: MineReport | None = None
    themes_found: int | None = None  # themes as the researcher sees them (edits applied)
    personas: list[Persona] | None = None
    exported: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        """Per-file problems (a bad file, a failed transcription): the job itself still ran."""
        return [*(self.added.errors if self.added else []), *(self.transcribed.errors if self.transcribed else [])]

    def summary(self) -> str:
        """One line per step run, joined: what the worker shows as the job's message."""
        parts = []
        if self.added is not None:
            parts.append(f"{_plural(len(self.added.added), 'file')} added")
        if self.transcribed is not None:
            parts.append(f"{_plural(len(self.transcribed.done), 'interview')} transcribed")
        if self.mined is not None:
            notes = self.mined.messages  # advice, e.g. "no score found in X"
            parts.append(f"{_plural(self.themes_found or 0, 'theme')} found"
                         + (f" (note: {'; '.join(notes)})" if notes else ""))
        if self.personas is not None:
            parts.append(f"{_plural(len(self.personas), 'persona')} suggested")
        if self.exported:
            parts.append(f"{_plural(len(self.exported), 'file')} exported")
        return "; ".join(parts)


def process(
    store: Store,
    request: ProcessRequest,
    miner: Miner | None = None,
    on_progress: StepProgress | None = None,
    on_step: Callable[[str, ProcessResult], None] | None = None,
) -> ProcessResult:
    """Run the requested steps in order: the one orchestrator behind `interview-miner run`, the
    worker's jobs and `evaluate`. Mining and persona suggestion use `miner` (a default one, with
    `request.embed_model`, when None). `on_progress(step, fraction, message)` reports inside a
    step (`overall_progress` turns it into one bar); `on_step(step, result_so_far)` is called as
    each step ends. Raises for a failure of a whole step (a missing model); per-file problems are
    collected in `result.errors` (raised at once with `request.strict`).
    """
    if miner is None and {"mine", "personas"} & set(request.steps):
        miner = (request.executor or ExecutorSettings()).miner(request.embed_model, second_hearing=request.second_hearing)
    result = ProcessResult()
    for step in (s for s in STEPS if s in request.steps):
        def progress(fraction: float, message: str, step: str = step) -> None:
            if on_progress:
                on_progress(step, fraction, message)

        started = time.perf_counter()
        _run_step(store, step, request, miner, progress, result)
        if step == "transcribe" and {"mine", "personas", "export"} & set(request.steps):
            _let_speech_models_go()
        result.seconds[step] = round(time.perf_counter() - started, 3)
        if request.strict and result.errors:
            raise InterviewMinerError("; ".join(result.errors))
        if on_step:
            on_step(step, result)
    return result


def _let_speech_models_go() -> None:
    """Between transcription and mining: drop the Whisper and voice models (the mining step loads
    what it needs itself: the NPS audio check, rarely) and hand the freed heap back to the system, so a
    long `run` does not carry transcription's memory into mining and exports (measured on a
    60-minute file: see docs/performance.md)."""
    dropped, voice_models = transcribe.release_models(), voices.release_models()
    pipeline.return_freed_memory()
    log.debug("released %d Whisper and %d voice model(s) before mining", dropped, voice_models)


def _run_step(store: Store, step: str, request: ProcessRequest, miner: Miner | None,
              progress: Progress, result: ProcessResult) -> None:
    if step == "add":
        progress(0.0, f"adding {_plural(len(request.paths), 'path')}")
        add = pipeline.add_tracks if request.tracks else pipeline.add_files
        result.added = add(store, request.paths, request.participant, request.metadata)
        progress(1.0, f"{len(result.added.added)} added")
    elif step == "transcribe":
        progress(0.0, "loading the speech model")
        result.transcribed = pipeline.transcribe_interviews(
            store, request.ids or None, request.options or transcribe.TranscribeOptions(),
            n_speakers=request.n_speakers, show_progress=request.show_progress, on_progress=progress,
            executor=request.executor,
        )
        progress(1.0, f"{len(result.transcribed.done)} transcribed")
    elif step == "mine":
        progress(0.0, "reading transcripts")
        result.mined = pipeline.mine(store, on_progress=progress, miner=miner)
        result.themes_found = len(store.themes())
        progress(1.0, "themes ready")
    elif step == "personas":
        progress(0.0, "grouping participants")
        language = request.options.language if request.options else None  # `run --language`: the study's
        result.personas = persona_review.suggest_and_save(store, miner=miner, language=language)
        progress(1.0, _plural(len(result.personas), "persona"))
    elif step == "export":
        from . import export as exporting  # Jinja and the PDF writer: imported only when exporting

        out = Path(request.export_dir)
        out.mkdir(parents=True, exist_ok=True)
        for n, (fmt, name) in enumerate(EXPORT_FILES):
            progress(n / len(EXPORT_FILES), f"writing {name}")
            result.exported += exporting.export_study(store, fmt, out / name)
        progress(1.0, f"wrote {len(EXPORT_FILES)} exports to {out}")


def overall_progress(on_progress: Progress, steps: tuple[str, ...] | list[str]) -> StepProgress:
    """One progress bar over `steps`: each step's fraction is scaled into its share
    (STEP_SHARES) and its message prefixed with the step's title."""
    run = [s for s in STEPS if s in steps]
    total = sum(STEP_SHARES[s] for s in run) or 1.0
    spans, lo = {}, 0.0
    for s in run:
        spans[s] = (lo, lo + STEP_SHARES[s] / total)
        lo = spans[s][1]

    def report(step: str, fraction: float, message: str) -> None:
        lo, hi = spans[step]
        title = STEP_TITLES[step]
        on_progress(lo + (hi - lo) * max(0.0, min(1.0, fraction)), f"{title}: {message}" if message else title)

    return report


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
