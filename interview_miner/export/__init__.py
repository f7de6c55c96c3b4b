"""Exports: transcripts (txt/srt/vtt/json) and study reports. One module per format family."""
from __future__ import annotations

from ..store import Store
from . import transcripts


def transcript_text(store: Store, interview_id: int, fmt: str = "txt") -> str:
    """One interview's transcript, speaker-labelled and timed, with researcher edits applied."""
    interview = store.get_interview(interview_id)
    segments = store.segments(interview_id)
    if fmt == "json":
        return transcripts.to_json(interview, segments)
    if fmt == "srt":
        return transcripts.to_srt(segments)
    if fmt == "vtt":
        return transcripts.to_vtt(segments)
    return transcripts.to_txt(interview, segments)


# ---------------------------------------------------------------------------------------------
# Study exports: every format renders the same `Study` (see study.py), assembled once.
# ---------------------------------------------------------------------------------------------

from pathlib import Path  # noqa: E402

from .study import DEFAULT_TITLE, Study, load_study, report_context  # noqa: E402,F401

STUDY_FORMATS = ("md", "html", "json", "csv", "pdf", "transcripts")
_SUFFIX = {"md": ".md", "html": ".html", "json": ".json", "csv": ".csv", "pdf": ".pdf"}


def render_study(study: Study, fmt: str) -> str | bytes:
    """One study in one file format: str for md/html/json/csv, bytes for pdf."""
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
    raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(STUDY_FORMATS)})")


def transcript_files(study: Study) -> dict[str, str]:
    """{file name: content}: every interview's transcript as SRT and WebVTT."""
    out: dict[str, str] = {}
    for i in study.interviews:
        segments = study.segments.get(i.id, [])
        if not segments:
            continue
        stem = f"{i.id:03d}-" + (_safe_stem(Path(i.file_name).stem) or "interview")
        out[f"{stem}.srt"] = transcripts.to_srt(segments)
        out[f"{stem}.vtt"] = transcripts.to_vtt(segments)
    return out


def _safe_stem(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._")
    return keep[:80]


def study_of(store: Store, title: str | None = None, version: str | None = None) -> Study:
    """The live study, or the one saved as persona version `version` (versions.py)."""
    from ..versions import CURRENT, load_version

    if version is None or version == CURRENT:
        return load_study(store, title)

    return load_version(store, version, title)


def export_study(store: Store, fmt: str, out: str | Path, title: str | None = None,
                 version: str | None = None) -> list[Path]:
    """Write the study (or saved persona version `version`) in `fmt` to `out` (a file; a folder
    for `transcripts`); returns the paths written. Same store, same bytes: nothing depends on the
    clock or on the machine's locale."""
    study = study_of(store, title, version)
    out = Path(out)
    if fmt == "transcripts":
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in sorted(transcript_files(study).items()):
            (out / name).write_text(text, encoding="utf-8", newline="")
            written.append(out / name)
        return written
    content = render_study(study, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        out.write_bytes(content)
    else:
        out.write_text(content, encoding="utf-8", newline="")
    return [out]


def default_export_path(fmt: str) -> str:
    return "transcripts" if fmt == "transcripts" else f"study{_SUFFIX[fmt]}"
