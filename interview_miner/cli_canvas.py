"""The `personas` sub-actions for the canvas, cards and versions (registered by cli.py):

    interview-miner personas canvas ID [--json]
    interview-miner personas team ID FIELD TEXT           # "how we help" next to a claim
    interview-miner personas decision-role ID ROLE        # buyer | decision-maker | end user | influencer
    interview-miner personas map-key KEY FACT             # read metadata KEY as canvas FACT
    interview-miner personas card ID|--all --format pdf|png --out PATH [--persona-version NAME]
    interview-miner personas version save NAME | list | compare A [B] [--json]

Argument parsing and printing only; the work is in canvas.py, cards.py and versions.py.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from . import canvas, versions
from .console import output
from .errors import InterviewMinerError
from .schemas import versioned
from .export import load_study
from .models import DECISION_ROLES, PERSONA_FIELDS
from .store import Store, default_db_path


def add_canvas_actions(acts, late: argparse.ArgumentParser) -> None:
    """Register the canvas, card and version actions under `personas`."""
    a = acts.add_parser("canvas", parents=[late], help="one persona's canvas: claims, facts, team text, coverage")
    a.add_argument("id")
    a.add_argument("--json", action="store_true", help="machine-readable output (as in `export --format json`)")
    a.set_defaults(func=cmd_canvas)

    a = acts.add_parser("team", parents=[late], help="the team's answer next to a claim (kept across re-mining)",
                        description="FIELD: " + ", ".join(f"{f} ({p})" for f, p in canvas.TEAM_PROMPTS.items()))
    a.add_argument("id")
    a.add_argument("field", metavar="FIELD", choices=PERSONA_FIELDS)
    a.add_argument("text")
    a.set_defaults(func=cmd_team)

    a = acts.add_parser("decision-role", parents=[late], help="who this persona is in the purchase",
                        description=f"ROLE: {', '.join(DECISION_ROLES)}; '' reads it from interview metadata")
    a.add_argument("id")
    a.add_argument("role", metavar="ROLE")
    a.set_defaults(func=cmd_decision_role)

    a = acts.add_parser("map-key", parents=[late], help="read a metadata key as a canvas fact (whole study)",
                        description=f"FACT: {', '.join(canvas.FACT_BY_NAME)}, or 'none' to undo")
    a.add_argument("key", metavar="KEY")
    a.add_argument("fact", metavar="FACT")
    a.set_defaults(func=cmd_map_key)

    a = acts.add_parser("card", parents=[late], help="one-page persona card(s) as PDF or PNG",
                        description="One A4 page per persona. --all as pdf: one deck; as png: one file per "
                                    "persona in the --out folder.")
    which = a.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="persona id")
    which.add_argument("--all", action="store_true", help="every persona")
    a.add_argument("--format", choices=("pdf", "png"), default="pdf")
    a.add_argument("--out", required=True, metavar="PATH", help="file (a folder for --all --format png)")
    a.add_argument("--persona-version", default=None, metavar="NAME", help="cards of a saved persona version")
    a.set_defaults(func=cmd_card)

    a = acts.add_parser("version", parents=[late], help="save, list and compare named persona versions")
    verbs = a.add_subparsers(dest="verb", metavar="VERB", required=True)
    v = verbs.add_parser("save", parents=[late], help="snapshot the personas now under NAME (never overwritten)")
    v.add_argument("name", metavar="NAME")
    v.set_defaults(func=cmd_version_save)
    v = verbs.add_parser("list", parents=[late], help="saved versions, oldest first")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_version_list)
    v = verbs.add_parser("compare", parents=[late], help="what changed from version A to B (default: now)")
    v.add_argument("a", metavar="A")
    v.add_argument("b", metavar="B", nargs="?", default=versions.CURRENT,
                   help=f"a version name or {versions.CURRENT!r} (the live study; the default)")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_version_compare)


def _store(args) -> Store:
    return Store(args.db or default_db_path())


def cmd_canvas(args) -> int:
    from . import cards  # imports fpdf (~0.5 s): only the commands that build or draw cards pay for it

    store = _store(args)
    study = load_study(store, with_segments=False)
    [c] = cards.persona_canvases(study, [args.id])
    if args.json:
        output.json(versioned(canvas.canvas_dict(c)), sort_keys=True)
        return 0
    print(f"{c.persona_id}  {c.name}")
    role = " · ".join(x for x in (c.role, c.decision_role and f"{c.decision_role} ({c.decision_role_source})") if x)
    print(f"    {role or 'role not known'}" + (f" — {c.headline}" if c.headline else ""))
    if c.story:
        print(f"    {c.story}")
    for f in c.facts:
        print(f"    fact  {f.title}: {f.text} ({f.known_for})")
        for q in f.quotes:
            print(f"          “{q.text}” ({q.participant}, {q.timestamp})")
    for claim in c.claims:
        for t in claim.themes:
            print(f"    claim {claim.title}: {t.label} ({t.k} of {t.n} participants)")
        if claim.team_text:
            print(f"    team  {claim.team_prompt}: {claim.team_text}")
    cov = c.coverage
    print(f"    {cov.n_interviews} interviews (method asks {cov.wanted[0]}-{cov.wanted[1]}"
          + (f", {cov.more_needed} more needed" if cov.more_needed else "") + f"). {cov.reading}")
    return 0


def cmd_team(args) -> int:
    canvas.set_team_text(_store(args), args.id, args.field, args.text)
    print(f"{args.id}: {canvas.TEAM_PROMPTS[args.field].lower()} saved")
    return 0


def cmd_decision_role(args) -> int:
    p = canvas.set_decision_role(_store(args), args.id, args.role)
    print(f"{p.id}: decision role {p.decision_role or 'from metadata'}")
    return 0


def cmd_map_key(args) -> int:
    fact = None if args.fact.casefold() in ("none", "") else args.fact
    canvas.map_metadata_key(_store(args), args.key, fact)
    print(f"metadata {args.key!r} is read as {fact or 'its default'}")
    return 0


def cmd_card(args) -> int:
    from . import cards

    store = _store(args)
    # the cards are shared on walls: consent and the study's redaction default apply, as to every export
    study = load_study(store, fmt="cards", version=args.persona_version, with_segments=False)
    found = cards.persona_canvases(study, None if args.all else [args.id])
    if not found:
        raise InterviewMinerError("no personas yet: run `interview-miner personas --suggest` first")
    out = Path(args.out)
    if args.format == "pdf":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(cards.cards_pdf(found, study.title))
        print(f"wrote {out} ({len(found)} page{'s' if len(found) != 1 else ''})")
        return 0
    if args.all:
        out.mkdir(parents=True, exist_ok=True)
        for c in found:
            path = out / f"{_slug(c.name) or c.persona_id}-{c.persona_id}.png"
            path.write_bytes(cards.card_png(c, study.title))
            print(f"wrote {path}")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(cards.card_png(found[0], study.title))
    print(f"wrote {out}")
    return 0


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:40]


def cmd_version_save(args) -> int:
    v = versions.save_version(_store(args), args.name)
    print(f"saved version {v.name!r}: {v.n_personas} persona{'s' if v.n_personas != 1 else ''}")
    return 0


def cmd_version_list(args) -> int:
    found = versions.list_versions(_store(args))
    if args.json:
        output.json(versioned({"versions": [v.__dict__ for v in found]}))
    elif not found:
        print("no persona versions yet: `interview-miner personas version save NAME`")
    for v in found if not args.json else ():
        print(f"{v.created_at}  {v.n_personas:>2} personas  {v.name}")
    return 0


def cmd_version_compare(args) -> int:
    result = versions.compare(_store(args), args.a, args.b)
    if args.json:
        output.json(versioned(versions.comparison_dict(result)), sort_keys=True)
    else:
        print("\n".join(versions.comparison_lines(result)))
    return 0
