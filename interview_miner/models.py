"""The dataclasses every pipeline stage speaks.

Stages take these in and hand these out; only `store` turns them into rows. Keeping them plain
(no ORM, no I/O) is what lets each stage be tested on literal data and re-run on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INTERVIEWER = "interviewer"
PARTICIPANT = "participant"

CATEGORIES = (
    "channel",
    "trigger",
    "alternatives",
    "criteria",
    "fear",
    "objection",
    "outcome",
    "usage",
    "nps_score",
    "nps_reason",
    "other",
)

# Interview lifecycle, in order. `failed` can follow any step; `error` says why.
STATUSES = ("added", "transcribing", "transcribed", "failed")


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "word": self.word}


@dataclass
class Segment:
    """A timed stretch of speech by one speaker (after speaker splitting)."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)
    # Whisper's own quality signals, kept so that loops and hallucinations can be flagged.
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    flags: list[str] = field(default_factory=list)
    id: int | None = None
    interview_id: int | None = None
    index: int | None = None


@dataclass
class Interview:
    id: int | None
    content_hash: str
    file_name: str
    kind: str  # "audio" | "transcript"
    stored_path: str | None = None
    participant: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    duration: float | None = None
    language: str | None = None
    language_probability: float | None = None
    status: str = "added"
    error: str | None = None
    created_at: str | None = None

    def summary(self) -> dict[str, Any]:
        """The stable machine-readable shape used by `list --json` and the exports."""
        return {
            "id": self.id,
            "file_name": self.file_name,
            "participant": self.participant,
            "status": self.status,
            "duration": self.duration,
            "language": self.language,
        }


@dataclass
class TranscriptionResult:
    language: str | None
    language_probability: float | None
    duration: float


@dataclass
class Quote:
    """A quotable unit of participant speech, linked to the question it answers."""

    id: str
    interview_id: int
    start: float
    end: float
    text: str
    question: str | None = None
    speaker: str = PARTICIPANT
    index: int = 0
    category: str | None = None
    confidence: float | None = None
    theme_id: str | None = None
    tags: list[str] = field(default_factory=list)
    starred: bool = False
    asr_confidence: float | None = None  # mean word probability from the recogniser (1.0 for typed text)


@dataclass
class Theme:
    id: str
    category: str
    label: str
    keywords: list[str] = field(default_factory=list)
    quote_ids: list[str] = field(default_factory=list)
    representative_quote_id: str | None = None
    n_participants: int = 0
    tags: list[str] = field(default_factory=list)
    parent_id: str | None = None  # a sub-theme's top-level theme; None for a top-level theme


@dataclass
class PersonaField:
    text: str = ""
    quote_ids: list[str] = field(default_factory=list)
    theme_ids: list[str] = field(default_factory=list)
    n_participants: int = 0


PERSONA_FIELDS = (
    "goals",
    "frustrations",
    "triggers",
    "criteria",
    "fears",
    "objections",
    "alternatives",
    "channels",
    "usage",
    "nps",
)


@dataclass
class Persona:
    id: str
    name: str
    role: str = ""
    demographics: str = ""
    description: str = ""
    interview_ids: list[int] = field(default_factory=list)
    fields: dict[str, PersonaField] = field(default_factory=dict)
    avatar: str | None = None  # data URI or path of an uploaded image
