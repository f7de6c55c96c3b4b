"""Read a transaction file (CSV, TSV, Excel, Parquet) into per-customer summaries with DuckDB.

Why this shape (issue 13, "decide on the numbers"):
- The heavy work is one DuckDB query over the source file: DuckDB reads CSV/TSV/Parquet itself,
  in parallel and streaming, so 1M CSV rows cost about 3 CPU-seconds (bench/customers_bench.py)
  and 10M rows never become a Python or pandas copy (DuckDB's memory is capped at
  `MEMORY_LIMIT` and spills to a temporary folder past it). Excel has no
  offline DuckDB reader (its extension downloads at run time), so openpyxl streams the sheet
  (read-only mode) into a DuckDB table in batches; Excel stops at 1,048,576 rows anyway.
- The study keeps what the app, `analyze`, `recruit` and the personas need: one row per
  customer (value, margin, returns, purchase days, first/last purchase, the coefficient of
  variation of monthly value for revenue and margin, status, name, contact) plus the import
  report. That is 1-5% of the transaction rows, reads back in a fraction of a second, and lets
  `analyze` re-classify with other thresholds without the source file. The transactions
  themselves are not copied into the study: re-import the file to change columns.
- Nothing is half-imported: every check runs before the study is written, and the write is
  one transaction that replaces the previous customer base.

Column roles are guessed from the header (`guess_columns`) and each can be named explicitly.
Dates: the first format (ISO, then common day/month orders) that reads every value of the
column; amounts: plain numbers, thousands separators, currency signs, a decimal comma and
(12.00) negatives. Negative amounts are returns: netted into the value and counted.
"""
from __future__ import annotations

import re
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .customers_source import (
    DATE_FORMATS, SHOW_BAD_ROWS, CustomerDataError, Source, amount_modes, bad_amount_sql, bad_date_sql,
    candidates, date_sql, first_line, number_sql, quote_str, text_sql,
)

# Header names (lower case, only letters and digits kept) that each role is guessed from,
# most specific first.
ROLE_GUESSES: dict[str, tuple[str, ...]] = {
    "customer": ("customerid", "customer", "custid", "customerno", "customernumber", "clientid",
                 "client", "accountid", "account", "buyerid", "buyer", "memberid", "cardnumber"),
    "date": ("date", "orderdate", "invoicedate", "purchasedate", "transactiondate", "saledate",
             "paymentdate", "closedate", "createdat", "timestamp", "datetime", "time", "day"),
    "amount": ("amount", "revenue", "total", "value", "sales", "netamount", "totalamount",
               "linetotal", "ordervalue", "ordertotal", "gmv", "sum", "dollarvalue"),
    "margin": ("margin", "grossmargin", "profit", "grossprofit", "contribution"),
    "status": ("status", "dealstatus", "stage", "dealstage", "outcome", "result"),
    "name": ("name", "customername", "clientname", "company", "companyname", "accountname"),
    "contact": ("email", "contact", "contactemail", "phone", "emailaddress", "mail"),
    "quantity": ("quantity", "qty", "units", "numberofcds"),
    "unit_price": ("unitprice", "priceperunit", "unitcost", "price"),
}

DECLINED = {"lost", "declined", "decline", "rejected", "refused", "churned", "cancelled",
            "canceled", "closedlost", "no"}
POSTPONED = {"postponed", "delayed", "onhold", "hold", "later", "deferred", "paused", "stalled"}

@dataclass
class ColumnMap:
    """Which source column plays which role (None: absent). `amount` may be absent when both
    `quantity` and `unit_price` are there: the value is then quantity x unit price."""

    customer: str
    date: str
    amount: str | None = None
    margin: str | None = None
    status: str | None = None
    name: str | None = None
    contact: str | None = None
    quantity: str | None = None
    unit_price: str | None = None


@dataclass
class CustomerSummary:
    """One customer as `import` computes it from the transactions (before classification)."""

    customer_id: str
    name: str | None
    contact: str | None
    status: str | None
    deal: str | None  # "declined" | "postponed" | None, from the latest status
    revenue: float
    margin: float | None
    transactions: int
    returns: int
    return_value: float
    purchase_days: int
    first_purchase: str | None
    last_purchase: str | None
    active_months: int
    cv_revenue: float | None
    cv_margin: float | None


@dataclass
class ImportReport:
    file_name: str
    rows: int
    transactions: int
    customers: int
    buyers: int
    skipped_no_customer: int
    returns: int
    return_value: float
    window: tuple[str, str] | None
    months: int
    columns: ColumnMap
    date_format: str
    has_margin: bool
    has_deals: bool
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["window"] = list(self.window) if self.window else None
        return d


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def guess_columns(columns: list[str], given: dict[str, str | None] | None = None) -> ColumnMap:
    """The column for each role: `given` (role -> column, case-insensitive) wins, else the first
    header in ROLE_GUESSES order. Raises CustomerDataError naming the missing role and the
    file's columns when customer, date or a value (amount, or quantity and unit price) is absent."""
    given = {k: v for k, v in (given or {}).items() if v}
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(_norm(c), c)
    exact = {c.lower(): c for c in columns}
    listing = ", ".join(repr(c) for c in columns)
    chosen: dict[str, str | None] = {}
    for role, column in given.items():
        found = exact.get(column.lower()) or by_norm.get(_norm(column))
        if found is None:
            raise CustomerDataError(f"--{role.replace('_', '-')} {column!r} is not a column of the file; "
                                    f"its columns are: {listing}")
        chosen[role] = found
    used = set(chosen.values())
    for role, names in ROLE_GUESSES.items():
        if role in chosen:
            continue
        if role == "unit_price" and chosen.get("amount"):
            continue
        for n in names:
            if n in by_norm and by_norm[n] not in used:
                chosen[role] = by_norm[n]
                used.add(by_norm[n])
                break
    if chosen.get("amount") and chosen.get("unit_price") == chosen.get("amount"):
        chosen["unit_price"] = None
    for role, flag in (("customer", "--customer"), ("date", "--date")):
        if not chosen.get(role):
            raise CustomerDataError(f"no {role} column found among {listing}: name it with {flag} COLUMN")
    if not chosen.get("amount") and not chosen.get("quantity") and chosen.get("unit_price"):
        chosen["amount"] = chosen.pop("unit_price")  # a lone "price" column is the amount
    if not chosen.get("amount") and not (chosen.get("quantity") and chosen.get("unit_price")):
        raise CustomerDataError(f"no amount column found among {listing}: name it with --amount COLUMN")
    if not chosen.get("amount"):
        chosen["amount"] = None
    else:
        chosen["quantity"] = chosen["unit_price"] = None
    return ColumnMap(**{k: chosen.get(k) for k in ColumnMap.__dataclass_fields__})


def _value_exprs(cols: ColumnMap, types: dict[str, str], modes: dict[str, str]) -> dict[str, str]:
    """SQL for amount and margin, and whether each is blank in the source (allowed on deal rows)."""
    if cols.amount:
        amount = number_sql(cols.amount, types[cols.amount], modes["amount"])
        amount_blank = f"({text_sql(cols.amount)} IS NULL)"
    else:
        amount = (f"({number_sql(cols.quantity, types[cols.quantity], modes['quantity'])}"
                  f" * {number_sql(cols.unit_price, types[cols.unit_price], modes['unit_price'])})")
        amount_blank = f"({text_sql(cols.quantity)} IS NULL OR {text_sql(cols.unit_price)} IS NULL)"
    if cols.margin:
        margin = number_sql(cols.margin, types[cols.margin], modes["margin"])
        margin_blank = f"({text_sql(cols.margin)} IS NULL)"
    else:
        margin, margin_blank = "NULL::DOUBLE", "false"
    return {"amount": amount, "amount_blank": amount_blank, "margin": margin, "margin_blank": margin_blank}


def _deal_expr(cols: ColumnMap) -> str:
    if not cols.status:
        return "NULL::VARCHAR"
    key = f"lower(replace(replace(replace({text_sql(cols.status)}, ' ', ''), '_', ''), '-', ''))"
    declined = ", ".join(quote_str(s) for s in sorted(DECLINED))
    postponed = ", ".join(quote_str(s) for s in sorted(POSTPONED))
    return (f"(CASE WHEN {key} IN ({declined}) THEN 'declined'"
            f" WHEN {key} IN ({postponed}) THEN 'postponed' END)")


def _numeric_columns(cols: ColumnMap) -> dict[str, str]:
    roles = ("amount", "margin", "quantity", "unit_price")
    return {r: getattr(cols, r) for r in roles if getattr(cols, r)}


# --- detection and validation ----------------------------------------------------------------------


def _detect(src: Source, cols: ColumnMap) -> tuple[list[str], dict[str, list[str]]]:
    """Date formats and number modes that read a sample of each column, best first."""
    date_type = src.types[cols.date].upper()
    if date_type in ("BIGINT", "INTEGER", "UBIGINT", "UINTEGER"):
        date_options = ["%Y%m%d"]
    elif date_type == "VARCHAR":
        date_options = candidates(src, cols.date, DATE_FORMATS, bad_date_sql)
    else:
        date_options = ["native"]
    number_options = {
        role: (amount_modes(src, col) if src.types[col].upper() == "VARCHAR" else ["native"])
        for role, col in _numeric_columns(cols).items()
    }
    return date_options, number_options


def _choose(src: Source, cols: ColumnMap, deal: str, date_options: list[str],
            number_options: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    """The first date format and number modes that read every row (one scan over the file for
    all candidates). Raises one CustomerDataError naming every column with values that do not
    read, and its first bad rows."""
    has_customer = f"{text_sql(cols.customer)} IS NOT NULL"
    checks: list[tuple[str, str, str]] = []  # (role, option, failure condition)
    for fmt in date_options:
        checks.append(("date", fmt, bad_date_sql(cols.date, src.types[cols.date], fmt)))
    for role, options in number_options.items():
        col = getattr(cols, role)
        for mode in options:  # a declined or postponed deal may carry no amount
            checks.append((role, mode, f"({bad_amount_sql(col, src.types[col], mode)}"
                                       f" AND NOT ({deal} IS NOT NULL AND {text_sql(col)} IS NULL))"))
    sql = ", ".join(f"count(*) FILTER (WHERE {has_customer} AND {cond})" for _, _, cond in checks)
    counts = src.con.execute(f"SELECT {sql} FROM src").fetchone()
    chosen: dict[str, str] = {}
    failing: dict[str, str] = {}
    for (role, option, cond), n in zip(checks, counts):
        if role in chosen:
            continue
        if n == 0:
            chosen[role] = option
            failing.pop(role, None)
        elif role not in failing:
            failing[role] = cond
    if failing:
        raise CustomerDataError(_bad_rows_message(src, cols, failing, has_customer))
    return chosen["date"], {r: chosen[r] for r in number_options}


def _bad_rows_message(src: Source, cols: ColumnMap, failing: dict[str, str], has_customer: str) -> str:
    """'date column "Day": 3 values do not read as dates; first at line 4 ('31/02/2024'), ...'"""
    src.con.execute("SET threads = 1")  # row_number() OVER () follows the file order on one thread
    parts = []
    for role, cond in failing.items():
        col = getattr(cols, role)
        total = src.con.execute(f"SELECT count(*) FROM src WHERE {has_customer} AND {cond}").fetchone()[0]
        rows = src.con.execute(
            f"SELECT n, v FROM (SELECT row_number() OVER () AS n, {text_sql(col)} AS v,"
            f" ({has_customer} AND {cond}) AS bad FROM src) WHERE bad ORDER BY n LIMIT {SHOW_BAD_ROWS}"
        ).fetchall()
        shown = ", ".join(f"{src.where} {n - 1 + src.first_row} ({'empty' if v is None else repr(v)})" for n, v in rows)
        parts.append(f"{role} column {col!r}: {total} value{'s' if total != 1 else ''} "
                     f"{'does' if total == 1 else 'do'} not read as {'dates' if role == 'date' else 'numbers'}; "
                     f"first at {shown}")
    src.con.execute("RESET threads")
    return f"{src.path.name}: nothing imported. " + "; ".join(parts)


# --- the import ----------------------------------------------------------------------------------

# One scan of the source: parse every row, group by customer and day, then everything else
# works on those groups. Rows that do not parse are counted (`g`) rather than filtered, so a
# clean file needs no separate validation pass; a file with bad rows falls back to `_choose`.
_SUMMARY_SQL = """
WITH t0 AS (
    SELECT {customer} AS customer_id, {date} AS day, {amount} AS amount, {amount_blank} AS amount_blank,
           {margin} AS margin, {margin_blank} AS margin_blank, {status} AS status, {deal} AS deal,
           {name} AS name, {contact} AS contact
    FROM src
),
t AS NOT MATERIALIZED (
    SELECT customer_id, day, status, deal, name, contact,
           CASE WHEN isfinite(amount) THEN amount WHEN amount_blank AND deal IS NOT NULL THEN 0 END AS amount,
           CASE WHEN isfinite(margin) THEN margin WHEN margin_blank AND deal IS NOT NULL THEN 0 END AS margin
    FROM t0
),
cd AS MATERIALIZED (
    SELECT customer_id, day, count(*) AS nrows,
           count(*) FILTER (WHERE day IS NULL) AS bad_date,
           count(*) FILTER (WHERE amount IS NULL) AS bad_amount,
           count(*) FILTER (WHERE {has_margin} AND margin IS NULL) AS bad_margin,
           sum(coalesce(amount, 0)) AS amt, sum(coalesce(margin, 0)) AS mar,
           count(*) FILTER (WHERE amount <> 0) AS n, count(*) FILTER (WHERE amount < 0) AS nret,
           coalesce(sum(amount) FILTER (WHERE amount < 0), 0) AS vret, bool_or(amount > 0) AS bought
    FROM t GROUP BY customer_id, day
),
g AS (
    SELECT sum(nrows) AS nrows, coalesce(sum(nrows) FILTER (WHERE customer_id IS NULL), 0) AS no_customer,
           coalesce(sum(bad_date) FILTER (WHERE customer_id IS NOT NULL), 0) AS bad_date,
           coalesce(sum(bad_amount) FILTER (WHERE customer_id IS NOT NULL), 0) AS bad_amount,
           coalesce(sum(bad_margin) FILTER (WHERE customer_id IS NOT NULL), 0) AS bad_margin,
           min(day) FILTER (WHERE customer_id IS NOT NULL AND n > 0) AS lo,
           max(day) FILTER (WHERE customer_id IS NOT NULL AND n > 0) AS hi
    FROM cd
),
nm AS (SELECT coalesce(datediff('month', lo, hi) + 1, 0) AS months FROM g),
c AS (
    SELECT customer_id, sum(amt) AS revenue, sum(mar) AS margin, sum(n) AS transactions,
           sum(nret) AS returns, sum(vret) AS return_value, count(*) FILTER (WHERE bought) AS purchase_days,
           min(day) FILTER (WHERE bought) AS first_purchase, max(day) FILTER (WHERE bought) AS last_purchase
    FROM cd WHERE customer_id IS NOT NULL GROUP BY customer_id
),
-- The latest status, name and contact per customer: a second, cheap pass over the source
-- (customer groups only); carrying these strings through the customer-day groups costs more.
labels AS (
    SELECT customer_id, arg_max(status, day) FILTER (WHERE status IS NOT NULL) AS status,
           arg_max(deal, day) FILTER (WHERE status IS NOT NULL) AS deal,
           arg_max(name, day) FILTER (WHERE name IS NOT NULL) AS name,
           arg_max(contact, day) FILTER (WHERE contact IS NOT NULL) AS contact
    FROM t WHERE customer_id IS NOT NULL AND {has_labels} GROUP BY customer_id
),
cm AS (
    SELECT customer_id, date_trunc('month', day) AS month, sum(amt) AS rv, sum(mar) AS mv
    FROM cd WHERE customer_id IS NOT NULL AND day IS NOT NULL AND n > 0 GROUP BY ALL
),
-- Population variance of value per calendar month over the whole window: the months without
-- transactions count as zero, so the squared deviations of the active months plus
-- (months - active) * mean^2.
cv AS (
    SELECT cm.customer_id, count(*) AS active,
           sum((rv - c.revenue / nm.months) ^ 2) + (nm.months - count(*)) * (c.revenue / nm.months) ^ 2 AS ssr,
           sum((mv - c.margin / nm.months) ^ 2) + (nm.months - count(*)) * (c.margin / nm.months) ^ 2 AS ssm
    FROM cm JOIN c USING (customer_id) CROSS JOIN nm
    GROUP BY cm.customer_id, c.revenue, c.margin, nm.months
)
SELECT c.customer_id, l.name, l.contact, l.status, l.deal, c.revenue, c.margin, c.transactions,
       c.returns, c.return_value, c.purchase_days, CAST(c.first_purchase AS VARCHAR),
       CAST(c.last_purchase AS VARCHAR), coalesce(cv.active, 0),
       CASE WHEN c.revenue > 0 THEN sqrt(greatest(cv.ssr, 0) / nm.months) / (c.revenue / nm.months) END,
       CASE WHEN c.margin > 0 THEN sqrt(greatest(cv.ssm, 0) / nm.months) / (c.margin / nm.months) END,
       g.nrows, g.no_customer, g.bad_date + g.bad_amount + g.bad_margin,
       CAST(g.lo AS VARCHAR), CAST(g.hi AS VARCHAR), nm.months
FROM g CROSS JOIN nm
LEFT JOIN (c LEFT JOIN cv USING (customer_id) LEFT JOIN labels l USING (customer_id)) ON TRUE
ORDER BY c.customer_id
"""


def read_transactions(path: str | Path, columns: dict[str, str | None] | None = None
                      ) -> tuple[list[CustomerSummary], ImportReport]:
    """Summarise a transaction file per customer. `columns`: role -> column name overrides
    (customer, date, amount, margin, status, name, contact, quantity, unit_price)."""
    import duckdb

    path = Path(path)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="im-duckdb-") as spill:
        src = Source(path, spill)
        try:
            cols = guess_columns(src.columns, columns)
            try:
                return _summarise(src, cols, started)
            except duckdb.Error as e:
                if not src.retry_latin1(e):
                    raise
                return _summarise(src, cols, started)
        except duckdb.Error as e:
            raise CustomerDataError(f"{path.name}: cannot be read ({first_line(e)})") from None
        finally:
            src.con.close()


def _summary_rows(src: Source, cols: ColumnMap, deal: str, date_format: str, modes: dict[str, str]) -> list[tuple]:
    sql = _SUMMARY_SQL.format(
        customer=text_sql(cols.customer), date=date_sql(cols.date, src.types[cols.date], date_format),
        deal=deal, has_margin="true" if cols.margin else "false",
        has_labels="true" if (cols.status or cols.name or cols.contact) else "false",
        status=text_sql(cols.status) if cols.status else "NULL::VARCHAR",
        name=text_sql(cols.name) if cols.name else "NULL::VARCHAR",
        contact=text_sql(cols.contact) if cols.contact else "NULL::VARCHAR",
        **_value_exprs(cols, src.types, modes),
    )
    return src.con.execute(sql).fetchall()


def _summarise(src: Source, cols: ColumnMap, started: float) -> tuple[list[CustomerSummary], ImportReport]:
    deal = _deal_expr(cols)
    date_options, number_options = _detect(src, cols)
    date_format, modes = date_options[0], {role: options[0] for role, options in number_options.items()}
    rows = _summary_rows(src, cols, deal, date_format, modes)
    if rows[0][18]:  # some rows do not read with the sampled formats: check every candidate
        date_format, modes = _choose(src, cols, deal, date_options, number_options)
        rows = _summary_rows(src, cols, deal, date_format, modes)
    total_rows, no_customer, _, lo, hi, months = rows[0][16:22]
    rows = [r for r in rows if r[0] is not None]
    if not rows:
        raise CustomerDataError(f"{src.path.name}: no rows with a customer id in column {cols.customer!r}")
    summaries = [
        CustomerSummary(
            customer_id=r[0], name=r[1], contact=r[2], status=r[3], deal=r[4], revenue=float(r[5]),
            margin=float(r[6]) if cols.margin else None, transactions=int(r[7]), returns=int(r[8]),
            return_value=float(r[9]), purchase_days=int(r[10]), first_purchase=r[11], last_purchase=r[12],
            active_months=int(r[13]), cv_revenue=r[14], cv_margin=r[15] if cols.margin else None,
        )
        for r in rows
    ]
    window = (lo, hi) if lo else None
    report = ImportReport(
        file_name=src.path.name, rows=int(total_rows), transactions=sum(s.transactions for s in summaries),
        customers=len(summaries), buyers=sum(1 for s in summaries if s.purchase_days > 0),
        skipped_no_customer=int(no_customer), returns=sum(s.returns for s in summaries),
        return_value=round(sum(s.return_value for s in summaries), 2), window=window, months=int(months),
        columns=cols, date_format=date_format, has_margin=bool(cols.margin),
        has_deals=any(s.deal for s in summaries), notes=_notes(cols, date_format, modes, src, int(no_customer)),
        seconds=round(time.perf_counter() - started, 3),
    )
    return summaries, report


def _readable(date_format: str) -> str:
    """'%d.%m.%Y %H:%M' -> 'DD.MM.YYYY hh:mm'."""
    for code, text in (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD"), ("%H", "hh"), ("%M", "mm"),
                       ("%S", "ss"), ("%b", "Mon"), ("%B", "Month")):
        date_format = date_format.replace(code, text)
    return date_format


def _notes(cols: ColumnMap, date_format: str, modes: dict[str, str], src: Source, no_customer: int) -> list[str]:
    """What the import assumed, in words, so a surprising result can be traced."""
    notes = []
    if not cols.amount:
        notes.append(f"value = {cols.quantity!r} x {cols.unit_price!r} (no amount column)")
    if date_format not in ("ISO", "native"):
        notes.append(f"dates in {cols.date!r} read as {_readable(date_format)}")
        ambiguous = {"%m/%d/%Y": "%d/%m/%Y", "%m/%d/%y": "%d/%m/%y", "%m/%d/%Y %H:%M": "%d/%m/%Y %H:%M"}
        if date_format in ambiguous:
            notes.append("month/day order assumed: every date also reads day/month; ISO dates avoid the doubt")
    if modes.get("amount") == "comma":
        notes.append(f"amounts in {cols.amount!r} use a decimal comma")
    if src.encoding != "utf-8":
        notes.append(f"file read as {src.encoding} (not valid UTF-8)")
    if no_customer:
        notes.append(f"{no_customer} row{'s' if no_customer != 1 else ''} without a customer id skipped")
    return notes
