"""The researcher app (Streamlit): `interview-miner app`, `make app` or `streamlit run app.py`.

It lives inside the package so an installed copy (a wheel, pipx) carries it: `streamlit_app.py` is
the entry script (navigation and sidebar), `app_pages/` the pages, `ui.py` the Streamlit helpers
they share. The core modules never import this subpackage; importing it does not import Streamlit.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

MAIN_SCRIPT = Path(__file__).resolve().with_name("streamlit_app.py")
PAGES_DIR = MAIN_SCRIPT.parent / "app_pages"


def streamlit_command(port: int | None = None) -> list[str]:
    """The command that serves the app: this interpreter's Streamlit on MAIN_SCRIPT. Streamlit
    reads the app's settings (upload limit, theme, no file watcher) from `.streamlit/config.toml`
    beside MAIN_SCRIPT, wherever it is run from.

    >>> streamlit_command(port=8600)[-2:]
    ['--server.port', '8600']
    """
    cmd = [sys.executable, "-m", "streamlit", "run", str(MAIN_SCRIPT)]
    return cmd + (["--server.port", str(port)] if port is not None else [])


def app_environment(db: str | os.PathLike | None = None) -> dict[str, str]:
    """The environment the app runs in: offline models, and the study to open when `db` is given
    (the app reads $INTERVIEW_MINER_DB, like the CLI)."""
    env = {**os.environ}
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    if db is not None:
        env["INTERVIEW_MINER_DB"] = str(Path(db).resolve())
    return env


def serve(db: str | os.PathLike | None = None, port: int | None = None) -> int:
    """Serve the app with this interpreter's Streamlit until it stops; Ctrl-C reaches Streamlit too
    (same process group), which shuts down by itself, and then propagates as KeyboardInterrupt."""
    import subprocess

    import streamlit  # noqa: F401  a missing Streamlit is one line from the CLI, not the child's traceback

    proc = subprocess.Popen(streamlit_command(port), env=app_environment(db))
    try:
        code = proc.wait()
        return 128 - code if code < 0 else code  # killed by signal N: exit 128 + N, as a shell reports it
    except KeyboardInterrupt:
        proc.wait()
        raise
