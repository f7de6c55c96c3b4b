"""Transcript files in and out: WebVTT and SRT through well-kept libraries (webvtt-py, srt), and
this tool's own `transcript` txt and JSON, so every transcript format `interview-miner` writes
can be added back and gives the same turns.

Why libraries: cue timing, blocks, identifiers and settings have edge cases (hours past 99, cue
settings, Windows line ends, notes) that a hand-written regex gets wrong. What the libraries do
not do is WebVTT's escaping, so it is done here, both ways: text and `<v name>` voice annotations
are written with `&amp;`, `&lt;`, `&gt;` and decoded on reading (`R&D` stays `R&D`, a name such
as `Ben & Jerry` or `Zoë Ñúñez` survives). SRT has no escaping; only its formatting tags (`<i>`,
`<b>`, `<u>`, `<font>`) are removed on reading, so other text in angle brackets is kept.
Zoom/Teams/Otter conventions stay as `capture` reads them: a voice tag, or `Name: text`.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from .capture import ImportedTurn
from .errors import UnreadableTranscriptError
from .models import Interview, Segment
from .vocab import speaker_title

# A cue's "Name: text" (Zoom, SRT): a name is short and has no colon or line break.
_NAME_PREFIX = re.compile(r"^([^:\n]{1,40}):\s+(.*)$", re.S)
_SRT_FORMATTING = re.compile(r"</?(?:b|i|u|font)\b[^>]*>|\{\\an?\d+\}", re.I)
# This tool's txt: "[index] hh:mm:ss Speaker: text" and maybe "  [flag, flag]".
_OWN_TXT_LINE = re.compile(r"^\[(\d+)\] (\d{2}):(\d{2}):(\d{2}) ([^:\n]{1,60}): (.*?)(?:  \[([a-z_, ]+)\])?$")


def speaker_names(interview: Interview | None) -> dict[str, str]:
    """{role: name as the imported transcript spelled it}, from the names kept at import
    (`metadata["speaker_names"]`, name -> role); first name per role wins."""
    names: dict[str, str] = {}
    for name, role in ((interview.metadata or {}).get("speaker_names") or {}).items() if interview else ():
        if isinstance(name, str) and name.strip() and isinstance(role, str):
            names.setdefault(role, name.strip())
    return names


def speaker_label(speaker: str | None, names: dict[str, str] | None = None) -> str:
    if names and speaker in names:
        return names[speaker]
    return speaker_title(speaker)


def _one_line(text: str) -> str:
    """Cue text never holds a blank line (it would end the cue)."""
    return " ".join(text.split("\n")).strip()


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_time(seconds: float) -> str:
    return str(webvtt.models.Timestamp.from_seconds(round(max(seconds, 0.0), 3)))


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def write_vtt(segments: list[Segment], names: dict[str, str] | None = None) -> str:
    """WebVTT with one cue per segment and the speaker as a voice tag: `<v Name>text</v>`."""
    captions = [webvtt.Caption(_vtt_time(s.start), _vtt_time(max(s.end, s.start)),
                               f"<v {_vtt_escape(speaker_label(s.speaker, names))}>{_vtt_escape(_one_line(s.text))}</v>")
                for s in segments]
    return webvtt.WebVTT(captions=captions).content


def write_srt(segments: list[Segment], names: dict[str, str] | None = None) -> str:
    """SRT with one numbered cue per segment: `Name: text`."""
    subs = [srt.Subtitle(i, dt.timedelta(seconds=round(s.start, 3)), dt.timedelta(seconds=round(max(s.end, s.start), 3)),
                         f"{speaker_label(s.speaker, names)}: {_one_line(s.text)}")
            for i, s in enumerate(segments, 1)]
    return srt.compose(subs, reindex=False)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _split_name(body: str) -> tuple[str | None, str]:
    m = _NAME_PREFIX.match(body)
    return (m.group(1).strip(), m.group(2)) if m else (None, body)


def read_vtt(text: str, name: str = "transcript.vtt") -> list[ImportedTurn]:
    try:
        doc = webvtt.from_string(text)
    except (MalformedFileError, MalformedCaptionError) as e:
        raise UnreadableTranscriptError(name, f"not a readable WebVTT file ({e})") from None
    turns = []
    for c in doc.captions:
        voice = c.voice
        said = " ".join(html.unescape(c.text).split())
        if voice:
            speaker = html.unescape(voice).strip()
        else:
            speaker, said = _split_name(said)
        turns.append(ImportedTurn(speaker, said, c.start_time.in_milliseconds() / 1000,
                                  c.end_time.in_milliseconds() / 1000))
    return turns


def read_srt(text: str, name: str = "transcript.srt") -> list[ImportedTurn]:
    try:
        subs = list(srt.parse(text.replace("\r\n", "\n")))
    except (srt.SRTParseError, ValueError) as e:
        raise UnreadableTranscriptError(name, f"not a readable SRT file ({e})") from None
    turns = []
    for sub in subs:
        speaker, said = _split_name(" ".join(_SRT_FORMATTING.sub("", sub.content).split()))
        turns.append(ImportedTurn(speaker, said, sub.start.total_seconds(), sub.end.total_seconds()))
    return turns


def read_own_txt(text: str) -> list[ImportedTurn] | None:
    """This tool's `transcript --format txt` ("# file" header, then "[i] hh:mm:ss Speaker: text"),
    or None when the text is not in that form (then the Zoom/Teams/Otter rules apply)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    matches = [_OWN_TXT_LINE.match(ln) for ln in lines]
    if not lines or not all(matches):
        return None
    return [ImportedTurn(m.group(5), m.group(6), int(m.group(2)) * 3600 + int(m.group(3)) * 60 + int(m.group(4)), None)
            for m in matches]


def read_json(text: str, name: str = "transcript.json") -> list[ImportedTurn]:
    """This tool's `transcript --format json` (an object with `segments`)."""
    try:
        doc = json.loads(text)
        segments = doc["segments"]
        return [ImportedTurn(speaker_label(s.get("speaker")), str(s["text"]), float(s["start"]), float(s["end"]))
                for s in segments]
    except (ValueError, KeyError, TypeError) as e:
        raise UnreadableTranscriptError(
            name, f"not an interview-miner transcript JSON (needs \"segments\" with start, end, text: {e})") from None
