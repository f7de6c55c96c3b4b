"""Speakers: who said what — interviewer vs participant (or speaker_N beyond two voices).

Public API (used by pipeline, tests and the app):
- `assign_speakers(audio_path, segments, n_speakers=2) -> list[Segment]`: label (and split) segments.
- `roles_from_text(texts_by_speaker) -> {speaker: role}`: which voice is the interviewer, from what
  each says (questions, share of talk); also used for imported transcripts with real names.
"""
from __future__ import annotations

import re

from .models import INTERVIEWER, PARTICIPANT, Segment

_QUESTION_WORDS = re.compile(
    r"^(what|why|how|when|where|who|which|can|could|would|do|did|does|is|are|was|were|tell me|walk me|take me|talk me|describe|if you)\b",
    re.I,
)
_ROLE_NAMES = {
    "interviewer": INTERVIEWER, "researcher": INTERVIEWER, "moderator": INTERVIEWER, "host": INTERVIEWER,
    "participant": PARTICIPANT, "interviewee": PARTICIPANT, "respondent": PARTICIPANT, "customer": PARTICIPANT,
}


def question_score(texts: list[str]) -> float:
    """Share of sentences that are questions: interviewers ask, participants answer."""
    sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.?!])\s+", t) if s.strip()]
    if not sentences:
        return 0.0
    asked = sum(1 for s in sentences if s.endswith("?") or _QUESTION_WORDS.match(s))
    return asked / len(sentences)


def roles_from_text(texts_by_speaker: dict[str, list[str]]) -> dict[str, str]:
    """Map each speaker key to interviewer/participant (speaker_N beyond two).

    Explicit role names ("Interviewer", "Participant") win; otherwise the speaker whose talk is most
    question-like is the interviewer; among the rest, the one who talks most is the participant.
    """
    roles: dict[str, str] = {}
    for name in texts_by_speaker:
        role = _ROLE_NAMES.get(str(name).strip().lower())
        if role:
            roles[name] = role
    rest = [n for n in texts_by_speaker if n not in roles]
    if not rest:
        return roles
    if INTERVIEWER not in roles.values():
        if len(texts_by_speaker) == 1:
            roles[rest[0]] = PARTICIPANT
            return roles
        interviewer = max(rest, key=lambda n: (question_score(texts_by_speaker[n]), -_words(texts_by_speaker[n])))
        roles[interviewer] = INTERVIEWER
        rest.remove(interviewer)
    rest.sort(key=lambda n: -_words(texts_by_speaker[n]))
    for i, name in enumerate(rest):
        if PARTICIPANT not in roles.values():
            roles[name] = PARTICIPANT
        else:
            roles[name] = f"speaker_{i + 2}"
    return roles


def _words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def label_imported(segments: list[Segment]) -> tuple[list[Segment], dict[str, str]]:
    """Imported transcripts carry names; turn them into roles and keep the names mapping."""
    by_name: dict[str, list[str]] = {}
    for s in segments:
        by_name.setdefault(s.speaker or "Unknown", []).append(s.text)
    roles = roles_from_text(by_name)
    for s in segments:
        s.speaker = roles[s.speaker or "Unknown"]
    return segments, roles


def assign_speakers(audio_path: str, segments: list[Segment], n_speakers: int = 2) -> list[Segment]:
    """Label every segment of an audio interview; split segments that hold two voices."""
    if not segments:
        return segments
    if n_speakers == 1:
        for s in segments:
            s.speaker = PARTICIPANT
        return segments
    # Fallback until voice embeddings are wired: alternate by question-likeness per segment.
    for s in segments:
        s.speaker = INTERVIEWER if question_score([s.text]) > 0.5 else PARTICIPANT
    return segments
