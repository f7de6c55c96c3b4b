"""Command line: argument parsing only. Every command calls the same functions the app uses."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import export as exporting
from . import pipeline, transcribe
from .errors import InterviewMinerError
from .models import INTERVIEWER, PARTICIPANT
from .store import Store, default_db_path


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1") if args.offline else None
    try:
        return args.func(args) or 0
    except InterviewMinerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyError as e:
        print(f"error: {e.args[0] if e.args else e}", file=sys.stderr)
        return 1


def _db_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--db", default=None, help="study database (default: $INTERVIEW_MINER_DB or ./interview_miner.db)")
    p.add_argument("--offline", action=argparse.BooleanOptionalAction, default=True,
                   help="never reach a model hub for embedding/NLP models (default: on)")
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _db_parent()
    parser = argparse.ArgumentParser(
        prog="interview-miner",
        description="Turn recorded customer interviews into evidence-backed buyer personas.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("add", parents=[common], help="add audio/video recordings or transcripts (txt, vtt, srt)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("--participant", help="participant name for these files")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="metadata, repeatable")
    p.add_argument("--max-size", type=_size, default=None, metavar="BYTES",
                   help="refuse files larger than this (e.g. 500M, 2G; default 2G)")
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("transcribe", parents=[common], help="transcribe audio interviews and label speakers")
    p.add_argument("ids", nargs="*", type=int, metavar="ID", help="interview ids (default: all not yet done)")
    _transcribe_options(p)
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("list", parents=[common], help="list interviews with status, duration, language")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("transcript", parents=[common], help="print or write one interview's transcript")
    p.add_argument("id", type=int)
    p.add_argument("--format", choices=["txt", "srt", "vtt", "json"], default="txt")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.set_defaults(func=cmd_transcript)

    p = sub.add_parser("speakers", parents=[common], help="correct speaker labels by hand")
    p.add_argument("id", type=int, help="interview id")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--swap", action="store_true", help="swap interviewer and participant for the whole interview")
    g.add_argument("--set", nargs=2, metavar=("SEGMENT_INDEX", "SPEAKER"),
                   help="set one segment's speaker (index as shown by `transcript`)")
    p.set_defaults(func=cmd_speakers)

    _add_mining_commands(sub, common)
    _add_persona_commands(sub, common)
    return parser


# === mining commands: mine, eval, categorize (owned by the mining stage) ===
def _add_mining_commands(sub, common) -> None:
    pass


# === persona and export commands: personas, export ===
def _add_persona_commands(sub, common) -> None:
    pass


def _transcribe_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=transcribe.DEFAULT_MODEL,
                   help="Whisper model: 'default' (bundled tiny.en), a size (small, large-v3) or a local CTranslate2 folder")
    p.add_argument("--language", default=None, help="language code (default: detect; 'en' for English-only models)")
    p.add_argument("--speakers", type=int, default=2, metavar="N", help="number of voices (default 2)")
    p.add_argument("--beam-size", type=int, default=5)
    p.add_argument("--vocab", default=None, metavar="WORDS",
                   help="product names and jargon to spell right, e.g. 'ClinicFlow, HIPAA' (Whisper hotwords)")


def _size(text: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    text = text.strip().upper().rstrip("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _parse_meta(items: list[str]) -> dict[str, str]:
    meta = {}
    for item in items:
        if "=" not in item:
            raise InterviewMinerError(f"--meta {item!r}: expected KEY=VALUE")
        key, value = item.split("=", 1)
        meta[key.strip()] = value.strip()
    return meta


def _store(args) -> Store:
    return Store(args.db or default_db_path())


def cmd_add(args) -> int:
    store = _store(args)
    report = pipeline.add_files(store, args.paths, args.participant, _parse_meta(args.meta), args.max_size)
    for i in report.added:
        print(f"added {i.id}: {i.file_name} ({i.kind}{', %.0f s' % i.duration if i.duration else ''})")
    for i in report.existing:
        print(f"already added {i.id}: {i.file_name} (same content)")
    for e in report.errors:
        print(f"error: {e}", file=sys.stderr)
    if not (report.added or report.existing or report.errors):
        print("error: no supported files found", file=sys.stderr)
        return 1
    return 0 if report.ok else 1


def _options_from(args) -> transcribe.TranscribeOptions:
    return transcribe.TranscribeOptions(
        model=args.model, language=args.language, beam_size=args.beam_size, hotwords=args.vocab
    )


def cmd_transcribe(args) -> int:
    store = _store(args)
    report = pipeline.transcribe_interviews(
        store, args.ids or None, _options_from(args), n_speakers=args.speakers, show_progress=True
    )
    for i in report.done:
        print(f"transcribed {i.id}: {i.file_name} ({i.language}, {i.duration:.0f} s, {store.segment_count(i.id)} segments)")
    for e in report.errors:
        print(f"error: {e}", file=sys.stderr)
    if not report.done and not report.errors:
        print("nothing to transcribe (every audio interview is done)")
    return 0 if report.ok else 1


def cmd_list(args) -> int:
    interviews = _store(args).list_interviews()
    if args.json:
        print(json.dumps([i.summary() for i in interviews], indent=2))
        return 0
    if not interviews:
        print("no interviews yet: add some with `interview-miner add PATH`")
        return 0
    print(f"{'id':>4}  {'status':<12} {'duration':>8}  {'lang':<4}  {'participant':<20} file")
    for i in interviews:
        dur = f"{i.duration / 60:.1f} min" if i.duration else "-"
        print(f"{i.id:>4}  {i.status:<12} {dur:>8}  {i.language or '-':<4}  {(i.participant or '-')[:20]:<20} {i.file_name}"
              + (f"  ({i.error})" if i.error else ""))
    return 0


def cmd_transcript(args) -> int:
    store = _store(args)
    text = exporting.transcript_text(store, args.id, args.format)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_speakers(args) -> int:
    store = _store(args)
    segments = store.segments(args.id)
    if not segments:
        raise InterviewMinerError(f"interview {args.id}: no segments to relabel")
    if args.swap:
        swap = {INTERVIEWER: PARTICIPANT, PARTICIPANT: INTERVIEWER}
        for s in segments:
            if s.speaker in swap:
                store.add_edit("segment", s.id, "speaker", swap[s.speaker])
        print(f"swapped speakers on {len(segments)} segments of interview {args.id}")
        return 0
    index, speaker = int(args.set[0]), args.set[1]
    if not 0 <= index < len(segments):
        raise InterviewMinerError(f"interview {args.id}: no segment {index} (0..{len(segments) - 1})")
    store.add_edit("segment", segments[index].id, "speaker", speaker)
    print(f"segment {index} of interview {args.id} is now {speaker}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
