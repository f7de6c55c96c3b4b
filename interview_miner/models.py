"""The dataclasses every pipeline stage speaks.

Stages take these in and hand these out; only `store` turns them into rows. Keeping them plain
(no ORM, no I/O) is what lets each stage be tested on literal data and re-run on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .vocab import CATEGORIES  # noqa: F401  (the category keys; titles and descriptions: vocab)

INTERVIEWER = "interviewer"
PARTICIPANT = "participant"


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
    theme_id: str | None = None  # its top-level theme
    tags: list[str] = field(default_factory=list)
    starred: bool = False
    asr_confidence: float | None = None  # mean word probability from the recogniser (1.0 for typed text)
    sub_theme_id: str | None = None  # the sub-theme of `theme_id` it sits in; None: directly in the theme


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


DECISION_ROLES = ("buyer", "decision-maker", "end user", "influencer")
"""Who a persona is in the purchase: in B2B the one who pays, decides and uses are often three
people (see canvas.py)."""


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
    # Set by the researcher only (edits), never by mining: see canvas.py.
    decision_role: str = ""  # one of DECISION_ROLES, or "" (then read from interview metadata)
    team: dict[str, str] = field(default_factory=dict)  # PERSONA_FIELDS name -> the team's answer


@dataclass
class TranscriptionState:
    """How far an interview's transcription got, with which model and settings (one row per
    interview): a resumed run starts at `committed_until`; a different `run_key` (new model or
    settings) means a new transcript."""

    interview_id: int
    run_key: str
    model: str | None = None
    settings: str | None = None
    committed_until: float = 0.0  # audio seconds up to which segments are stored
    completed: bool = False  # every window transcribed
    speakers_done: bool = False  # speakers labelled after transcription
    updated_at: str | None = None
    # Decoded as parts side by side (lanes.py): JSON [[start, end, resume_at, done], ...];
    # a resumed run continues each part at its own resume point. None: one pass, `committed_until`.
    lanes: str | None = None

    @property
    def transcribed_s(self) -> float:
        """Seconds of audio transcribed so far, over all lanes (what a progress bar shows:
        `committed_until` alone is only where the first unfinished lane stands).

        >>> TranscriptionState(1, "k", committed_until=30.0, lanes="[[0, 60, 30, 0], [60, 120, 90, 0]]").transcribed_s
        60.0
        >>> TranscriptionState(1, "k", committed_until=42.5).transcribed_s
        42.5
        """
        if not self.lanes:
            return self.committed_until
        import json

        return float(sum((b - a) if done else max(0.0, r - a) for a, b, r, done in json.loads(self.lanes)))


@dataclass
class Job:
    """One long-running job (a row of the study's `jobs` table), as written by the worker.

    `status` is what the worker last wrote (queued, running, done, failed, stopped); whether a
    `running` job's process is still alive is `worker.job_state(job)`'s question."""

    id: int
    kind: str  # transcribe | mine | personas | process
    params: dict[str, Any] = field(default_factory=dict)
    status: str = "queued"
    progress: float = 0.0
    message: str = ""
    error: str | None = None
    pid: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


@dataclass
class CodebookEntry:
    """One category of a study's codebook (codebook.py): `key` is stored with every quote;
    `title`/`description` are what a researcher reads and what a new category is recognised by,
    with `examples` (example quotes). `builtin`: one of the package's default categories."""

    key: str
    title: str
    description: str
    examples: list[str] = field(default_factory=list)
    builtin: bool = False


@dataclass
class JourneyStage:
    """One stage of the study's journey map (journey.py): the codebook categories whose quotes
    tell it."""

    key: str
    title: str
    categories: list[str] = field(default_factory=list)
