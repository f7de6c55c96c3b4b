"""Exports: transcripts (txt/srt/vtt/json) and study reports. One module per format family."""
from __future__ import annotations

from ..store import Store
from . import transcripts


def transcript_text(store: Store, interview_id: int, fmt: str = "txt") -> str:
    """One interview's transcript, speaker-labelled and timed, with researcher edits applied."""
    interview = store.get_interview(interview_id)
    segments = store.segments(interview_id)
    if fmt == "json":
        return transcripts.to_json(interview, segments)
    if fmt == "srt":
        return transcripts.to_srt(segments)
    if fmt == "vtt":
        return transcripts.to_vtt(segments)
    return transcripts.to_txt(interview, segments)
