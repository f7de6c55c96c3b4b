"""The researcher-edit overlay: what a researcher may change, and how each change is applied over
machine output. The one place to look when asking "where is an edit applied?".

Why an overlay: mining replaces its machine rows wholesale on every run, so a researcher's change
is never written into them. It is one `Edit` (entity, id, field, new value) stored as one row in
the study's `edits` table; what users see is machine output with the newest edit per field
applied on top. Edits therefore survive re-mining by construction, and two tabs editing different
fields of one theme never overwrite each other.

Three parts, each the single home of its concern:
- `FIELDS`: every entity and the fields a researcher may edit on it, with the check each new value
  must pass. An unknown entity or field, or a value of the wrong shape, is refused with an
  `EditError` naming what is accepted, before anything is written.
- `Edit`: one typed, validated edit record (build it with `Edit.theme(...)`, `Edit.quote(...)`, ...).
- `apply_*_edits`: how each entity's edits change machine output (`resolve_theme` follows merges).
  They work on plain dataclasses, no database: the `Store` reads rows and edits, then calls them.

Adding an editable field (a codebook entry, a persona's team text, a journey stage): add its
`FieldSpec` under its entity in `FIELDS`, apply it in that entity's `apply_*_edits`, and write it
from a review operation (`review.py` / `persona_review.py`). Nothing else changes: the `edits`
table stores any (entity, id, field, JSON value).

    >>> Edit.theme("fear-3", "label", "Staff won't adopt it")
    Edit(entity='theme', entity_id='fear-3', field='label', value="Staff won't adopt it")
    >>> Edit.theme("fear-3", "colour", "red")
    Traceback (most recent call last):
    ...
    interview_miner.overlay.EditError: a theme has no editable field 'colour' (one of: label, tags, category, merged_into, deleted, created, parent_id)
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InterviewMinerError
from .models import (
    CATEGORIES, DECISION_ROLES, PERSONA_FIELDS, CodebookEntry, Interview, JourneyStage, Persona, PersonaField,
    Quote, Segment,
)
from .theme_overlay import (  # noqa: F401 - the theme parts of the overlay live there (size)
    apply_quote_placement, apply_theme_edits, parent_of, place_in_hierarchy, resolve_theme, sub_themes_of,
)

FieldEdits = Mapping[str, Any]
"""One entity's newest value per edited field, e.g. {"label": "Pricing", "tags": ["ux"]}."""
EditsById = Mapping[str, FieldEdits]
"""{entity_id (as text): FieldEdits} for one entity type, as `Store.current_edits` returns it."""


class EditError(InterviewMinerError, ValueError):
    """An edit the overlay does not accept (unknown entity or field, or a malformed value)."""


# ---------------------------------------------------------------------------------------------
# Value checks: each returns the value to store (JSON-ready) or raises _Expected(what it wanted);
# `Edit` turns that into an EditError naming the field.
# ---------------------------------------------------------------------------------------------


class _Expected(Exception):
    """Raised by a value check with a description of the values it accepts."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Expected("text")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Expected("true or false")
    return value


def _text_list(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _Expected("a list of texts")
    return list(value)


def _id_list(value: Any) -> list[int]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise _Expected("a list of interview ids")
    return list(value)


CATEGORY_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
"""What a category key looks like. Categories are study data (the codebook), so an edit checks
the shape here and the review operation checks the key is in the study's codebook."""


def _category(value: Any) -> str:
    if not isinstance(value, str) or not CATEGORY_KEY.match(value):
        raise _Expected("a category key (lowercase letters, digits and _, e.g. "
                        f"{', '.join(CATEGORIES[:3])})")
    return value


def _category_list(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise _Expected("a list of category keys")
    return [_category(v) for v in value]


def _new_titled(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) != {"title"}:
        raise _Expected('{"title": ...}')
    return {"title": _text(value["title"])}


def _nps_score(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise _Expected("a whole number 0-10")
    return value


def _new_theme(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) - {"category", "label"}:
        raise _Expected('{"category": ..., "label": ...}')
    created = {"category": _category(value.get("category"))}
    if "label" in value:
        created["label"] = _text(value["label"])
    return created


def _new_persona(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) - {"name"}:
        raise _Expected('{"name": ...}')
    return {"name": _text(value["name"])} if "name" in value else {}


def _decision_role(value: Any) -> str:
    if value not in DECISION_ROLES + ("",):
        raise _Expected(f"one of {', '.join(DECISION_ROLES)} (or empty: read it from metadata)")
    return value


def _iso_date(value: Any) -> str | None:
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(_text(value)).isoformat()
    except ValueError:
        raise _Expected("a date YYYY-MM-DD or empty") from None


def _consent_scope(value: Any) -> str | None:
    if value is not None and value not in CONSENT_SCOPES:
        raise _Expected(f"one of {', '.join(CONSENT_SCOPES)} or empty")
    return value


def _pii_status(value: Any) -> str:
    if value not in ("confirmed", "dismissed"):
        raise _Expected("confirmed or dismissed")
    return value


def _json_scalar(value: Any) -> Any:
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise _Expected("text, a number, true/false or empty")
    return value


# ---------------------------------------------------------------------------------------------
# What may be edited
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One editable field. `name` is exact ("label") or has one placeholder in angle brackets
    ("metadata.<key>", "fields.<field>.text"); `choices` limits the placeholder (empty: any
    non-empty key without dots). `check` turns a new value into what is stored, or raises."""

    name: str
    check: Callable[[Any], Any]
    choices: tuple[str, ...] = ()

    def matches(self, field: str) -> bool:
        if "<" not in self.name:
            return field == self.name
        head, rest = self.name.split("<", 1)
        tail = rest.split(">", 1)[1]
        if not (field.startswith(head) and field.endswith(tail) and len(field) > len(head) + len(tail)):
            return False
        part = field[len(head): len(field) - len(tail)]
        return part in self.choices if self.choices else "." not in part


FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "theme": (
        FieldSpec("label", _text),
        FieldSpec("tags", _text_list),
        FieldSpec("category", _category),
        FieldSpec("merged_into", _optional_text),  # the surviving theme id; None undoes a merge
        FieldSpec("deleted", _flag),
        FieldSpec("created", _new_theme),  # a researcher-made theme: {"category", "label"}
        FieldSpec("parent_id", _optional_text),  # nest under this top-level theme; None: top level
    ),
    "quote": (
        FieldSpec("category", _category),
        FieldSpec("theme_id", _optional_text),  # None: taken out of its theme
        FieldSpec("tags", _text_list),
        FieldSpec("starred", _flag),
        FieldSpec("text", _text),
    ),
    "segment": (
        FieldSpec("speaker", _text),
        FieldSpec("text", _text),
    ),
    "persona": (
        FieldSpec("name", _text),
        FieldSpec("role", _text),
        FieldSpec("demographics", _text),
        FieldSpec("description", _text),
        FieldSpec("avatar", _optional_text),  # a data URI or path of an uploaded image
        FieldSpec("interview_ids", _id_list),
        FieldSpec("fields.<field>.text", _text, PERSONA_FIELDS),
        FieldSpec("fields.<field>.quote_ids", _text_list, PERSONA_FIELDS),
        FieldSpec("decision_role", _decision_role),  # the canvas's decision role, set by hand
        FieldSpec("team.<field>", _text, PERSONA_FIELDS),  # the team's answer ("how we help")
        FieldSpec("created", _new_persona),  # a researcher-made persona: {"name"}
        FieldSpec("deleted", _flag),
    ),
    "interview": (
        FieldSpec("participant", _optional_text),
        FieldSpec("metadata.<key>", _json_scalar),
        # Consent (privacy.py/consent.py): read from the interview's metadata keys CONSENT_KEYS.
        FieldSpec("consent.scope", _consent_scope),
        FieldSpec("consent.date", _iso_date),
        FieldSpec("consent.retention_until", _iso_date),
    ),
    "pii": (  # entity id: privacy.span_key(kind, words), e.g. "PERSON:maria schulz"
        FieldSpec("status", _pii_status),
    ),
    "nps": (
        FieldSpec("score", _nps_score),  # entity id: the interview id
    ),
    "study": (  # entity id: STUDY_ID (one study per file)
        # a free-form metadata key read as a canvas fact ("practice size" -> "company_size");
        # None undoes it. Which fact names exist is canvas.py's business (checked there).
        FieldSpec("metadata_key.<key>", _optional_text),
    ),
    "category": (  # the study's codebook; entity id: the category key
        FieldSpec("title", _text),
        FieldSpec("description", _text),
        FieldSpec("examples", _text_list),
        FieldSpec("created", _new_titled),  # a researcher-made category: {"title"}
        FieldSpec("deleted", _flag),  # its quotes read as "other" until it is restored
    ),
    "stage": (  # the study's journey map; entity id: the stage key
        FieldSpec("title", _text),
        FieldSpec("categories", _category_list),
        FieldSpec("created", _new_titled),
        FieldSpec("deleted", _flag),
    ),
}
STUDY_ID = "study"

CONSENT_SCOPES = ("none", "analysis", "quotes", "audio")
"""Consent scopes, each covering the ones before it: none (not given), analysis only, verbatim
quotes in internal reports, audio clips may be shared."""
CONSENT_KEYS = {"consent.scope": "consent", "consent.date": "consent_date",
                "consent.retention_until": "retention_until"}
"""Consent edit field -> the interview metadata key it sets (`add --meta consent=quotes` sets it too)."""

PERSONA_ATTRIBUTES = ("name", "role", "demographics", "description", "avatar")
"""Persona fields that are plain attributes of `Persona` (set as they are)."""


def field_spec(entity: str, field: str) -> FieldSpec:
    """The spec of `entity.field`; EditError listing what is accepted when there is none."""
    if entity not in FIELDS:
        raise EditError(f"unknown edit entity {entity!r} (one of: {', '.join(FIELDS)})")
    for spec in FIELDS[entity]:
        if spec.matches(field):
            return spec
    names = ", ".join(s.name for s in FIELDS[entity])
    article = "an" if entity[0] in "aeiou" else "a"
    raise EditError(f"{article} {entity} has no editable field {field!r} (one of: {names})")


@dataclass(frozen=True)
class Edit:
    """One researcher change: `field` of `entity` `entity_id` is now `value`.

    Validated on construction (see `FIELDS`), so an Edit that exists can be stored. Ids are kept
    as text because that is how the `edits` table keys every entity (interview and segment ids
    are integers elsewhere).

    >>> Edit.persona("p1", "fields.goals.text", "Grow without hiring").field
    'fields.goals.text'
    >>> Edit.nps(3, "score", 11)
    Traceback (most recent call last):
    ...
    interview_miner.overlay.EditError: nps.score must be a whole number 0-10, not 11
    """

    entity: str
    entity_id: str
    field: str
    value: Any

    def __post_init__(self) -> None:
        spec = field_spec(self.entity, self.field)
        if self.entity_id is None or str(self.entity_id) == "":
            raise EditError(f"{self.entity}.{self.field}: which {self.entity}? (no id given)")
        try:
            value = spec.check(self.value)
        except _Expected as expected:
            raise EditError(f"{self.entity}.{self.field} must be {expected}, not {self.value!r}") from None
        object.__setattr__(self, "entity_id", str(self.entity_id))
        object.__setattr__(self, "value", value)

    @classmethod
    def theme(cls, theme_id: str, field: str, value: Any) -> Edit:
        return cls("theme", theme_id, field, value)

    @classmethod
    def quote(cls, quote_id: str, field: str, value: Any) -> Edit:
        return cls("quote", quote_id, field, value)

    @classmethod
    def segment(cls, segment_id: int, field: str, value: Any) -> Edit:
        return cls("segment", segment_id, field, value)

    @classmethod
    def persona(cls, persona_id: str, field: str, value: Any) -> Edit:
        return cls("persona", persona_id, field, value)

    @classmethod
    def interview(cls, interview_id: int, field: str, value: Any) -> Edit:
        return cls("interview", interview_id, field, value)

    @classmethod
    def nps(cls, interview_id: int, field: str, value: Any) -> Edit:
        return cls("nps", interview_id, field, value)

    @classmethod
    def study(cls, field: str, value: Any) -> Edit:
        return cls("study", STUDY_ID, field, value)


def persona_field_key(name: str, part: str = "text") -> str:
    """The edit field of one persona section: ('goals', 'quote_ids') -> 'fields.goals.quote_ids'."""
    return f"fields.{name}.{part}"


# ---------------------------------------------------------------------------------------------
# How edits apply over machine output. Each works on dataclasses read by the store (in place)
# and returns what the researcher sees. Unknown fields in stored edits are ignored on read, so
# a study written by a newer version still opens.
# ---------------------------------------------------------------------------------------------


def apply_quote_edits(quotes: list[Quote], quote_edits: EditsById, theme_edits: EditsById,
                      theme_parents: Mapping[str, str | None] | None = None) -> list[Quote]:
    """Category corrections (a researcher's category has confidence 1 and leaves the machine
    theme, which belongs to the old category), theme moves, merges, nesting, tags, stars, text
    fixes. `theme_parents` ({theme id: machine parent id}, `Store.theme_parents`) places each quote
    at both levels: `theme_id` its top-level theme, `sub_theme_id` its sub-theme (theme_overlay.py).

    >>> q = Quote("q1", 1, 0.0, 2.0, "Too pricey", category="fear", confidence=0.6, theme_id="t1")
    >>> [q] = apply_quote_edits([q], {"q1": {"category": "objection", "starred": True}}, {})
    >>> (q.category, q.confidence, q.theme_id, q.starred)
    ('objection', 1.0, None, True)
    """
    parents = theme_parents or {}
    for q in quotes:
        e = quote_edits.get(q.id, {})
        assigned = q.sub_theme_id or q.theme_id
        if "category" in e and e["category"] != q.category:
            q.category, q.confidence = e["category"], 1.0
            assigned = None
        if "theme_id" in e:
            assigned = e["theme_id"]
        apply_quote_placement(q, assigned, theme_edits, parents)
        q.tags = list(e.get("tags", []))
        q.starred = bool(e.get("starred", False))
        if "text" in e:
            q.text = e["text"]
    return quotes


def apply_segment_edits(segments: list[Segment], segment_edits: EditsById) -> list[Segment]:
    """Speaker relabels and mis-heard words fixed, per transcript segment."""
    for s in segments:
        e = segment_edits.get(str(s.id), {})
        if "speaker" in e:
            s.speaker = e["speaker"]
        if "text" in e:
            s.text = e["text"]
    return segments


def apply_interview_edits(interviews: list[Interview], interview_edits: EditsById) -> list[Interview]:
    """Who was interviewed (`participant`), metadata values (`metadata.<key>`) and consent
    (`consent.*`, kept under the metadata keys in CONSENT_KEYS, where `add --meta` puts it)."""
    for interview in interviews:
        e = interview_edits.get(str(interview.id), {})
        if "participant" in e:
            interview.participant = e["participant"]
        for key, value in e.items():
            if key.startswith("metadata."):
                interview.metadata[key.split(".", 1)[1]] = value
            elif key in CONSENT_KEYS:
                interview.metadata[CONSENT_KEYS[key]] = value
    return interviews


def apply_nps_edits(
    machine: dict[int, dict[str, Any]], nps_edits: EditsById, classify: Callable[[int], str | None],
) -> dict[int, dict[str, Any]]:
    """{interview_id: {score, klass, quote_id, text}} with researcher scores winning; an interview
    whose score only the researcher gave gets a row without a supporting quote. `classify` turns a
    score into its NPS band (promoter/passive/detractor).

    >>> apply_nps_edits({}, {"4": {"score": 9}}, lambda s: "promoter" if s >= 9 else "other")
    {4: {'interview_id': 4, 'quote_id': None, 'text': None, 'score': 9, 'klass': 'promoter'}}
    """
    for iid, e in nps_edits.items():
        if "score" in e:
            row = machine.setdefault(int(iid), {"interview_id": int(iid), "quote_id": None, "text": None})
            row["score"] = e["score"]
            row["klass"] = classify(e["score"])
    return machine


def apply_persona_edits(machine: Iterable[Persona], persona_edits: EditsById) -> list[Persona]:
    """Personas as the researcher sees them, sorted by id: researcher-made ones added, deleted ones
    dropped, and every edited attribute, member list and section text or quote list set.

    >>> [p] = apply_persona_edits([], {"u_1": {"created": {"name": "Owner"}, "fields.goals.text": "Grow"}})
    >>> (p.id, p.name, p.fields["goals"].text)
    ('u_1', 'Owner', 'Grow')
    """
    by_id = {p.id: p for p in machine}
    for pid, e in persona_edits.items():
        if pid not in by_id and "created" in e:
            by_id[pid] = Persona(id=pid, name=e["created"].get("name", "New persona"))
    out = []
    for pid, p in sorted(by_id.items()):
        e = persona_edits.get(pid, {})
        if e.get("deleted"):
            continue
        for key, value in e.items():
            if key in PERSONA_ATTRIBUTES:
                setattr(p, key, value)
            elif key == "interview_ids":
                p.interview_ids = [int(v) for v in value]
            elif key == "decision_role":
                p.decision_role = value
            elif key.startswith("team."):
                p.team[key.split(".", 1)[1]] = value
            elif key.startswith("fields."):
                _, name, part = key.split(".", 2)
                setattr(p.fields.setdefault(name, PersonaField()), part, value)
        out.append(p)
    return out


def _apply_listed_edits(defaults: Iterable[Any], edits: EditsById, make: Callable[[str, str], Any],
                        attributes: tuple[str, ...]) -> list[Any]:
    """Codebook entries or journey stages as the researcher sees them: defaults in their order,
    then researcher-made ones (by key), edited attributes set, deleted ones dropped."""
    items = {item.key: item for item in defaults}
    for key in sorted(edits):
        if key not in items and "created" in edits[key]:
            items[key] = make(key, edits[key]["created"]["title"])
    out = []
    for key, item in items.items():
        e = edits.get(key, {})
        if e.get("deleted"):
            continue
        for name in attributes:
            if name in e:
                setattr(item, name, list(e[name]) if isinstance(e[name], list) else e[name])
        out.append(item)
    return out


def apply_category_edits(defaults: Iterable[CodebookEntry], category_edits: EditsById) -> list[CodebookEntry]:
    """The study's codebook: the default categories with renames, new descriptions and example
    quotes, researcher-made categories added and deleted ones dropped (their quotes' edits stay
    stored, so restoring a category restores them).

    >>> cb = apply_category_edits([CodebookEntry("fear", "Fears", "Worries")],
    ...     {"pricing": {"created": {"title": "Pricing"}, "description": "Price talk"}, "fear": {"title": "Risks"}})
    >>> [(c.key, c.title, c.description) for c in cb]
    [('fear', 'Risks', 'Worries'), ('pricing', 'Pricing', 'Price talk')]
    """
    return _apply_listed_edits(defaults, category_edits, lambda k, t: CodebookEntry(k, t, ""),
                               ("title", "description", "examples"))


def apply_stage_edits(defaults: Iterable[JourneyStage], stage_edits: EditsById) -> list[JourneyStage]:
    """The study's journey stages: renamed, re-mapped to categories, added or deleted."""
    return _apply_listed_edits(defaults, stage_edits, lambda k, t: JourneyStage(k, t, []), ("title", "categories"))


# ---------------------------------------------------------------------------------------------
# What mining needs to know about the researcher's edits (so the protocol stays in this module).
# ---------------------------------------------------------------------------------------------


def category_corrections(quote_edits: EditsById, known: Collection[str] = CATEGORIES) -> dict[str, str]:
    """{quote_id: category} a researcher set or confirmed, for categories in `known` (the study's
    codebook): what the categorizer learns from.

    >>> category_corrections({"q1": {"category": "fear"}, "q2": {"starred": True}, "q3": {"category": "gone"}})
    {'q1': 'fear'}
    """
    return {qid: e["category"] for qid, e in quote_edits.items() if e.get("category") in known}


def researcher_theme_ids(theme_edits: EditsById, quote_edits: EditsById) -> set[str]:
    """Themes a researcher touched (any theme edit, quotes moved into them, themes nested or merged
    into them): re-mining keeps their ids whenever any of their quotes is still together, so the
    edits stay attached.

    >>> sorted(researcher_theme_ids({"t1": {"label": "x"}}, {"q1": {"theme_id": "t2"}, "q2": {"theme_id": None}}))
    ['t1', 't2']
    """
    nested_under = {str(e[k]) for e in theme_edits.values() for k in ("parent_id", "merged_into") if e.get(k)}
    return set(theme_edits) | nested_under | {str(e["theme_id"]) for e in quote_edits.values() if e.get("theme_id")}


def metadata_key_renames(study_edits: EditsById) -> dict[str, str]:
    """{metadata key as written: canvas fact name} the researcher chose for this study.

    >>> metadata_key_renames({"study": {"metadata_key.practice size": "company_size", "metadata_key.x": None}})
    {'practice size': 'company_size'}
    """
    edits = study_edits.get(STUDY_ID, {})
    return {k.split(".", 1)[1]: v for k, v in sorted(edits.items()) if k.startswith("metadata_key.") and v}


def speaker_corrected_segments(segment_edits: EditsById) -> set[int]:
    """Segments whose speaker a researcher set: the evidence a study's interviewer voice is
    learned from (never from machine labels alone)."""
    return {int(sid) for sid, e in segment_edits.items() if "speaker" in e}


def quote_successors(old: Iterable[Quote], new: Iterable[Quote], min_share: float = 0.5) -> dict[str, list[str]]:
    """{id of a quote `old` had and `new` lacks: ids of the new quotes holding its words, most
    shared time first}. A quote id is a content key, so correcting a word of the transcript (or a
    re-split) gives its quote a new id; a successor is a quote of the same interview sharing at
    least `min_share` of the shorter one's time with it.

    >>> a, b = Quote("old", 1, 0.0, 4.0, "the font desk"), Quote("new", 1, 0.1, 4.0, "the front desk")
    >>> quote_successors([a], [b]), quote_successors([a], [a, b])
    ({'old': ['new']}, {})
    """
    by_interview: dict[int, list[Quote]] = {}
    for q in new:
        by_interview.setdefault(q.interview_id, []).append(q)
    kept = {q.id for qs in by_interview.values() for q in qs}
    out: dict[str, list[str]] = {}
    for q in old:
        if q.id in kept:
            continue
        shared = [(min(q.end, n.end) - max(q.start, n.start), n) for n in by_interview.get(q.interview_id, ())]
        found = sorted((-t, n.start, n.id) for t, n in shared
                       if t > 0 and t >= min_share * min(q.end - q.start, n.end - n.start))
        if found:
            out[q.id] = [qid for _, _, qid in found]
    return out


def carried_edits(successors: Mapping[str, list[str]], quote_edits: EditsById, persona_edits: EditsById) -> list[Edit]:
    """Edits keeping a researcher's work on quotes whose id changed (`quote_successors`): each
    field edited on the old quote goes to every successor without an edit of that field (a rewritten
    `text` only to a sole successor); a persona's chosen evidence lists the successors instead.

    >>> [(e.entity_id, e.field, e.value) for e in carried_edits(
    ...     {"q1": ["q7", "q8"]}, {"q1": {"starred": True, "text": "Mine"}, "q8": {"starred": False}},
    ...     {"p1": {"fields.goals.quote_ids": ["q1", "q2"], "name": "Ann"}})]
    [('q7', 'starred', True), ('p1', 'fields.goals.quote_ids', ['q7', 'q8', 'q2'])]
    """
    out = []
    for old, fields in quote_edits.items():
        for target in successors.get(old, ()):
            out += [Edit.quote(target, f, v) for f, v in fields.items()
                    if f not in quote_edits.get(target, {}) and (f != "text" or len(successors[old]) == 1)]
    for pid, fields in persona_edits.items():
        for f, ids in fields.items():
            if f.endswith(".quote_ids") and isinstance(ids, list) and any(i in successors for i in ids):
                new = [s for i in ids for s in successors.get(i, [i])]
                out.append(Edit.persona(pid, f, list(dict.fromkeys(new))))
    return out
