"""CLI conventions: --version, --json (one readable document on stdout), -q/-v through logging,
exit statuses (one line for errors, 130 for Ctrl-C, `eval --check`), `app`, and where a worker logs.

Commands run in-process through `cli.main` where that is enough, and as real processes where the
exit status of the process itself is what is tested.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import free_port, wait_for_streamlit
from interview_miner import cli, console, evaluate, worker
from interview_miner.store import Store

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "interview-anna.txt"
JFK = REPO / "tests" / "data" / "speech" / "jfk.flac"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_version_comes_from_the_package_metadata(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"interview-miner {version('interview-miner')}"


def test_add_json_is_one_document_with_readable_non_ascii(tmp_path, capsys):
    db = tmp_path / "study.db"
    code, out, err = run(capsys, "add", SAMPLE, "--db", db, "--participant", "Zoë Müller",
                         "--meta", "company=Acme, Inc.", "--meta", "note=a=b", "--json")
    assert code == 0
    doc = json.loads(out)  # nothing else on stdout
    assert [i["participant"] for i in doc["added"]] == ["Zoë Müller"]
    assert "Zoë Müller" in out  # not \u00eb escapes
    assert "added 1: interview-anna.txt" in err  # the human line moved to stderr
    metadata = Store(db).list_interviews()[0].metadata
    assert (metadata["company"], metadata["note"]) == ("Acme, Inc.", "a=b")

    code, out, _ = run(capsys, "list", "--db", db, "--json")
    assert code == 0 and json.loads(out)["interviews"][0]["participant"] == "Zoë Müller" and "Zoë" in out


def test_commands_that_print_data_take_json(tmp_path, capsys):
    db = tmp_path / "study.db"
    run(capsys, "add", SAMPLE, "--db", db)
    code, out, _ = run(capsys, "transcribe", "--db", db, "--json")
    assert code == 0 and json.loads(out) == {"schema_version": 1, "transcribed": [], "errors": []}
    code, out, _ = run(capsys, "nps", "--db", db, "--json")
    assert code == 0 and [row["file_name"] for row in json.loads(out)["nps"]] == ["interview-anna.txt"]
    code, out, _ = run(capsys, "nps", "1", "9", "--db", db, "--json")
    assert code == 0 and json.loads(out) == {"schema_version": 1, "id": 1, "score": 9}


def test_bad_metadata_is_one_line_and_adds_nothing(tmp_path, capsys):
    db = tmp_path / "study.db"
    code, out, err = run(capsys, "add", SAMPLE, "--db", db, "--meta", "role Manager")
    assert code == 1
    assert err.strip() == "error: --meta must be KEY=VALUE: role Manager"
    assert Store(db).list_interviews() == []


def test_quiet_keeps_errors_and_turns_progress_off(tmp_path, capsys):
    db = tmp_path / "study.db"
    run(capsys, "add", SAMPLE, "--db", db)
    code, out, err = run(capsys, "-q", "transcribe", "7", "--db", db)
    assert code == 1 and "interview 7" in err
    assert not console.show_progress()
    run(capsys, "list", "--db", db)
    assert console.show_progress()


@pytest.mark.slow
def test_quiet_transcription_shows_no_progress_bar(tmp_path):
    def transcribe(*flags):
        db = tmp_path / f"study{len(flags)}.db"
        subprocess.run([sys.executable, "-m", "interview_miner", "add", str(JFK), "--db", str(db)], check=True,
                       capture_output=True)
        return subprocess.run([sys.executable, "-m", "interview_miner", "transcribe", "--db", str(db), *flags],
                              capture_output=True, text=True, timeout=600)

    loud, quiet = transcribe(), transcribe("-q")
    assert loud.returncode == quiet.returncode == 0
    assert "s audio" in loud.stderr  # the progress bar
    assert "s audio" not in quiet.stderr and "transcribed 1: jfk.flac" in quiet.stdout


def test_a_file_that_is_not_a_study_is_one_line_not_a_traceback(tmp_path, capsys):
    db = tmp_path / "notes.db"
    db.write_bytes(b"this is not a database, just some notes\n" * 200)
    code, _, err = run(capsys, "list", "--db", db)
    assert code == 1
    assert err.startswith("error: ") and "not a study" in err and len(err.strip().splitlines()) == 1


def test_verbose_adds_the_traceback(tmp_path, capsys):
    db = tmp_path / "notes.db"
    db.write_bytes(b"this is not a database, just some notes\n" * 200)
    code, _, err = run(capsys, "list", "--db", db, "-v")
    assert code == 1 and "Traceback" in err


def test_a_missing_module_is_one_line_with_an_install_hint(capsys):
    console.setup_logging(0)
    code = console.run_command(lambda: __import__("interview_miner_no_such_module"))
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: missing Python module 'interview_miner_no_such_module'")
    assert "pip install" in err and "Traceback" not in err


def test_ctrl_c_exits_130(capsys):
    def interrupted():
        raise KeyboardInterrupt

    assert console.run_command(interrupted) == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def test_help_has_examples_and_the_environment():
    text = cli.build_parser().format_help()
    assert "examples:" in text and "INTERVIEW_MINER_RECORDINGS" in text and "exit status" in text
    add_help = cli.build_parser()._subparsers._group_actions[0].choices["add"].format_help()
    assert "interview-miner add calls/ --meta" in add_help


@pytest.mark.slow
def test_app_command_serves_the_study_and_ctrl_c_exits_130(tmp_path):
    db = tmp_path / "elsewhere" / "clinics.db"
    db.parent.mkdir()
    port = free_port()
    log = tmp_path / "app.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "interview_miner", "app", "--db", str(db), "--port", str(port)],
            cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_for_streamlit(port, proc, log)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
def test_eval_check_exits_1_exactly_when_a_target_is_missed(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "interview_miner", "eval", str(REPO / "tests" / "data" / "heldout"),
         "--reference-transcripts", "--json", "--check"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    result = json.loads(proc.stdout)
    assert proc.returncode == (1 if evaluate.missed_targets(result) else 0), proc.stderr


@pytest.mark.slow
def test_worker_logs_to_a_file_beside_the_study(tmp_path):
    db = tmp_path / "study.db"
    Store(db).close()
    job_id = worker.start_job(db, "personas")
    deadline = time.monotonic() + 120
    while worker.job_state(Store(db).get_job(job_id)) in worker.ACTIVE and time.monotonic() < deadline:
        time.sleep(0.3)
    assert worker.log_path(job_id, db) == tmp_path / "study.db.logs" / f"job-{job_id}.log"
    text = worker.read_log(db, job_id)
    assert f"job {job_id} started" in text and f"job {job_id} done" in text
    assert worker.read_log(db, job_id + 1) == ""
