"""Who to interview, and what the interviewed customers are worth to each persona.

An interview is linked to a customer when its metadata names the customer's id under
`customer_id` (`interview-miner add FILE --meta customer_id=C042`, the Study page's details, or
a metadata edit): the link needs no table of its own and follows the researcher's edits.

The recruiting list (`recruit`) follows the method's advice: 50-75 names, mostly the customers
who bring the value (ABC-XYZ first, RFM to break ties), a quarter of the buyers' places for
valuable customers who are slipping away (RFM "at risk", "cannot lose", "hibernating", "lost":
they know why they stopped), and up to a third of the list for deals that were declined or
postponed when the data marks them. Each name says why it was picked and whether it has been
interviewed.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from .customers import ABC, XYZ, AnalysisOptions, Customer, last_analysis, load_customers, require_import
from .models import Interview
from .store import Store

CUSTOMER_KEY = "customer_id"
DEFAULT_SIZE = 60
ADVISED_SIZE = (50, 75)
SLIPPING = ("cannot lose", "at risk", "hibernating", "lost")
GROUPS = ("best", "slipping", "postponed", "declined")
CSV_COLUMNS = ("rank", "customer_id", "name", "contact", "group", "reason", "value", "abc", "xyz",
               "rfm_segment", "last_purchase", "interview_status", "interview_ids")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # cells a spreadsheet would run as a formula


@dataclass
class Candidate:
    rank: int
    customer_id: str
    name: str | None
    contact: str | None
    group: str  # one of GROUPS
    reason: str
    value: float
    abc: str | None
    xyz: str | None
    segment: str | None
    last_purchase: str | None
    interview_ids: list[int] = field(default_factory=list)

    @property
    def interview_status(self) -> str:
        return "interviewed" if self.interview_ids else "to contact"


@dataclass
class RecruitList:
    candidates: list[Candidate]
    by: str
    groups: dict[str, int]
    interviewed: int
    interviewed_elsewhere: list[str]  # linked customers that the list does not hold
    notes: list[str] = field(default_factory=list)


@dataclass
class PersonaValue:
    """A persona weighed by the customers behind its interviews."""

    persona_id: str
    persona: str
    interviews: int
    linked_interviews: int
    customers: int
    value: float
    share: float | None  # of the study's total value (revenue or margin, `by`)
    abc: dict[str, int]
    by: str

    def to_dict(self) -> dict:
        """The persona's `customer_value` in the JSON export."""
        return {"by": self.by, "share": self.share, "value": self.value, "customers": self.customers,
                "linked_interviews": self.linked_interviews, "abc": self.abc}


def interview_links(store: Store, interviews: list[Interview] | None = None) -> dict[str, list[int]]:
    """customer id -> ids of the interviews whose metadata names it."""
    links: dict[str, list[int]] = {}
    for i in store.list_interviews() if interviews is None else interviews:
        cid = str((i.metadata or {}).get(CUSTOMER_KEY) or "").strip()
        if cid:
            links.setdefault(cid, []).append(int(i.id))
    return links


def _abc_text(c: Customer, o: AnalysisOptions) -> str:
    return {"A": f"among the customers who bring the first {o.a:.0%} of {o.by}",
            "B": f"in the next {o.b - o.a:.0%} of {o.by}",
            "C": f"in the last {1 - o.b:.0%} of {o.by}"}.get(c.abc or "", "")


def _xyz_text(c: Customer) -> str:
    return {"X": "buys steadily month to month", "Y": "buys fairly regularly",
            "Z": "buys irregularly"}.get(c.xyz or "", "")


def _class(c: Customer) -> str:
    return (c.abc or "-") + (c.xyz or "")


def _reason(c: Customer, group: str, o: AnalysisOptions) -> str:
    rfm = f"RFM {c.r}{c.f}{c.m} {c.segment}" if c.segment else ""
    if group == "best":
        parts = [_abc_text(c, o), _xyz_text(c), rfm]
        return f"{_class(c)}: " + "; ".join(p for p in parts if p)
    if group == "slipping":
        return (f"{_class(c)}: valuable but {c.segment}: last purchase {c.recency_days} days before the data "
                f"ends, {c.purchase_days} purchase day{'s' if c.purchase_days != 1 else ''} — ask why they stopped")
    bought = f"; bought before ({_class(c)}, {c.value(o.by):,.2f} {o.by})" if c.is_buyer else ""
    return f"{group} deal (status {c.status!r}){bought}"


def _best_key(c: Customer, o: AnalysisOptions):
    xyz_rank = XYZ.index(c.xyz) if c.xyz in XYZ else len(XYZ)
    return (ABC.index(c.abc) if c.abc in ABC else len(ABC), xyz_rank, -((c.r or 0) + (c.f or 0)),
            -c.value(o.by), c.customer_id)


def recruit(store: Store, size: int = DEFAULT_SIZE) -> RecruitList:
    """The interview list: `size` customers (fewer when the study has fewer), see module doc."""
    if size < 1:
        raise ValueError("--size must be at least 1")
    require_import(store)
    options, _, _ = last_analysis(store)
    customers = load_customers(store)
    by_value = lambda c: (-c.value(options.by), c.customer_id)  # noqa: E731
    deals = {g: sorted((c for c in customers if c.deal == g), key=by_value) for g in ("postponed", "declined")}
    n_deals = sum(len(v) for v in deals.values())
    deal_quota = min(n_deals, round(size / 3))
    take_postponed = min(len(deals["postponed"]), math.ceil(deal_quota / 2))
    take_declined = min(len(deals["declined"]), deal_quota - take_postponed)
    take_postponed = min(len(deals["postponed"]), deal_quota - take_declined)

    buyers = [c for c in customers if c.is_buyer and not c.deal]
    slipping = sorted((c for c in buyers if c.abc in ("A", "B") and c.segment in SLIPPING), key=by_value)
    slipping_ids = {c.customer_id for c in slipping}
    best = sorted((c for c in buyers if c.customer_id not in slipping_ids), key=lambda c: _best_key(c, options))
    buyer_places = size - take_postponed - take_declined
    take_slipping = min(len(slipping), buyer_places // 4)
    take_best = min(len(best), buyer_places - take_slipping)
    take_slipping = min(len(slipping), buyer_places - take_best)
    # Places the buyers cannot fill go back to the deals.
    spare = size - take_best - take_slipping - take_postponed - take_declined
    extra = min(spare, len(deals["postponed"]) - take_postponed)
    take_postponed += extra
    take_declined += min(spare - extra, len(deals["declined"]) - take_declined)

    links = interview_links(store)
    picked = ([("best", c) for c in best[:take_best]] + [("slipping", c) for c in slipping[:take_slipping]]
              + [("postponed", c) for c in deals["postponed"][:take_postponed]]
              + [("declined", c) for c in deals["declined"][:take_declined]])
    candidates = [
        Candidate(rank=n + 1, customer_id=c.customer_id, name=c.name, contact=c.contact, group=g,
                  reason=_reason(c, g, options), value=round(c.value(options.by), 2), abc=c.abc, xyz=c.xyz,
                  segment=c.segment, last_purchase=c.last_purchase, interview_ids=sorted(links.get(c.customer_id, [])))
        for n, (g, c) in enumerate(picked)
    ]
    listed = {c.customer_id for c in candidates}
    known = {c.customer_id for c in customers}
    notes = []
    if not ADVISED_SIZE[0] <= size <= ADVISED_SIZE[1]:
        notes.append(f"the method advises {ADVISED_SIZE[0]}-{ADVISED_SIZE[1]} names: 8-12 of them usually agree")
    if not n_deals:
        notes.append("the data marks no declined or postponed deals (import a status column to include them)")
    unknown = sorted(set(links) - known)
    if unknown:
        notes.append(f"interview metadata names customer ids not in the data: {', '.join(unknown[:10])}")
    return RecruitList(
        candidates=candidates, by=options.by, groups={g: sum(1 for c in candidates if c.group == g) for g in GROUPS},
        interviewed=sum(1 for c in candidates if c.interview_ids),
        interviewed_elsewhere=sorted(set(links) & known - listed), notes=notes,
    )


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def recruit_csv_rows(result: RecruitList) -> list[list[str]]:
    """Header and one row per candidate, cells safe to open in a spreadsheet."""
    rows = [list(CSV_COLUMNS)]
    for c in result.candidates:
        rows.append([_cell(v) for v in (
            c.rank, c.customer_id, c.name, c.contact, c.group, c.reason, f"{c.value:.2f}", c.abc, c.xyz,
            c.segment, c.last_purchase, c.interview_status, " ".join(map(str, c.interview_ids)))])
    return rows


def recruit_csv_text(result: RecruitList) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(recruit_csv_rows(result))
    return out.getvalue()


def write_recruit_csv(result: RecruitList, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(recruit_csv_text(result), encoding="utf-8", newline="")
    return path


def persona_value_shares(store: Store) -> list[PersonaValue]:
    """Per persona: the customers linked to its interviews, their value and share of the
    study's total (by the last analysis' basis) and their ABC mix; highest share first. Empty
    when the study has no customer data."""
    if store.customer_import() is None:
        return []
    options, summary, _ = last_analysis(store)
    total = float(summary.get("total_value") or 0.0)
    interviews = store.list_interviews()
    customer_of = {i.id: str((i.metadata or {}).get(CUSTOMER_KEY) or "").strip() for i in interviews}
    # only the linked customers are read: the Overview calls this on every rerun
    customers = {c.customer_id: c for c in load_customers(store, [c for c in customer_of.values() if c])}
    out = []
    for p in store.personas():
        linked = [customer_of.get(int(i)) for i in p.interview_ids]
        ids = sorted({cid for cid in linked if cid in customers})
        value = sum(customers[cid].value(options.by) for cid in ids)
        out.append(PersonaValue(
            persona_id=p.id, persona=p.name, interviews=len(p.interview_ids),
            linked_interviews=sum(1 for cid in linked if cid in customers), customers=len(ids),
            value=round(value, 2), share=round(value / total, 4) if total > 0 else None,
            abc={k: sum(1 for cid in ids if customers[cid].abc == k) for k in ABC}, by=options.by,
        ))
    return sorted(out, key=lambda v: (-(v.share or 0), v.persona.casefold()))
