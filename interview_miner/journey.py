"""The journey map: the summary table the buyer-persona method ends with.

After 8-12 interviews the researcher moves the telling sentences into a table grouped by stage
(first thought -> looking -> deciding -> buying -> using -> recommending), with 6-12 real quotes
per stage. Here each stage is a set of codebook categories (editable per study, stored as
researcher edits on entity "stage"); per stage we give

- its themes ranked by how many participants raised them (the share that matters to marketing),
- the strongest 6-12 quotes, spread over participants (each participant's best quote first, so
  one talkative person cannot fill a stage),
- a coverage flag: "thin" when a stage has fewer than 6 quotes or fewer than 3 participants,
  i.e. "interview more before trusting this row".

`build_journey(study, stages, codebook, persona_id=None)` works on an `export.study.Study` (edits
applied), so the app, the reports and `interview-miner journey --json` show the same table.
`Journey.to_json()` is the stable contract:
`{"stages": [{"key", "title", "categories", "n_participants", "coverage", "themes": [{"theme_id",
"label", "n_participants"}], "quotes": [{"quote_id", "interview_id", "start", "end", "text",
"category", "theme_id"}]}]}`.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .codebook import Codebook
from .models import JourneyStage, Quote
from .overlay import CATEGORY_KEY, Edit, EditError, apply_stage_edits
from .vocab import clock

if TYPE_CHECKING:
    from .export.study import Study
    from .store import Store

MIN_QUOTES = 6  # a stage with fewer quotes, or fewer participants than MIN_PARTICIPANTS, is "thin"
MIN_PARTICIPANTS = 3
MAX_QUOTES = 12


def default_stages() -> list[JourneyStage]:
    """The method's stages, each told by the default categories that describe it."""
    return [
        JourneyStage("first_thought", "First thought", ["trigger"]),
        JourneyStage("looking", "Looking", ["channel", "alternatives"]),
        JourneyStage("deciding", "Deciding", ["criteria", "fear", "objection"]),
        JourneyStage("buying", "Buying", ["adjacent_purchase"]),
        JourneyStage("using", "Using", ["usage", "outcome"]),
        JourneyStage("recommending", "Recommending", ["nps_reason"]),
    ]


def load_stages(store: Store) -> list[JourneyStage]:
    """The study's stages: defaults with the researcher's stage edits applied."""
    return apply_stage_edits(default_stages(), store.current_edits("stage"))


def set_stage(store: Store, key: str, *, title: str | None = None, categories: Sequence[str] | None = None) -> str:
    """Create a stage (unknown key, needs a title) or edit one; categories must be in the
    study's codebook. Returns the key."""
    from . import codebook

    if not CATEGORY_KEY.match(key):
        raise EditError(f"stage key {key!r} must be lowercase letters, digits and _")
    known = set(codebook.load(store).keys)
    unknown = [c for c in categories or () if c not in known]
    if unknown:
        raise EditError(f"unknown categories {', '.join(unknown)} (the codebook has: {', '.join(sorted(known))})")
    exists = key in {s.key for s in load_stages(store)}
    edits = []
    if not exists:
        if not title:
            raise EditError(f"a new stage {key!r} needs a title")
        edits += [Edit("stage", key, "created", {"title": title}), Edit("stage", key, "deleted", False)]
    if title is not None:
        edits.append(Edit("stage", key, "title", title))
    if categories is not None:
        edits.append(Edit("stage", key, "categories", list(categories)))
    with store.transaction():
        for edit in edits:
            store.save_edit(edit)
    return key


def remove_stage(store: Store, key: str) -> None:
    if key not in {s.key for s in load_stages(store)}:
        raise EditError(f"unknown stage {key!r}")
    store.save_edit(Edit("stage", key, "deleted", True))


# ---------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------


@dataclass
class JourneyTheme:
    theme_id: str
    label: str
    n_participants: int


@dataclass
class JourneyQuote:
    quote_id: str
    interview_id: int
    start: float
    end: float
    text: str
    category: str
    theme_id: str | None
    participant: str = ""  # for display; not part of the JSON contract

    @property
    def timestamp(self) -> str:
        return clock(self.start)


@dataclass
class StageRow:
    key: str
    title: str
    categories: list[str]
    n_participants: int
    coverage: str  # "ok" | "thin"
    themes: list[JourneyTheme] = field(default_factory=list)
    quotes: list[JourneyQuote] = field(default_factory=list)


@dataclass
class Journey:
    stages: list[StageRow]
    persona: str | None = None  # the persona's name when filtered

    def to_json(self) -> dict[str, Any]:
        """The stable JSON contract (see the module docstring)."""
        return {"stages": [{
            "key": s.key, "title": s.title, "categories": list(s.categories),
            "n_participants": s.n_participants, "coverage": s.coverage,
            "themes": [{"theme_id": t.theme_id, "label": t.label, "n_participants": t.n_participants}
                       for t in s.themes],
            "quotes": [{"quote_id": q.quote_id, "interview_id": q.interview_id, "start": q.start, "end": q.end,
                        "text": q.text, "category": q.category, "theme_id": q.theme_id} for q in s.quotes],
        } for s in self.stages]}


def persona_interviews(study: Study, persona_id: str | None) -> tuple[set[int] | None, str | None]:
    """(interview ids of the persona, its name), or (None, None) for everyone. An unknown id
    raises EditError listing the personas."""
    if persona_id is None:
        return None, None
    for p in study.personas:
        if p.id == persona_id:
            return set(p.interview_ids), p.name
    known = ", ".join(f"{p.id} ({p.name})" for p in study.personas) or "none yet"
    raise EditError(f"unknown persona {persona_id!r} (personas: {known})")


def study_quotes(study: Study, codebook: Codebook, interview_ids: set[int] | None) -> list[Quote]:
    """The study's quotes of these interviews, each under its effective category (a removed
    category reads as "other")."""
    out = []
    for q in study.quotes:
        if interview_ids is not None and q.interview_id not in interview_ids:
            continue
        category = codebook.effective(q.category)
        if category != q.category:
            q = Quote(**{**q.__dict__, "category": category})
        out.append(q)
    return out


def _strength(q: Quote, theme_weight: dict[str, float], representatives: set[str]) -> float:
    """How strongly a quote tells its stage: starred by the researcher, confident category, in a
    widely shared theme (its representative most), and long enough to say something."""
    words = len(q.text.split())
    return (2.0 * q.starred + (q.confidence or 0.0) + theme_weight.get(q.theme_id or "", 0.0)
            + 0.5 * (q.id in representatives) + min(words, 30) / 60 - (0.5 if words < 5 else 0.0))


def build_journey(study: Study, stages: Sequence[JourneyStage], codebook: Codebook,
                  persona_id: str | None = None) -> Journey:
    """The journey table over the whole study, or over one persona's interviews."""
    ids, persona_name = persona_interviews(study, persona_id)
    quotes = study_quotes(study, codebook, ids)
    rows = []
    for stage in stages:
        mine = [q for q in quotes if q.category in stage.categories]
        people = {study.participant_key(q.interview_id) for q in mine}
        by_theme: dict[str, set[str]] = defaultdict(set)
        for q in mine:
            if q.theme_id in study.theme_by_id:
                by_theme[q.theme_id].add(study.participant_key(q.interview_id))
        themes = sorted(
            (JourneyTheme(tid, study.theme_by_id[tid].label, len(who)) for tid, who in by_theme.items()),
            key=lambda t: (-t.n_participants, t.label.casefold(), t.theme_id))
        top = max((t.n_participants for t in themes), default=1)
        weight = {t.theme_id: 0.6 * t.n_participants / top for t in themes}
        reps = {study.theme_by_id[t.theme_id].representative_quote_id for t in themes}
        ranked: dict[str, list[Quote]] = defaultdict(list)
        scored = sorted(mine, key=lambda q: (-_strength(q, weight, reps), q.interview_id, q.start, q.id))
        for q in scored:
            ranked[study.participant_key(q.interview_id)].append(q)
        # Round robin over participants (in order of their best quote): every participant's
        # strongest quote before anyone's second, so one talkative person cannot fill a stage.
        order = list(ranked)  # insertion order = order of each participant's best quote
        picked: list[Quote] = []
        depth = 0
        while len(picked) < MAX_QUOTES and any(depth < len(ranked[p]) for p in order):
            picked += [ranked[p][depth] for p in order if depth < len(ranked[p])][: MAX_QUOTES - len(picked)]
            depth += 1
        coverage = "thin" if len(picked) < MIN_QUOTES or len(people) < MIN_PARTICIPANTS else "ok"
        rows.append(StageRow(
            stage.key, stage.title, list(stage.categories), len(people), coverage, themes,
            [JourneyQuote(q.id, q.interview_id, q.start, q.end, q.text, q.category,
                          q.theme_id if q.theme_id in study.theme_by_id else None,
                          study.participant(q.interview_id)) for q in picked]))
    return Journey(rows, persona_name)


def load_journey(store: Store, persona_id: str | None = None) -> Journey:
    """`build_journey` over a store (study, stages and codebook read once)."""
    from . import codebook
    from .export.study import load_study

    return build_journey(load_study(store), load_stages(store), codebook.load(store), persona_id)
