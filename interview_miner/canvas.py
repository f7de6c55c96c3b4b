"""The persona canvas: one persona as practitioners lay it out, every part shown for what it is.

Three kinds of field, never mixed, because a reader must know what to trust and what to rewrite:
- **mined claims** (goals, frustrations, triggers, criteria, fears, objections, alternatives,
  channels, usage, NPS): machine output with the researcher's edits, each theme with
  "k of n participants" and its 1-3 strongest quotes;
- **facts** aggregated from interview metadata (role, company size, industry, location, age, ...):
  ranges and counts over the persona's participants, e.g. "Practice manager, 5-20 staff, 4 of 5".
  Metadata keys are free-form, so common spellings are mapped (`FACTS`) and a study can map its
  own keys (`map_metadata_key`: "practice size" -> company_size);
- **team text** ("how we help", "how we address this fear"): written by the team, stored only as
  overlay edits (`Persona.team`), so re-mining can never overwrite it.

Plus the decision role (buyer, decision-maker, end user, influencer): the researcher's choice
when set, else the majority of the members' `decision_role`-like metadata.

Everything is computed from an export `Study` (the live study or a saved version), so the app,
the JSON export, the cards and version comparison read one model.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import InterviewMinerError
from .export.study import Study, clock
from .models import DECISION_ROLES, PERSONA_FIELDS, Persona, PersonaField, Quote
from .overlay import Edit, EditError
from .persona_grouping import participants_of
from .persona_writing import roles_named
from .personas import FIELD_TITLES, TECHNICAL_META
from .vocab import nps_breakdown, participant_key

# ---------------------------------------------------------------------------------------------
# Facts from metadata
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactSpec:
    """One canvas fact: its name, title, the metadata keys read as it, and whether its values
    are numbers to show as a range (with `unit`) rather than counted words."""

    name: str
    title: str
    aliases: tuple[str, ...]
    numeric: bool = False
    unit: str = ""


FACTS: tuple[FactSpec, ...] = (
    FactSpec("role", "Role", ("role", "title", "job_title", "job", "position", "job_role")),
    FactSpec("decision_role", "Decision role", ("decision_role", "buying_role", "buyer_role", "purchase_role")),
    FactSpec("company_size", "Company size", ("company_size", "size", "employees", "headcount", "staff",
                                              "organisation_size", "organization_size", "org_size"), True, "staff"),
    FactSpec("team_size", "People they lead", ("team_size", "team", "reports", "direct_reports",
                                               "people_managed"), True, "people"),
    FactSpec("industry", "Industry", ("industry", "sector", "vertical")),
    FactSpec("company_type", "Company type", ("company_type", "business_type", "organisation", "organization",
                                              "organisation_type", "organization_type", "segment")),
    FactSpec("stage", "Company stage", ("stage", "company_stage", "development_stage", "growth_stage")),
    FactSpec("revenue", "Revenue", ("revenue", "annual_revenue", "turnover", "arr")),
    FactSpec("location", "Location", ("location", "city", "country", "region", "place")),
    FactSpec("age", "Age", ("age", "age_range", "age_group"), True),
    FactSpec("income", "Income", ("income", "income_level", "salary")),
    FactSpec("education", "Education", ("education", "degree")),
    FactSpec("family", "Family", ("family", "household", "living_situation", "family_status")),
)
FACT_BY_NAME = {f.name: f for f in FACTS}
_ALIAS = {a: f.name for f in FACTS for a in f.aliases}

METHOD_INTERVIEWS = (8, 12)
"""Interviews per persona the method asks for: fewer and a persona may be one person's story."""


def normalise_key(key: str) -> str:
    """'Company Size' / 'company-size' -> 'company_size'."""
    return re.sub(r"[\s\-]+", "_", str(key).strip().casefold())


def fact_name(key: str, renames: dict[str, str] | None = None) -> str | None:
    """The fact a metadata key is read as: the study's own mapping first, then common spellings.

    >>> fact_name("Job title"), fact_name("practice size", {"practice size": "company_size"}), fact_name("codec")
    ('role', 'company_size', None)
    """
    for raw, name in (renames or {}).items():
        if normalise_key(raw) == normalise_key(key):
            return name
    return _ALIAS.get(normalise_key(key))


@dataclass
class Fact:
    name: str
    title: str
    text: str  # e.g. "5-20 staff" or "Practice manager (3), Owner (1)"
    n_known: int  # members with a value
    n_members: int
    values: list[tuple[str, int]] = field(default_factory=list)  # (value, members), most first
    low: float | None = None
    high: float | None = None
    n_said: int = 0  # members whose value they said in the interview (a role: `said_roles`), not typed
    quotes: list[QuoteRef] = field(default_factory=list)  # where they said it: a fact is a claim, with evidence

    @property
    def known_for(self) -> str:
        """'2 of 3', and how many said it in the interview rather than in its details.

        >>> Fact("role", "Role", "Owner", 2, 3, n_said=2).known_for
        '2 of 3, said in the interview'
        """
        said = ("" if not self.n_said else ", said in the interview" if self.n_said == self.n_known
                else f" ({self.n_said} said in the interview)")
        return f"{self.n_known} of {self.n_members}{said}"


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _numbers(value: Any) -> list[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    return [float(n.replace(",", "")) for n in _NUMBER.findall(str(value))]


def _fmt(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:g}"


def aggregate_fact(spec: FactSpec, values: Sequence[Any], n_members: int) -> Fact:
    """Values of one fact over a persona's members: a range for numbers, counts for words.

    >>> aggregate_fact(FACT_BY_NAME["company_size"], ["5-10", "20", "12 staff"], 4).text
    '5-20 staff'
    >>> aggregate_fact(FACT_BY_NAME["role"], ["Practice manager", "practice manager", "Owner"], 3).text
    'Practice manager (2), Owner (1)'
    """
    present = [v for v in values if str(v).strip()]
    counted: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for v in present:
        key = " ".join(str(v).split()).casefold()
        counted[key] += 1
        shown.setdefault(key, " ".join(str(v).split()))
    ranked = [(shown[k], c) for k, c in sorted(counted.items(), key=lambda kc: (-kc[1], kc[0]))]
    fact = Fact(spec.name, spec.title, "", len(present), n_members, ranked)
    nums = [n for v in present for n in _numbers(v)]
    if spec.numeric and nums and sum(1 for v in present if _numbers(v)) * 2 >= len(present):
        fact.low, fact.high = min(nums), max(nums)
        span = _fmt(fact.low) if fact.low == fact.high else f"{_fmt(fact.low)}-{_fmt(fact.high)}"
        plus = "+" if any(str(v).strip().endswith("+") and fact.high in _numbers(v) for v in present) else ""
        fact.text = f"{span}{plus} {spec.unit}".strip()
    elif len(ranked) == 1:
        fact.text = ranked[0][0]
    else:
        fact.text = ", ".join(f"{v} ({c})" for v, c in ranked)
    return fact


def persona_facts(study: Study, persona: Persona, renames: dict[str, str] | None = None) -> list[Fact]:
    """Every fact some member has, in FACTS order; one value per participant (their latest)."""
    by_person: dict[str, dict[str, Any]] = {}
    for iid in sorted(persona.interview_ids):
        interview = study.interview_by_id.get(iid)
        if interview is None:
            continue
        mine = by_person.setdefault(participant_key(interview), {})
        for key, value in (interview.metadata or {}).items():
            name = fact_name(key, renames)
            if (name and key.casefold() not in TECHNICAL_META and value is not None
                    and not isinstance(value, (bool, dict, list)) and str(value).strip()):
                mine[name] = value
    said = _said_roles(study, persona, by_person)
    n = len(by_person)
    facts = []
    for spec in FACTS:
        values = [m[spec.name] for m in by_person.values() if spec.name in m]
        if values:
            facts.append(aggregate_fact(spec, values, n))
            if spec.name == "role":
                facts[-1].n_said = len(said)
                facts[-1].quotes = [_quote_ref(study, study.quote_by_id[q]) for q in said.values()
                                    if q in study.quote_by_id]
                facts[-1].quotes.sort(key=lambda r: (r.participant.casefold(), r.start))
    return facts


def _said_roles(study: Study, persona: Persona, by_person: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Fill the role of members whose interview details name none with the job they said they do
    ("I'm the office manager at ..."), as the persona's name and Role field do; returns their keys,
    each with the id of the quote that says it (the fact's evidence, like a claim's quotes)."""
    members = set(persona.interview_ids)
    interviews = [i for i in study.interviews if i.id in members]
    quotes = [q for q in study.quotes if q.interview_id in members]
    said = {}
    for p in participants_of(interviews, quotes):
        if p.said_role and "role" not in by_person.get(p.key, {}):
            by_person.setdefault(p.key, {})["role"] = p.said_role
            said[p.key] = p.said_role_quote or ""
    return said


def facts_headline(facts: Sequence[Fact], n_members: int, role_hint: str = "") -> str:
    """'Practice manager, 5-20 staff, 4 of 5': the members' role, company size or industry, and
    how many members have that role. When no single role is held by most members, the persona's
    own role (`role_hint`, e.g. the words their roles share: "Owner") is used and counted by the
    members whose role contains it."""
    by_name = {f.name: f for f in facts}
    parts, k = [], 0
    if "role" in by_name:
        role, k = by_name["role"].values[0]
        if k * 2 <= n_members and role_hint.strip():
            # words their roles share ("Manager"), or their roles listed, without "(1 of 6)": counted here
            role = re.sub(r"\s*\(\d+ of \d+\)$", "", role_hint.strip())
            named = roles_named(role)
            k = sum(c for v, c in by_name["role"].values if any(r in " ".join(v.casefold().split()) for r in named))
        parts.append(role)
    for name in ("company_size", "industry"):
        if name in by_name:
            parts.append(by_name[name].text if by_name[name].low is not None or len(by_name[name].values) == 1
                         else by_name[name].values[0][0])
            k = k or by_name[name].n_known
    if not parts:
        return ""
    return ", ".join(parts + [f"{k} of {n_members}"])


def _decision_role_from(value: Any) -> str | None:
    v = normalise_key(value).replace("_", " ")
    if v in ("buyer", "economic buyer", "purchaser", "payer", "budget holder"):
        return "buyer"
    if v in ("decision maker", "decision-maker", "decider", "approver", "dm"):
        return "decision-maker"
    if v in ("end user", "end-user", "user", "daily user"):
        return "end user"
    if v in ("influencer", "champion", "advisor", "recommender", "gatekeeper"):
        return "influencer"
    return v if v in DECISION_ROLES else None


# ---------------------------------------------------------------------------------------------
# The canvas
# ---------------------------------------------------------------------------------------------

TEAM_PROMPTS: dict[str, str] = {
    "goals": "How we help them reach it",
    "frustrations": "How we take this away",
    "triggers": "How we meet them at this moment",
    "criteria": "How we meet these criteria",
    "fears": "How we address this fear",
    "objections": "How we answer these objections",
    "alternatives": "Why us rather than these",
    "channels": "Where we reach them",
    "usage": "How we support this use",
    "nps": "What we do about it",
}
"""The team's question next to each mined claim (team text is keyed by the claim's field)."""
MAX_QUOTES_PER_THEME = 3
WHY_US = "why_us"
"""A claim only the canvas has: the reasons promoters give for recommending us."""


@dataclass
class QuoteRef:
    id: str
    text: str
    participant: str
    interview_id: int
    file_name: str
    start: float
    timestamp: str


@dataclass
class ClaimTheme:
    theme_id: str
    label: str
    k: int  # members who voiced it
    n: int  # members
    quotes: list[QuoteRef] = field(default_factory=list)


@dataclass
class Claim:
    field: str
    title: str
    text: str  # the claim as mined (and edited)
    n_participants: int
    n_members: int
    themes: list[ClaimTheme] = field(default_factory=list)
    quotes: list[QuoteRef] = field(default_factory=list)  # the field's chosen supporting quotes
    team_prompt: str = ""
    team_text: str = ""


@dataclass
class Coverage:
    """Are there enough interviews behind this persona? (see METHOD_INTERVIEWS)"""

    n_interviews: int
    wanted: tuple[int, int]
    more_needed: int
    saturation: list[dict[str, Any]]  # per added interview: {interview_id, participant, new_themes, total}
    reading: str


@dataclass
class Canvas:
    persona_id: str
    name: str
    role: str
    decision_role: str
    decision_role_source: str  # "researcher" | "metadata" | ""
    story: str  # one line
    description: str
    demographics: str
    avatar: str | None
    n_members: int
    participants: list[str]
    headline: str
    facts: list[Fact]
    claims: list[Claim]
    nps: dict[str, Any]  # nps_breakdown of the members' scores, plus "band"
    coverage: Coverage


def _quote_ref(study: Study, q: Quote) -> QuoteRef:
    interview = study.interview_by_id.get(q.interview_id)
    return QuoteRef(q.id, q.text, study.participant(q.interview_id), q.interview_id,
                    interview.file_name if interview else "", round(q.start, 3), clock(q.start))


def one_line_story(description: str, limit: int = 160) -> str:
    """The first sentence of the description, cut at a word with an ellipsis past `limit`.

    >>> one_line_story("Started looking after a bad month. Weighs price.")
    'Started looking after a bad month.'
    """
    text = " ".join((description or "").split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return shorten(first, limit)


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and end with an ellipsis when longer than `limit` characters.

    >>> shorten("one two three four", 12)
    'one two…'
    """
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


def build_canvas(study: Study, persona: Persona, renames: dict[str, str] | None = None) -> Canvas:
    """The canvas of one persona over `study` (the live study or a saved version)."""
    members = sorted(i for i in persona.interview_ids if i in study.interview_by_id)
    keys = {study.participant_key(i) for i in members}
    n = len(keys)
    member_quotes = [q for q in study.quotes if q.interview_id in set(members)]
    by_theme: dict[str, list[Quote]] = {}
    for q in member_quotes:
        if q.theme_id in study.theme_by_id:
            by_theme.setdefault(q.theme_id, []).append(q)
    claims = []
    for name in PERSONA_FIELDS:
        f = persona.fields.get(name) or PersonaField()
        themes = []
        for tid in f.theme_ids:
            t = study.theme_by_id.get(tid)
            if t is None:
                continue
            qs = by_theme.get(tid, [])
            chosen = [study.quote_by_id[q] for q in f.quote_ids if q in study.quote_by_id
                      and study.quote_by_id[q].theme_id == tid]
            ranked = chosen + sorted(qs, key=lambda q: (not q.starred, -len(q.text), q.id))
            best = list({q.id: q for q in reversed(ranked)}.values())[::-1]  # first mention wins
            themes.append(ClaimTheme(tid, t.label, len({study.participant_key(q.interview_id) for q in qs}), n,
                                     [_quote_ref(study, q) for q in best[:MAX_QUOTES_PER_THEME]]))
        themes.sort(key=lambda c: -c.k)
        quotes = [_quote_ref(study, study.quote_by_id[q]) for q in f.quote_ids if q in study.quote_by_id]
        claims.append(Claim(name, FIELD_TITLES.get(name, name.title()), f.text, f.n_participants, n, themes,
                            quotes, TEAM_PROMPTS.get(name, ""), persona.team.get(name, "")))
    claims.append(_why_us(study, member_quotes, n))
    facts = persona_facts(study, persona, renames)
    role_source, decision = "", persona.decision_role
    if decision:
        role_source = "researcher"
    else:
        dr = next((f for f in facts if f.name == "decision_role"), None)
        voted = Counter(r for v, c in (dr.values if dr else []) for r in [_decision_role_from(v)] * c if r)
        if voted:
            decision, role_source = voted.most_common(1)[0][0], "metadata"
    scores = [study.nps_score(i) for i in members]
    nps = nps_breakdown([s for s in scores if s is not None])
    nps["band"] = nps_band(nps)
    return Canvas(
        persona_id=persona.id, name=persona.name, role=persona.role, decision_role=decision,
        decision_role_source=role_source, story=one_line_story(persona.description),
        description=persona.description, demographics=persona.demographics, avatar=persona.avatar,
        n_members=n, participants=sorted({study.participant(i) for i in members}, key=str.casefold),
        headline=facts_headline(facts, n, persona.role), facts=facts, claims=claims, nps=nps,
        coverage=persona_coverage(study, members),
    )


def _why_us(study: Study, member_quotes: list[Quote], n: int) -> Claim:
    """Why they choose us: the NPS reasons given by the members who recommend us (promoters,
    9-10), mined like any claim (themes, k of n, quotes). A passive's reason is as often a
    complaint as praise, so it stays under NPS with the detractors' reasons."""
    keen = {q.interview_id for q in member_quotes if (study.nps_score(q.interview_id) or 0) >= 9}
    by_theme: dict[str, list[Quote]] = {}
    for q in member_quotes:
        t = study.theme_by_id.get(q.theme_id or "")
        if q.interview_id in keen and t is not None and t.category == "nps_reason":
            by_theme.setdefault(t.id, []).append(q)
    themes = [ClaimTheme(tid, study.theme_by_id[tid].label, len({study.participant_key(q.interview_id) for q in qs}),
                         n, [_quote_ref(study, q) for q in sorted(qs, key=lambda q: (not q.starred, -len(q.text), q.id))
                             [:MAX_QUOTES_PER_THEME]]) for tid, qs in by_theme.items()]
    themes.sort(key=lambda t: (-t.k, t.label.casefold()))
    voiced = len({study.participant_key(q.interview_id) for qs in by_theme.values() for q in qs})
    text = "; ".join(f"{t.label} ({t.k} of {n})" for t in themes)
    return Claim(WHY_US, "Why they choose us", text, voiced, n, themes)


def nps_band(breakdown: dict[str, Any]) -> str:
    """The persona's NPS band: promoters / passives / detractors by its mean score, '' unscored."""
    mean = breakdown.get("mean")
    if mean is None:
        return ""
    return "promoters" if mean >= 9 else "passives" if mean >= 7 else "detractors"


def persona_coverage(study: Study, members: Sequence[int], window: int = 3) -> Coverage:
    """Interviews behind a persona against the 8-12 the method asks, and its own saturation
    curve: new themes per added member interview (in the order they were added)."""
    from .review import SaturationPoint, saturation_reading

    first_seen: dict[int, list[str]] = {}
    member_set = set(members)
    for t in study.themes:
        if t.category == "other":
            continue
        seen = [study.quote_by_id[q].interview_id for q in t.quote_ids
                if q in study.quote_by_id and study.quote_by_id[q].interview_id in member_set]
        if seen:
            first_seen.setdefault(min(seen), []).append(t.label)
    mined = {q.interview_id for q in study.quotes}
    curve, total = [], 0
    for iid in sorted(member_set & mined):
        labels = sorted(first_seen.get(iid, []))
        total += len(labels)
        curve.append(SaturationPoint(iid, study.participant(iid), len(labels), total, labels))
    low, _ = METHOD_INTERVIEWS
    return Coverage(
        n_interviews=len(members), wanted=METHOD_INTERVIEWS, more_needed=max(0, low - len(members)),
        saturation=[{"interview_id": p.interview_id, "participant": study.participant(p.interview_id),
                     "new_themes": p.new_themes, "total_themes": p.total_themes} for p in curve],
        reading=saturation_reading(curve, window),
    )


def canvas_dict(c: Canvas) -> dict[str, Any]:
    """The stable JSON shape of a canvas (see docs/export-format.md, `personas[].canvas`)."""
    out = asdict(c)
    out["coverage"]["wanted"] = list(c.coverage.wanted)
    out["facts"] = [{**asdict(f), "values": [{"value": v, "n": k} for v, k in f.values]} for f in c.facts]
    return out


def study_canvases(study: Study) -> list[Canvas]:
    return [build_canvas(study, p, study.metadata_keys) for p in study.personas]


# ---------------------------------------------------------------------------------------------
# Researcher operations on the canvas (each one typed overlay edit, like persona_review.py)
# ---------------------------------------------------------------------------------------------


class PhotoError(InterviewMinerError, ValueError):
    """An uploaded persona photo this app cannot use (not an image, or too big)."""


MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000  # a 40-megapixel photo; larger ones are refused before decoding


def _persona(store, persona_id: str) -> Persona:
    from .persona_review import get_persona

    return get_persona(store, persona_id)


def set_team_text(store, persona_id: str, claim_field: str, text: str) -> Persona:
    """The team's answer next to one claim ('how we help', 'how we address this fear')."""
    _persona(store, persona_id)
    if claim_field not in PERSONA_FIELDS:
        raise EditError(f"unknown claim {claim_field!r}: use one of {', '.join(PERSONA_FIELDS)}")
    store.save_edit(Edit.persona(persona_id, f"team.{claim_field}", str(text).strip()))
    return _persona(store, persona_id)


def set_decision_role(store, persona_id: str, role: str) -> Persona:
    """buyer / decision-maker / end user / influencer; '' goes back to what metadata says."""
    _persona(store, persona_id)
    store.save_edit(Edit.persona(persona_id, "decision_role", _decision_role_from(role) or role if role else ""))
    return _persona(store, persona_id)


def map_metadata_key(store, key: str, fact: str | None) -> None:
    """Read this study's metadata `key` as canvas fact `fact` (None: back to the default)."""
    if fact is not None and fact not in FACT_BY_NAME:
        raise EditError(f"unknown canvas fact {fact!r}: use one of {', '.join(FACT_BY_NAME)}")
    store.save_edit(Edit.study(f"metadata_key.{key.strip()}", fact))


def metadata_keys(store) -> dict[str, str]:
    from .overlay import metadata_key_renames

    return metadata_key_renames(store.current_edits("study"))


def photo_data_uri(data: bytes, name: str = "photo", max_px: int = 320) -> str:
    """An uploaded photo as a small data URI; PhotoError naming the file when it is not an image
    or is too large (checked before decoding, so a decompression bomb is never expanded)."""
    import base64

    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(f"{name}: {len(data) / 1e6:.0f} MB is too large for a photo "
                         f"(at most {MAX_PHOTO_BYTES // 2**20} MB)")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            w, h = probe.size
            if w * h > MAX_PHOTO_PIXELS:
                raise PhotoError(f"{name}: {w}x{h} pixels is too large for a photo "
                                 f"(at most {MAX_PHOTO_PIXELS // 1_000_000} megapixels)")
            img = ImageOps.exif_transpose(probe)
            img.load()
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise PhotoError(f"{name}: not an image this app can read (PNG, JPEG or WebP): {e}") from None
    img.thumbnail((max_px, max_px))
    buf = io.BytesIO()
    if img.mode in ("RGBA", "LA", "P"):
        img.save(buf, format="PNG", optimize=True)
        mime = "image/png"
    else:
        img.convert("RGB").save(buf, format="JPEG", quality=85)
        mime = "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode()}"


def set_photo(store, persona_id: str, data: bytes, name: str = "photo") -> Persona:
    """Vet and store an uploaded photo; on bad input the persona is left as it was."""
    _persona(store, persona_id)
    store.save_edit(Edit.persona(persona_id, "avatar", photo_data_uri(data, name)))
    return _persona(store, persona_id)

