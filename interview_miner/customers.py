"""Customer-base analysis: who brings the value (ABC), who buys steadily (XYZ), who is still
active (RFM), and how concentrated the value is (Pareto) — to choose whom to interview.

    from interview_miner import customers
    report, analysis = customers.import_file(store, "sales.csv")
    analysis.summary()["pareto"]   # {'top20_share': 0.81, 'top4_share': 0.55}

`customers_import` turns the transaction file into one summary per customer (DuckDB; see its
docstring for why the study stores summaries and not transactions); this module classifies
those summaries, plain Python and numpy over one row per customer, so re-analysing with other
thresholds or by margin takes milliseconds and needs no source file. `customers_recruit` builds
the interview list and the personas' value shares on top.

Definitions (the thresholds are `AnalysisOptions`):
- Customers are those with at least one purchase (a positive amount); rows that only record a
  declined or postponed deal make prospects, kept for recruiting but outside the analysis.
- ABC: by value, descending. A customer is A while the share of the total held by the customers
  ranked above it is below `a` (80%), B below `b` (95%), C otherwise. "Ranked above" means a
  strictly higher value, so tied customers always share a class.
- XYZ: coefficient of variation (population standard deviation / mean) of the customer's value
  per calendar month over every month of the window (months without purchases count as 0):
  X <= `x` (0.10), Y <= `y` (0.25), Z above; a customer whose net value is not positive is Z.
  With fewer than `min_months` (3) months in the window XYZ is not computed, and the summary says so.
- RFM: recency = days from the last purchase to the window's last day, frequency = purchase
  days, monetary = value. Each is scored 1-5 by quintile rank: 1 + floor(5 x the share of
  customers strictly worse), so ties share a score; named segments follow `SEGMENT_RULES`.
- Pareto: the share of value held by the top 20% and top 4% of customers, read off the Pareto
  curve (a fraction of the customer at the boundary counts by that fraction).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from .customers_import import CustomerDataError, CustomerSummary, ImportReport, read_transactions
from .store import Store

VALUE_BASES = ("revenue", "margin")
ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")
# RFM segments: the first rule whose bounds hold wins. (segment, R range, F range, M range).
SEGMENT_RULES: tuple[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]], ...] = (
    ("champions", (4, 5), (4, 5), (4, 5)),
    ("loyal", (3, 5), (4, 5), (1, 5)),
    ("new", (4, 5), (1, 1), (1, 5)),
    ("promising", (4, 5), (2, 3), (1, 5)),
    ("need attention", (3, 3), (1, 3), (1, 5)),
    ("cannot lose", (1, 2), (4, 5), (4, 5)),
    ("at risk", (1, 2), (3, 5), (1, 5)),
    ("hibernating", (2, 2), (1, 2), (1, 5)),
    ("lost", (1, 1), (1, 2), (1, 5)),
)
SEGMENTS = tuple(rule[0] for rule in SEGMENT_RULES)


@dataclass
class AnalysisOptions:
    by: str = "revenue"
    a: float = 0.80
    b: float = 0.95
    x: float = 0.10
    y: float = 0.25
    min_months: int = 3

    def __post_init__(self) -> None:
        if self.by not in VALUE_BASES:
            raise CustomerDataError(f"--by {self.by!r}: use revenue or margin")
        if not 0 < self.a <= self.b <= 1:
            raise CustomerDataError(f"ABC thresholds must satisfy 0 < A ({self.a}) <= B ({self.b}) <= 1")
        if not 0 <= self.x <= self.y:
            raise CustomerDataError(f"XYZ thresholds must satisfy 0 <= X ({self.x}) <= Y ({self.y})")
        if self.min_months < 1:
            raise CustomerDataError("--min-months must be at least 1")


@dataclass
class Customer(CustomerSummary):
    """One customer of the study: the import's summary plus the last analysis' classes (None
    for prospects, who never bought)."""

    recency_days: int | None = None
    abc: str | None = None
    xyz: str | None = None
    r: int | None = None
    f: int | None = None
    m: int | None = None
    segment: str | None = None

    @property
    def is_buyer(self) -> bool:
        return self.purchase_days > 0

    def value(self, by: str) -> float:
        return float((self.margin if by == "margin" else self.revenue) or 0.0)

    def row(self) -> tuple:
        return tuple(getattr(self, c) for c in Store.CUSTOMER_COLUMNS)


@dataclass
class Analysis:
    """The result of classifying the customer base; `summary()` is the `analyze --json` contract."""

    options: AnalysisOptions
    customers: int
    prospects: int
    transactions: int
    total_value: float
    window: tuple[str, str] | None
    months: int
    abc: dict[str, int]
    xyz: dict[str, int] | None
    xyz_note: str | None
    matrix: dict[str, int] | None
    matrix_value: dict[str, float] | None
    abc_value: dict[str, float]
    pareto: dict[str, float | None]
    rfm_segments: dict[str, int]
    returns: dict[str, float]
    deals: dict[str, int]
    curve: list[tuple[float, float]] = field(default_factory=list)  # Pareto curve, <= 201 points

    def summary(self) -> dict[str, Any]:
        return {
            "customers": self.customers, "transactions": self.transactions,
            "total_value": round(self.total_value, 2),
            "window": list(self.window) if self.window else None,
            "abc": self.abc, "xyz": self.xyz, "matrix": self.matrix, "pareto": self.pareto,
            "rfm_segments": self.rfm_segments,
            # beyond the contract's names (adding keys never breaks a reader)
            "by": self.options.by, "months": self.months, "xyz_note": self.xyz_note,
            "abc_value": self.abc_value, "matrix_value": self.matrix_value, "prospects": self.prospects,
            "returns": self.returns, "deals": self.deals,
            "thresholds": {k: v for k, v in asdict(self.options).items() if k != "by"},
        }


# --- classification -------------------------------------------------------------------------------


def _share_above(values: np.ndarray) -> np.ndarray:
    """For each value, the sum of the values strictly greater than it (exact for sums that a
    double holds exactly: added in descending order, never subtracted)."""
    desc = np.sort(values)[::-1]
    before = np.concatenate(([0.0], np.cumsum(desc)))  # before[k] = sum of the k largest
    n_greater = len(values) - np.searchsorted(np.sort(values), values, side="right")
    return before[n_greater]


def _quintile_scores(values: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """1 + floor(5 x share of customers strictly worse), so equal values score alike."""
    s = np.sort(values)
    n = len(values)
    if higher_is_better:
        worse = np.searchsorted(s, values, side="left")
    else:
        worse = n - np.searchsorted(s, values, side="right")
    return np.minimum(5, 1 + (5 * worse) // max(n, 1)).astype(int)


def segment_of(r: int, f: int, m: int) -> str:
    for name, (r0, r1), (f0, f1), (m0, m1) in SEGMENT_RULES:
        if r0 <= r <= r1 and f0 <= f <= f1 and m0 <= m <= m1:
            return name
    raise AssertionError(f"no RFM segment for {(r, f, m)}")  # the rules cover every score


_SEGMENT_GRID = np.array([segment_of(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)],
                         dtype=object)


def _pareto(desc: np.ndarray, total: float) -> tuple[dict[str, float | None], list[tuple[float, float]]]:
    n = len(desc)
    if n == 0 or total <= 0:
        return {"top20_share": None, "top4_share": None}, []
    cum = np.concatenate(([0.0], np.cumsum(desc)))

    def at(fraction: float) -> float:
        k = fraction * n
        whole = int(math.floor(k))
        part = cum[whole] + ((k - whole) * desc[whole] if whole < n else 0.0)
        return float(part / total)

    steps = np.linspace(0, 1, min(n, 200) + 1)
    curve = [(round(float(x), 4), round(at(float(x)), 4)) for x in steps]
    return {"top20_share": round(at(0.20), 4), "top4_share": round(at(0.04), 4)}, curve


def classify(customers: list[Customer], window: tuple[str, str] | None, months: int,
             options: AnalysisOptions | None = None) -> Analysis:
    """Assign abc, xyz, recency_days, r, f, m and segment on every buyer (prospects get None)
    and return the summary. Pure: no store, no I/O."""
    options = options or AnalysisOptions()
    if options.by == "margin" and any(c.margin is None for c in customers):
        raise CustomerDataError("--by margin needs a margin column: re-import with --margin COLUMN")
    for c in customers:
        c.recency_days = c.abc = c.xyz = c.r = c.f = c.m = c.segment = None
    buyers = [c for c in customers if c.is_buyer]
    values = np.array([c.value(options.by) for c in buyers], dtype=float)
    total = float(values.sum()) if len(values) else 0.0
    xyz_note = None
    if months < options.min_months:
        xyz_note = (f"XYZ not computed: the data covers {months} calendar month{'s' if months != 1 else ''}, "
                    f"fewer than {options.min_months}")
    n = len(buyers)
    abc = np.full(n, "C", dtype="<U1")
    xyz = np.full(n, "", dtype="<U1")
    segments = np.full(n, "", dtype=object)
    recency = r = f = m = np.zeros(n, dtype=int)
    if buyers:  # numpy over all buyers at once: half a million customers classify in about a second
        share = np.round(_share_above(values) / total, 12) if total > 0 else np.ones(n)
        abc = np.where(share < options.a, "A", np.where(share < options.b, "B", "C"))
        if xyz_note is None:
            cv = np.round(np.array([c.cv_margin if options.by == "margin" else c.cv_revenue for c in buyers],
                                   dtype=float), 10)
            xyz = np.where(np.isnan(cv) | (values <= 0), "Z",
                           np.where(cv <= options.x, "X", np.where(cv <= options.y, "Y", "Z")))
        last = np.array([c.last_purchase for c in buyers], dtype="datetime64[D]")
        recency = (np.datetime64(window[1], "D") - last).astype(int)
        r = _quintile_scores(recency, higher_is_better=False)
        f = _quintile_scores(np.array([c.purchase_days for c in buyers]))
        m = _quintile_scores(values)
        segments = _SEGMENT_GRID[(r - 1) * 25 + (f - 1) * 5 + (m - 1)]
    for c, a, x, rec, rs, fs, ms, seg in zip(buyers, abc.tolist(), xyz.tolist(), recency.tolist(), r.tolist(),
                                             f.tolist(), m.tolist(), segments.tolist()):
        c.abc, c.xyz, c.recency_days, c.r, c.f, c.m, c.segment = a, x or None, rec, rs, fs, ms, seg
    pareto, curve = _pareto(np.sort(values)[::-1], total)
    counts: dict[str, int] = {}
    sums: dict[str, float] = {}
    cells = [a + x for a in ABC for x in XYZ]
    for key, mask in ([(k, abc == k) for k in ABC] + [(f"xyz:{k}", xyz == k) for k in XYZ]
                      + [(f"cell:{k}", (abc == k[0]) & (xyz == k[1])) for k in cells]
                      + [(f"rfm:{k}", segments == k) for k in SEGMENTS]):
        counts[key] = int(mask.sum())
        sums[key] = float(values[mask].sum()) if n else 0.0
    abc_counts = {k: counts[k] for k in ABC}
    abc_value = {k: round(sums[k], 2) for k in ABC}
    xyz_counts = matrix = matrix_value = None
    if xyz_note is None:
        xyz_counts = {k: counts[f"xyz:{k}"] for k in XYZ}
        matrix = {cell: counts[f"cell:{cell}"] for cell in cells}
        matrix_value = {cell: round(sums[f"cell:{cell}"], 2) for cell in cells}
    return Analysis(
        options=options, customers=len(buyers), prospects=len(customers) - len(buyers),
        transactions=sum(c.transactions for c in customers), total_value=total, window=window,
        months=months, abc=abc_counts, xyz=xyz_counts, xyz_note=xyz_note, matrix=matrix, matrix_value=matrix_value,
        abc_value=abc_value, pareto=pareto,
        rfm_segments={s: counts[f"rfm:{s}"] for s in SEGMENTS},
        returns={"transactions": sum(c.returns for c in customers),
                 "value": round(sum(c.return_value for c in customers), 2)},
        deals={k: sum(1 for c in customers if c.deal == k) for k in ("declined", "postponed")},
        curve=curve,
    )


# --- the study ------------------------------------------------------------------------------------


def import_file(store: Store, path: str | Path, columns: dict[str, str | None] | None = None,
                options: AnalysisOptions | None = None) -> tuple[ImportReport, Analysis]:
    """Read the file, classify with `options` (defaults) and replace the study's customer base
    in one transaction. Raises CustomerDataError before writing anything when the file is bad."""
    options = options or AnalysisOptions()
    summaries, report = read_transactions(path, columns)
    if options.by == "margin" and not report.has_margin:
        raise CustomerDataError("--by margin needs a margin column: name it with --margin COLUMN")
    customers = [Customer(**asdict(s)) for s in summaries]
    analysis = classify(customers, report.window, report.months, options)
    store.replace_customers((c.row() for c in customers), report.file_name, report.to_dict(),
                            _analysis_record(analysis))
    return report, analysis


def _analysis_record(analysis: Analysis) -> dict[str, Any]:
    return {"options": asdict(analysis.options), "summary": analysis.summary(), "curve": analysis.curve}


def load_customers(store: Store, ids: list[str] | None = None) -> list[Customer]:
    """All customers of the study, or only those with these ids."""
    return [Customer(*row) for row in store.customer_rows(ids)]


def current_import(store: Store) -> dict[str, Any] | None:
    """{file_name, imported_at, report, analysis} of the study's import, None before any."""
    return store.customer_import()


def require_import(store: Store) -> dict[str, Any]:
    info = store.customer_import()
    if info is None:
        raise CustomerDataError("no customer data in this study: run `interview-miner customers import FILE` first")
    return info


def analyze(store: Store, options: AnalysisOptions | None = None) -> Analysis:
    """Re-classify the imported customers (other thresholds, or by margin) and keep the result."""
    info = require_import(store)
    report = info["report"]
    customers = load_customers(store)
    window = tuple(report["window"]) if report.get("window") else None
    analysis = classify(customers, window, int(report.get("months") or 0), options)
    store.save_customer_classes(
        ((c.recency_days, c.abc, c.xyz, c.r, c.f, c.m, c.segment, c.customer_id) for c in customers),
        _analysis_record(analysis),
    )
    return analysis


def last_analysis(store: Store) -> tuple[AnalysisOptions, dict[str, Any], list[tuple[float, float]]]:
    """The options, summary and Pareto curve of the last analysis, as stored (no recomputation)."""
    record = require_import(store)["analysis"]
    known = {f.name for f in fields(AnalysisOptions)}
    options = AnalysisOptions(**{k: v for k, v in record.get("options", {}).items() if k in known})
    return options, record.get("summary", {}), [tuple(p) for p in record.get("curve", [])]
