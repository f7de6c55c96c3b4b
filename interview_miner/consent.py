"""Consent per interview: whether it was given, when, what it covers, and until when the data may
be kept; and what every export may show because of it.

Where it lives: in the interview's metadata keys `consent` (a scope), `consent_date` and
`retention_until`, so `add --meta consent=quotes --meta retention_until=2027-06-30` records it on
upload like any other detail, and changes are overlay edits (`consent.scope`, `consent.date`,
`consent.retention_until`, typed and validated in overlay.py) that survive everything.

Scopes, each covering the ones before it (overlay.CONSENT_SCOPES):
- none: consent not given. Nothing verbatim leaves the study; the interview should be erased.
- analysis: analysed and counted, but no verbatim quote or transcript line in any export.
- quotes: verbatim quotes in internal reports, but no audio.
- audio: audio clips may be shared as well.

An interview without a consent record exports as before (studies made before consent existed
keep working) unless the study sets `require_consent`, which reads a missing record as
"analysis only". `apply_consent_scope` is the one place exports are filtered; mining never is.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date

from .errors import InterviewMinerError
from .models import Interview
from .overlay import CONSENT_SCOPES, Edit
from .vocab import participant_name

SCOPE_TITLES = {
    "none": "not given",
    "analysis": "analysis only",
    "quotes": "quotes in internal reports",
    "audio": "audio clips may be shared",
}
_ALIASES = {"no": "none", "not-given": "none", "internal": "quotes", "quote": "quotes", "clips": "audio",
            "analysis-only": "analysis"}
WITHHELD = "[withheld: consent does not cover quotes]"


class ConsentError(InterviewMinerError, ValueError):
    """A consent value that does not read (unknown scope, malformed date)."""

    hint_cli = f"scopes: {', '.join(CONSENT_SCOPES)}; dates as YYYY-MM-DD"
    hint_app = hint_cli


@dataclass(frozen=True)
class Consent:
    """One interview's consent. `scope` None: no record."""

    scope: str | None = None
    date: str | None = None
    retention_until: str | None = None

    @property
    def recorded(self) -> bool:
        return self.scope is not None

    @property
    def given(self) -> bool | None:
        return None if self.scope is None else self.scope != "none"

    def covers(self, scope: str) -> bool:
        """Whether this consent allows `scope` (an unrecorded consent allows everything)."""
        if self.scope is None:
            return True
        return CONSENT_SCOPES.index(self.scope) >= CONSENT_SCOPES.index(scope)

    def expired(self, today: date | None = None) -> bool:
        return bool(self.retention_until) and date.fromisoformat(self.retention_until) < (today or date.today())

    def describe(self) -> str:
        if self.scope is None:
            return "no consent recorded"
        parts = [SCOPE_TITLES[self.scope]]
        if self.date:
            parts.append(f"on {self.date}")
        if self.retention_until:
            parts.append(f"keep until {self.retention_until}")
        return ", ".join(parts)


def parse_scope(text: str | None) -> str | None:
    """A scope as typed ('quotes', 'Internal', 'no') -> its key; '' / None -> None.

    >>> parse_scope("Internal"), parse_scope("")
    ('quotes', None)
    """
    if text is None or not str(text).strip():
        return None
    key = str(text).strip().casefold().replace("_", "-").replace(" ", "-")
    key = _ALIASES.get(key, key)
    if key not in CONSENT_SCOPES:
        raise ConsentError(f"unknown consent scope {text!r} (one of: {', '.join(CONSENT_SCOPES)})")
    return key


def parse_date(text: str | None, what: str = "date") -> str | None:
    if text is None or not str(text).strip():
        return None
    try:
        return date.fromisoformat(str(text).strip()).isoformat()
    except ValueError:
        raise ConsentError(f"consent {what} {text!r} is not a date YYYY-MM-DD") from None


def consent_of(interview: Interview) -> Consent:
    """The consent recorded on an interview (its metadata, edits applied). A value that does not
    read counts as no record, and `consent_report` says so."""
    meta = interview.metadata or {}
    try:
        return Consent(parse_scope(meta.get("consent")), parse_date(meta.get("consent_date")),
                       parse_date(meta.get("retention_until"), "retention date"))
    except ConsentError:
        return Consent()


def consent_meta(scope: str | None, given_on: str | None = None, retention_until: str | None = None) -> dict[str, str]:
    """Metadata entries for a new interview's consent, validated (ConsentError before anything
    is added)."""
    out = {}
    if scope is not None:
        out["consent"] = parse_scope(scope) or ""
    if given_on is not None:
        out["consent_date"] = parse_date(given_on) or ""
    if retention_until is not None:
        out["retention_until"] = parse_date(retention_until, "retention date") or ""
    return {k: v for k, v in out.items() if v}


def set_consent(store, interview_id: int, scope: str | None = None, given_on: str | None = None,
                retention_until: str | None = None) -> Consent:
    """Record or change one interview's consent (only the parts given); returns the result."""
    interview = store.get_interview(interview_id)  # KeyError naming it when unknown
    edits = []
    if scope is not None:
        edits.append(Edit.interview(interview.id, "consent.scope", parse_scope(scope)))
    if given_on is not None:
        edits.append(Edit.interview(interview.id, "consent.date", parse_date(given_on)))
    if retention_until is not None:
        edits.append(Edit.interview(interview.id, "consent.retention_until",
                                    parse_date(retention_until, "retention date")))
    for e in edits:
        store.save_edit(e)
    return consent_of(store.get_interview(interview.id))


@dataclass(frozen=True)
class ConsentRow:
    """One interview in the study-level consent view."""

    interview_id: int
    participant: str
    file_name: str
    consent: Consent
    expired: bool
    unreadable: bool  # consent metadata present but not valid

    @property
    def action(self) -> str:
        """What the researcher should do about it, or ''."""
        if self.unreadable:
            return "fix the consent record"
        if self.consent.given is False:
            return "no consent: erase (forget) or obtain consent"
        if self.expired:
            return "retention expired: erase (forget)"
        if not self.consent.recorded:
            return "record consent"
        return ""

    def to_dict(self) -> dict:
        return {"interview_id": self.interview_id, "participant": self.participant, "file_name": self.file_name,
                "consent": self.consent.scope, "consent_date": self.consent.date,
                "retention_until": self.consent.retention_until, "expired": self.expired, "action": self.action}


def consent_report(store, today: date | None = None) -> list[ConsentRow]:
    """Every interview's consent, whether its retention expired and what to do about it."""
    rows = []
    for i in store.list_interviews():
        c = consent_of(i)
        meta = i.metadata or {}
        unreadable = not c.recorded and any(meta.get(k) for k in ("consent", "consent_date", "retention_until"))
        rows.append(ConsentRow(i.id, participant_name(i), i.file_name, c, c.expired(today), unreadable))
    return rows


def effective_consent(interview: Interview, require_consent: bool) -> Consent:
    """The consent exports act on: with `require_consent`, a missing record means analysis only."""
    c = consent_of(interview)
    return Consent("analysis") if require_consent and not c.recorded else c


def apply_consent_scope(study, require_consent: bool = False):
    """A copy of the `Study` that shows only what each participant consented to: no verbatim
    quote or transcript of anyone whose consent stops at analysis (quotes keep their place, so
    counts and themes do not change, with their words replaced by WITHHELD), and no recording of
    anyone whose consent does not cover audio. The study itself is not touched."""
    consents = {i.id: effective_consent(i, require_consent) for i in study.interviews}
    no_audio = {iid for iid, c in consents.items() if not c.covers("audio")}
    no_quotes = {iid for iid, c in consents.items() if not c.covers("quotes")}
    if not no_quotes and not any(study.interview_by_id[iid].stored_path for iid in no_audio):
        return study  # nothing to hold back: no copy (large studies export as fast as before)
    out = copy.deepcopy(study)
    for i in out.interviews:
        if i.id in no_audio:
            i.stored_path = None
    withheld: set[str] = set()
    for q in out.quotes:
        if q.interview_id in no_quotes:
            withheld |= {q.text.strip(), q.text.strip().rstrip(".!?…")}  # claims drop the full stop
            q.text = WITHHELD
            q.question = None
    # persona claims quote the participants' own words: those quotes are withheld there too
    withheld = sorted((t for t in withheld if len(t) >= 3), key=len, reverse=True)
    for p in out.personas:
        for f in p.fields.values():
            for text in withheld:
                f.text = f.text.replace(text, WITHHELD)
        for attr in ("description",):
            value = getattr(p, attr) or ""
            for text in withheld:
                value = value.replace(text, WITHHELD)
            setattr(p, attr, value)
    for iid in no_quotes:
        out.segments[iid] = []
        if iid in out.nps and out.nps[iid].get("text"):
            out.nps[iid]["text"] = WITHHELD
    return out
