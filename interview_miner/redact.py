"""Redacted, pseudonymised exports: an output transformation of the loaded `Study`.

`prepare_study` is the one place every export goes through (export/__init__.py calls it after
loading the study, before any format renders it): consent scope always applies
(`consent.apply_consent_scope`), and in redact mode `redact_study` replaces

- every participant by a stable pseudonym ("P3": numbered once per participant and kept in the
  study, so the same person is P3 in every export, before and after other interviews are added
  or erased), in names, file names and wherever their name is said;
- every other finding of `privacy.PiiDetector` by its typed placeholder ("[EMAIL]", "[PERSON]");
- in exported recordings (the qdpx project carries them), the words of each finding by silence
  or a 1 kHz bleep, located through the segments' word timestamps (a finding whose words cannot
  be located silences its whole segment: never leak when unsure).

The study keeps the original: this works on a deep copy, and mining never sees it.
"""
from __future__ import annotations

import contextlib
import contextvars
import copy
import hashlib
import hmac
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .consent import apply_consent_scope
from .models import Segment
from .privacy import PiiDetector, PiiSpan, name_terms, replace_spans
from .vocab import participant_key

AUDIO_MODES = ("silence", "bleep")
BLEEP_HZ = 1000.0
# Formats meant to be handed around (reports, sheets, subtitles); the study's `redact_shareable`
# setting redacts these by default. json and qdpx are full-fidelity hand-overs to other tools.
SHAREABLE_FORMATS = ("md", "html", "pdf", "csv", "xlsx", "transcripts", "cards", "journey")


@dataclass(frozen=True)
class ExportPrivacy:
    """How one export treats personal data. `redact` None: the study's default for the format."""

    redact: bool | None = None
    audio: str = "silence"


_CURRENT: contextvars.ContextVar[tuple[ExportPrivacy, str | None] | None] = contextvars.ContextVar(
    "export_privacy", default=None)


@contextlib.contextmanager
def export_privacy(privacy: ExportPrivacy, fmt: str | None = None):
    """Exports started inside this block (by a command that has no privacy parameter to pass,
    such as the CLI's `export`) use `privacy`, for format `fmt` when they do not name one."""
    token = _CURRENT.set((privacy, fmt))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current_export_privacy() -> tuple[ExportPrivacy | None, str | None]:
    return _CURRENT.get() or (None, None)


def study_terms(store) -> list[str]:
    """The study's custom PII terms (its clients, the participants' employers)."""
    return list(store.privacy_setting("terms", []))


def set_study_terms(store, terms: Iterable[str]) -> list[str]:
    clean = sorted({" ".join(t.split()) for t in terms if t and t.strip()}, key=str.casefold)
    store.set_privacy_setting("terms", clean)
    return clean


def dismissed_keys(store) -> set[str]:
    return {k for k, e in store.current_edits("pii").items() if e.get("status") == "dismissed"}


def redact_by_default(store, fmt: str) -> bool:
    """Whether `fmt` is redacted without asking: the study says so for shareable formats."""
    return bool(store.privacy_setting("redact_shareable", False)) and fmt in SHAREABLE_FORMATS


IDENTIFYING_KEYS = ("employer", "company", "company_name", "organisation", "organization", "customer",
                    "customer_id", "email", "phone", "name", "website")
"""Interview metadata keys whose values identify someone: found in transcripts like study terms."""


def identifying_values(interviews) -> list[str]:
    return [v.strip() for i in interviews for k, v in (i.metadata or {}).items()
            if k.casefold() in IDENTIFYING_KEYS and isinstance(v, str) and len(v.strip()) >= 3]


def detector_for(store, interviews=None) -> PiiDetector:
    """A detector that knows the study's terms (and identifying metadata values, such as each
    participant's employer), its participants' names and the dismissals."""
    interviews = store.list_interviews() if interviews is None else interviews
    return PiiDetector(study_terms(store) + identifying_values(interviews),
                       [i.participant for i in interviews if i.participant], dismissed_keys(store))


@dataclass(frozen=True)
class Finding:
    """One detected span in one transcript line, with the researcher's decision about it."""

    interview_id: int
    segment_id: int
    segment_index: int
    start: float
    span: PiiSpan
    status: str  # found | confirmed (dismissed ones are not findings)


def findings(store, interview_ids: Iterable[int] | None = None) -> list[Finding]:
    """What the detector finds in these interviews' transcripts (edits applied), in order."""
    interviews = store.list_interviews()
    detector = detector_for(store, interviews)
    decisions = store.current_edits("pii")
    wanted = None if interview_ids is None else set(interview_ids)
    out = []
    for i in interviews:
        if wanted is not None and i.id not in wanted:
            continue
        segments = store.segments(i.id)
        for s, spans in zip(segments, detector.find_many([s.text for s in segments])):
            for span in spans:
                out.append(Finding(i.id, s.id, s.index, s.start, span,
                                   decisions.get(span.key, {}).get("status", "found")))
    return out


def decide(store, key: str, status: str) -> None:
    """Confirm or dismiss a finding for the whole study (an overlay edit on entity 'pii')."""
    from .overlay import Edit

    store.save_edit(Edit("pii", key, "status", status))


# ---------------------------------------------------------------------------------------------
# Pseudonyms
# ---------------------------------------------------------------------------------------------


def participant_hash(store, key: str) -> str:
    """A salted hash of who a participant is, so the pseudonym table names nobody."""
    salt = store.privacy_setting("pseudonym_salt")
    if not salt:
        salt = secrets.token_hex(16)
        store.set_privacy_setting("pseudonym_salt", salt)
    return hmac.new(salt.encode(), key.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonyms(store, interviews) -> dict[int, str]:
    """{interview id: "P3"}: one label per participant, given in interview order the first time
    they are seen and never changed."""
    keys = {i.id: participant_hash(store, participant_key(i)) for i in sorted(interviews, key=lambda i: i.id)}
    store.add_pseudonyms(dict.fromkeys(keys.values()))
    labels = store.pseudonym_rows()
    return {iid: labels[h] for iid, h in keys.items()}


def _alias_map(interviews, labels: dict[int, str]) -> dict[str, str]:
    """{name or name part, case-folded: pseudonym}; a part two participants share maps to nobody."""
    owners: dict[str, set[str]] = {}
    for i in interviews:
        for term in name_terms([i.participant or ""]):
            owners.setdefault(term.casefold(), set()).add(labels[i.id])
    return {t: next(iter(p)) for t, p in owners.items() if len(p) == 1}


# ---------------------------------------------------------------------------------------------
# The transformation
# ---------------------------------------------------------------------------------------------


def prepare_study(study, store, privacy: ExportPrivacy | None, fmt: str, workdir: Path | None = None):
    """The `Study` an export renders: consent scope applied, and redacted when asked (or when the
    study redacts `fmt` by default). `workdir` holds redacted recordings while the export is
    written (a temporary folder is made when None)."""
    privacy = privacy or ExportPrivacy()
    study = apply_consent_scope(study, bool(store.privacy_setting("require_consent", False)))
    redact = privacy.redact if privacy.redact is not None else redact_by_default(store, fmt)
    if not redact:
        return study
    return redact_study(study, store, audio=privacy.audio, workdir=workdir)


def private_transcript(store, interview) -> tuple | None:
    """(interview, segments) of one transcript as an export may show it, when consent or
    redaction changes it; None when the stored transcript may go out as it is."""
    from .consent import effective_consent

    privacy, _ = current_export_privacy()
    redacting = privacy.redact if privacy and privacy.redact is not None else redact_by_default(store, "transcripts")
    limited = not effective_consent(interview, bool(store.privacy_setting("require_consent", False))).covers("quotes")
    if not (redacting or limited):
        return None
    from .export.study import load_study

    study = prepare_study(load_study(store), store, ExportPrivacy(redacting, privacy.audio if privacy else "silence"),
                          "transcripts")
    return study.interview_by_id[interview.id], study.segments.get(interview.id, [])


def redact_study(study, store, audio: str = "silence", workdir: Path | None = None):
    """A pseudonymised, redacted deep copy of `study` (see the module docstring)."""
    if audio not in AUDIO_MODES:
        raise ValueError(f"unknown audio redaction {audio!r} (one of {', '.join(AUDIO_MODES)})")
    out = copy.deepcopy(study)
    detector = detector_for(store, out.interviews)
    labels = pseudonyms(store, out.interviews)
    aliases = _alias_map(out.interviews, labels)
    spans_of = _all_findings(out, detector)

    def clean(text: str | None) -> str | None:
        return replace_spans(text, spans_of[text], aliases) if text else text

    for iid, segments in out.segments.items():
        for s in segments:
            s.words = _redacted_words(s, spans_of[s.text], aliases)
            s.text = clean(s.text)
    for q in out.quotes:
        q.text, q.question = clean(q.text), clean(q.question)
    for row in out.nps.values():
        row["text"] = clean(row.get("text"))
    for t in [*out.themes, *out.sub_themes]:  # sub-theme labels come from quotes too
        t.label = clean(t.label)
        t.keywords = [clean(k) for k in t.keywords]
    for p in out.personas:
        p.name, p.role, p.demographics, p.description = (clean(p.name), clean(p.role), clean(p.demographics),
                                                         clean(p.description))
        for f in p.fields.values():
            f.text = clean(f.text)
    for i in out.interviews:
        original = study.interview_by_id[i.id]
        # Scalars only: nested details (the speaker names an imported transcript kept) would
        # carry names past the detector.
        i.metadata = {k: (clean(v) if isinstance(v, str) else v) for k, v in (i.metadata or {}).items()
                      if v is None or isinstance(v, (str, int, float, bool))}
        i.participant = labels[i.id]
        i.file_name = f"{labels[i.id]}-interview-{i.id}{Path(i.file_name).suffix.lower()}"
        if i.stored_path and i.kind == "audio" and Path(i.stored_path).exists():
            folder = workdir or Path(tempfile.mkdtemp(prefix="interview-miner-redacted-"))
            spans = redacted_times(study.segments.get(i.id, []), detector, spans_of)
            i.stored_path = str(redact_recording(original.stored_path, spans, folder / f"{i.id:03d}.wav", audio))
    out.redacted = True  # export_study then leaves out speaker names kept at import
    return out


def _all_findings(study, detector: PiiDetector) -> dict[str, list[PiiSpan]]:
    """{text: findings} for every text a redacted export shows, analysed in one batch."""
    texts: list[str] = []
    for segments in study.segments.values():
        texts += [s.text for s in segments]
    for q in study.quotes:
        texts += [q.text, q.question or ""]
    texts += [row.get("text") or "" for row in study.nps.values()]
    for t in [*study.themes, *study.sub_themes]:
        texts += [t.label, *t.keywords]
    for p in study.personas:
        texts += [p.name, p.role, p.demographics, p.description, *(f.text for f in p.fields.values())]
    for i in study.interviews:
        texts += [v for v in (i.metadata or {}).values() if isinstance(v, str)]
    unique = list(dict.fromkeys(t for t in texts if t))
    return dict(zip(unique, detector.find_many(unique)))


# ---------------------------------------------------------------------------------------------
# Where the findings are in time (segments carry word timestamps)
# ---------------------------------------------------------------------------------------------


def _word_offsets(segment: Segment) -> list[tuple[int, int] | None]:
    """Each word's [start, end) characters in the segment text, found left to right; None for a
    word the text no longer has (a researcher corrected it)."""
    lower, pos, out = segment.text.casefold(), 0, []
    for w in segment.words:
        token = w.word.strip().casefold()
        at = lower.find(token, pos) if token else -1
        if at < 0:
            out.append(None)
            continue
        out.append((at, at + len(token)))
        pos = at + len(token)
    return out


def _overlaps(a: tuple[int, int], span: PiiSpan) -> bool:
    return a[0] < span.end and span.start < a[1]


def _redacted_words(segment: Segment, spans: list[PiiSpan], aliases: dict[str, str]):
    """The segment's words with the words of each finding replaced by one word, what the text
    now says there (placeholder or pseudonym), timed from the first to the last of them; a word
    the text no longer has is replaced too when the segment has findings."""
    if not spans or not segment.words:
        return segment.words
    words, placed = [], {}
    for w, off in zip(segment.words, _word_offsets(segment)):
        hit = None if off is None else next((s for s in spans if _overlaps(off, s)), None)
        if off is not None and hit is None:
            words.append(w)
        elif hit is None:
            words.append(type(w)(w.start, w.end, " [REDACTED]", w.probability))
        elif (hit.start, hit.end) in placed:
            first = placed[(hit.start, hit.end)]
            first.end = w.end
        else:
            said = replace_spans(hit.text, [PiiSpan(0, len(hit.text), hit.kind, hit.text, hit.score)], aliases)
            placed[(hit.start, hit.end)] = type(w)(w.start, w.end, " " + said, w.probability)
            words.append(placed[(hit.start, hit.end)])
    return words


def redacted_times(segments: list[Segment], detector: PiiDetector,
                   known: dict[str, list[PiiSpan]] | None = None) -> list[tuple[float, float]]:
    """(start, end) seconds to blank in a recording: the words of every finding; the whole
    segment when a finding's words cannot be found among its word timestamps. `known`: findings
    per text already made."""
    known = known if known is not None else dict(zip([s.text for s in segments],
                                                      detector.find_many([s.text for s in segments])))
    out = []
    for s in segments:
        spans = known.get(s.text)
        if spans is None:
            spans = detector.find(s.text)
        if not spans:
            continue
        offsets = _word_offsets(s)
        for span in spans:
            hits = [w for w, off in zip(s.words, offsets) if off is not None and _overlaps(off, span)]
            if hits:
                out.append((min(w.start for w in hits), max(w.end for w in hits)))
            else:
                out.append((s.start, s.end))
    return sorted(out)


def redact_recording(source: str | Path, spans: list[tuple[float, float]], dest: Path, mode: str = "silence",
                     pad: float = 0.05) -> Path:
    """A 16 kHz mono WAV copy of `source` with each (start, end) span (padded by `pad` s on each
    side, since word timestamps are approximate) silenced or replaced by a bleep."""
    from .capture import SAMPLE_RATE, read_audio, write_wav

    audio = read_audio(source)
    for start, end in spans:
        a = max(0, int((start - pad) * SAMPLE_RATE))
        b = min(len(audio), int((end + pad) * SAMPLE_RATE))
        if b <= a:
            continue
        if mode == "bleep":
            t = np.arange(b - a) / SAMPLE_RATE
            audio[a:b] = 0.2 * np.sin(2 * np.pi * BLEEP_HZ * t)
        else:
            audio[a:b] = 0.0
    dest.parent.mkdir(parents=True, exist_ok=True)
    return write_wav(dest, audio)
