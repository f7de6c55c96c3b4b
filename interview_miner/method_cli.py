"""CLI commands of the buyer-persona method: `guide`, `codebook`, `journey`.

Kept out of cli.py so the method's commands live with the method; `cli.build_parser` calls
`add_commands(sub, common)` once. Each command calls the same functions as the app's Journey map
page (guide.py, codebook.py, journey.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import codebook, guide, journey
from .console import output
from .errors import InterviewMinerError
from .schemas import versioned
from .store import Store, default_db_path


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("guide", parents=[common],
                       help="print the study's interview guide (md, pdf, yaml), or import an edited guide file")
    p.add_argument("--format", choices=["md", "pdf", "yaml"], default="md")
    p.add_argument("--out", help="write to this file instead of standard output (required for pdf)")
    p.add_argument("--import", dest="import_file", metavar="FILE",
                   help="make this YAML/JSON file the study's guide (checked first; a parse error names the line)")
    p.set_defaults(func=cmd_guide)

    p = sub.add_parser("codebook", parents=[common],
                       help="list, export, import or extend the study's categories")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--export", metavar="FILE", help="write the codebook as a YAML file")
    g.add_argument("--import", dest="import_file", metavar="FILE",
                   help="make this YAML file the study's codebook (left-out categories are removed, recoverably)")
    g.add_argument("--add", metavar="TITLE", help="add a category (needs --description)")
    g.add_argument("--remove", metavar="KEY", help="remove a category: its quotes read as 'other' until restored")
    g.add_argument("--restore", metavar="KEY", help="bring a removed category back")
    p.add_argument("--description", help="what belongs in the new category (it is recognised by this)")
    p.add_argument("--example", action="append", default=[], metavar="QUOTE", help="an example quote, repeatable")
    p.add_argument("--json", action="store_true", help="machine-readable listing")
    p.set_defaults(func=cmd_codebook)

    p = sub.add_parser("journey", parents=[common],
                       help="the journey map: per stage its themes, strongest quotes and coverage")
    p.add_argument("--persona", metavar="ID", help="only this persona's interviews")
    p.add_argument("--json", action="store_true", help="machine-readable output (stable field names)")
    p.set_defaults(func=cmd_journey)


def _store(args) -> Store:
    return Store(args.db or default_db_path())


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InterviewMinerError(f"cannot read {path}: {err.strerror or err}") from None


def cmd_guide(args) -> int:
    store = _store(args)
    if args.import_file:
        g = guide.save_text(store, _read(args.import_file))
        print(f"guide '{g.title}' saved to {guide.guide_path(store)} ({sum(len(s.questions) for s in g.sections)} questions)")
        return 0
    g = guide.load(store)
    titles = {e.key: e.title for e in codebook.load(store).entries}
    if args.format == "pdf":
        if not args.out:
            raise InterviewMinerError("--format pdf needs --out PATH")
        Path(args.out).write_bytes(guide.to_pdf(g, titles))
        print(f"wrote {args.out}")
        return 0
    _emit(guide.to_markdown(g, titles) if args.format == "md" else guide.to_yaml(g), args.out)
    return 0


def _emit(text: str, out: str | None) -> None:
    """Write `text` to the file `out`, or to standard output without one."""
    if not out:
        sys.stdout.write(text)
        return
    Path(out).write_text(text, encoding="utf-8")
    print(f"wrote {out}")


def cmd_codebook(args) -> int:
    store = _store(args)
    if args.import_file:
        changes = codebook.import_yaml(store, _read(args.import_file))
        print("\n".join(changes) if changes else "codebook unchanged")
        return 0
    if args.add:
        if not args.description:
            raise InterviewMinerError("--add needs --description (what belongs in the category)")
        key = codebook.add_category(store, args.add, args.description, args.example)
        print(f"added category {key}; run `interview-miner mine` to sort quotes into it")
        return 0
    if args.remove:
        codebook.remove_category(store, args.remove)
        print(f"removed {args.remove}: its quotes read as 'other' (undo: --restore {args.remove})")
        return 0
    if args.restore:
        codebook.restore_category(store, args.restore)
        print(f"restored {args.restore}")
        return 0
    cb = codebook.load(store)
    if args.export:
        _emit(codebook.to_yaml(cb), args.export)
    elif args.json:
        output.json(versioned({"categories": [{"key": e.key, "title": e.title, "description": e.description,
                                               "examples": e.examples} for e in cb.entries],
                               "removed": codebook.removed_categories(store)}))
    else:
        for e in cb.entries:
            print(f"{e.key:20} {e.title} — {e.description}")
        removed = codebook.removed_categories(store)
        if removed:
            print(f"removed (restorable): {', '.join(removed)}")
    return 0


def cmd_journey(args) -> int:
    store = _store(args)
    j = journey.load_journey(store, args.persona)
    if args.json:
        output.json(versioned(j.to_json()))
        return 0
    if j.persona:
        print(f"Journey of persona {j.persona}")
    for s in j.stages:
        flag = "" if s.coverage == "ok" else "  [thin: interview more]"
        people = f"{s.n_participants} participant{'' if s.n_participants == 1 else 's'}"
        print(f"\n{s.title} ({people}, {len(s.quotes)} quote{'' if len(s.quotes) == 1 else 's'}){flag}")
        for t in s.themes[:5]:
            print(f"  - {t.label} ({t.n_participants})")
        for q in s.quotes:
            print(f"    \"{q.text}\" — {q.participant} {q.timestamp}")
    return 0
