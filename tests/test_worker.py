"""The job runner: progress in the jobs table, detached workers, interrupted jobs, one job at a time."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import shared_path, wait_for
from corpus_fixture import load_literal_study
from stages import replaying_miner
from interview_miner import pipeline, whole_job, worker
from interview_miner.errors import InterviewMinerError
from interview_miner.store import Store

HELDOUT = Path(__file__).parent / "data" / "heldout"


@pytest.fixture
def study(store):
    load_literal_study(store)
    return store


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_run_job_inline_records_progress_and_summary(study):
    job_id = study.create_job("personas", {})
    job = worker.run_job(study, job_id)
    assert job.status == "done" and job.progress == 1.0
    assert job.message == "2 personas suggested" and job.error is None
    assert len(study.personas()) == 2


def test_process_job_runs_the_steps_in_order_with_one_progress_bar(study, monkeypatch):
    """transcribe -> mine -> personas through `whole_job.process`, each step in its share of one
    bar; the mining stages are swapped by passing a Miner, not by patching modules."""
    seen = []
    progress = lambda: round(study.get_job(job_id).progress, 4)  # noqa: E731

    def fake_transcribe(store, ids, options, n_speakers=2, on_progress=None, **kw):
        on_progress(0.5, "half way")
        seen.append(("transcribe", progress()))
        return pipeline.Report(errors=["broken.mp3: no speech detected in the recording"])

    monkeypatch.setattr(pipeline, "transcribe_interviews", fake_transcribe)  # no audio in this study
    monkeypatch.setattr(worker, "PROGRESS_EVERY_S", 0.0)
    before = sorted(q.id for q in study.quotes())
    miner = replaying_miner(study, on_stage=lambda name: seen.append((name, progress())))
    job_id = study.create_job("process", {})
    job = worker.run_job(study, job_id, miner=miner)
    assert [s[0] for s in seen] == ["transcribe", "themes", "personas"]
    assert seen[0][1] == pytest.approx(0.35)  # half of the transcription share (0..0.7)
    assert seen[1][1] == pytest.approx(0.7 + 0.27 * 0.75)  # mining, categories done (0.7..0.97)
    assert seen[2][1] == pytest.approx(0.97)  # personas start where mining ended
    assert job.status == "done" and job.progress == 1.0
    assert job.message == ("0 interviews transcribed; 8 themes found (note: 4 of 20 quotes (20%) fit no theme); "
                           "2 personas suggested")
    assert job.error == "broken.mp3: no speech detected in the recording"  # the file and why
    assert sorted(q.id for q in study.quotes()) == before  # the replaying stages were the ones used


def test_a_failing_step_marks_the_job_failed_with_the_reason(study):
    job = worker.run_job(study, study.create_job("mine", {"embed_model": "/nope"}))
    assert job.status == "failed" and job.error == "embedding model /nope: no such folder"
    assert study.quotes(), "nothing was replaced"


def test_job_state_detects_a_dead_worker_as_interrupted(study):
    job_id = study.create_job("personas", {})
    study.update_job(job_id, status="running", pid=dead_pid(), progress=0.4)
    assert worker.job_state(study.get_job(job_id)) == "interrupted"
    assert worker.active_job(study) is None
    job, state = worker.recent_jobs(study)[0]
    assert (job.id, state) == (job_id, "interrupted")


def test_start_job_runs_a_detached_worker_and_resume_reruns_the_same_row(study):
    job_id = worker.start_job(study.path, "personas", {})
    assert wait_for(lambda: study.get_job(job_id).status in ("done", "failed"), timeout=60)
    job = study.get_job(job_id)
    assert job.status == "done", job.error
    assert job.pid and wait_for(lambda: not worker.pid_alive(job.pid), timeout=10)  # exits and is reaped
    assert len(study.personas()) == 2

    study.update_job(job_id, status="running", pid=dead_pid())  # as if the machine had restarted
    assert worker.resume_job(study.path, job_id) == job_id
    assert wait_for(lambda: study.get_job(job_id).status == "done", timeout=60)


def test_only_one_job_runs_per_study_and_stop_asks_the_worker_to_end(study):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "interview_miner.worker"],
                               start_new_session=True)
    try:
        running = study.create_job("transcribe", {})
        study.update_job(running, status="running", pid=sleeper.pid)
        assert worker.job_state(study.get_job(running)) == "running"
        assert worker.start_job(study.path, "mine", {}) == running  # no second worker
        assert len(study.list_jobs()) == 1
        assert worker.stop_job(study, running)
        sleeper.wait(timeout=10)
        assert worker.job_state(study.get_job(running)) == "interrupted"
    finally:
        sleeper.kill()


def test_unknown_kind_is_refused(study):
    with pytest.raises(ValueError):
        worker.start_job(study.path, "dance", {})


def test_worker_command_line_runs_one_job(study):
    job_id = study.create_job("personas", {})
    assert worker.main(["--db", study.path, "--job", str(job_id)]) == 0
    assert study.get_job(job_id).status == "done"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_killed_transcription_is_interrupted_and_resumes_from_stored_segments(store):
    audio = shared_path("corpus", "dev", "dev03.m4a")
    interview = pipeline.add_files(store, [str(audio)], participant="Marcus Bell").added[0]
    job_id = worker.start_job(store.path, "transcribe", {})
    done_so_far = lambda: getattr(store.get_transcription(interview.id), "committed_until", 0)  # noqa: E731
    assert wait_for(lambda: done_so_far() > 25, timeout=180, interval=0.2), store.get_job(job_id)
    assert 0 < store.get_job(job_id).progress < 1 and "dev03.m4a" in store.get_job(job_id).message
    os.killpg(store.get_job(job_id).pid, signal.SIGKILL)  # the machine "restarts"
    assert wait_for(lambda: worker.job_state(store.get_job(job_id)) == "interrupted", timeout=10)
    kept = store.segments(interview.id, apply_edits=False)
    assert kept, "segments stored before the kill are kept"

    assert worker.resume_job(store.path, job_id) == job_id
    assert wait_for(lambda: store.get_job(job_id).status in ("done", "failed"), timeout=240)
    job = store.get_job(job_id)
    assert (job.status, job.error) == ("done", None)
    assert store.get_interview(interview.id).status == "transcribed"
    segments = store.segments(interview.id)
    # not redone: every segment kept from before the kill (from any lane) is still there, as it was
    # (the speaker stage may refine its times, not its words)
    assert {s.text for s in kept} <= {s.text for s in segments}
    assert all(a.start < b.start for a, b in zip(segments, segments[1:]))  # nothing twice
    assert segments[-1].end > 140


@pytest.mark.slow
def test_run_command_is_the_same_orchestrator_end_to_end(tmp_path, capsys):
    """`interview-miner run` on two transcripts: add -> transcribe (nothing to do) -> mine ->
    personas -> export, through `whole_job.process`, printing each step as it ends."""
    from interview_miner import cli, evaluate

    folder = tmp_path / "transcripts"
    folder.mkdir()
    for path, truth in evaluate.load_truths(HELDOUT)[:2]:
        name = truth["participant"]["name"]
        lines = [f"{'Interviewer' if t['speaker'] == 'interviewer' else name}: {t['text']}" for t in truth["turns"]]
        (folder / f"{path.stem}.txt").write_text("\n\n".join(lines), encoding="utf-8")
    db, out = tmp_path / "study.db", tmp_path / "out"
    assert cli.main(["run", str(folder), "--db", str(db), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == ["added 2 new, 0 already in the study", "transcribed 0"]
    assert printed[2].startswith("mined ") and " quotes into " in printed[2]
    assert printed[3] in ("suggested 1 persona", "suggested 2 personas")
    assert printed[4] == f"wrote report.md, report.html, report.pdf, study.json, quotes.csv and transcripts/ to {out}"
    assert {p.name for p in out.iterdir()} == {name for _, name in whole_job.EXPORT_FILES}
    store = Store(db)
    assert len(store.list_interviews()) == 2 and store.quotes() and store.personas()
    store.close()


def test_process_refuses_unknown_steps_and_export_without_a_folder():
    with pytest.raises(ValueError, match="dance"):
        whole_job.ProcessRequest(steps=("add", "dance"))
    with pytest.raises(ValueError, match="export_dir"):
        whole_job.ProcessRequest(steps=("export",))
