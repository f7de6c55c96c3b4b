"""REFI-QDA exchange files: the study as a `.qdpx` project and its codebook as a `.qdc`.

REFI-QDA (QDA-XML 1.0, www.qdasoftware.org) is how QualCoder, ATLAS.ti, NVivo, MAXQDA and
Transana exchange projects: a zip holding `project.qde` (XML) and `sources/` (the documents and
recordings it points to as `internal://NAME`). What goes where:

- each interview is a source: a `TextSource` holding the transcript (one line per segment,
  `[start-end] Speaker: text`), or, when the recording is at hand, an `AudioSource` whose
  `Transcript` carries the same text with `SyncPoint`s (time in ms <-> character position) at every
  quote's start and end, so each coded selection keeps its timestamps;
- the codebook: categories are parent codes, their themes child codes (sub-themes below them when a
  theme names a `parent_id`), researcher tags codes under a "Tags" parent, starred quotes a code;
- every quote is a selection coded with its theme (or its category when unthemed), tags and star;
- each participant is a `Case` with their details as variables (metadata, language, NPS score,
  persona); each persona a `Set` of its members' sources with its description and fields.

GUIDs are uuid5 of what they stand for (recording hash, quote id, theme id, category key...), and
nothing depends on the clock, so exporting the same study twice gives the same bytes: exports diff
cleanly. `interview_miner.qdpx_import` reads these files (and other tools' ones) back.
"""
from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from ..models import PERSONA_FIELDS, Interview, Quote, Segment, Theme
from ..personas import FIELD_TITLES
from ..transcript_io import speaker_label
from ..vocab import CATEGORIES, category_title, timecode
from .study import GENERATED_BY, Study

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
# uuid5 namespace of every GUID this tool writes (itself a uuid5 of the project's name).
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/interview-miner/refi-qda")
TAGS_CODE = "Tags"
STARRED_CODE = "Starred"
# Marker in a category code's description: how a re-import recognises the category key.
CATEGORY_MARK = "interview-miner category: "
# Persona sets: the description carries role/demographics/fields as "Title: text" lines.
ROLE_LINE, DEMOGRAPHICS_LINE, DESCRIPTION_LINE = "Role: ", "Demographics: ", "Description: "
# Case variables this tool writes besides the interview's own metadata.
VAR_LANGUAGE, VAR_NPS, VAR_PERSONA = "Language", "NPS score", "Persona"
# Distinct, readable code colours per category (QDA tools colour highlights by code).
CATEGORY_COLORS = {
    "channel": "#1F77B4", "trigger": "#D62728", "alternatives": "#9467BD", "criteria": "#2CA02C",
    "fear": "#8C564B", "objection": "#E377C2", "outcome": "#17BECF", "usage": "#BCBD22",
    "nps_score": "#FF7F0E", "nps_reason": "#7F7F7F", "other": "#AEC7E8",
}


def guid(kind: str, key: Any) -> str:
    """A stable GUID for one thing of this study: same kind and key, same GUID, every export."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}"))


USER_GUID = guid("user", "interview-miner")


def clock_ms(seconds: float) -> str:
    """hh:mm:ss.mmm: the time format of the transcript lines inside a project."""
    return timecode(seconds, ".")


# ---------------------------------------------------------------------------------------------
# Transcript text with character offsets
# ---------------------------------------------------------------------------------------------


@dataclass
class SourceText:
    """An interview's transcript as one plain text, and where each quote sits in it."""

    text: str
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # quote id -> [start, end)


def source_text(segments: list[Segment], quotes: list[Quote]) -> SourceText:
    """One line per segment, `[start-end] Speaker: text`; each quote located inside its segment
    (searched from the segment it starts in, so a repeated sentence is found in order)."""
    lines, offsets = [], []
    pos = 0
    for s in segments:
        prefix = f"[{clock_ms(s.start)}-{clock_ms(s.end)}] {speaker_label(s.speaker)}: "
        body = " ".join(s.text.split())
        offsets.append((pos + len(prefix), pos + len(prefix) + len(body), s))
        lines.append(prefix + body)
        pos += len(prefix) + len(body) + 1
    text = "\n".join(lines) + ("\n" if lines else "")
    out = SourceText(text)
    for q in sorted(quotes, key=lambda q: (q.start, q.index)):
        wanted = " ".join(q.text.split())
        first = next((k for k, (_, _, s) in enumerate(offsets) if s.end > q.start + 1e-3), 0)
        span = None
        for body_start, body_end, _ in offsets[first:] + offsets[:first]:
            at = text.find(wanted, body_start, body_end)
            if wanted and at >= 0:
                span = (at, at + len(wanted))
                break
        if span is None and offsets:  # edited text: select the segments the quote's time covers
            covered = [o for o in offsets if o[2].end > q.start and o[2].start < q.end] or [offsets[first]]
            span = (covered[0][0], covered[-1][1])
        if span:
            out.spans[q.id] = span
    return out


# ---------------------------------------------------------------------------------------------
# The codebook
# ---------------------------------------------------------------------------------------------


def _el(parent, tag: str, ns: str = PROJECT_NS, text: str | None = None, **attrs: Any):
    e = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: str(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        e.text = _xml_text(text)
    return e


def _xml_text(value: str) -> str:
    """Characters XML 1.0 cannot hold (control characters) dropped; everything else kept."""
    return "".join(c for c in str(value) if c in "\t\n\r" or ord(c) >= 0x20 and c not in "\ufffe\uffff")


@dataclass
class Codebook:
    """Which code GUID each quote is coded with, from the study's categories, themes and tags."""

    categories: list[str]
    themes: list[Theme]
    tags: list[str]
    has_starred: bool

    def __post_init__(self) -> None:
        self.sub_theme_ids = {t.id for t in self.themes if t.parent_id is not None}

    def quote_codes(self, q: Quote, theme_ids: set[str]) -> list[str]:
        """A quote is coded with its finest theme: its sub-theme when it sits in one (the parent
        code, one level up, holds it by aggregation, as QDA tools read a code tree)."""
        codes = []
        if q.sub_theme_id in self.sub_theme_ids and q.theme_id in theme_ids:
            codes.append(guid("theme", q.sub_theme_id))
        elif q.theme_id and q.theme_id in theme_ids:
            codes.append(guid("theme", q.theme_id))
        elif q.category:
            codes.append(guid("category", q.category))
        codes += [guid("tag", t) for t in sorted(q.tags)]
        if q.starred:
            codes.append(guid("starred", "starred"))
        return codes


def codebook_of(study: Study) -> Codebook:
    cats = {t.category for t in study.themes} | {q.category for q in study.quotes if q.category}
    order = list(CATEGORIES)
    categories = sorted(cats, key=lambda c: (order.index(c) if c in order else len(order), c))
    tags = sorted({t for q in study.quotes for t in q.tags})
    return Codebook(categories, [*study.themes, *study.sub_themes], tags, any(q.starred for q in study.quotes))


def _codes(parent, book: Codebook, ns: str) -> None:
    codes = _el(parent, "Codes", ns)
    by_parent: dict[str | None, list[Theme]] = {}
    ids = {t.id for t in book.themes}
    for t in book.themes:
        up = t.parent_id
        by_parent.setdefault(up if up in ids else None, []).append(t)

    def theme_code(into, t: Theme, color: str) -> None:
        c = _el(into, "Code", ns, guid=guid("theme", t.id), name=_xml_text(t.label) or t.id,
                isCodable="true", color=color)
        if t.keywords:
            _el(c, "Description", ns, "Keywords: " + ", ".join(t.keywords))
        for sub in by_parent.get(t.id, []):
            theme_code(c, sub, color)

    for cat in book.categories:
        color = CATEGORY_COLORS.get(cat, "#7F7F7F")
        c = _el(codes, "Code", ns, guid=guid("category", cat),
                name=category_title(cat), isCodable="true", color=color)
        _el(c, "Description", ns, CATEGORY_MARK + cat)
        for t in by_parent.get(None, []):
            if t.category == cat:
                theme_code(c, t, color)
    if book.tags:
        root = _el(codes, "Code", ns, guid=guid("tags", "root"), name=TAGS_CODE, isCodable="false")
        _el(root, "Description", ns, "Researcher tags")
        for tag in book.tags:
            _el(root, "Code", ns, guid=guid("tag", tag), name=_xml_text(tag), isCodable="true")
    if book.has_starred:
        c = _el(codes, "Code", ns, guid=guid("starred", "starred"), name=STARRED_CODE, isCodable="true",
                color="#D89B00")
        _el(c, "Description", ns, "Quotes a researcher starred")
    if not len(codes):  # the schema asks for at least one code
        _el(codes, "Code", ns, guid=guid("category", "other"), name=category_title("other"), isCodable="true")


def to_qdc(study: Study) -> bytes:
    """The codebook alone (`.qdc`): categories, themes (and sub-themes), tags."""
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS})
    _codes(root, codebook_of(study), CODEBOOK_NS)
    return _serialize(root)


def _serialize(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


# ---------------------------------------------------------------------------------------------
# The project
# ---------------------------------------------------------------------------------------------


@dataclass
class Project:
    """project.qde and the files for sources/: text as str, recordings as paths (streamed)."""

    xml: bytes
    texts: dict[str, str] = field(default_factory=dict)
    recordings: dict[str, Path] = field(default_factory=dict)


def source_guid(i: Interview) -> str:
    return guid("source", i.content_hash)


def _recording(i: Interview, with_audio: bool) -> Path | None:
    if not with_audio or i.kind != "audio" or not i.stored_path:
        return None
    path = Path(i.stored_path)
    return path if path.is_file() else None


def build_project(study: Study, with_audio: bool = True) -> Project:
    root = etree.Element(f"{{{PROJECT_NS}}}Project", nsmap={None: PROJECT_NS},
                         name=_xml_text(study.title), origin=GENERATED_BY)
    _el(_el(root, "Users"), "User", guid=USER_GUID, name="interview-miner")
    book = codebook_of(study)
    _codes(_el(root, "CodeBook"), book, PROJECT_NS)
    project = Project(b"")
    personas_of: dict[int, list[str]] = {}
    for p in study.personas:
        for iid in p.interview_ids:
            personas_of.setdefault(iid, []).append(p.name)
    variables = _case_variables(study, personas_of)
    if variables:
        vs = _el(root, "Variables")
        for name, kind in variables.items():
            _el(vs, "Variable", guid=guid("variable", name), name=_xml_text(name), typeOfVariable=kind)
    if study.interviews:
        cases = _el(root, "Cases")
        for i in study.interviews:
            case = _el(cases, "Case", guid=guid("case", i.content_hash), name=_xml_text(study.participant(i.id)))
            for name, value in _case_values(study, i, personas_of).items():
                _variable_value(case, name, variables[name], value)
            _el(case, "SourceRef", targetGUID=source_guid(i))
        sources = _el(root, "Sources")
        quotes_of: dict[int, list[Quote]] = {}
        for q in study.quotes:
            quotes_of.setdefault(q.interview_id, []).append(q)
        theme_ids = set(study.theme_by_id)
        for i in study.interviews:
            _source(sources, project, study, i, quotes_of.get(i.id, []), book, theme_ids, with_audio)
    if study.personas:
        sets = _el(root, "Sets")
        members = {i.id: source_guid(i) for i in study.interviews}
        for p in study.personas:
            s = _el(sets, "Set", guid=guid("persona", p.id), name=_xml_text(p.name) or p.id)
            _el(s, "Description", text=persona_description(p))
            theme_guids = sorted({guid("theme", t) for f in p.fields.values() for t in f.theme_ids
                                  if t in theme_ids}) if study.interviews else []
            for g in theme_guids:
                _el(s, "MemberCode", targetGUID=g)
            for iid in sorted(p.interview_ids):
                if iid in members:
                    _el(s, "MemberSource", targetGUID=members[iid])
    _el(root, "Description", text=f"{study.title} - exported by {GENERATED_BY}")
    project.xml = _serialize(root)
    return project


def _stamp(i: Interview) -> dict[str, str]:
    """Who made a source and when: the interview's creation time in the study, so it never
    changes between exports. QualCoder's importer needs a date on transcripts and selections."""
    when = (i.created_at or "2000-01-01T00:00:00+00:00").replace("+00:00", "Z")
    return {"creatingUser": USER_GUID, "creationDateTime": when}


def _source(sources, project: Project, study: Study, i: Interview, quotes: list[Quote], book: Codebook,
            theme_ids: set[str], with_audio: bool) -> None:
    sid = source_guid(i)
    stamp = _stamp(i)
    st = source_text(study.segments.get(i.id, []), quotes)
    recording = _recording(i, with_audio)
    name = _xml_text(i.file_name)
    if recording is None:
        src = _el(sources, "TextSource", guid=sid, name=name, plainTextPath=f"internal://{sid}.txt", **stamp)
        project.texts[f"{sid}.txt"] = st.text
        for q in quotes:
            if q.id not in st.spans:
                continue
            a, b = st.spans[q.id]
            sel = _el(src, "PlainTextSelection", guid=guid("selection", q.id), name=q.id,
                      startPosition=a, endPosition=b, **stamp)
            _el(sel, "Description", text=f"[{clock_ms(q.start)}-{clock_ms(q.end)}]")
            for code in book.quote_codes(q, theme_ids):
                _coding(sel, q.id, code)
        return
    audio_name = f"{sid}{recording.suffix.lower()}"
    project.recordings[audio_name] = recording
    src = _el(sources, "AudioSource", guid=sid, name=name, path=f"internal://{audio_name}", **stamp)
    tid = guid("transcript", i.content_hash)
    tr = _el(src, "Transcript", guid=tid, name=f"{name}.txt", plainTextPath=f"internal://{tid}.txt", **stamp)
    project.texts[f"{tid}.txt"] = st.text
    points = []
    for q in quotes:
        if q.id in st.spans:
            a, b = st.spans[q.id]
            points.append((q, (guid("sync-start", q.id), round(q.start * 1000), a),
                           (guid("sync-end", q.id), round(q.end * 1000), b)))
    for _, start, end in points:
        for g, ms, pos in (start, end):
            _el(tr, "SyncPoint", guid=g, timeStamp=ms, position=pos)
    for q, start, end in points:
        sel = _el(tr, "TranscriptSelection", guid=guid("selection", q.id), name=q.id,
                  fromSyncPoint=start[0], toSyncPoint=end[0], **stamp)
        for code in book.quote_codes(q, theme_ids):
            _coding(sel, q.id, code)


def _coding(selection, quote_id: str, code_guid: str) -> None:
    c = _el(selection, "Coding", guid=guid("coding", f"{quote_id}:{code_guid}"))
    _el(c, "CodeRef", targetGUID=code_guid)


_SKIPPED_METADATA = {"speaker_names", "channels", "codec", "tracks", "times_estimated"}  # pipeline bookkeeping


def _case_values(study: Study, i: Interview, personas_of: dict[int, list[str]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in sorted((i.metadata or {}).items()):
        if key not in _SKIPPED_METADATA and isinstance(value, (str, int, float, bool)) and str(value) != "":
            values[str(key)] = value
    if i.language:
        values[VAR_LANGUAGE] = i.language
    score = study.nps_score(i.id)
    if score is not None:
        values[VAR_NPS] = score
    if personas_of.get(i.id):
        values[VAR_PERSONA] = "; ".join(sorted(personas_of[i.id]))
    return values


def _case_variables(study: Study, personas_of: dict[int, list[str]]) -> dict[str, str]:
    """{variable name: REFI type}; a variable whose values mix types is Text."""
    kinds: dict[str, set[str]] = {}
    for i in study.interviews:
        for name, value in _case_values(study, i, personas_of).items():
            kinds.setdefault(name, set()).add(
                "Boolean" if isinstance(value, bool) else "Integer" if isinstance(value, int)
                else "Float" if isinstance(value, float) else "Text")
    return {name: (k.pop() if len(k) == 1 else "Text") for name, k in sorted(kinds.items())}


def _variable_value(case, name: str, kind: str, value: Any) -> None:
    vv = _el(case, "VariableValue")
    _el(vv, "VariableRef", targetGUID=guid("variable", name))
    if kind == "Boolean":
        _el(vv, "BooleanValue", text="true" if value else "false")
    elif kind == "Integer":
        _el(vv, "IntegerValue", text=str(int(value)))
    elif kind == "Float":
        _el(vv, "FloatValue", text=repr(float(value)))
    else:
        _el(vv, "TextValue", text=str(value))


def persona_description(p) -> str:
    """Role, demographics, description and each field's text, one `Title: text` line each."""
    lines = []
    if p.role:
        lines.append(ROLE_LINE + " ".join(p.role.split()))
    if p.demographics:
        lines.append(DEMOGRAPHICS_LINE + " ".join(p.demographics.split()))
    if p.description:  # labelled: a description may itself start like a field ("Triggers: ...")
        lines += ["", DESCRIPTION_LINE + " ".join(p.description.split())]
    texts = [(FIELD_TITLES.get(f, f), p.fields[f].text) for f in PERSONA_FIELDS if f in p.fields and p.fields[f].text]
    if texts:
        lines.append("")
        lines += [f"{title}: {' '.join(text.split())}" for title, text in texts]
    return "\n".join(lines).strip("\n")


# A fixed timestamp for every zip entry: the same study gives the same bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_qdpx(study: Study, out: str | Path, with_audio: bool = True) -> Path:
    """Write the `.qdpx` zip (atomically: a `.part` file renamed at the end)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "wb") as f:
        _write_zip(build_project(study, with_audio), f)
    tmp.replace(out)
    return out


def to_qdpx(study: Study, with_audio: bool = True) -> bytes:
    """The `.qdpx` as bytes (small studies, tests); `write_qdpx` for files."""
    buf = io.BytesIO()
    _write_zip(build_project(study, with_audio), buf)
    return buf.getvalue()


def _write_zip(project: Project, f) -> None:
    """project.qde, then sources/ in name order. Recordings are streamed from disk and stored
    as they are (already compressed, or not worth it); text is deflated."""
    with zipfile.ZipFile(f, "w") as z:
        _zip_bytes(z, "project.qde", project.xml)
        for name in sorted(project.texts):
            _zip_bytes(z, f"sources/{name}", project.texts[name].encode("utf-8"))
        for name in sorted(project.recordings):
            info = zipfile.ZipInfo(f"sources/{name}", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            with open(project.recordings[name], "rb") as src, z.open(info, "w", force_zip64=True) as dst:
                while block := src.read(1 << 20):
                    dst.write(block)


def _zip_bytes(z: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)
