"""`interview-miner consent|pii|forget` and the privacy options of `add`, `run`, `export` and
`transcript`: argument parsing and printing only (consent.py, privacy.py, redact.py, forget.py
do the work).

Kept out of cli.py so the privacy commands travel as one piece: cli.build_parser calls
`add_commands(sub, common)` once the other commands exist, and this module adds its options to
theirs (`--consent ...` on add/run, `--redact` on export/transcript), wrapping their handlers so
neither needs a privacy parameter of its own.
"""
from __future__ import annotations

import argparse
import json
import sys

from . import consent as consent_mod
from . import forget as forget_mod
from . import redact
from .errors import InterviewMinerError
from .overlay import CONSENT_SCOPES
from .store import Store, default_db_path

SCOPE_HELP = "; ".join(f"{k}: {v}" for k, v in consent_mod.SCOPE_TITLES.items())


def add_commands(sub, common: argparse.ArgumentParser) -> None:
    late = argparse.ArgumentParser(add_help=False)
    late.add_argument("--db", default=argparse.SUPPRESS, help="study database")
    late.add_argument("--offline", action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                      help=argparse.SUPPRESS)

    p = sub.add_parser("consent", parents=[common], help="show who consented to what, or record one interview's consent",
                       description="Without options: every interview's consent and whose retention expired. "
                                   f"With an ID and options: record or change it. Scopes: {SCOPE_HELP}.")
    p.add_argument("id", nargs="?", type=int, help="interview id")
    _consent_options(p, "--scope")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_consent)

    p = sub.add_parser("pii", parents=[common], help="personal data in transcripts: find, confirm, dismiss, study terms",
                       description="Finds names, e-mails, phone numbers, street addresses, IBAN/card numbers, URLs "
                                   "and the study's own terms (Microsoft Presidio, offline).")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])
    acts = p.add_subparsers(dest="action", metavar="ACTION")
    a = acts.add_parser("scan", parents=[late], help="list what is found in one interview (or all)")
    a.add_argument("id", nargs="?", type=int, help="interview id (default: all)")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(func=cmd_pii_scan)
    for action, verb in (("confirm", "confirmed"), ("dismiss", "dismissed")):
        a = acts.add_parser(action, parents=[late], help=f"mark a finding {verb} (for the whole study)")
        a.add_argument("key", metavar="KIND:WORDS", help="as `pii scan` prints it, e.g. PERSON:copenhagen")
        a.set_defaults(func=cmd_pii_decide, status=verb)
    a = acts.add_parser("terms", parents=[late], help="the study's own terms to redact (clients, employers)")
    a.add_argument("--add", nargs="+", default=[], metavar="TERM")
    a.add_argument("--remove", nargs="+", default=[], metavar="TERM")
    a.set_defaults(func=cmd_pii_terms)
    a = acts.add_parser("settings", parents=[late], help="study privacy settings")
    a.add_argument("--redact-shareable", action=argparse.BooleanOptionalAction, default=None,
                   help=f"redact shareable formats ({', '.join(redact.SHAREABLE_FORMATS)}) unless --no-redact")
    a.add_argument("--require-consent", action=argparse.BooleanOptionalAction, default=None,
                   help="treat interviews without a consent record as 'analysis only' in exports")
    a.set_defaults(func=cmd_pii_settings)

    p = sub.add_parser("forget", parents=[common], help="erase an interview or a participant completely (GDPR art. 17)",
                       description="Deletes the recording, transcript, quotes, embeddings, edits, NPS, consent and job "
                                   "records, updates themes and personas, then vacuums the database so the words "
                                   "cannot be recovered from it. Exports already written are not touched.")
    p.add_argument("ids", nargs="*", type=int, metavar="INTERVIEW_ID")
    p.add_argument("--participant", metavar="NAME", help="every interview of this participant")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_forget)

    p = sub.add_parser("encrypt", parents=[common], help="write an encrypted copy of the study (SQLCipher)",
                       description="Copies the study into a new file encrypted with the passphrase in "
                                   "INTERVIEW_MINER_PASSPHRASE (asked for when unset). Open it later with that "
                                   "variable set. Needs the encryption extra (sqlcipher3).")
    p.add_argument("--out", required=True, metavar="FILE", help="the encrypted study to write (must not exist)")
    p.set_defaults(func=cmd_encrypt)

    _extend(sub, "add", _consent_on_add)
    _extend(sub, "run", _consent_on_add)
    _extend(sub, "export", _redact_options)
    _extend(sub, "transcript", _redact_options)


def _consent_options(p: argparse.ArgumentParser, scope_flag: str = "--consent") -> None:
    p.add_argument(scope_flag, dest="consent_scope", metavar="SCOPE", default=None,
                   help=f"consent scope: {', '.join(CONSENT_SCOPES)} ({SCOPE_HELP})")
    p.add_argument("--consent-date", metavar="YYYY-MM-DD", default=None, help="when consent was given")
    p.add_argument("--retention-until", metavar="YYYY-MM-DD", default=None, help="erase after this date")


def _extend(sub, name: str, extend) -> None:
    """Add privacy options to an existing command and wrap its handler (no-op if it is absent)."""
    parser = sub.choices.get(name)
    if parser is not None:
        extend(parser, parser.get_default("func"))


def _consent_on_add(parser: argparse.ArgumentParser, handler) -> None:
    _consent_options(parser)

    def with_consent(args):
        # Validated before anything is added; recorded as metadata like any other detail.
        meta = consent_mod.consent_meta(args.consent_scope, args.consent_date, args.retention_until)
        args.meta = list(args.meta or []) + [f"{k}={v}" for k, v in meta.items()]
        return handler(args)

    parser.set_defaults(func=with_consent)


def _redact_options(parser: argparse.ArgumentParser, handler) -> None:
    parser.add_argument("--redact", action=argparse.BooleanOptionalAction, default=None,
                        help="replace personal data with [PERSON]/[EMAIL]... and participants with P1, P2... "
                             "(default: the study's setting for shareable formats, see `pii settings`)")
    parser.add_argument("--redact-audio", choices=redact.AUDIO_MODES, default="silence",
                        help="how redacted words sound in exported recordings (default silence)")

    def with_privacy(args):
        fmt = getattr(args, "format", None)
        with redact.export_privacy(redact.ExportPrivacy(args.redact, args.redact_audio), fmt):
            return handler(args)

    parser.set_defaults(func=with_privacy)


def _store(args) -> Store:
    return Store(getattr(args, "db", None) or default_db_path())


def cmd_consent(args) -> int:
    store = _store(args)
    if args.id is not None:
        if args.consent_scope is None and args.consent_date is None and args.retention_until is None:
            c = consent_mod.consent_of(store.get_interview(args.id))
        else:
            c = consent_mod.set_consent(store, args.id, args.consent_scope, args.consent_date, args.retention_until)
        print(json.dumps({"interview_id": args.id, "consent": c.scope, "consent_date": c.date,
                          "retention_until": c.retention_until}) if args.json else f"{args.id}: {c.describe()}")
        return 0
    if args.consent_scope or args.consent_date or args.retention_until:
        raise InterviewMinerError("which interview? give its id before --scope/--consent-date/--retention-until")
    rows = consent_mod.consent_report(store)
    if args.json:
        print(json.dumps({"interviews": [r.to_dict() for r in rows]}, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no interviews yet")
        return 0
    print(f"{'id':>4}  {'participant':<20} {'consent':<28} {'date':<10}  {'keep until':<10}  action")
    for r in rows:
        scope = consent_mod.SCOPE_TITLES.get(r.consent.scope, "-") if r.consent.scope else "-"
        print(f"{r.interview_id:>4}  {r.participant[:20]:<20} {scope:<28} {r.consent.date or '-':<10}  "
              f"{r.consent.retention_until or '-':<10}  {r.action}")
    expired = [r for r in rows if r.expired]
    if expired:
        print(f"\n{len(expired)} interview(s) past their retention date: "
              f"interview-miner forget {' '.join(str(r.interview_id) for r in expired)}")
    return 0


def cmd_pii_scan(args) -> int:
    store = _store(args)
    if args.id is not None:
        store.get_interview(args.id)  # KeyError naming it when unknown
    found = redact.findings(store, None if args.id is None else [args.id])
    if args.json:
        print(json.dumps({"findings": [{"interview_id": f.interview_id, "segment": f.segment_index,
                                        "start": round(f.start, 2), "kind": f.span.kind, "text": f.span.text,
                                        "key": f.span.key, "score": f.span.score, "status": f.status}
                                       for f in found]}, indent=2, ensure_ascii=False))
        return 0
    for f in found:
        print(f"{f.interview_id:>4}  #{f.segment_index:<4} {f.span.kind:<15} {f.status:<9} {f.span.text!r}  ({f.span.key})")
    print(f"{len(found)} finding(s); dismissed ones are left out" if found else "nothing found")
    return 0


def cmd_pii_decide(args) -> int:
    store = _store(args)
    kind, _, words = args.key.partition(":")
    if not words.strip():
        raise InterviewMinerError(f"{args.key!r}: expected KIND:WORDS as `pii scan` prints it")
    from .privacy import PII_KINDS, span_key

    if kind not in PII_KINDS:
        raise InterviewMinerError(f"unknown kind {kind!r} (one of: {', '.join(PII_KINDS)})")
    key = span_key(kind, words)
    redact.decide(store, key, args.status)
    print(f"{key}: {args.status}")
    return 0


def cmd_pii_terms(args) -> int:
    store = _store(args)
    remove = {t.casefold() for t in args.remove}
    terms = [t for t in redact.study_terms(store) if t.casefold() not in remove] + list(args.add)
    terms = redact.set_study_terms(store, terms) if (args.add or args.remove) else redact.study_terms(store)
    print("\n".join(terms) if terms else "no study terms")
    return 0


def cmd_pii_settings(args) -> int:
    store = _store(args)
    if args.redact_shareable is not None:
        store.set_privacy_setting("redact_shareable", args.redact_shareable)
    if args.require_consent is not None:
        store.set_privacy_setting("require_consent", args.require_consent)
    print(f"redact shareable formats by default: {'on' if store.privacy_setting('redact_shareable', False) else 'off'}")
    print(f"require a consent record: {'on' if store.privacy_setting('require_consent', False) else 'off'}")
    return 0


def cmd_forget(args) -> int:
    if bool(args.ids) == bool(args.participant):
        raise InterviewMinerError("give interview ids or --participant NAME (one of them)")
    store = _store(args)
    targets = forget_mod.resolve(store, args.ids or None, args.participant)  # unknown: error, nothing changed
    listing = ", ".join(f"{i.id} ({i.participant or i.file_name})" for i in targets)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InterviewMinerError(f"forget would erase interview(s) {listing}: add --yes to confirm")
        if input(f"Erase interview(s) {listing} for good? [y/N] ").strip().casefold() not in ("y", "yes"):
            print("nothing erased")
            return 1
    report = forget_mod.forget(store, [i.id for i in targets])
    print(report.summary())
    return 0


def cmd_encrypt(args) -> int:
    import getpass
    import os

    from . import encryption

    source = getattr(args, "db", None) or default_db_path()
    if not os.path.exists(source):
        raise InterviewMinerError(f"{source}: no such study")
    key = encryption.passphrase()
    if key is None:
        if not sys.stdin.isatty():
            raise InterviewMinerError(f"set {encryption.PASSPHRASE_ENV} to the passphrase for the encrypted copy")
        key = getpass.getpass("Passphrase: ")
        if getpass.getpass("Again: ") != key:
            raise InterviewMinerError("the passphrases differ: nothing written")
    encryption.encrypt_study(source, args.out, key)
    print(f"wrote {args.out} (encrypted); open it with {encryption.PASSPHRASE_ENV} set. "
          f"Erase the plain {source} once you have checked the copy.")
    return 0
