"""`interview-miner personas ...` and `interview-miner export`: argument parsing and printing only.

Kept out of cli.py so the persona commands travel as one piece: list, suggest and edit personas
(the work is in persona_review.py), and export the study (export/). The canvas, card and version
actions under `personas` are registered from cli_canvas.py. cli.build_parser calls
`add_commands(sub, common)`.
"""
from __future__ import annotations

import argparse
import sys

from . import export as exporting
from . import persona_review, personas
from .console import log, output
from .errors import InterviewMinerError
from .schemas import versioned
from .store import Store, default_db_path


def add_commands(sub, common: argparse.ArgumentParser) -> None:
    """Register `personas` (with its actions, and those of cli_canvas.py) and `export`."""
    from .export import STUDY_FORMATS
    from .models import PERSONA_FIELDS

    # Options repeated on the sub-subcommands without defaults, so `personas --db X create N`
    # and `personas create N --db X` both work (a subparser default would clobber the first).
    late = argparse.ArgumentParser(add_help=False)
    late.add_argument("--db", default=argparse.SUPPRESS, help="study database")
    late.add_argument("--offline", action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                      help="never reach a model hub (default: on)")

    p = sub.add_parser("personas", parents=[common], help="list, suggest and edit personas",
                       description="Without an action: list personas. Edits are kept apart from the "
                                   "suggestions, so `--suggest` never loses them.")
    p.add_argument("--suggest", action="store_true", help="re-suggest personas from the mined quotes and themes")
    p.add_argument("--max-groups", type=int, default=6, metavar="N", help="most personas to suggest (default 6)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_personas, action=None)
    acts = p.add_subparsers(dest="action", metavar="ACTION")
    fields = ", ".join(("name", "role", "demographics", "description") + PERSONA_FIELDS)

    a = acts.add_parser("show", parents=[late], help="one persona with every field and its quote ids")
    a.add_argument("id")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(func=cmd_personas_show)
    a = acts.add_parser("create", parents=[late], help="create an empty persona")
    a.add_argument("name")
    a.add_argument("--interviews", nargs="*", type=int, default=[], metavar="ID", help="member interview ids")
    a.set_defaults(func=cmd_personas_create)
    a = acts.add_parser("rename", parents=[late], help="rename a persona")
    a.add_argument("id")
    a.add_argument("name")
    a.set_defaults(func=cmd_personas_rename)
    a = acts.add_parser("set", parents=[late], help="set one field's text", description=f"FIELD: {fields}")
    a.add_argument("id")
    a.add_argument("field", metavar="FIELD")
    a.add_argument("text")
    a.set_defaults(func=cmd_personas_set)
    a = acts.add_parser("quotes", parents=[late], help="pick the supporting quotes of one field",
                        description=f"FIELD: {', '.join(PERSONA_FIELDS)}. Quote ids: `export --format csv` or `personas show`.")
    a.add_argument("id")
    a.add_argument("field", metavar="FIELD")
    a.add_argument("quote_ids", nargs="*", metavar="QUOTE_ID", help="none: the field has no quotes")
    a.set_defaults(func=cmd_personas_quotes)
    a = acts.add_parser("members", parents=[late], help="set which interviews belong to a persona")
    a.add_argument("id")
    a.add_argument("interview_ids", nargs="+", type=int, metavar="INTERVIEW_ID")
    a.set_defaults(func=cmd_personas_members)
    a = acts.add_parser("delete", parents=[late], help="delete a persona (re-suggesting will not bring it back)")
    a.add_argument("id")
    a.set_defaults(func=cmd_personas_delete)
    from .cli_canvas import add_canvas_actions  # canvas, team, decision-role, map-key, card, version

    add_canvas_actions(acts, late)

    p = sub.add_parser("export", parents=[common], help="export the study: report, data or transcripts")
    p.add_argument("--format", choices=STUDY_FORMATS, default="md",
                   help="md/html/pdf report, json (everything), csv (quotes), xlsx (quotes, themes, personas, "
                        "NPS, interviews), qdpx (REFI-QDA project), qdc (REFI-QDA codebook), "
                        "transcripts (SRT+VTT folder)")
    p.add_argument("--out", help="output file (folder for transcripts); md/html/json/csv print to "
                                 "standard output without it")
    p.add_argument("--title", help="report title (default: 'Customer interview study')")
    p.add_argument("--bom", action=argparse.BooleanOptionalAction, default=True,
                   help="start a CSV file with a UTF-8 byte-order mark so Excel reads accents right "
                        "(default: on; standard output never has one)")
    p.add_argument("--persona-version", default=None, metavar="NAME",
                   help="export a saved persona version (see `personas version`)")
    p.set_defaults(func=cmd_export)


def _print_persona(p, full: bool = False) -> None:
    from .models import PERSONA_FIELDS

    members = ", ".join(str(i) for i in p.interview_ids) or "-"
    print(f"{p.id}  {p.name}")
    print(f"    interviews: {members}" + (f"   role: {p.role}" if p.role else ""))
    if full and p.demographics:
        print(f"    demographics: {p.demographics}")
    if p.description:
        print(f"    {p.description}")
    if not full:
        return
    for name in PERSONA_FIELDS:
        f = p.fields.get(name)
        if f is None or not (f.text or f.quote_ids):
            continue
        print(f"    {name} ({f.n_participants} of {len(p.interview_ids)}): {f.text}")
        if f.quote_ids:
            print(f"        quotes: {' '.join(f.quote_ids)}")


def cmd_personas(args) -> int:
    store = _store(args)
    if args.suggest:
        if not store.quotes():
            log.error("no quotes yet: run `interview-miner mine` first")
            return 1
        found = persona_review.suggest_and_save(store, max_groups=args.max_groups)
    else:
        found = persona_review.list_personas(store)
    if args.json:
        output.json(versioned({"personas": [personas.persona_dict(p) for p in found]}), sort_keys=True)
        return 0
    if not found:
        print("no personas yet: run `interview-miner personas --suggest` after mining")
        return 0
    for p in found:
        _print_persona(p)
    return 0


def cmd_personas_show(args) -> int:
    p = persona_review.get_persona(_store(args), args.id)
    if args.json:
        output.json(versioned(personas.persona_dict(p)), sort_keys=True)
    else:
        _print_persona(p, full=True)
    return 0


def cmd_personas_create(args) -> int:
    p = persona_review.create_persona(_store(args), args.name, args.interviews)
    print(f"created {p.id}: {p.name}")
    return 0


def cmd_personas_rename(args) -> int:
    p = persona_review.rename_persona(_store(args), args.id, args.name)
    print(f"{p.id} is now {p.name!r}")
    return 0


def cmd_personas_set(args) -> int:
    persona_review.set_field(_store(args), args.id, args.field, args.text)
    print(f"{args.id}: set {args.field}")
    return 0


def cmd_personas_quotes(args) -> int:
    persona_review.set_quotes(_store(args), args.id, args.field, args.quote_ids)
    print(f"{args.id}: {args.field} has {len(args.quote_ids)} supporting quote(s)")
    return 0


def cmd_personas_members(args) -> int:
    p = persona_review.set_members(_store(args), args.id, args.interview_ids)
    print(f"{p.id}: interviews {', '.join(map(str, p.interview_ids))}")
    return 0


def cmd_personas_delete(args) -> int:
    persona_review.delete_persona(_store(args), args.id)
    print(f"deleted {args.id}")
    return 0


def cmd_export(args) -> int:
    store = _store(args)
    if args.format != "transcripts":
        _note_names_to_check(store)
    if not args.out:
        if args.format in exporting.BINARY_FORMATS + ("transcripts",):
            raise InterviewMinerError(f"--format {args.format} needs --out PATH")
        sys.stdout.write(exporting.render_study(exporting.load_study(store, args.title, version=args.persona_version),
                                                 args.format))
        return 0
    written = exporting.export_study(store, args.format, args.out, title=args.title, csv_bom=args.bom,
                                     version=args.persona_version)
    if args.format == "transcripts":
        print(f"wrote {len(written)} files to {args.out}")
    else:
        print(f"wrote {args.out}")
    return 0


def _note_names_to_check(store: Store) -> None:
    """Theme names that may be misheard (`overview.unclear_names`), named before they are shared."""
    from .overview import unclear_names

    unclear = unclear_names(store)
    if unclear:
        names = ", ".join(f"“{u.theme.label}”" for u in unclear[:3]) + (f" and {len(unclear) - 3} more" if len(unclear) > 3 else "")
        log.warning("%d theme name%s words that may be misheard: %s (listen on the app's Themes page, then rename the "
                    "theme or fix the transcript)", len(unclear), "s hold" if len(unclear) != 1 else " holds", names)


def _store(args) -> Store:
    return Store(args.db or default_db_path())
