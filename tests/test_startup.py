"""Start-up cost of the CLI, checked by what gets imported rather than by a clock (a clock on 2
shared cores proves nothing). Every `interview-miner` call pays for its imports before it does any
work: pandas (pulled in by sqlite-utils), fpdf, torch, scikit-learn, spaCy or Streamlit cost 0.3-1.5 s
each. Parsing arguments (`--help`, `--version`, a mistyped option) must load none of them, and a
command loads only what it uses: `transcribe` opens the study (sqlite-utils, so pandas) and Whisper,
never the PDF writer, the app or the NLP models. Each case runs in a fresh interpreter, since the
test process itself has imported everything by now.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Each of these takes 0.3 s or more to import on the project's 2-core machine.
HEAVY = ("pandas", "sqlite_utils", "fpdf", "torch", "sklearn", "scipy", "spacy", "streamlit",
         "sentence_transformers", "onnxruntime", "transformers")
# What a command that opens a study must still not load just for that.
NOT_FOR_A_STUDY = tuple(m for m in HEAVY if m not in ("pandas", "sqlite_utils"))

PROBE = """
import json, sys
from interview_miner.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as e:  # --help, --version and parse errors end in argparse's exit
    code = e.code
print("\\nIMPORTED " + json.dumps(sorted(m for m in json.loads(sys.argv[1]) if m in sys.modules)))
"""


def heavy_imports(args: list[str], tmp_path: Path, watch: tuple[str, ...] = HEAVY) -> list[str]:
    """The `watch` modules imported by one `interview-miner ARGS` call in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "INTERVIEW_MINER_DB": str(tmp_path / "study.db"), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(watch), *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    line = next((x for x in reversed(proc.stdout.splitlines()) if x.startswith("IMPORTED ")), None)
    assert line is not None, proc.stdout + proc.stderr
    return json.loads(line.removeprefix("IMPORTED "))


def test_importing_the_cli_loads_no_heavy_library(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = f"import interview_miner.cli, sys; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["transcribe", "--help"], ["personas", "--help"],
                                  ["transcribe", "--speakers", "0"]],
                         ids=["help", "version", "transcribe-help", "personas-help", "bad-option"])
def test_parsing_arguments_loads_no_heavy_library(args, tmp_path):
    assert heavy_imports(args, tmp_path) == []
    assert not (tmp_path / "study.db").exists()  # nor opens a study


def test_a_command_loads_only_what_it_uses(tmp_path):
    # `transcribe` with nothing to do runs the command's whole set-up (study, options, hardware
    # check) and stops before Whisper: the study may cost pandas (sqlite-utils imports it), the
    # rest may not.
    assert heavy_imports(["transcribe"], tmp_path, NOT_FOR_A_STUDY) == []
    assert (tmp_path / "study.db").exists()
    assert heavy_imports(["list"], tmp_path, NOT_FOR_A_STUDY) == []
