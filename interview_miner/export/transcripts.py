"""Transcripts as txt, SRT, WebVTT and JSON (the JSON shape is a stable contract, see README)."""
from __future__ import annotations

import json
from typing import Any

from ..models import Interview, Segment
from ..vocab import speaker_title as _speaker_name
from ..vocab import timecode


def to_txt(interview: Interview, segments: list[Segment]) -> str:
    lines = [f"# {interview.file_name}" + (f" — {interview.participant}" if interview.participant else "")]
    for i, s in enumerate(segments):
        flags = f"  [{', '.join(s.flags)}]" if s.flags else ""
        lines.append(f"[{i}] {timecode(s.start, '.')[:-4]} {_speaker_name(s.speaker)}: {s.text}{flags}")
    return "\n".join(lines) + "\n"


def to_srt(segments: list[Segment]) -> str:
    blocks = []
    for i, s in enumerate(segments, 1):
        blocks.append(f"{i}\n{timecode(s.start, ',')} --> {timecode(s.end, ',')}\n{_speaker_name(s.speaker)}: {s.text}\n")
    return "\n".join(blocks)


def to_vtt(segments: list[Segment]) -> str:
    blocks = ["WEBVTT\n"]
    for s in segments:
        text = s.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(f"{timecode(s.start, '.')} --> {timecode(s.end, '.')}\n<v {_speaker_name(s.speaker)}>{text}</v>\n")
    return "\n".join(blocks)


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
    return {"interview": interview.summary(), "segments": [segment_dict(s) for s in segments]}


def to_json(interview: Interview, segments: list[Segment]) -> str:
    return json.dumps(to_json_obj(interview, segments), indent=2, ensure_ascii=False) + "\n"
