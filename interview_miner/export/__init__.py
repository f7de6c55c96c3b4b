"""Exports: transcripts (txt/srt/vtt/json) and study reports. One module per format family."""
from __future__ import annotations

from ..store import Store
from ..transcript_io import speaker_names
from . import transcripts


def transcript_text(store: Store, interview_id: int, fmt: str = "txt") -> str:
    """One interview's transcript, speaker-labelled and timed, with researcher edits applied."""
    interview = store.get_interview(interview_id)
    segments = store.segments(interview_id)
    if fmt == "json":
        return transcripts.to_json(interview, segments)
    names = speaker_names_for(store, interview)
    if fmt == "srt":
        return transcripts.to_srt(segments, names)
    if fmt == "vtt":
        return transcripts.to_vtt(segments, names)
    return transcripts.to_txt(interview, segments, names)


def speaker_names_for(store: Store, interview) -> dict[str, str]:
    """{role: name} as the imported transcript spelled it, for subtitles, or {} once a researcher
    relabelled a speaker: names were matched to roles at import, and after a swap each name would
    sit on the other voice's lines."""
    edited = [s.speaker for s in store.segments(interview.id)]
    machine = [s.speaker for s in store.segments(interview.id, apply_edits=False)]
    return speaker_names(interview) if edited == machine else {}


# ---------------------------------------------------------------------------------------------
# Study exports: every format renders the same `Study` (see study.py), assembled once.
# ---------------------------------------------------------------------------------------------

import codecs  # noqa: E402
from pathlib import Path  # noqa: E402

from .study import DEFAULT_TITLE, Study, load_study, report_context  # noqa: E402,F401

STUDY_FORMATS = ("md", "html", "json", "csv", "pdf", "transcripts", "xlsx", "qdpx", "qdc")
_SUFFIX = {"md": ".md", "html": ".html", "json": ".json", "csv": ".csv", "pdf": ".pdf", "xlsx": ".xlsx",
           "qdpx": ".qdpx", "qdc": ".qdc"}
# Formats that are bytes, not text: never printed to standard output.
BINARY_FORMATS = ("pdf", "xlsx", "qdpx", "qdc")


def render_study(study: Study, fmt: str) -> str | bytes:
    """One study in one file format: str for md/html/json/csv, bytes for pdf/xlsx/qdpx/qdc."""
    if fmt == "md":
        from .report import to_markdown
        return to_markdown(study)
    if fmt == "html":
        from .report import to_html
        return to_html(study)
    if fmt == "json":
        from .data import to_json
        return to_json(study)
    if fmt == "csv":
        from .data import to_csv
        return to_csv(study)
    if fmt == "pdf":
        from .pdf import to_pdf
        return to_pdf(study)
    if fmt == "xlsx":
        from .sheets import to_xlsx
        return to_xlsx(study)
    if fmt == "qdpx":
        from .qdpx import to_qdpx
        return to_qdpx(study)
    if fmt == "qdc":
        from .qdpx import to_qdc
        return to_qdc(study)
    raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(STUDY_FORMATS)})")


def transcript_files(study: Study, names: dict[int, dict[str, str]] | None = None) -> dict[str, str]:
    """{file name: content}: every interview's transcript as SRT and WebVTT; `names`: speaker
    names per interview id (see `speaker_names_for`), else the names kept at import."""
    out: dict[str, str] = {}
    for i in study.interviews:
        segments = study.segments.get(i.id, [])
        if not segments:
            continue
        stem = f"{i.id:03d}-" + (_safe_stem(Path(i.file_name).stem) or "interview")
        who = names.get(i.id, {}) if names is not None else speaker_names(i)
        out[f"{stem}.srt"] = transcripts.to_srt(segments, who)
        out[f"{stem}.vtt"] = transcripts.to_vtt(segments, who)
    return out


def _safe_stem(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._")
    return keep[:80]


def file_content(study: Study, fmt: str, csv_bom: bool = True) -> bytes:
    """The bytes of the export file, as `export --out` writes it and the app offers it. A CSV file
    starts with a UTF-8 byte-order mark unless `csv_bom` is off: without it Excel reads the file
    as the machine's legacy code page and garbles every non-ASCII name (`Zoë` -> `ZoÃ«`)."""
    content = render_study(study, fmt)
    if isinstance(content, bytes):
        return content
    data = content.encode("utf-8")
    return codecs.BOM_UTF8 + data if fmt == "csv" and csv_bom else data


def study_of(store: Store, title: str | None = None, version: str | None = None) -> Study:
    """The live study, or the one saved as persona version `version` (versions.py)."""
    from ..versions import CURRENT, load_version

    if version is None or version == CURRENT:
        return load_study(store, title)
    return load_version(store, version, title)


def export_study(store: Store, fmt: str, out: str | Path, title: str | None = None,
                 csv_bom: bool = True, version: str | None = None) -> list[Path]:
    """Write the study (or saved persona version `version`) in `fmt` to `out` (a file; a folder
    for `transcripts`); returns the paths written. Same store, same bytes: nothing depends on the
    clock or on the machine's locale."""
    study = study_of(store, title, version)
    out = Path(out)
    if fmt == "transcripts":
        out.mkdir(parents=True, exist_ok=True)
        written = []
        names = {i.id: speaker_names_for(store, i) for i in study.interviews}
        for name, text in sorted(transcript_files(study, names).items()):
            (out / name).write_text(text, encoding="utf-8", newline="")
            written.append(out / name)
        return written
    if fmt == "qdpx":  # recordings are streamed into the zip, not held in memory
        from .qdpx import write_qdpx
        return [write_qdpx(study, out)]
    content = file_content(study, fmt, csv_bom)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    return [out]
