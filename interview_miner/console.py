"""How the command line talks to a person or a script, in one place.

- Data goes to standard output; with `--json` that is exactly one JSON document (non-ASCII kept
  readable), and the human-readable lines a command prints go to standard error instead.
- Progress, notes and per-file errors go through `logging` to standard error: `-q` keeps warnings
  and errors only, `-v` adds debug detail (and tracebacks), `-vv` also other libraries' debug logs.
- Exit status: 0 done, 1 an error the user can act on (one line, no traceback), 2 bad usage
  (argparse), 130 interrupted by Ctrl-C.
"""
from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import sys
from collections.abc import Callable, Iterator
from typing import Any

from .errors import InterviewMinerError

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

    def json(self, value: Any) -> None:
        self.data.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
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
    except InterviewMinerError as e:
        log.error("%s", e, exc_info=True)
    except KeyError as e:  # an unknown id from the store
        log.error("%s", e.args[0] if e.args else e, exc_info=True)
    except ModuleNotFoundError as e:
        log.error("missing Python module %r: install interview-miner with its dependencies "
                  "(pip install interview-miner, or scripts/setup.sh in a clone)", e.name, exc_info=True)
    except sqlite3.Error as e:
        log.error("study database: %s (is it an interview-miner study, and writable?)", e, exc_info=True)
    except OSError as e:
        log.error("%s", e, exc_info=True)
    return EXIT_ERROR
