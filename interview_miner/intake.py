"""Researcher input on its way into a study: interview details (metadata) and browser uploads.

The CLI (`add --meta`, `run --meta`) and the app's Study page share these, so a detail typed in
either place means the same thing: one `KEY=VALUE` per entry, split at the first `=`; the value
keeps its commas and further `=` signs ("company=Acme, Inc." stays one detail).
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import InterviewMinerError


class MetadataError(InterviewMinerError, ValueError):
    """Some details are not KEY=VALUE; `bad` lists them as typed, so the caller can word them."""

    def __init__(self, bad: list[str]):
        self.bad = bad
        super().__init__(f"expected KEY=VALUE: {', '.join(bad)}")


def parse_metadata(entries: str | Iterable[str]) -> dict[str, str]:
    """Details as a dict: a text (one entry per line, the page's field) or entries (the CLI's
    repeated `--meta`). Blank lines are skipped; keys and values are stripped; a later key wins.

    >>> parse_metadata("role=Practice manager\\ncompany=Acme, Inc.")
    {'role': 'Practice manager', 'company': 'Acme, Inc.'}
    >>> parse_metadata(["plan=pro", "note=a=b"])
    {'plan': 'pro', 'note': 'a=b'}
    >>> parse_metadata(["role Manager"])
    Traceback (most recent call last):
    ...
    interview_miner.intake.MetadataError: expected KEY=VALUE: role Manager
    """
    lines = entries.splitlines() if isinstance(entries, str) else [
        line for entry in entries for line in (entry.splitlines() or [entry])]
    meta: dict[str, str] = {}
    bad: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if sep and key.strip():
            meta[key.strip()] = value.strip()
        else:
            bad.append(line.strip())
    if bad:
        raise MetadataError(bad)
    return meta


@dataclass(frozen=True)
class Upload:
    """One file as a browser sent it: the name the researcher knows it by, and its bytes."""

    name: str
    data: BinaryIO


def add_uploads(store, uploads: Iterable[Upload], participant: str | None = None,
                metadata: dict[str, str] | None = None, tracks: bool = False):
    """Add uploaded files to the study as `pipeline.add_files` does (`tracks`: as the separate
    tracks of one call, `pipeline.add_tracks`), under their own names.

    Each upload is written to its own temporary folder (two uploads may share a name) only for as
    long as adding takes: audio is copied under the study's recordings/ and transcripts are
    imported, so nothing is left behind. Returns add_files' report (bad files named, others added).
    """
    from . import pipeline

    tmp = Path(tempfile.mkdtemp(prefix="im-upload-"))
    try:
        paths, names = [], {}
        for n, upload in enumerate(uploads):
            dest = tmp / str(n) / (Path(upload.name).name or f"upload-{n}")
            dest.parent.mkdir()
            with open(dest, "wb") as out:
                shutil.copyfileobj(upload.data, out)
            paths.append(str(dest))
            names[str(dest)] = upload.name
        add = pipeline.add_tracks if tracks else pipeline.add_files
        return add(store, paths, (participant or "").strip() or None, metadata or {}, display_names=names)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
