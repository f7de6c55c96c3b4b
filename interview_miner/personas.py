"""Personas: participants grouped by what they said (theme profile) plus who they are (metadata),
each persona backed by the quotes of its members.

Two layers, kept apart on purpose:
- `suggest_personas(...)` is a pure function over dataclasses (no store, no I/O): same input, same
  personas, byte for byte.
- The store-level operations the CLI and the Streamlit app call (`suggest_and_save`,
  `create_persona`, `set_field`, ...) live in `persona_review.py`. Every researcher change is one
  field-level edit (`overlay.Edit.persona`), so re-suggesting never loses an edit and two tabs
  editing different fields never overwrite each other.

Here: `suggest_personas`, stable persona ids across re-suggesting, and the persona's JSON shape.
A suggestion is two steps, each in its own module: persona_grouping.py decides who belongs
together (profiles, clustering, the test against shuffled data; how it works is told there) and
persona_writing.py writes each group up (fields, claims, names). The names other modules import
from here (FIELD_CATEGORIES, TECHNICAL_META, MAX_GROUPS, grouping_scores, ...) still are.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict
from typing import Any

from .languages import phrases, written_language
from .models import PERSONA_FIELDS, Interview, Persona, PersonaField, Quote, Theme
from .persona_grouping import (  # noqa: F401 - importable from here, as before the split
    MAX_GROUPS, META_WEIGHT, ROLE_KEYS, SEGMENT_KEYS, TECHNICAL_META, Participant, group_participants,
    grouping_scores, participants_of, profile_matrix,
)
from .persona_writing import FIELD_CATEGORIES, write_personas  # noqa: F401 - FIELD_CATEGORIES: as before

# The app's and reports' field headings (English, the app's language; claims use `languages.phrases`).
FIELD_TITLES: dict[str, str] = dict(phrases("en").get("field_titles"))
# Top-level persona attributes a researcher can set (besides the PERSONA_FIELDS texts).
PERSONA_ATTRIBUTES = ("name", "role", "demographics", "description", "avatar")


# ---------------------------------------------------------------------------------------------
# Suggesting personas
# ---------------------------------------------------------------------------------------------


def suggest_personas(
    interviews: Sequence[Interview],
    quotes: Sequence[Quote],
    themes: Sequence[Theme],
    nps: dict[int, dict[str, Any]] | None = None,
    *,
    max_groups: int = MAX_GROUPS,
    previous: Sequence[Persona] | None = None,
    meta_weight: float = META_WEIGHT,
    language: str | None = None,
    unclear_names: Collection[str] = (),
) -> list[Persona]:
    """Group participants into personas, each with every PERSONA_FIELDS field filled from the
    themes and quotes of its members. Deterministic.

    `previous`: personas already saved; a new group that overlaps an old machine persona
    (Jaccard >= 0.5 on interview ids) keeps its id, so researcher edits keyed by that id survive
    re-suggesting after interviews are added or re-mined. `language`: the study's language setting;
    claims and names are written in it (`languages.written_language`: else the interviews' own),
    around the participants' untranslated words. `unclear_names`: ids of themes whose name may be
    misheard (`overview.unclear_names`); a persona is named after one only when no other theme
    sets the group apart as well.

    >>> suggest_personas([], [], [], {})
    []
    """
    nps = nps or {}
    participants = participants_of(interviews, quotes)
    if not participants:
        return []
    x = profile_matrix(participants, quotes, themes, nps, meta_weight)
    labels, _ = group_participants(x, max_groups=max_groups)
    groups: dict[int, list[Participant]] = defaultdict(list)
    for p, lab in zip(participants, labels):
        groups[lab].append(p)
    personas = write_personas(groups, participants, quotes, themes, nps,
                              phrases(written_language((i.language for i in interviews), language)), unclear_names)
    _assign_ids(personas, previous or [])
    return personas


def persona_id(interview_ids: Iterable[int]) -> str:
    """Content key of a machine persona: the sorted ids of its interviews."""
    key = ",".join(str(i) for i in sorted(int(i) for i in interview_ids))
    return "p_" + hashlib.sha1(key.encode()).hexdigest()[:10]


def _assign_ids(personas: list[Persona], previous: Sequence[Persona]) -> None:
    old = [p for p in previous if p.id.startswith("p_")]
    used: set[str] = set()
    for p in personas:
        own = persona_id(p.interview_ids)
        if any(o.id == own for o in old):
            p.id = own
            used.add(own)
    for p in personas:
        if p.id:
            continue
        mine = set(p.interview_ids)
        best, best_j = None, 0.5
        for o in sorted(old, key=lambda o: o.id):
            if o.id in used:
                continue
            theirs = set(o.interview_ids)
            j = len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0
            if j > best_j or (j == best_j and best is None):
                best, best_j = o, j
        p.id = best.id if best else persona_id(p.interview_ids)
        used.add(p.id)


def persona_dict(p: Persona) -> dict[str, Any]:
    """The stable JSON shape of a persona (used by `personas --json` and the JSON export)."""
    return {
        "id": p.id, "name": p.name, "role": p.role, "demographics": p.demographics,
        "description": p.description, "interview_ids": sorted(int(i) for i in p.interview_ids),
        "avatar": p.avatar,
        "fields": {f: asdict(p.fields.get(f) or PersonaField()) for f in PERSONA_FIELDS},
    }
