"""Shared fixtures: real temporary SQLite studies and the shared data folder (skipped if absent)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (clone has no ../shared/data)")
    return path


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.1) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass (tests waiting on a worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


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
