"""The Ray executor's tasks: what travels between the driver and the workers, where a recording's
windows are cut, and the worker itself (`Transcriber`, one Ray actor per pool member).

Kept apart from the driver (`ray_executor`) because this is the code every node runs: it reads
audio, decodes and labels, and never touches the study's database. Models load on first use and
stay for the actor's life (`transcribe.load_model` and the voice and embedding models are cached
per process); see `ray_executor` for the guarantees and docs/cluster.md for the set-up.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .executor import require_ray

ray = require_ray()  # RayUnavailableError, with the install hint, when the extra is missing

from . import capture, embed as embed_mod, pipeline, speakers, transcribe  # noqa: E402
from .console import package_version  # noqa: E402
from .errors import InterviewMinerError  # noqa: E402
from .models import Interview, Segment  # noqa: E402

PAUSE_SEARCH_S = 30.0  # a window is cut in the longest pause within this many seconds before its end
MIN_WINDOW_S = 1.0  # a cut closer than this to the resume point is skipped


# ---------------------------------------------------------------------------------------------
# What travels between the driver and the workers
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """A recording as a worker finds it: by `path` when every node sees it (shared storage), else
    by `data`, an object reference to the file's bytes (put once by the driver)."""

    content_hash: str
    suffix: str
    size: int
    path: str | None = None
    data: Any = None  # ray.ObjectRef of bytes; nested in a dataclass, so only fetched when needed

    @property
    def by_reference(self) -> bool:
        return self.data is not None


@dataclass
class Plan:
    """What a worker decided for one recording before any window is decoded."""

    options: transcribe.TranscribeOptions
    duration: float
    cuts: list[float]


@dataclass
class WindowResult:
    segments: list[Segment]
    language: str | None
    language_probability: float | None


@dataclass
class Outcome:
    """One task's result: `value`, or `error` (a user-facing problem with this recording; bugs
    are raised instead). `cpu_s`/`wall_s`: what the task cost on its worker."""

    tag: tuple
    value: Any = None
    error: InterviewMinerError | None = None
    cpu_s: float = 0.0
    wall_s: float = 0.0


def _portable(error: InterviewMinerError) -> InterviewMinerError:
    """The error as a plain InterviewMinerError with the same message and advice: subclasses
    with their own constructor arguments do not always survive pickling on the way back."""
    out = InterviewMinerError(str(error))
    out.hint_cli, out.hint_app = error.hint("cli"), error.hint("app")
    return out


def _run(tag: tuple, work: Callable[[], Any]) -> Outcome:
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        value, error = work(), None
    except InterviewMinerError as e:
        value, error = None, _portable(e)
    return Outcome(tag, value, error, round(time.process_time() - cpu, 3), round(time.perf_counter() - wall, 3))


# ---------------------------------------------------------------------------------------------
# Windows: cut in pauses, so every window can be decoded on its own
# ---------------------------------------------------------------------------------------------


pause_near = transcribe.pause_near  # shared with local lanes (transcribe.lane_bounds)


def window_cuts(path: str, duration: float, window_s: float) -> list[float]:
    """Where a recording's windows meet: near every `window_s` seconds, in a pause (`pause_near`,
    searching at most half a window back, so cuts only increase). Depends on the audio alone, so
    a resumed run cuts where the killed one did."""
    search = min(PAUSE_SEARCH_S, window_s / 2)
    cuts: list[float] = []
    k = 1
    while k * window_s < duration - search:
        cuts.append(pause_near(path, k * window_s, search))
        k += 1
    return cuts


def windows_from(cuts: list[float], start: float) -> list[tuple[float, float | None]]:
    """The windows still to decode from the resume point `start` (the last one runs to the end: None).

    >>> windows_from([59.5, 118.2], 0.0)
    [(0.0, 59.5), (59.5, 118.2), (118.2, None)]
    >>> windows_from([59.5, 118.2], 59.5)
    [(59.5, 118.2), (118.2, None)]
    """
    later = [c for c in cuts if c > start + MIN_WINDOW_S]
    return list(zip([start] + later, later + [None]))


# ---------------------------------------------------------------------------------------------
# The worker: one Ray actor, models loaded once per process
# ---------------------------------------------------------------------------------------------


class Transcriber:
    """A pool member. Models load on first use and stay (`transcribe.load_model` and the voice
    and embedding models are cached per process); recordings sent by reference are written once
    per node under the temp folder, named by their content hash."""

    def __init__(self, cpu_threads: int = 0):
        self.cpu_threads = cpu_threads
        self.folder = Path(tempfile.gettempdir()) / "interview-miner-ray"

    def identity(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "node": ray.util.get_node_ip_address(), "version": package_version(),
                "cuda": transcribe.cuda_device_count()}

    def sees(self, files: list[tuple[str, int]]) -> list[bool]:
        """For each (path, size): is that file here with that size?"""
        return [os.path.isfile(p) and os.path.getsize(p) == size for p, size in files]

    def for_hardware(self, options: transcribe.TranscribeOptions) -> transcribe.TranscribeOptions:
        return transcribe.for_hardware(options)

    def local_path(self, recording: Recording) -> str:
        if recording.path and os.path.isfile(recording.path) and os.path.getsize(recording.path) == recording.size:
            return recording.path
        if recording.data is None:
            raise InterviewMinerError(f"recording {recording.content_hash[:12]} is not at {recording.path} on node "
                                      f"{ray.util.get_node_ip_address()} and was not sent (see docs/cluster.md)")
        target = self.folder / f"{recording.content_hash}{recording.suffix}"
        if not (target.is_file() and target.stat().st_size == recording.size):
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f"{target.name}.{os.getpid()}.part")
            partial.write_bytes(ray.get(recording.data))
            os.replace(partial, target)  # atomic: actors on one node share the copy
        return str(target)

    def forget(self, content_hashes: list[str]) -> None:
        """Remove the copies of these recordings from this node's temp folder."""
        for h in content_hashes:
            for f in self.folder.glob(f"{h}*"):
                f.unlink(missing_ok=True)

    def plan(self, tag: tuple, interview: Interview, recording: Recording, options: transcribe.TranscribeOptions,
             window_s: float) -> Outcome:
        def work() -> Plan:
            here = replace(interview, stored_path=self.local_path(recording))
            own = pipeline.interview_options(here, options)  # may listen for the language first
            duration = interview.duration or capture.decoded_duration(here.stored_path)
            return Plan(own, duration, window_cuts(here.stored_path, duration, window_s))

        return _run(tag, work)

    def window(self, tag: tuple, recording: Recording, options: transcribe.TranscribeOptions,
               start: float, end: float | None, language: str | None) -> Outcome:
        def work() -> WindowResult:
            audio = capture.read_audio(self.local_path(recording), start, end)
            if len(audio) == 0:
                return WindowResult([], None, None)
            model = transcribe.load_model(options.model, options.compute_type, cpu_threads=self.cpu_threads)
            segments, info = transcribe.transcribe_window(model, audio, start, options, language)
            kept = list(segments)
            return WindowResult(kept, info.language, round(float(info.language_probability), 3))

        return _run(tag, work)

    def decode(self, tag: tuple, audio: np.ndarray, offset: float, options: transcribe.TranscribeOptions,
               language: str | None) -> Outcome:
        """One window of audio the driver sends (a side of a call, its channel already gated:
        `lanes` on the driver decides what each side hears), decoded as `transcribe_window` does."""
        def work() -> WindowResult:
            model = transcribe.load_model(options.model, options.compute_type, cpu_threads=self.cpu_threads)
            segments, info = transcribe.transcribe_window(model, audio, offset, options, language)
            return WindowResult(list(segments), info.language, round(float(info.language_probability), 3))

        return _run(tag, work)

    def speakers(self, tag: tuple, recording: Recording, segments: list[Segment], n_speakers: int | None,
                 profile: np.ndarray | None) -> Outcome:
        return _run(tag, lambda: speakers.assign_speakers(self.local_path(recording), segments,
                                                          n_speakers=n_speakers, interviewer_profile=profile))

    def embed(self, spec: str | None, backend: str | None, texts: list[str]) -> tuple[str, np.ndarray]:
        if (spec, backend) not in _embedders:
            _embedders[spec, backend] = embed_mod.load_embedder(spec, backend)
        model = _embedders[spec, backend]
        return model.name, np.asarray(model.encode(texts), dtype=np.float32)


_embedders: dict[tuple, Any] = {}  # per worker process, like transcribe.load_model's cache
