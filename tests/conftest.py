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


# Tests that run real models or subprocesses for more than a few seconds, measured with
# `pytest --durations=0 -m "not slow"` (2 shared cores; see tests/test_docs.py for the check that
# every name here is a real test). Marked here rather than with a decorator at each test because
# several people edit these files at once; a new slow test may use `@pytest.mark.slow` directly.
# The first test to load MiniLM or spaCy pays a few seconds of loading: that stays in the quick loop.
SLOW_TESTS = {
    "test_capture.py": {"test_list_json_contract", "test_db_from_environment_variable"},
    "test_eval.py": {"test_heldout_reference_transcripts_meet_category_and_nps_targets", "test_eval_cli_json",
                     "test_mine_and_categorize_cli"},
    "test_export.py": {"test_exports_are_byte_identical_for_the_same_study"},
    "test_mining.py": {"test_theme_ids_and_edits_survive_a_new_interview", "test_themes_are_deterministic",
                       "test_themes_group_the_same_idea_across_interviews", "test_unthemed_share_is_bounded",
                       "test_near_identical_vectors_do_not_break_clustering", "test_thousands_of_identical_quotes",
                       "test_categories_on_realistic_question_answer_pairs", "test_single_interview_single_quote",
                       "test_question_is_strongest_but_quote_decides_probes",
                       "test_corrections_are_kept_and_move_similar_quotes"},
    "test_personas.py": {"test_cli_personas_workflow"},
    "test_review.py": {"test_researcher_nps_score_wins_over_mining_and_is_validated"},
    "test_speakers.py": {"test_interviewer_profile_decides_roles_where_text_misleads",
                         "test_stereo_channels_put_words_on_their_side", "test_one_voice_is_not_split_in_two",
                         "test_three_voices_with_n_speakers_3", "test_merged_turns_are_split_at_word_times"},
    "test_transcribe.py": {"test_unknown_interview_id_is_reported", "test_vocabulary_hints_spell_product_names",
                           "test_missing_model_path_is_a_clear_error"},
    "test_worker.py": {"test_start_job_runs_a_detached_worker_and_resume_reruns_the_same_row"},
}


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects by mark
def pytest_collection_modifyitems(config, items):
    for item in items:
        if getattr(item, "originalname", item.name) in SLOW_TESTS.get(item.path.name, ()):
            item.add_marker(pytest.mark.slow)


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


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.1) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass (tests waiting on a worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
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
