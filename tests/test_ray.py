"""The `ray` executor (issue 15) against a real local Ray cluster started inside the tests.

The cluster (`ray start --head` on 127.0.0.1, 2 CPUs) is started once for the module and torn
down after it; every recording is a short clip shipped in tests/data, so the module stays within
CI's time budget on two cores. What is checked: Ray's transcripts equal the local executor's; a
worker killed mid-task changes nothing in the stored transcript (no segment lost or doubled); a
driver killed mid-run is resumed by the next `transcribe`, which submits only the missing windows.
The quick tests (no cluster) check the install hint and the idempotent window commit.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO, free_port, wait_for
from interview_miner import capture, cli, pipeline, transcribe
from interview_miner.errors import InterviewMinerError
from interview_miner.executor import ExecutorSettings, RayUnavailableError, require_ray
from interview_miner.models import Segment
from interview_miner.store import Store

SPEECH = REPO / "tests" / "data" / "speech"
DEV03 = REPO / "tests" / "data" / "browser-study" / "dev03.m4a"  # 145 s, two voices
WINDOW_S = 12.0  # the long clip below becomes four windows


# ---------------------------------------------------------------------------------------------
# Quick: no cluster
# ---------------------------------------------------------------------------------------------


def test_without_ray_the_executor_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # what a machine without the extra sees
    with pytest.raises(RayUnavailableError):
        require_ray()
    code = cli.main(["transcribe", "--db", str(tmp_path / "s.db"), "--executor", "ray"])
    assert code == 1
    assert "pip install 'interview-miner[cluster]'" in capsys.readouterr().err


def test_ray_address_without_the_ray_executor_is_refused(tmp_path, capsys):
    assert cli.main(["transcribe", "--db", str(tmp_path / "s.db"), "--ray-address", "10.0.0.5:6379"]) == 1
    assert "--ray-address needs --executor ray" in capsys.readouterr().err


def test_a_window_is_committed_once_and_only_after_the_one_before_it(tmp_path):
    pytest.importorskip("ray")
    from interview_miner.ray_executor import commit_window

    store = Store(tmp_path / "s.db")
    interview = store.add_interview(_interview("a" * 64))
    pipeline.start_transcription(store, interview, transcribe.TranscribeOptions())
    first = [Segment(0.5, 4.0, "hello there"), Segment(5.0, 9.0, "how are you")]
    with pytest.raises(Exception, match="does not follow"):
        commit_window(store, interview.id, 10.0, 20.0, [Segment(11, 12, "later")], last=False)
    assert commit_window(store, interview.id, 0.0, 10.0, first, last=False)
    assert not commit_window(store, interview.id, 0.0, 10.0, first, last=False)  # a retried task's result
    assert commit_window(store, interview.id, 10.0, 20.0, [Segment(11, 12, "later")], last=True)
    assert not commit_window(store, interview.id, 10.0, 20.0, [Segment(11, 12, "later")], last=True)
    assert [s.text for s in store.segments(interview.id)] == ["hello there", "how are you", "later"]
    state = store.get_transcription(interview.id)
    assert state.completed and state.committed_until == 20.0

    split = store.add_interview(_interview("b" * 64))  # a window boundary that fell inside a sentence
    pipeline.start_transcription(store, split, transcribe.TranscribeOptions())
    assert commit_window(store, split.id, 0.0, 9.9, first, last=False, cuts=[9.9])
    assert commit_window(store, split.id, 9.9, 20.0, [Segment(9.95, 12, "today?")], last=True, cuts=[9.9])
    assert [s.text for s in store.segments(split.id)] == ["hello there", "how are you today?"]


def test_the_apps_jobs_choose_the_executor_from_params_or_the_environment(monkeypatch):
    from interview_miner import worker

    monkeypatch.delenv("INTERVIEW_MINER_EXECUTOR", raising=False)
    assert not worker.process_request("process", {}).executor.is_ray
    request = worker.process_request("transcribe", {"executor": "ray", "ray_address": "10.0.0.5:6379"})
    assert request.executor.is_ray and request.executor.address == "10.0.0.5:6379"
    monkeypatch.setenv("INTERVIEW_MINER_EXECUTOR", "ray")
    assert worker.process_request("mine", {}).executor.is_ray
    monkeypatch.setenv("INTERVIEW_MINER_EXECUTOR", "spark")
    with pytest.raises(InterviewMinerError, match="unknown executor 'spark'"):
        worker.process_request("mine", {})


def _interview(content_hash: str, path: str | None = None, duration: float = 20.0):
    from interview_miner.models import Interview

    return Interview(id=None, content_hash=content_hash, file_name="a.wav", kind="audio", stored_path=path,
                     duration=duration)


# ---------------------------------------------------------------------------------------------
# Slow: a real Ray cluster on 127.0.0.1
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """A Ray head node on 127.0.0.1 with 2 CPUs, in its own process group (killed at the end, and
    only it). Its workers import this checkout of interview_miner (PYTHONPATH)."""
    pytest.importorskip("ray")
    temp = tempfile.mkdtemp(prefix="imray-", dir="/tmp")  # short: Ray's socket paths have a length limit
    port = free_port()
    # Ray's token authentication with a token of this test's own (not ~/.ray/auth_token): the head,
    # this process and the driver subprocess all read it from the environment.
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_ADDRESS")}
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32))
    os.environ.pop("RAY_AUTH_TOKEN_PATH", None)
    os.environ.pop("RAY_ADDRESS", None)
    _reload_ray_auth()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    head = subprocess.Popen(
        [str(Path(sys.executable).parent / "ray"), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
         "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"],
        env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    out, _ = head.communicate(timeout=180)
    assert head.returncode == 0, out
    address = f"127.0.0.1:{port}"
    try:
        yield address
    finally:
        from interview_miner import ray_executor

        ray_executor.shutdown()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(head.pid, sig)
            except ProcessLookupError:
                break
            time.sleep(3)
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        _reload_ray_auth()


def _reload_ray_auth() -> None:
    """Make this process read the authentication settings from the environment again (Ray reads
    them once, and another test may have imported Ray already). Ray versions without token
    authentication have nothing to reload."""
    try:
        from ray._private.authentication_test_utils import reset_auth_token_state
    except ImportError:
        return
    reset_auth_token_state()


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """The first 48 s of a shipped two-voice interview, as WAV: four windows of WINDOW_S."""
    import soundfile

    path = tmp_path_factory.mktemp("clips") / "dev03-48s.wav"
    soundfile.write(path, capture.read_audio(DEV03, 0.0, 48.0), transcribe.SAMPLE_RATE)
    return path


def _settings(address: str, window_s: float | None = None) -> ExecutorSettings:
    return ExecutorSettings("ray", address=address, workers=2, cpus_per_worker=1, window_s=window_s,
                            task_timeout_s=240)


def _study(path: Path, files: list[Path]) -> Store:
    store = Store(path)
    report = pipeline.add_files(store, [str(f) for f in files])
    assert report.ok, report.errors
    return store


def _transcript(store: Store, interview_id: int) -> list[tuple]:
    return [(s.index, s.start, s.end, s.speaker, s.text, tuple(s.flags)) for s in store.segments(interview_id)]


@pytest.fixture(scope="module")
def reference(cluster, long_clip, tmp_path_factory):
    """The long clip transcribed through Ray without interruption: what the runs below must equal."""
    store = _study(tmp_path_factory.mktemp("ref") / "ref.db", [long_clip])
    report = pipeline.transcribe_interviews(store, executor=_settings(cluster, WINDOW_S))
    assert report.ok and len(report.windows[1]) == 4, (report.errors, report.windows)
    return _transcript(store, 1), [(w.start, w.end) for s in store.segments(1) for w in s.words]


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_ray_transcripts_equal_the_local_executors(cluster, tmp_path):
    clips = [SPEECH / "jfk.flac", SPEECH / "stereo_diarization.wav", SPEECH / "hotwords.mp3"]
    local = _study(tmp_path / "local.db", clips)
    assert pipeline.transcribe_interviews(local).ok
    on_ray = _study(tmp_path / "ray.db", clips)
    report = pipeline.transcribe_interviews(on_ray, executor=_settings(cluster))
    assert report.ok, report.errors
    assert len(report.done) == 3 and set(report.sent.values()) == {"path"}  # one machine: every node sees the file
    # The stereo clip has a person per channel: the driver runs its two sides as local lanes
    # (each channel gated where only the other side leaks in) and the pool decodes their windows,
    # one per side here; its transcript is the local one too.
    assert [on_ray.get_interview(i).file_name for i in report.sent] == ["jfk.flac", "hotwords.mp3"]
    mixed_windows = sum(len(w) for w in report.windows.values())
    assert len(report.window_costs) == mixed_windows + 2 and report.worker_cpu_s > 0
    for interview in local.list_interviews():
        assert on_ray.get_interview(interview.id).language == interview.language
        assert _transcript(on_ray, interview.id) == _transcript(local, interview.id), interview.file_name
    # Nothing left to do: a second run submits nothing.
    again = pipeline.transcribe_interviews(on_ray, executor=_settings(cluster))
    assert again.ok and not again.done and not again.windows


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_windows_are_cut_in_pauses(reference, long_clip):
    from interview_miner.ray_tasks import window_cuts

    transcript, words = reference
    cuts = window_cuts(str(long_clip), 48.0, WINDOW_S)
    assert len(cuts) == 3 and cuts == sorted(cuts)
    assert len(words) > 50
    for cut in cuts:  # no word was cut in two
        assert not any(start < cut - 0.05 and end > cut + 0.05 for start, end in words), cut


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_a_worker_killed_mid_task_loses_and_doubles_nothing(cluster, long_clip, reference, tmp_path):
    from interview_miner import ray_executor

    store = _study(tmp_path / "kill.db", [long_clip])
    settings = _settings(cluster, WINDOW_S)
    pool = ray_executor.pool_for(settings)
    result: dict = {}
    run = threading.Thread(target=lambda: result.update(report=pipeline.transcribe_interviews(
        Store(store.path), executor=settings)))
    run.start()
    watcher = Store(store.path)

    def between_windows() -> bool:  # one window stored, three in flight or queued on both workers
        state = watcher.get_transcription(1)
        return bool(state and state.committed_until > 0 and not state.completed)

    assert wait_for(between_windows, timeout=300, interval=0.02), "no window was ever committed"
    victim = pool.workers[0]["pid"]
    os.kill(victim, signal.SIGKILL)
    run.join(timeout=400)
    assert not run.is_alive()
    report = result["report"]
    assert report.ok, report.errors
    assert _transcript(store, 1) == reference[0]
    assert victim not in {w["pid"] for w in ray_executor.pool_for(settings).all(lambda a: a.identity.remote())}  # restarted
    assert [row[0] for row in reference[0]] == list(range(len(reference[0])))  # indices contiguous: nothing doubled


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_a_killed_driver_is_resumed_by_the_next_transcribe(cluster, long_clip, reference, tmp_path):
    from interview_miner import ray_executor

    ray_executor.shutdown()  # this process's pool would hold the cluster's two CPUs
    db = tmp_path / "driver.db"
    _study(db, [long_clip]).close()
    env = {**os.environ, "INTERVIEW_MINER_WINDOW_S": str(WINDOW_S), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    driver = subprocess.Popen(
        [sys.executable, "-m", "interview_miner", "transcribe", "--db", str(db), "--executor", "ray",
         "--ray-address", cluster, "-q"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    watcher = Store(db)

    def some_windows_committed() -> bool:
        state = watcher.get_transcription(1)
        return bool(state and state.committed_until > 0)

    try:
        assert wait_for(some_windows_committed, timeout=300, interval=0.05), "the driver committed nothing"
    finally:
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait(30)
    state = watcher.get_transcription(1)
    assert not state.completed, "the driver finished before it could be killed"
    resumed_at = state.committed_until
    report = pipeline.transcribe_interviews(watcher, executor=_settings(cluster, WINDOW_S))
    assert report.ok, report.errors
    submitted = report.windows[1]
    assert submitted[0][0] == resumed_at and len(submitted) < 4  # only what was missing
    assert _transcript(watcher, 1) == reference[0]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sentence_embeddings_on_the_cluster_equal_local_ones(cluster):
    import numpy as np

    from interview_miner import embed
    from interview_miner.ray_executor import ClusterEmbedder, ClusterMiner

    texts = [f"We switched tools in month {n} because the reports took {n % 7 + 2} hours a week." for n in range(150)]
    miner = ClusterMiner(_settings(cluster))
    on_cluster = miner.embedder_for([])
    assert isinstance(on_cluster, ClusterEmbedder)
    local = embed.LazyEmbedder(None)
    assert on_cluster.name == local.name  # the same embedding-cache key
    vectors = on_cluster.encode(texts)
    assert vectors.shape == (150, local.dim)
    assert np.allclose(vectors, local.encode(texts), atol=1e-4)
