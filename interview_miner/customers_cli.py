"""`interview-miner customers import|analyze|recruit`: argument parsing and printing only.

Kept out of cli.py so the command group travels as one piece; cli.build_parser calls
`add_commands(sub, common)`.
"""
from __future__ import annotations

import argparse
import sys

from . import customers, customers_recruit
from .console import output
from .customers_import import ColumnMap, ImportReport
from .errors import InterviewMinerError
from .schemas import versioned
from .store import Store, default_db_path


def add_commands(sub, common: argparse.ArgumentParser) -> None:
    # --db/--offline repeated on the actions without defaults, so they work before or after it.
    late = argparse.ArgumentParser(add_help=False)
    late.add_argument("--db", default=argparse.SUPPRESS, help="study database")
    late.add_argument("--offline", action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                      help=argparse.SUPPRESS)

    p = sub.add_parser("customers", parents=[common], help="customer-base analysis: who to interview, what personas are worth",
                       description="Import sales transactions (CSV, TSV, Excel, Parquet), rank customers by "
                                   "ABC-XYZ, RFM and Pareto, and pick whom to interview.")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
    acts = p.add_subparsers(dest="action", metavar="ACTION")

    a = acts.add_parser("import", parents=[late], help="import a transaction file (replaces the previous import)",
                        description="One row per transaction: customer, date, amount (negative = return). Columns "
                                    "are guessed from the header; name any of them explicitly. Nothing is written "
                                    "when a column is missing or a date or amount does not read.")
    a.add_argument("file", metavar="FILE", help=".csv, .tsv, .xlsx or .parquet")
    for role, help_text in (
        ("customer", "customer id"), ("date", "transaction date"), ("amount", "amount (revenue; negative = return)"),
        ("margin", "margin or profit, for --by margin"), ("status", "deal status: lost/declined/postponed mark deals"),
        ("name", "customer name"), ("contact", "e-mail or phone"),
        ("quantity", "quantity, when there is no amount (amount = quantity x unit price)"),
        ("unit-price", "unit price, with --quantity"),
    ):
        a.add_argument(f"--{role}", metavar="COL", default=None, help=f"column with the {help_text}")
    _analysis_options(a)
    a.add_argument("--json", action="store_true", help="print the import report and analysis as JSON")
    a.set_defaults(func=cmd_import)

    a = acts.add_parser("analyze", parents=[late], help="ABC-XYZ, RFM and Pareto of the imported customers",
                        description="Re-classifies the imported customers (no source file needed) and keeps the "
                                    "result for `recruit`, the personas and the app.")
    _analysis_options(a)
    a.add_argument("--json", action="store_true", help="machine-readable output (stable key names)")
    a.set_defaults(func=cmd_analyze)

    a = acts.add_parser("recruit", parents=[late], help="write the list of customers to interview (CSV)",
                        description="Best customers by ABC-XYZ/RFM, valuable customers slipping away and declined "
                                    "or postponed deals, each with why it was picked and whether it was interviewed "
                                    "(an interview is linked by its metadata customer_id).")
    a.add_argument("--size", type=int, default=customers_recruit.DEFAULT_SIZE, metavar="N",
                   help="names on the list (default 60; the method advises 50-75)")
    a.add_argument("--out", default="recruiting.csv", metavar="FILE", help="CSV to write (default recruiting.csv)")
    a.add_argument("--json", action="store_true", help="print the list as JSON")
    a.set_defaults(func=cmd_recruit)


def _analysis_options(p: argparse.ArgumentParser) -> None:
    d = customers.AnalysisOptions()
    p.add_argument("--by", choices=customers.VALUE_BASES, default=d.by, help="value basis (default revenue)")
    p.add_argument("--a-share", type=float, default=d.a, metavar="S",
                   help=f"A while the value ranked above is below this share (default {d.a})")
    p.add_argument("--b-share", type=float, default=d.b, metavar="S", help=f"B below this share (default {d.b})")
    p.add_argument("--x-cv", type=float, default=d.x, metavar="CV", help=f"X up to this monthly CV (default {d.x})")
    p.add_argument("--y-cv", type=float, default=d.y, metavar="CV", help=f"Y up to this CV (default {d.y})")
    p.add_argument("--min-months", type=int, default=d.min_months, metavar="N",
                   help=f"fewest calendar months for XYZ (default {d.min_months})")


def _options(args) -> customers.AnalysisOptions:
    return customers.AnalysisOptions(by=args.by, a=args.a_share, b=args.b_share, x=args.x_cv, y=args.y_cv,
                                     min_months=args.min_months)


def _store(args) -> Store:
    return Store(getattr(args, "db", None) or default_db_path())


def cmd_import(args) -> int:
    columns = {role: getattr(args, role) for role in ColumnMap.__dataclass_fields__}
    report, analysis = customers.import_file(_store(args), args.file, columns, _options(args))
    if args.json:
        output.json(versioned({"import": report.to_dict(), "analysis": analysis.summary()}))
        return 0
    _print_report(report)
    print()
    _print_analysis(analysis.summary())
    return 0


def cmd_analyze(args) -> int:
    summary = customers.analyze(_store(args), _options(args)).summary()
    if args.json:
        output.json(versioned(summary))
    else:
        _print_analysis(summary)
    return 0


def cmd_recruit(args) -> int:
    store = _store(args)
    try:
        result = customers_recruit.recruit(store, args.size)
    except ValueError as e:
        raise InterviewMinerError(str(e)) from None
    path = customers_recruit.write_recruit_csv(result, args.out)
    if args.json:
        rows = customers_recruit.recruit_csv_rows(result)
        output.json(versioned({"out": str(path), "groups": result.groups, "interviewed": result.interviewed,
                               "interviewed_elsewhere": result.interviewed_elsewhere, "notes": result.notes,
                               "candidates": [dict(zip(rows[0], r)) for r in rows[1:]]}))
        return 0
    groups = ", ".join(f"{n} {g}" for g, n in result.groups.items() if n)
    print(f"wrote {len(result.candidates)} candidates to {path} ({groups}); "
          f"{result.interviewed} already interviewed")
    for c in result.candidates[:10]:
        print(f"{c.rank:>4}  {c.customer_id:<14} {(c.name or '')[:24]:<24} {c.interview_status:<12} {c.reason}")
    if len(result.candidates) > 10:
        print(f"      ... {len(result.candidates) - 10} more in {path}")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _print_report(r: ImportReport) -> None:
    window = f"{r.window[0]} .. {r.window[1]} ({r.months} months)" if r.window else "no purchases"
    print(f"imported {r.file_name}: {r.rows:,} rows, {r.transactions:,} transactions, {r.customers:,} customers "
          f"({r.buyers:,} with purchases), {window}, in {r.seconds:.1f} s")
    cols = ", ".join(f"{k}={v!r}" for k, v in vars(r.columns).items() if v)
    print(f"columns: {cols}")
    if r.returns:
        print(f"returns: {r.returns:,} transactions, {r.return_value:,.2f} (netted into value)")
    for note in r.notes:
        print(f"note: {note}")


def _print_analysis(s: dict) -> None:
    total = s["total_value"]
    print(f"{s['customers']:,} customers, {s['transactions']:,} transactions, {s['by']} {total:,.2f}, "
          f"window {' .. '.join(s['window']) if s['window'] else '-'}")
    p = s["pareto"]
    if p["top20_share"] is not None:
        print(f"pareto: top 20% of customers hold {p['top20_share']:.0%} of {s['by']}, top 4% hold {p['top4_share']:.0%}")
    print("ABC: " + ", ".join(f"{k} {n:,} ({s['abc_value'][k] / total:.0%} of {s['by']})" if total > 0 else f"{k} {n:,}"
                              for k, n in s["abc"].items()))
    if s["xyz"] is None:
        print(f"XYZ: {s['xyz_note']}")
    else:
        print("XYZ: " + ", ".join(f"{k} {n:,}" for k, n in s["xyz"].items()))
        print("matrix:    X      Y      Z")
        for a in "ABC":
            print(f"  {a}  " + " ".join(f"{s['matrix'][a + x]:>6,}" for x in "XYZ"))
    print("RFM: " + ", ".join(f"{k} {n:,}" for k, n in s["rfm_segments"].items() if n))
    if s["returns"]["transactions"]:
        print(f"returns: {s['returns']['transactions']:,} ({s['returns']['value']:,.2f})")
    deals = s["deals"]
    if deals["declined"] or deals["postponed"]:
        print(f"deals: {deals['declined']} declined, {deals['postponed']} postponed; {s['prospects']} prospects without purchases")
