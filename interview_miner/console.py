"""How the command line talks to a person or a script, in one place.

- Data goes to standard output; with `--json` that is exactly one JSON document (non-ASCII kept
  readable), and the human-readable lines a command prints go to standard error instead.
- Progress, notes and per-file errors go through `logging` to standard error: `-q` keeps warnings
  and errors only, `-v` adds debug detail (and tracebacks), `-vv` also other libraries' debug logs.
- Exit status: 0 done, 1 an error the user can act on (one line, no traceback), 2 bad usage
  (argparse), 130 interrupted by Ctrl-C.
- The options every command shares (-q/-v, --json), --version, and the examples and environment
  variables that `--help` shows.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sqlite3
import sys
from collections.abc import Callable, Iterator
from typing import Any

from .errors import InterviewMinerError, describe

log = logging.getLogger("interview_miner")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_PREFIX = {logging.WARNING: "note: ", logging.ERROR: "error: ", logging.CRITICAL: "error: "}


class _Formatter(logging.Formatter):
    """`note: ...` / `error: ...` as the CLI always printed them; info lines bare."""

    def format(self, record: logging.LogRecord) -> str:
        text = _PREFIX.get(record.levelno, "") + record.getMessage()
        if record.exc_info and log.isEnabledFor(logging.DEBUG):
            text += "\n" + self.formatException(record.exc_info)
        return text


def setup_logging(verbosity: int = 0, stream=None) -> None:
    """Wire -q (verbosity -1) / default (0) / -v (1) / -vv (2) to the package's logger."""
    level = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}.get(max(-1, min(verbosity, 1)))
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_Formatter())
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False
    logging.getLogger().setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)


def show_progress() -> bool:
    """Progress bars only when info lines are wanted (not with -q)."""
    return log.isEnabledFor(logging.INFO)


class Output:
    """Where a command's data goes. `json()` writes the one JSON document to the real standard
    output even while `human_to_stderr()` sends the command's printed lines to standard error."""

    def __init__(self) -> None:
        self.data = sys.stdout

    def json(self, value: Any, sort_keys: bool = False) -> None:
        self.data.write(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=sort_keys, default=str) + "\n")
        self.data.flush()

    @contextlib.contextmanager
    def human_to_stderr(self, enabled: bool = True) -> Iterator[None]:
        self.data = sys.stdout
        if not enabled:
            yield
            return
        with contextlib.redirect_stdout(sys.stderr):
            yield


output = Output()


def run_command(func: Callable[[], int | None]) -> int:
    """Run one command and turn every way it can end into an exit status and at most one line."""
    try:
        return func() or EXIT_OK
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (InterviewMinerError, KeyError) as e:  # worded for the terminal, with its hint, in one place
        log.error("%s", describe(e, "cli"), exc_info=True)
    except ModuleNotFoundError as e:
        log.error("missing Python module %r: install interview-miner with its dependencies "
                  "(pip install interview-miner, or scripts/setup.sh in a clone)", e.name, exc_info=True)
    except sqlite3.Error as e:
        log.error("study database: %s (is it an interview-miner study, and writable?)", e, exc_info=True)
    except OSError as e:
        log.error("%s", e, exc_info=True)
    return EXIT_ERROR


# --- what --help and every command share --------------------------------------------------


def package_version() -> str:
    """The installed distribution's version (the package's own constant in a bare checkout)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("interview-miner")
    except PackageNotFoundError:
        from . import __version__

        return __version__


def add_verbosity_options(p: argparse.ArgumentParser, default) -> None:
    p.add_argument("-q", "--quiet", action="count", default=default,
                   help="only warnings and errors: no progress bars or progress lines")
    p.add_argument("-v", "--verbose", action="count", default=default,
                   help="debug detail and tracebacks (-vv: other libraries' debug logs too)")


def add_json_option(p: argparse.ArgumentParser, what: str = "machine-readable output") -> None:
    p.add_argument("--json", action="store_true", help=f"{what} (one JSON document on standard output)")


HELP_EPILOG = """\
examples:
  interview-miner add calls/ --meta segment=clinics     add a folder of recordings
  interview-miner transcribe                            transcribe what is not done yet
  interview-miner mine && interview-miner personas --suggest
  interview-miner export --format html --out report.html
  interview-miner run calls/ --out report/              the whole job in one go
  interview-miner app                                   the researcher app in a browser

environment:
  INTERVIEW_MINER_DB          study database when --db is not given (default ./interview_miner.db)
  INTERVIEW_MINER_RECORDINGS  folder recordings are copied to (default: recordings/ beside the study)
  INTERVIEW_MINER_MAX_BYTES   largest file `add` accepts, in bytes (default 2 GiB; --max-size wins)
  INTERVIEW_MINER_WINDOW_S    seconds of audio transcribed per window on long files (default 600)
  INTERVIEW_MINER_CACHE       cache folder, e.g. for the joined multilingual base model
                              (default: the platform's user cache folder, via platformdirs)
  INTERVIEW_MINER_EMBED_BACKEND  sentence-embedding runtime: openvino (default), onnx, torch or onnx-int8
  INTERVIEW_MINER_PASSPHRASE  passphrase of an encrypted study (SQLCipher, `encrypt`)
  INTERVIEW_MINER_EXECUTOR    where transcription runs when --executor is not given: local or ray
                              (the app's background jobs too; RAY_ADDRESS names the cluster)
  HF_HUB_OFFLINE=1            set by default (--offline): bundled models only, no downloads

exit status: 0 done, 1 an error (one line on standard error), 2 bad usage, 130 interrupted.
"""


def examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)
