"""The customer base in SQLite (issue 13; called by `Store`): one summary row per customer of an
imported transaction file, and the one current import with its report and analysis options.

Separate because it is a second data set beside the interviews, with its own life: replaced
whole by `customers import`, re-classified by `customers analyze` (customers.py), never touched
by mining. Rows travel as tuples in `COLUMNS` order, so a large import is one `executemany`.
Writers expect to be called inside `Store.transaction()`.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .store_schema import now

if TYPE_CHECKING:  # sqlite-utils imports pandas: at run time only where a study is opened
    import sqlite_utils

COLUMNS = (
    "customer_id", "name", "contact", "status", "deal", "revenue", "margin", "transactions",
    "returns", "return_value", "purchase_days", "first_purchase", "last_purchase",
    "active_months", "cv_revenue", "cv_margin", "recency_days", "abc", "xyz", "r", "f", "m",
    "segment",
)


def replace_customers(
    db: sqlite_utils.Database, rows: Iterable[tuple], file_name: str, report: dict[str, Any], analysis: dict[str, Any]
) -> None:
    """Replace the whole customer base (rows: tuples in COLUMNS order) and the import record."""
    sql = f"INSERT INTO customers ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    db.execute("DELETE FROM customers")
    db.conn.executemany(sql, rows)
    db.execute("DELETE FROM customer_imports")
    db.execute(
        "INSERT INTO customer_imports (id, file_name, imported_at, report, analysis)"
        " VALUES (1, ?, ?, ?, ?)",
        [file_name, now(), json.dumps(report, sort_keys=True), json.dumps(analysis, sort_keys=True)],
    )


def save_customer_classes(db: sqlite_utils.Database, rows: Iterable[tuple], analysis: dict[str, Any]) -> None:
    """rows: (recency_days, abc, xyz, r, f, m, segment, customer_id) from a new analysis."""
    db.conn.executemany(
        "UPDATE customers SET recency_days = ?, abc = ?, xyz = ?, r = ?, f = ?, m = ?,"
        " segment = ? WHERE customer_id = ?",
        rows,
    )
    db.execute("UPDATE customer_imports SET analysis = ? WHERE id = 1",
               [json.dumps(analysis, sort_keys=True)])


def customer_rows(db: sqlite_utils.Database, ids: Iterable[str] | None = None) -> list[tuple]:
    """Customers as tuples in COLUMNS order, by id: all of them, or those in `ids`."""
    sql = f"SELECT {', '.join(COLUMNS)} FROM customers"
    if ids is None:
        return db.execute(sql + " ORDER BY customer_id").fetchall()
    wanted = sorted(set(map(str, ids)))
    rows: list[tuple] = []
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        rows += db.execute(f"{sql} WHERE customer_id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
    return sorted(rows)


def customer_import(db: sqlite_utils.Database) -> dict[str, Any] | None:
    """The current import: file_name, imported_at, report and analysis (dicts); None before any."""
    row = db.execute(
        "SELECT file_name, imported_at, report, analysis FROM customer_imports WHERE id = 1"
    ).fetchone()
    if row is None:
        return None
    return {"file_name": row[0], "imported_at": row[1], "report": json.loads(row[2] or "{}"),
            "analysis": json.loads(row[3] or "{}")}
