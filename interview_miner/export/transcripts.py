"""Transcripts as txt, SRT, WebVTT and JSON (the JSON shape is a stable contract, see README)."""
from __future__ import annotations

import json
from typing import Any

from ..models import Interview, Segment
from ..schemas import versioned
from ..transcript_io import speaker_label, write_srt, write_vtt
from ..vocab import timecode


def to_txt(interview: Interview, segments: list[Segment], names: dict[str, str] | None = None) -> str:
    lines = [f"# {interview.file_name}" + (f" — {interview.participant}" if interview.participant else "")]
    for i, s in enumerate(segments):
        flags = f"  [{', '.join(s.flags)}]" if s.flags else ""
        lines.append(f"[{i}] {timecode(s.start, '.')[:-4]} {speaker_label(s.speaker, names)}: {s.text}{flags}")
    return "\n".join(lines) + "\n"


def to_srt(segments: list[Segment], names: dict[str, str] | None = None) -> str:
    """SRT through the `srt` library; `names` maps a role to the name the source transcript used."""
    return write_srt(segments, names)


def to_vtt(segments: list[Segment], names: dict[str, str] | None = None) -> str:
    """WebVTT through webvtt-py, text and voice names escaped (see `transcript_io`)."""
    return write_vtt(segments, names)


def segment_dict(s: Segment) -> dict[str, Any]:
    return {
        "start": round(s.start, 3),
        "end": round(s.end, 3),
        "speaker": s.speaker,
        "text": s.text,
        "words": [w.to_dict() for w in s.words],
        "flags": s.flags,
    }


def to_json_obj(interview: Interview, segments: list[Segment]) -> dict[str, Any]:
    return versioned({"interview": interview.summary(), "segments": [segment_dict(s) for s in segments]})


def to_json(interview: Interview, segments: list[Segment]) -> str:
    return json.dumps(to_json_obj(interview, segments), indent=2, ensure_ascii=False) + "\n"
