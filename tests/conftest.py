"""Shared fixtures: real temporary SQLite studies, the real speech clips shipped in tests/data, and
the shared data folder beside the repository (tests that need it skip when it is absent).

Quick loop: `pytest -m "not slow"`. `INTERVIEW_MINER_SHARED_DATA=/nowhere pytest ...` runs the
suite as a clone without ../shared would (see tests/data/README.md for what ships).
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
SHARED_DATA = Path(os.environ.get("INTERVIEW_MINER_SHARED_DATA") or REPO.parent / "shared" / "data")


def shared_path(*parts: str) -> Path:
    """A data file: the copy shipped under tests/data (same relative path) when there is one, so a
    clone runs the real-speech tests; else the file under ../shared/data, or skip the test with
    the reason. Folders (the labelled corpus) always come from ../shared/data: only a few files
    of them ship."""
    shipped = TEST_DATA.joinpath(*parts)
    if shipped.is_file():
        return shipped
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (clone has no ../shared/data)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_streamlit(port: int, proc: subprocess.Popen, log: Path, timeout: float = 90) -> str:
    """Wait until the Streamlit server `proc` answers its health check; returns its URL. Fails the
    test with the end of `log` when the server exits or does not answer in time."""
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"streamlit did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.3)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not available at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def corpus_dir() -> Path:
    return shared_path("corpus", "dev")


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh study database in a temporary folder (recordings go beside it)."""
    from interview_miner.store import Store

    monkeypatch.delenv("INTERVIEW_MINER_RECORDINGS", raising=False)
    s = Store(tmp_path / "study.db")
    yield s
    s.close()
