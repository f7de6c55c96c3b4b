"""Errors a user can act on: each names the file (or model) and the reason in one line."""
from __future__ import annotations


class InterviewMinerError(Exception):
    """Base for every error the CLI prints as a one-line message instead of a traceback."""


class UnsupportedFileError(InterviewMinerError):
    pass


class BadAudioError(InterviewMinerError):
    pass


class FileTooLargeError(InterviewMinerError):
    pass


class EmptyTranscriptError(InterviewMinerError):
    pass


class ModelNotFoundError(InterviewMinerError):
    pass
