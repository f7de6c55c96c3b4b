"""Persona versions: named snapshots of the study's personas, and what changed between two.

Personas are redone as a business moves from start-up to growth to maturity; missing how the
customer changed is a common cause of wrong decisions. So a researcher saves the personas as a
named version ("2026-Q4 round"), keeps interviewing, and later compares any two versions (or a
version with the live study, `CURRENT`): personas added and removed, claims gained and lost,
participant shares and NPS that moved, each change with the quotes that explain it.

A version stores the study as the exports see it (interviews without their segments, quotes,
themes, NPS, personas with every edit applied, the study's metadata key mapping) as one JSON row.
It is written once and never touched by mining, so re-mining after new interviews cannot
rewrite it, and every export and the persona cards can be rendered from it (`load_version`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .canvas import Canvas, build_canvas
from .errors import InterviewMinerError
from .export.study import Study, load_study
from .models import Interview, Persona, PersonaField, Quote, Theme

CURRENT = "current"
"""The live study, as a version name for `compare` (so it is never a saved version's name)."""
SNAPSHOT_FORMAT = 1
SHARE_MOVE = 0.1  # a claim's participant share must move by at least this much to be reported
MAX_NAME = 80


class VersionError(InterviewMinerError, ValueError):
    """A version name that cannot be saved or found."""


@dataclass
class VersionInfo:
    name: str
    created_at: str
    n_personas: int


# ---------------------------------------------------------------------------------------------
# Snapshot and load
# ---------------------------------------------------------------------------------------------


def snapshot(study: Study) -> dict[str, Any]:
    """The study as plain JSON-ready data, without transcript segments."""
    return {
        "format": SNAPSHOT_FORMAT,
        "title": study.title,
        "interviews": [asdict(i) for i in study.interviews],
        "quotes": [asdict(q) for q in study.quotes],
        "themes": [asdict(t) for t in study.themes],
        "sub_themes": [asdict(t) for t in study.sub_themes],
        "nps": [dict(row, interview_id=iid) for iid, row in sorted(study.nps.items())],
        "personas": [asdict(p) for p in study.personas],
        "metadata_keys": dict(study.metadata_keys),
        "written_texts": None if study.written_texts is None else sorted(map(list, study.written_texts)),
    }


def study_from_snapshot(data: dict[str, Any], version: str | None = None, title: str | None = None) -> Study:
    """The `Study` a snapshot was taken of (segments left out: a version holds no transcripts)."""
    personas = []
    for p in data["personas"]:
        p = _known(Persona, p)
        p["fields"] = {k: PersonaField(**_known(PersonaField, v)) for k, v in p.get("fields", {}).items()}
        personas.append(Persona(**p))
    return Study(
        title=title or data.get("title") or "",
        interviews=[Interview(**_known(Interview, i)) for i in data["interviews"]],
        segments={},
        quotes=[Quote(**_known(Quote, q)) for q in data["quotes"]],
        themes=[Theme(**_known(Theme, t)) for t in data["themes"]],
        sub_themes=[Theme(**_known(Theme, t)) for t in data.get("sub_themes", [])],  # none before issue 9
        nps={int(r["interview_id"]): r for r in data["nps"]},
        personas=personas,
        metadata_keys=dict(data.get("metadata_keys", {})),
        version=version,
        written_texts=None if data.get("written_texts") is None else {tuple(k) for k in data["written_texts"]},
    )


def _known(cls, row: dict[str, Any]) -> dict[str, Any]:
    """The keys of `row` that `cls` has: a version saved by a newer or older release still opens
    (fields added since take their defaults, fields removed since are dropped)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in row.items() if k in names}


def save_version(store, name: str) -> VersionInfo:
    """Snapshot the study's personas now, under a new name."""
    name = " ".join(str(name).split())
    if not name:
        raise VersionError("a version needs a name, e.g. '2026-Q4 round'")
    if len(name) > MAX_NAME:
        raise VersionError(f"version name too long ({len(name)} characters, at most {MAX_NAME})")
    if name.casefold() == CURRENT:
        raise VersionError(f"{CURRENT!r} means the live study; choose another version name")
    study = load_study(store, with_segments=False)
    if not study.personas:
        raise VersionError("no personas to save yet: suggest or create personas first")
    try:
        store.save_persona_version(name, snapshot(study))
    except ValueError as e:
        raise VersionError(f"{e} (versions are never overwritten: choose another name)") from None
    return next(v for v in list_versions(store) if v.name == name)


def list_versions(store) -> list[VersionInfo]:
    return [VersionInfo(**row) for row in store.persona_versions()]


def load_version(store, name: str, title: str | None = None) -> Study:
    """The study as saved in version `name` (`CURRENT`: the live study)."""
    if name == CURRENT:
        return load_study(store, title, with_segments=False)
    try:
        data = store.persona_version(name)
    except KeyError:
        known = ", ".join(v.name for v in list_versions(store)) or "none saved yet"
        raise VersionError(f"no persona version named {name!r} (versions: {known})") from None
    return study_from_snapshot(data, version=name, title=title)


# ---------------------------------------------------------------------------------------------
# Compare
# ---------------------------------------------------------------------------------------------


@dataclass
class ClaimChange:
    """One theme of one claim (e.g. Fears: "Data leaks") that appeared, vanished or moved."""

    field: str
    title: str
    label: str
    share_a: float | None  # k/n participants of the persona in version A (None: not there)
    share_b: float | None
    k_a: int = 0
    n_a: int = 0
    k_b: int = 0
    n_b: int = 0
    quotes: list[dict[str, Any]] = field(default_factory=list)  # the evidence for the change


@dataclass
class PersonaChange:
    persona_id: str
    name_a: str
    name_b: str
    members_a: int
    members_b: int
    share_a: float  # the persona's share of all participants
    share_b: float
    nps_a: int | None
    nps_b: int | None
    gained: list[ClaimChange] = field(default_factory=list)
    lost: list[ClaimChange] = field(default_factory=list)
    moved: list[ClaimChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.gained or self.lost or self.moved or self.nps_a != self.nps_b
                    or self.members_a != self.members_b or self.name_a != self.name_b)


@dataclass
class Comparison:
    a: str
    b: str
    added: list[dict[str, Any]]  # personas only in B: {id, name, members}
    removed: list[dict[str, Any]]  # personas only in A
    changed: list[PersonaChange]
    unchanged: list[str]  # names (in B) of personas with nothing to report


def _participants(study: Study) -> int:
    return len({study.participant_key(i.id) for i in study.interviews if any(
        q.interview_id == i.id for q in study.quotes)}) or 1


def _claim_index(c: Canvas) -> dict[tuple[str, str], tuple[Any, Any]]:
    """{(field, theme key): (claim, theme)}; the key is the theme id, so a renamed theme is the
    same claim; themes are also findable by label (a re-mined theme with a new id)."""
    return {(claim.field, t.theme_id): (claim, t) for claim in c.claims for t in claim.themes}


def _quotes(theme) -> list[dict[str, Any]]:
    return [asdict(q) for q in theme.quotes]


def compare(store, a: str, b: str = CURRENT) -> Comparison:
    """What changed from version `a` to version `b` (`CURRENT`: the live study)."""
    study_a, study_b = load_version(store, a), load_version(store, b)
    canv_a = {p.id: build_canvas(study_a, p, study_a.metadata_keys) for p in study_a.personas}
    canv_b = {p.id: build_canvas(study_b, p, study_b.metadata_keys) for p in study_b.personas}
    # Persona ids are stable across re-suggesting (personas.py); a persona re-made by hand is
    # matched by name as a fallback.
    pairs = {pid: pid for pid in canv_a if pid in canv_b}
    by_name_b = {c.name.casefold(): pid for pid, c in canv_b.items() if pid not in pairs.values()}
    for pid, c in canv_a.items():
        if pid not in pairs and c.name.casefold() in by_name_b:
            pairs[pid] = by_name_b.pop(c.name.casefold())
    total_a, total_b = _participants(study_a), _participants(study_b)
    out = Comparison(a, b, added=[], removed=[], changed=[], unchanged=[])
    for pid, c in canv_a.items():
        if pid not in pairs:
            out.removed.append({"id": pid, "name": c.name, "members": c.n_members})
    for pid, c in canv_b.items():
        if pid not in pairs.values():
            out.added.append({"id": pid, "name": c.name, "members": c.n_members})
    for pid_a, pid_b in pairs.items():
        ca, cb = canv_a[pid_a], canv_b[pid_b]
        change = PersonaChange(pid_b, ca.name, cb.name, ca.n_members, cb.n_members,
                               round(ca.n_members / total_a, 3), round(cb.n_members / total_b, 3),
                               ca.nps["nps"], cb.nps["nps"])
        ia, ib = _claim_index(ca), _claim_index(cb)
        labels_b = {(key[0], t.label.casefold()): key for key, (_, t) in ib.items()}
        matched_b = set()
        for key, (claim, ta) in ia.items():
            key_b = key if key in ib else labels_b.get((key[0], ta.label.casefold()))
            if key_b is None:
                change.lost.append(ClaimChange(claim.field, claim.title, ta.label, _share(ta), None,
                                               ta.k, ta.n, quotes=_quotes(ta)))
                continue
            matched_b.add(key_b)
            tb = ib[key_b][1]
            if abs(_share(tb) - _share(ta)) >= SHARE_MOVE:
                change.moved.append(ClaimChange(claim.field, claim.title, tb.label, _share(ta), _share(tb),
                                                ta.k, ta.n, tb.k, tb.n, quotes=_new_quotes(ta, tb)))
        for key, (claim, tb) in ib.items():
            if key not in matched_b:
                change.gained.append(ClaimChange(claim.field, claim.title, tb.label, None, _share(tb),
                                                 k_b=tb.k, n_b=tb.n, quotes=_quotes(tb)))
        (out.changed.append(change) if change.changed else out.unchanged.append(cb.name))
    return out


def _share(theme) -> float:
    return round(theme.k / theme.n, 3) if theme.n else 0.0


def _new_quotes(ta, tb) -> list[dict[str, Any]]:
    """Quotes behind a moved share: those only in B first (who joined), else B's best."""
    old = {q.id for q in ta.quotes}
    fresh = [q for q in tb.quotes if q.id not in old]
    return [asdict(q) for q in (fresh or tb.quotes)]


def comparison_dict(c: Comparison) -> dict[str, Any]:
    return asdict(c)


def comparison_lines(c: Comparison, quotes_per_change: int = 1) -> list[str]:
    """The comparison as plain text lines (the CLI prints them; the app shows the same facts)."""
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.0%}"

    lines = [f"{c.a} -> {c.b}"]
    for p in c.added:
        lines.append(f"+ persona {p['name']} ({p['members']} participants)")
    for p in c.removed:
        lines.append(f"- persona {p['name']} ({p['members']} participants)")
    for p in c.changed:
        name = p.name_b if p.name_a == p.name_b else f"{p.name_a} -> {p.name_b}"
        lines.append(f"~ {name}: {p.members_a} -> {p.members_b} participants "
                     f"({pct(p.share_a)} -> {pct(p.share_b)} of the study)"
                     + (f", NPS {signed_nps(p.nps_a)} -> {signed_nps(p.nps_b)}" if p.nps_a != p.nps_b else ""))
        for sign, items in (("+", p.gained), ("-", p.lost), ("~", p.moved)):
            for ch in items:
                shares = (f"{ch.k_b} of {ch.n_b}" if sign == "+" else f"{ch.k_a} of {ch.n_a}" if sign == "-"
                          else f"{ch.k_a} of {ch.n_a} -> {ch.k_b} of {ch.n_b}")
                lines.append(f"    {sign} {ch.title}: {ch.label} ({shares})")
                for q in ch.quotes[:quotes_per_change]:
                    lines.append(f"        “{q['text']}” ({q['participant']}, {q['timestamp']})")
    if c.unchanged:
        lines.append("= unchanged: " + ", ".join(c.unchanged))
    return lines


def signed_nps(x: int | None) -> str:
    return "none" if x is None else f"{x:+d}"
