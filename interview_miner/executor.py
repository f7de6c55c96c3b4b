"""Where the heavy work runs: `local` (this process, the default) or `ray` (a Ray cluster).

Transcription, speaker labelling and sentence embedding are embarrassingly parallel per recording
and per window; the store and the mining are not the bottleneck. So instead of growing the job
worker into a scheduler, the `ray` executor hands those stages to Ray (`ray_executor`), an existing
distributed engine, while this process stays the only writer of the study's SQLite file.

Ray is an optional extra (`pip install 'interview-miner[cluster]'`): nothing here imports it, and
asking for the `ray` executor without it installed is a `RayUnavailableError` that says how to
install it. The setting reaches every surface through one dataclass: `--executor ray
[--ray-address ADDRESS]` on `transcribe` and `run`, the `executor`/`ray_address` params of the
app's background jobs, and `INTERVIEW_MINER_EXECUTOR` (so `INTERVIEW_MINER_EXECUTOR=ray
interview-miner app` sends the app's jobs to the cluster).

    >>> ExecutorSettings().is_ray, ExecutorSettings("ray", address="10.0.0.5:6379").is_ray
    (False, True)
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InterviewMinerError

if TYPE_CHECKING:  # pragma: no cover
    from .mining import Miner

EXECUTORS = ("local", "ray")
EXECUTOR_ENV = "INTERVIEW_MINER_EXECUTOR"
INSTALL_HINT = "pip install 'interview-miner[cluster]'"


class RayUnavailableError(InterviewMinerError):
    """The `ray` executor was asked for, but Ray is not installed here."""

    hint_cli = f"{INSTALL_HINT} (or run with --executor local)"
    hint_app = f"install interview-miner's cluster extra ({INSTALL_HINT}), or unset {EXECUTOR_ENV}"


class ClusterUnreachableError(InterviewMinerError):
    """Ray is installed but the cluster at the given address does not answer."""

    hint_cli = "check the address (`ray status` on the head node prints it), or leave --ray-address out to run a local Ray"
    hint_app = f"check RAY_ADDRESS, or unset {EXECUTOR_ENV} to transcribe on this machine"


def default_kind() -> str:
    """The executor when none is given: $INTERVIEW_MINER_EXECUTOR, else `local`."""
    return os.environ.get(EXECUTOR_ENV) or "local"


@dataclass(frozen=True)
class ExecutorSettings:
    """How and where to run the heavy stages.

    `address`: a Ray cluster (`HOST:6379` from inside the cluster's network, `ray://HOST:10001`
    through the Ray Client, `auto`); None: Ray's own RAY_ADDRESS, else a Ray started on this
    machine. `workers`: actors in the pool (None: one per `cpus_per_worker` CPUs of the cluster,
    or one per GPU). `cpus_per_worker`: CPUs (CTranslate2 threads) each actor reserves.
    `gpus_per_worker`: None: 1 when the cluster has GPUs (then the pool is one actor per GPU,
    CUDA float16), else 0 (CPU int8). `window_s`: seconds of audio per task on long recordings
    (None: pipeline.WINDOW_S). `task_timeout_s`: give up when no result arrives for this long.
    """

    kind: str = "local"
    address: str | None = None
    workers: int | None = None
    cpus_per_worker: float = 2.0
    gpus_per_worker: float | None = None
    window_s: float | None = None
    task_timeout_s: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise InterviewMinerError(f"unknown executor {self.kind!r} (one of: {', '.join(EXECUTORS)})")
        if self.workers is not None and int(self.workers) < 1:
            raise InterviewMinerError(f"a Ray pool needs at least one worker, got {self.workers}")
        if self.window_s is not None and float(self.window_s) < 5:
            raise InterviewMinerError(f"a window must be at least 5 s of audio, got {self.window_s}")

    @property
    def is_ray(self) -> bool:
        return self.kind == "ray"

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ExecutorSettings:
        """From a job's params (`executor`, `ray_address`, `ray_workers`), the environment filling in."""
        return cls(kind=params.get("executor") or default_kind(), address=params.get("ray_address") or None,
                   workers=params.get("ray_workers") or None)

    def miner(self, embed_model: str | None = None, second_hearing: bool = True) -> Miner:
        """The Miner for this executor: mining always runs here; with Ray, the sentence embeddings
        of new quotes are computed on the cluster (`ray_executor.ClusterMiner`)."""
        if not self.is_ray:
            from .mining import Miner

            return Miner(embed_model=embed_model, second_hearing=second_hearing)
        require_ray()
        from .ray_executor import ClusterMiner

        return ClusterMiner(self, embed_model=embed_model, second_hearing=second_hearing)


def require_ray():
    """The `ray` module, or RayUnavailableError with the install hint."""
    try:
        import ray
    except ImportError:
        raise RayUnavailableError("the ray executor needs Ray, which is not installed") from None
    return ray
