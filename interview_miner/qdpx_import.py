"""Import a REFI-QDA project (`.qdpx`, QDA-XML 1.0) into a new study.

`interview-miner add study.qdpx` reads what this tool's own `export --format qdpx` writes, and
what QualCoder, ATLAS.ti, NVivo or MAXQDA write, into one study:

- each `TextSource` (or `AudioSource`/`VideoSource` with a `Transcript`) becomes an interview with
  its transcript as segments (`[start-end] Speaker: text` lines exactly, other text through the
  same Zoom/Teams/Otter `.txt` rules `add` uses); a recording inside the zip is kept under
  recordings/ and marked transcribed, so `transcribe` does not redo it;
- codes whose name or description is one of this tool's categories become that category, their
  child codes its themes; the "Tags" code's children become tags, "Starred" stars; any other code
  (another tool's codebook) becomes a theme of the category `other`, labelled with its path;
- every coded selection becomes a quote: its text, its times (sync points, the `[start-end]` note
  this tool writes, or else estimated inside its segment), its first theme; further codes on the
  same selection are kept as tags, since a quote sits in one theme here;
- `Case`s give the participant's name, details (variables) and NPS score; `Set`s of sources become
  personas (role, demographics and field texts read back from the description).

Everything is written in one transaction into a study that has no mined data yet (themes, NPS
and personas are study-wide, so an import never mixes with or replaces earlier mining).
Re-running `mine` afterwards re-derives quotes and themes from the transcripts, as for any study.
"""
from __future__ import annotations

import hashlib
import re
import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from . import capture, review, speakers
from .errors import InterviewMinerError
from .export.qdpx import (CATEGORY_MARK, DEMOGRAPHICS_LINE, DESCRIPTION_LINE, ROLE_LINE, STARRED_CODE, TAGS_CODE,
                          VAR_LANGUAGE, VAR_NPS, VAR_PERSONA)
from .models import CATEGORIES, INTERVIEWER, PARTICIPANT, Interview, Persona, PersonaField, Quote, Segment, Theme
from .personas import FIELD_TITLES
from .quotes import quote_id as content_quote_id
from .store import Store
from .vocab import DEFAULT_CATEGORIES, nps_band

_TS = r"\d{2}:\d{2}:\d{2}\.\d{3}"
_OUR_LINE = re.compile(rf"^\[({_TS})-({_TS})\] ([^:\n]{{1,60}}): (.*)$")
_OUR_TIMES = re.compile(rf"\[({_TS})-({_TS})\]")
_OWN_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
_PATH_SEP = " › "


class ProjectImportError(InterviewMinerError):
    """The file is not a REFI-QDA project this tool can read; nothing was imported."""


# ---------------------------------------------------------------------------------------------
# Reading the XML into plain records
# ---------------------------------------------------------------------------------------------


@dataclass
class Selection:
    guid: str
    name: str | None
    start: int
    end: int
    code_guids: list[str]
    times_ms: tuple[int, int] | None = None
    description: str = ""


@dataclass
class Source:
    guid: str
    name: str
    text: str | None
    audio_member: str | None
    selections: list[Selection]
    values: dict[str, Any] = field(default_factory=dict)  # variables on the source (MAXQDA puts them here)


@dataclass
class Code:
    guid: str
    name: str
    description: str
    path: list[str]
    parent: str | None


@dataclass
class Case:
    name: str
    values: dict[str, Any]
    source_guids: list[str]


@dataclass
class CodeSet:
    guid: str
    name: str
    description: str
    source_guids: list[str]


@dataclass
class QdaProject:
    name: str
    origin: str  # the tool that wrote it
    codes: list[Code]  # depth-first, parents before children
    sources: list[Source]
    cases: list[Case]
    sets: list[CodeSet]
    skipped: list[str] = field(default_factory=list)  # sources that are not interviews (pictures, PDFs)


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el, name: str) -> list:
    return [c for c in el if _local(c) == name]


def _kid(el, name: str):
    found = _kids(el, name)
    return found[0] if found else None


def _text_of(el, name: str) -> str:
    k = _kid(el, name)
    return (k.text or "") if k is not None else ""


def read_project(path: str | Path) -> tuple[QdaProject, zipfile.ZipFile]:
    """Parse project.qde from the zip (no DTDs, no entities, no network)."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ProjectImportError(f"{path}: not a REFI-QDA project (.qdpx must be a zip: {e})") from None
    qde = [n for n in z.namelist() if n.lower().endswith(".qde") and "/" not in n.strip("/")]
    if not qde:
        raise ProjectImportError(f"{path}: no project.qde inside (not a REFI-QDA project)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(z.read(qde[0]), parser)
    except etree.XMLSyntaxError as e:
        raise ProjectImportError(f"{path}: project.qde is not well-formed XML ({e})") from None
    if _local(root) != "Project":
        raise ProjectImportError(f"{path}: project.qde has <{_local(root)}> at the top, not <Project>")
    codes: list[Code] = []

    def walk(el, parent: Code | None) -> None:
        for c in _kids(el, "Code"):
            code = Code(c.get("guid", ""), (c.get("name") or "").strip(), _text_of(c, "Description"),
                        (parent.path if parent else []) + [(c.get("name") or "").strip()],
                        parent.guid if parent else None)
            codes.append(code)
            walk(c, code)

    book = _kid(root, "CodeBook")
    if book is not None and _kid(book, "Codes") is not None:
        walk(_kid(book, "Codes"), None)
    variables = {v.get("guid"): v.get("name") or "" for v in _grandkids(root, "Variables", "Variable")}
    cases = [Case(c.get("name") or "", _values(c, variables), [r.get("targetGUID") for r in _kids(c, "SourceRef")])
             for c in _grandkids(root, "Cases", "Case")]
    sets = [CodeSet(s.get("guid", ""), s.get("name") or "", _text_of(s, "Description"),
                    [r.get("targetGUID") for r in _kids(s, "MemberSource")])
            for s in _grandkids(root, "Sets", "Set")]
    sources = [_source(path, z, s, variables)
               for s in _grandkids(root, "Sources", "TextSource", "AudioSource", "VideoSource")]
    skipped = [f"{s.get('name') or s.get('guid')}: {_local(s)} is not an interview, not imported"
               for s in _grandkids(root, "Sources", "PictureSource", "PDFSource")]
    return QdaProject(root.get("name") or Path(path).stem, root.get("origin") or "", codes, sources, cases, sets,
                      skipped), z


def _grandkids(root, parent: str, *names: str) -> list:
    """<parent><name/>...</parent> under the root: the `name` elements, in document order."""
    el = _kid(root, parent)
    return [c for c in el if _local(c) in names] if el is not None else []


def _values(case, variables: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for vv in _kids(case, "VariableValue"):
        ref = _kid(vv, "VariableRef")
        name = variables.get(ref.get("targetGUID") if ref is not None else None)
        if not name:
            continue
        for kind in ("TextValue", "IntegerValue", "FloatValue", "BooleanValue", "DateValue", "DateTimeValue"):
            v = _kid(vv, kind)
            if v is not None and v.text is not None:
                text = v.text.strip()
                out[name] = (int(text) if kind == "IntegerValue" else float(text) if kind == "FloatValue"
                             else text in ("true", "1") if kind == "BooleanValue" else v.text)
    return out


def _member(path, z: zipfile.ZipFile, ref: str | None) -> str | None:
    """The zip member an `internal://NAME` path points to (None when there is no path)."""
    if not ref:
        return None
    if not ref.startswith("internal://"):
        raise ProjectImportError(f"{path}: source {ref!r} lies outside the project; only sources inside the "
                                 ".qdpx (internal://) can be imported")
    wanted = ref[len("internal://"):].lstrip("/")
    # MAXQDA writes sources/, NVivo Sources/
    for name in (f"sources/{wanted}", f"Sources/{wanted}"):
        if name in z.namelist():
            return name
    raise ProjectImportError(f"{path}: sources/{wanted} is missing from the project")


def _read_text(path, z, el) -> str | None:
    content = _kid(el, "PlainTextContent")
    if content is not None and len(text := "".join(content.itertext())):
        return text  # itertext: text around an unresolved entity is kept (entities are never resolved)
    member = _member(path, z, el.get("plainTextPath"))
    if member is None:
        return None
    raw = z.read(member)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _codes_of(sel) -> list[str]:
    return [ref.get("targetGUID") for c in _kids(sel, "Coding") for ref in _kids(c, "CodeRef")]


def _source(path, z, el, variables: dict[str, str]) -> Source:
    name = el.get("name") or el.get("guid", "source")
    values = _values(el, variables)
    if _local(el) == "TextSource":
        sels = [Selection(s.get("guid", ""), s.get("name"), int(s.get("startPosition", 0)),
                          int(s.get("endPosition", 0)), _codes_of(s), None, _text_of(s, "Description"))
                for s in _kids(el, "PlainTextSelection")]
        return Source(el.get("guid", ""), name, _read_text(path, z, el), None, sels, values)
    audio = _member(path, z, el.get("path")) if (el.get("path") or "").startswith("internal://") else None
    transcript = _kid(el, "Transcript")
    if transcript is None:
        return Source(el.get("guid", ""), name, None, audio, [], values)
    sync = {p.get("guid"): (int(p.get("timeStamp", 0)), int(p.get("position", 0))) for p in _kids(transcript, "SyncPoint")}
    sels = []
    for s in _kids(transcript, "TranscriptSelection"):
        a, b = sync.get(s.get("fromSyncPoint")), sync.get(s.get("toSyncPoint"))
        if a is None or b is None:
            continue
        sels.append(Selection(s.get("guid", ""), s.get("name"), a[1], b[1], _codes_of(s), (a[0], b[0]),
                              _text_of(s, "Description")))
    return Source(el.get("guid", ""), name, _read_text(path, z, transcript), audio, sels, values)


# ---------------------------------------------------------------------------------------------
# Codes -> categories, themes, tags
# ---------------------------------------------------------------------------------------------

_CATEGORY_BY_NAME = {**{k: k for k in CATEGORIES}, **{c.title.casefold(): c.key for c in DEFAULT_CATEGORIES}}


def _category_key(code: Code) -> str | None:
    for line in code.description.splitlines():
        if line.startswith(CATEGORY_MARK) and line[len(CATEGORY_MARK):].strip() in CATEGORIES:
            return line[len(CATEGORY_MARK):].strip()
    return _CATEGORY_BY_NAME.get(code.name.casefold())


@dataclass
class CodeMeaning:
    category: str | None = None
    theme: Theme | None = None
    tag: str | None = None
    starred: bool = False


def interpret_codes(codes: list[Code]) -> dict[str, CodeMeaning]:
    """What each code GUID means here (see the module docstring)."""
    by_guid = {c.guid: c for c in codes}
    out: dict[str, CodeMeaning] = {}
    for c in codes:  # parents come first
        parent = out.get(c.parent) if c.parent else None
        top = by_guid[_top(by_guid, c)]
        if c.parent is None and c.name == STARRED_CODE:
            out[c.guid] = CodeMeaning(starred=True)
        elif c.parent is None and c.name == TAGS_CODE:
            out[c.guid] = CodeMeaning()
        elif parent is not None and top.name == TAGS_CODE and top.parent is None:
            out[c.guid] = CodeMeaning(tag=c.name)
        elif c.parent is None and _category_key(c):
            out[c.guid] = CodeMeaning(category=_category_key(c))
        else:
            category = parent.category if parent and parent.category else "other"
            known = _category_key(top) is not None
            label = c.name if known else _PATH_SEP.join(p for p in c.path if p)
            theme = Theme(id="t_" + hashlib.sha1(_guid_hex(c.guid).encode()).hexdigest()[:12], category=category,
                          label=label or "(unnamed code)", keywords=_keywords(c.description))
            if parent is not None and parent.theme is not None and "parent_id" in Theme.__dataclass_fields__:
                setattr(theme, "parent_id", parent.theme.id)  # noqa: B010 (a field Theme may not have yet)
            out[c.guid] = CodeMeaning(category=category, theme=theme)
    return out


def _top(by_guid: dict[str, Code], c: Code) -> str:
    while c.parent and c.parent in by_guid:
        c = by_guid[c.parent]
    return c.guid


def _guid_hex(g: str) -> str:
    try:
        return str(uuid.UUID(g.strip("{}")))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_OID, g))


def _keywords(description: str) -> list[str]:
    for line in description.splitlines():
        if line.startswith("Keywords: "):
            return [k.strip() for k in line[len("Keywords: "):].split(",") if k.strip()]
    return []


# ---------------------------------------------------------------------------------------------
# Sources -> interviews, segments, quotes
# ---------------------------------------------------------------------------------------------


def _seconds(ts: str) -> float:
    h, m, s = ts.split(":")
    return round(int(h) * 3600 + int(m) * 60 + float(s), 3)


def transcript_segments(text: str, name: str) -> list[Segment]:
    """This tool's `[start-end] Speaker: text` lines exactly; any other text by the `.txt` rules."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and all(_OUR_LINE.match(ln) for ln in lines):
        segments = []
        for ln in lines:
            m = _OUR_LINE.match(ln)
            start, end = _seconds(m.group(1)), _seconds(m.group(2))
            seg = Segment(start=start, end=end, text=m.group(4), speaker=m.group(3))
            seg.words = capture._spread_words(seg.text, start, end)
            segments.append(seg)
    else:
        segments, _ = capture.turns_to_segments(capture.parse_transcript_text(text, ".txt", name))
    segments, _ = speakers.label_imported(segments)
    return segments


def _segment_offsets(text: str, segments: list[Segment]) -> list[int]:
    """Where each segment starts in the source text (searched in order by its first words)."""
    offsets, cursor = [], 0
    for s in segments:
        probe = " ".join(s.text.split()[:6])
        at = text.find(probe, cursor) if probe else -1
        if at < 0:
            first = s.text.split()[0] if s.text.split() else ""
            at = text.find(first, cursor) if first else -1
        offsets.append(at if at >= 0 else cursor)
        cursor = max(cursor, offsets[-1])
    return offsets


def _clean_selection(snippet: str) -> str:
    snippet = re.sub(rf"\[{_TS}-{_TS}\] [^:\n]{{1,60}}: ", " ", snippet)
    return " ".join(snippet.split())


@dataclass
class ImportReport:
    """What an import added."""

    interviews: list[Interview] = field(default_factory=list)
    quotes: int = 0
    themes: int = 0
    personas: int = 0
    notes: list[str] = field(default_factory=list)


def import_qdpx(store: Store, path: str | Path, recordings_dir: str | Path) -> ImportReport:
    """Read `path` into `store` (which must hold no mined data yet); one transaction."""
    _check_new_study(store, path)
    project, z = read_project(path)
    with z:
        meanings = interpret_codes(project.codes)
        audio = _extract_recordings(project, z, Path(recordings_dir))
    case_of = {g: c for c in project.cases for g in c.source_guids}
    report = ImportReport(notes=list(project.skipped))
    quotes: list[Quote] = []
    tags: dict[str, list[str]] = {}
    starred: list[str] = []
    members: dict[str, list[str]] = {}
    interview_of: dict[str, int] = {}
    nps_rows = []
    with store.transaction():
        for src in project.sources:
            case = case_of.get(src.guid)
            if not (src.text or "").strip():
                if src.guid in audio:  # a recording without transcript: added, `transcribe` does the rest
                    report.interviews.append(_add_untranscribed(store, src, case, audio[src.guid]))
                else:
                    report.notes.append(f"{src.name}: neither transcript text nor a recording inside the project, "
                                        "not imported")
                continue
            interview = _add_interview(store, src, case, audio.get(src.guid))
            interview_of[src.guid] = interview.id
            report.interviews.append(interview)
            segments = store.segments(interview.id)
            new = _quotes(src, interview, segments, meanings, tags, starred, members,
                          own_ids=project.origin.startswith("interview-miner"))
            quotes += new
            score = case.values.get(VAR_NPS) if case else None
            if isinstance(score, int) and 0 <= score <= 10:
                scored = [q for q in new if q.category == "nps_score"]
                nps_rows.append({"interview_id": interview.id, "score": score, "klass": nps_band(score),
                                 "quote_id": scored[0].id if scored else None,
                                 "text": scored[0].text if scored else None})
        store.save_quotes(quotes, [i.id for i in report.interviews])
        store.save_categories([(q.id, q.category, 1.0) for q in quotes if q.category])
        themes = {m.theme.id: m.theme for m in meanings.values() if m.theme is not None}
        for t in themes.values():
            t.quote_ids = members.get(t.id, [])
            t.representative_quote_id = t.quote_ids[0] if t.quote_ids else None
        store.save_themes(sorted(themes.values(), key=lambda t: t.id))
        store.save_nps(nps_rows)
        personas = _personas(project.sets, interview_of)
        store.save_personas(personas)
        for qid, qtags in tags.items():
            review.tag_quote(store, qid, qtags)
        for qid in starred:
            review.star_quote(store, qid, True)
    report.quotes, report.themes, report.personas = len(quotes), len(themes), len(personas)
    return report


def _check_new_study(store: Store, path) -> None:
    if store.quotes(apply_edits=False) or store.machine_themes() or store.personas() or store.nps():
        raise ProjectImportError(
            f"{path}: this study already has mined quotes, themes or personas; import a REFI-QDA "
            "project into a new study (give a new --db file)")


def _extract_recordings(project: QdaProject, z: zipfile.ZipFile, recordings_dir: Path) -> dict[str, tuple[str, Path]]:
    """{source guid: (sha256, stored path)} for recordings inside the zip, copied under
    recordings/<sha256>.<ext> like any added recording."""
    out = {}
    for src in project.sources:
        if not src.audio_member:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            local = Path(tmp) / ("audio" + Path(src.audio_member).suffix.lower())
            h = hashlib.sha256()
            with z.open(src.audio_member) as fin, open(local, "wb") as fout:
                while block := fin.read(1 << 20):
                    h.update(block)
                    fout.write(block)
            out[src.guid] = (h.hexdigest(), capture.store_recording(local, h.hexdigest(), recordings_dir))
    return out


def _details(src: Source, case: Case | None) -> tuple[str | None, dict[str, Any], str | None]:
    """(participant, metadata, language) from the case and the source's variables."""
    values = {**src.values, **(case.values if case else {})}
    language = values.pop(VAR_LANGUAGE, None)
    values.pop(VAR_NPS, None)
    values.pop(VAR_PERSONA, None)
    participant = (case.name.strip() if case and case.name.strip() not in ("", src.name) else None)
    return participant, {**values, "imported_from": "REFI-QDA"}, language if isinstance(language, str) else None


def _add_untranscribed(store: Store, src: Source, case: Case | None, audio: tuple[str, Path]) -> Interview:
    if store.find_interview_by_hash(audio[0]):
        raise ProjectImportError(f"{src.name}: this study already holds the same recording")
    info = capture.probe_audio(audio[1])
    participant, metadata, language = _details(src, case)
    return store.add_interview(Interview(
        id=None, content_hash=audio[0], file_name=src.name, kind="audio", stored_path=str(audio[1]),
        participant=participant, metadata={**metadata, "channels": info.channels, "codec": info.codec},
        language=language, duration=round(info.duration, 3), status="added"))


def _add_interview(store: Store, src: Source, case: Case | None, audio: tuple[str, Path] | None) -> Interview:
    segments = transcript_segments(src.text or "", src.name)
    participant, metadata, language = _details(src, case)
    content_hash = audio[0] if audio else hashlib.sha256((src.guid + "\n" + (src.text or "")).encode()).hexdigest()
    if store.find_interview_by_hash(content_hash):
        raise ProjectImportError(f"{src.name}: this study already holds the same interview")
    interview = store.add_interview(Interview(
        id=None, content_hash=content_hash, file_name=src.name, kind="audio" if audio else "transcript",
        stored_path=str(audio[1]) if audio else None, participant=participant, metadata=metadata,
        language=language, duration=round(max((s.end for s in segments), default=0.0), 3), status="transcribed",
    ))
    store.replace_segments(interview.id, segments)
    if audio:  # the transcript came with the recording: `transcribe` must not redo it by default
        from .transcribe import TranscribeOptions

        store.set_transcription(interview.id, run_key=TranscribeOptions().key(content_hash),
                                committed_until=interview.duration, completed=1, speakers_done=1)
    return interview


def _quotes(src: Source, interview: Interview, segments: list[Segment], meanings: dict[str, CodeMeaning],
            tags: dict[str, list[str]], starred: list[str], members: dict[str, list[str]],
            own_ids: bool = False) -> list[Quote]:
    """Quotes from the coded selections. `own_ids`: the project is this tool's own export, whose
    selection names are the quote ids (kept, so researcher edits keyed by them still match)."""
    text = src.text or ""
    offsets = _segment_offsets(text, segments)
    out: list[Quote] = []
    seen: set[str] = set()
    for sel in sorted(src.selections, key=lambda s: (s.start, s.end)):
        a, b = max(0, min(sel.start, sel.end)), min(len(text), max(sel.start, sel.end))
        quote_text = _clean_selection(text[a:b])
        if not quote_text:
            continue
        k = max([n for n, off in enumerate(offsets) if off <= a] or [0])
        seg = segments[k] if segments else Segment(0.0, 0.0, quote_text)
        start, end = _selection_times(sel, seg, offsets[k] if offsets else 0, a, b)
        qid = sel.name if own_ids and sel.name and _OWN_ID.match(sel.name) else content_quote_id(
            interview.content_hash, start, quote_text)
        while qid in seen:
            qid = content_quote_id(interview.content_hash, start, quote_text + f"#{len(seen)}")
        seen.add(qid)
        question = next((s.text for s in reversed(segments[:k + 1]) if s.speaker == INTERVIEWER), None)
        q = Quote(id=qid, interview_id=interview.id, start=start, end=end, text=quote_text, question=question,
                  speaker=seg.speaker or PARTICIPANT, index=len(out), confidence=1.0)
        extra: list[str] = []
        for g in sel.code_guids:
            m = meanings.get(g)
            if m is None:
                continue
            if m.starred:
                starred.append(qid)
            elif m.tag:
                extra.append(m.tag)
            elif m.theme is not None and q.theme_id is None:
                q.theme_id, q.category = m.theme.id, m.theme.category
                members.setdefault(m.theme.id, []).append(qid)
            elif m.theme is not None:
                extra.append(m.theme.label)  # a quote sits in one theme: further codes stay as tags
            elif m.category and q.category is None:
                q.category = m.category
        if extra:
            tags[qid] = sorted(set(extra))
        out.append(q)
    return out


def _selection_times(sel: Selection, seg: Segment, seg_offset: int, a: int, b: int) -> tuple[float, float]:
    if sel.times_ms:
        return round(sel.times_ms[0] / 1000, 3), round(sel.times_ms[1] / 1000, 3)
    m = _OUR_TIMES.search(sel.description or "")
    if m:
        return _seconds(m.group(1)), _seconds(m.group(2))
    # Estimated inside its segment, in proportion to where the selection sits in the segment's text.
    span = max(len(seg.text), 1)
    rate = (seg.end - seg.start) / span
    start = seg.start + max(0, a - seg_offset) * rate
    end = min(seg.end, seg.start + max(0, b - seg_offset) * rate)
    return round(min(start, seg.end), 3), round(max(end, start), 3)


def _personas(sets: list[CodeSet], interview_of: dict[str, int]) -> list[Persona]:
    by_title = {t.casefold(): f for f, t in FIELD_TITLES.items()}
    out = []
    for s in sets:
        ids = sorted({interview_of[g] for g in s.source_guids if g in interview_of})
        if not ids:
            continue
        p = Persona(id=f"p_{hashlib.sha1((s.guid or s.name).encode()).hexdigest()[:10]}", name=s.name or "Persona",
                    interview_ids=ids)
        description = []
        for line in s.description.splitlines():
            title, _, rest = line.partition(": ")
            if line.startswith(ROLE_LINE) and not p.role:
                p.role = line[len(ROLE_LINE):]
            elif line.startswith(DEMOGRAPHICS_LINE) and not p.demographics:
                p.demographics = line[len(DEMOGRAPHICS_LINE):]
            elif line.startswith(DESCRIPTION_LINE):
                description.append(line[len(DESCRIPTION_LINE):])
            elif rest and title.casefold() in by_title:
                p.fields[by_title[title.casefold()]] = PersonaField(text=rest)
            else:
                description.append(line)
        p.description = "\n".join(description).strip()
        out.append(p)
    return out
