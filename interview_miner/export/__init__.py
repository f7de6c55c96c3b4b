"""Exports: transcripts (txt/srt/vtt/json) and study reports. One module per format family."""
from __future__ import annotations

from ..store import Store
from ..transcript_io import speaker_names
from . import transcripts


def transcript_text(store: Store, interview_id: int, fmt: str = "txt") -> str:
    """One interview's transcript, speaker-labelled and timed, with researcher edits applied."""
    from ..redact import private_transcript

    interview = store.get_interview(interview_id)
    private = private_transcript(store, interview)  # consent and redaction, as for study exports
    segments = private[1] if private else store.segments(interview_id)
    if fmt == "json":
        return transcripts.to_json(private[0] if private else interview, segments)
    names = speaker_names(private[0]) if private else speaker_names_for(store, interview)
    interview = private[0] if private else interview
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

from . import study as _study  # noqa: E402
from .study import DEFAULT_TITLE, Study, report_context  # noqa: E402,F401


def load_study(store: Store, title: str | None = None, fmt: str | None = None, privacy=None,
               workdir: Path | None = None, version: str | None = None, with_segments: bool = True) -> Study:
    """The study as every export shows it, the one place exporters get it from: read once (the
    live study, or the saved persona version `version`, see versions.py), then what participants
    consented to and, in redact mode, pseudonyms and placeholders applied
    (`redact.prepare_study`). `privacy` (a `redact.ExportPrivacy`) and `fmt` default to those of
    an enclosing `redact.export_privacy` block; the store keeps the originals. `with_segments`
    off skips the transcripts (canvas, cards and versions need only quotes and themes)."""
    from ..redact import current_export_privacy, prepare_study
    from ..versions import CURRENT, load_version

    around, around_fmt = current_export_privacy()
    base = (_study.load_study(store, title, with_segments=with_segments) if version in (None, CURRENT)
            else load_version(store, version, title))
    return prepare_study(base, store, privacy or around, fmt or around_fmt, workdir)


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


def export_study(store: Store, fmt: str, out: str | Path, title: str | None = None,
                 csv_bom: bool = True, privacy=None, version: str | None = None) -> list[Path]:
    """Write the study (or saved persona version `version`) in `fmt` to `out` (a file; a folder
    for `transcripts`); returns the paths written. Same store, same bytes: nothing depends on the
    clock or on the machine's locale. `privacy`: a `redact.ExportPrivacy` (default: the study's
    setting for `fmt`)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="interview-miner-export-") as workdir:
        study = load_study(store, title, fmt, privacy, Path(workdir), version=version)
        return _export_study(study, store, fmt, Path(out), csv_bom)


def _export_study(study: Study, store: Store, fmt: str, out: Path, csv_bom: bool) -> list[Path]:
    if fmt == "transcripts":
        out.mkdir(parents=True, exist_ok=True)
        written = []
        names = None if getattr(study, "redacted", False) else {i.id: speaker_names_for(store, i) for i in study.interviews}
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
