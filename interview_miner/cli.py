"""Command line: the parser core and the `interview-miner` entry point. Argument parsing only:
every command calls the same functions the app uses.

Here: `main`, the options every command shares (--db, --offline, -v/-q), and the commands that
get interviews in and through transcription (app, add, transcribe, list, transcript, speakers,
nps, run) with the transcription options `transcribe` and `run` share. Every other command group
lives in its own module and registers itself through `add_commands(sub, common)`, called from
`build_parser` in the order the help lists them: mining_cli (mine, eval, categorize),
personas_cli (personas, export; cli_canvas.py adds the canvas, card and version actions),
customers_cli, method_cli (guide, codebook, journey) and, last because it extends add, run,
export and transcript with its options, privacy_cli (consent, pii, forget, encrypt).
How it talks (logging levels, --json, exit statuses) lives in `console`.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import export as exporting
from . import (customers_cli, executor, intake, method_cli, mining_cli, personas_cli, pipeline, privacy_cli, review,
               speakers, transcribe)
from .console import (HELP_EPILOG, add_json_option, add_verbosity_options, examples, log, output,
                      package_version, run_command, setup_logging, show_progress)
from .errors import InterviewMinerError, hints
from .schemas import versioned
from .store import Store, default_db_path

TRACKS_HELP = ("the files (2 to 8) are the separate tracks of one call (a person each, as Zoom, Riverside or "
               "SquadCast record them): one interview, each track transcribed alone and its words that person's")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(getattr(args, "verbose", 0) - getattr(args, "quiet", 0))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1") if getattr(args, "offline", True) else None

    def command() -> int | None:
        with output.human_to_stderr(enabled=bool(getattr(args, "json", False))):
            return args.func(args)

    return run_command(command)


def _db_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--db", default=None, help="study database (default: $INTERVIEW_MINER_DB or ./interview_miner.db)")
    p.add_argument("--offline", action=argparse.BooleanOptionalAction, default=True,
                   help="never reach a model hub for embedding/NLP models (default: on)")
    # also accepted after the command (`transcribe -v`); SUPPRESS keeps one given before it
    add_verbosity_options(p, argparse.SUPPRESS)
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _db_parent()
    parser = argparse.ArgumentParser(
        prog="interview-miner",
        description="Turn recorded customer interviews into evidence-backed buyer personas.",
        epilog=HELP_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    add_verbosity_options(parser, 0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("app", help="start the researcher app in the browser (Streamlit)",
                       description="Serve the researcher app on http://localhost:PORT; Ctrl-C stops it.",
                       epilog=examples("interview-miner app --db studies/clinics.db --port 8600"),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", default=None, help="study to open (default: $INTERVIEW_MINER_DB or ./interview_miner.db)")
    p.add_argument("--port", type=int, default=None, metavar="N", help="port to serve on (default 8501)")
    add_verbosity_options(p, argparse.SUPPRESS)
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("add", parents=[common],
                       help="add audio/video recordings, transcripts (txt, vtt, srt) or a REFI-QDA project (qdpx)",
                       epilog=examples("interview-miner add calls/ --meta segment=clinics --meta region=EU",
                                        "interview-miner add priya.m4a --participant 'Priya Shah' --max-size 4G",
                                        "interview-miner add study.qdpx",
                                        "interview-miner add --tracks zoom/audioPriya.m4a zoom/audioSam.m4a"),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    p.add_argument("--participant", help="participant name for these files")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="metadata, repeatable")
    p.add_argument("--tracks", action="store_true", help=TRACKS_HELP)
    p.add_argument("--max-size", type=_size, default=None, metavar="BYTES",
                   help="refuse files larger than this (e.g. 500M, 2G; default 2G or $INTERVIEW_MINER_MAX_BYTES)")
    add_json_option(p)
    p.set_defaults(func=cmd_add)

    p = sub.add_parser("transcribe", parents=[common], help="transcribe audio interviews and label speakers",
                       epilog=examples("interview-miner transcribe", "interview-miner transcribe 3 4 --vocab 'ClinicFlow, HIPAA'",
                                        "interview-miner transcribe --model base --language de"),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ids", nargs="*", type=int, metavar="ID", help="interview ids (default: all not yet done)")
    _transcribe_options(p)
    add_json_option(p)
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("list", parents=[common], help="list interviews with status, duration, language")
    add_json_option(p)
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

    mining_cli.add_commands(sub, common)  # mine, eval, categorize
    personas_cli.add_commands(sub, common)  # personas (and its actions), export
    customers_cli.add_commands(sub, common)
    method_cli.add_commands(sub, common)  # guide, codebook, journey (the buyer-persona method)

    p = sub.add_parser("nps", parents=[common], help="list NPS scores, or set one after listening")
    p.add_argument("id", nargs="?", type=int, help="interview id")
    p.add_argument("score", nargs="?", type=int, help="0-10; kept across re-mining")
    add_json_option(p)
    p.set_defaults(func=cmd_nps)

    p = sub.add_parser("run", parents=[common],
                       help="the whole job: add, transcribe, mine, suggest personas, export everything")
    p.add_argument("paths", nargs="+", metavar="PATH", help="recordings, transcripts or folders")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the exports")
    p.add_argument("--participant", help="participant name (for a single file)")
    p.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--tracks", action="store_true", help=TRACKS_HELP)
    p.add_argument("--embed-model", default=None, help="sentence-transformers model name or path")
    p.add_argument("--no-second-hearing", action="store_true", help=mining_cli.SECOND_HEARING_HELP)
    _transcribe_options(p)
    add_json_option(p, "a summary of what was done")
    p.set_defaults(func=cmd_run)
    p.epilog = examples("interview-miner run calls/ --out report/ --meta segment=clinics")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    privacy_cli.add_commands(sub, common)  # consent, pii, forget; privacy options on add/run/export/transcript
    return parser


def cmd_app(args) -> int:
    from . import app

    return app.serve(args.db, args.port)


def cmd_nps(args) -> int:
    store = _store(args)
    if args.id is not None:
        if args.score is None:
            raise InterviewMinerError("usage: interview-miner nps ID SCORE (0-10)")
        try:
            review.set_nps_score(store, args.id, args.score)
        except ValueError as e:
            raise InterviewMinerError(str(e)) from None
        print(f"interview {args.id}: NPS {args.score}")
        if args.json:
            output.json(versioned({"id": args.id, "score": args.score}))
        return 0
    from .nps_audio import where_to_listen
    from .vocab import clock

    scores, to_confirm = store.nps(), store.nps_to_confirm()
    rows = []
    for i in store.list_interviews():
        row, heard = scores.get(i.id) or {}, to_confirm.get(i.id) or {}
        listen = heard.get("listen_at", where_to_listen(store.quotes(i.id), i.id)) if row.get("score") is None else None
        suggested = heard.get("suggested") if listen is not None else None
        rows.append({"id": i.id, "participant": i.participant, "file_name": i.file_name,
                     "score": row.get("score"), "class": row.get("klass"), "listen_at": listen, "suggested": suggested})
        said = f"; the audio suggests {suggested}" if suggested is not None else ""
        hint = (f"  (listen to confirm at {clock(listen)}{said}, then: interview-miner nps {i.id} SCORE)"
                if listen is not None else "")
        print(f"{i.id:>4}  {'-' if row.get('score') is None else row['score']:>2}  "
              f"{row.get('klass') or 'not found':<10} {i.participant or i.file_name}{hint}")
    if args.json:
        output.json(versioned({"nps": rows}))
    return 0


def cmd_run(args) -> int:
    """Audio in, persona report out: `whole_job.process`, the same orchestrator the app's worker
    runs, printing each step's outcome as it ends."""
    from . import whole_job

    store = _store(args)
    request = whole_job.ProcessRequest(
        paths=args.paths, tracks=args.tracks, participant=args.participant, metadata=_parse_meta(args.meta),
        options=_options_from(args), n_speakers=args.speakers, embed_model=args.embed_model,
        second_hearing=not args.no_second_hearing, export_dir=Path(args.out), show_progress=show_progress(), executor=_executor_from(args),
    )
    bar = update = None  # the mining progress bar, opened when mining starts (transcription has its own)

    def on_progress(step: str, fraction: float, message: str) -> None:
        nonlocal bar, update
        if step == "mine":
            if bar is None:
                bar, update = mining_cli.mine_progress()
            update(fraction, message)

    def on_step(step: str, result) -> None:
        if step == "add":
            print(f"added {len(result.added.added)} new, {len(result.added.existing)} already in the study")
        elif step == "transcribe":
            print(f"transcribed {len(result.transcribed.done)}")
            for e in result.errors:
                log.error("%s", e)
        elif step == "mine":
            if bar is not None:
                bar.close()
            for m in result.mined.messages:
                log.warning("%s", m)
            print(f"mined {result.mined.quotes} quotes into {result.mined.themes} themes "
                  f"({result.mined.unthemed_share:.0%} unthemed)")
        elif step == "personas":
            print(f"suggested {len(result.personas)} persona{'s' if len(result.personas) != 1 else ''}")
        elif step == "export":
            print(f"wrote report.md, report.html, report.pdf, study.json, quotes.csv and transcripts/ "
                  f"to {request.export_dir}")

    try:
        result = whole_job.process(store, request, on_progress=on_progress, on_step=on_step)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        mined = result.mined
        output.json(versioned({
            "added": len(result.added.added) if result.added else 0,
            "existing": len(result.added.existing) if result.added else 0,
            "transcribed": len(result.transcribed.done) if result.transcribed else 0,
            "mining": mined.summary() if mined else None, "personas": len(result.personas or []),
            "out": str(request.export_dir), "exported": [str(p) for p in result.exported], "errors": result.errors,
        }))
    return 1 if result.errors else 0


# === mining commands: mine, eval, categorize (owned by the mining stage) ===
def _transcribe_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=transcribe.DEFAULT_MODEL,
                   help="Whisper model: 'default' (bundled tiny.en), a size (small, large-v3) or a local CTranslate2 folder")
    p.add_argument("--language", default=None, help="language code (default: detect; 'en' for English-only models)")
    p.add_argument("--speakers", type=speakers.parse_speakers, default=speakers.DEFAULT_SPEAKERS, metavar="N|auto",
                   help=f"number of voices, or 'auto' to estimate it (default {speakers.DEFAULT_SPEAKERS})")
    p.add_argument("--beam-size", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=None, metavar="N",
                   help="decode N speech chunks at once: faster, slightly less accurate (0: sequential; "
                        "default: sequential on CPU, 16 on a CUDA GPU)")
    p.add_argument("--lanes", type=int, default=None, metavar="N",
                   help="sequential decoding: decode a long recording as N parts side by side, one per CPU core "
                        "(default: one per core, parts of at least a minute; 1: one pass)")
    p.add_argument("--mix-channels", action="store_true",
                   help="a stereo call with one person per channel (or added with --tracks): transcribe the mix "
                        "(default: each side from its own channel, so words said at once are not blended)")
    p.add_argument("--vocab", default=None, metavar="WORDS",
                   help="product names and jargon to spell right, e.g. 'ClinicFlow, HIPAA' (Whisper hotwords: "
                        "they can make small models skip speech; the guide's names: are respelled without them)")
    p.add_argument("--executor", choices=executor.EXECUTORS, default=None,
                   help="where transcription (and sentence embedding) runs: local (this process) or ray "
                        f"(a Ray cluster; pip install 'interview-miner[cluster]'); default ${executor.EXECUTOR_ENV} or local")
    p.add_argument("--ray-address", default=None, metavar="ADDRESS",
                   help="the Ray cluster, e.g. 10.0.0.5:6379 or ray://head:10001 (default: $RAY_ADDRESS, "
                        "else a Ray started on this machine)")


def _size(text: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    text = text.strip().upper().rstrip("B")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _parse_meta(items: list[str]) -> dict[str, str]:
    try:
        return intake.parse_metadata(items)
    except intake.MetadataError as e:
        raise InterviewMinerError(f"--meta must be KEY=VALUE: {', '.join(e.bad)}") from None


def _print_errors(report: pipeline.Report) -> None:
    """One `error:` line per failed file, then each distinct piece of advice once."""
    for e in report.errors:
        log.error("%s", e)
    for h in hints(report.failures, "cli"):
        log.warning("hint: %s", h)


def _store(args) -> Store:
    return Store(args.db or default_db_path())


def cmd_add(args) -> int:
    store = _store(args)
    add = pipeline.add_tracks if args.tracks else pipeline.add_files
    report = add(store, args.paths, args.participant, _parse_meta(args.meta), args.max_size)
    for i in report.added:
        print(f"added {i.id}: {i.file_name} ({i.kind}{', %.0f s' % i.duration if i.duration else ''})")
    for i in report.existing:
        print(f"already added {i.id}: {i.file_name} (same content)")
    _print_errors(report)
    if args.json:
        output.json(versioned({"added": [i.summary() for i in report.added],
                               "existing": [i.summary() for i in report.existing], "errors": list(report.errors)}))
    if not (report.added or report.existing or report.errors):
        log.error("no supported files found")
        return 1
    return 0 if report.ok else 1


def _options_from(args) -> transcribe.TranscribeOptions:
    return transcribe.TranscribeOptions(
        model=args.model, language=args.language, beam_size=args.beam_size, hotwords=args.vocab,
        batch_size=args.batch_size, lanes=args.lanes, split_channels=not args.mix_channels,
    )


def _executor_from(args) -> executor.ExecutorSettings:
    settings = executor.ExecutorSettings(kind=args.executor or executor.default_kind(), address=args.ray_address)
    if settings.is_ray:
        executor.require_ray()  # say how to install it before any work
    elif args.ray_address:
        raise InterviewMinerError("--ray-address needs --executor ray")
    return settings


def cmd_transcribe(args) -> int:
    store = _store(args)
    report = pipeline.transcribe_interviews(
        store, args.ids or None, _options_from(args), n_speakers=args.speakers, show_progress=show_progress(),
        executor=_executor_from(args),
    )
    done = [{**i.summary(), "segments": store.segment_count(i.id)} for i in report.done]
    for i in done:
        print(f"transcribed {i['id']}: {i['file_name']} ({i['language']}, {i['duration']:.0f} s, {i['segments']} segments)")
    _print_errors(report)
    if not report.done and not report.errors:
        print("nothing to transcribe (every audio interview is done)")
    if args.json:
        output.json(versioned({"transcribed": done, "errors": list(report.errors)}))
    return 0 if report.ok else 1


def cmd_list(args) -> int:
    interviews = _store(args).list_interviews()
    if args.json:
        output.json(versioned({"interviews": [i.summary() for i in interviews]}))
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
        n = review.swap_speakers(store, args.id)
        print(f"swapped speakers on {n} segments of interview {args.id}")
        return 0
    index, speaker = int(args.set[0]), args.set[1]
    if not 0 <= index < len(segments):
        raise InterviewMinerError(f"interview {args.id}: no segment {index} (0..{len(segments) - 1})")
    review.set_segment_speaker(store, segments[index].id, speaker)
    print(f"segment {index} of interview {args.id} is now {speaker}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
