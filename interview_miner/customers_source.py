"""Reading the cells of a transaction file with DuckDB: file kinds (CSV/TSV/Parquet natively,
Excel streamed through openpyxl), SQL that turns text into dates and numbers, and the sampling
that picks a date format and a number style for a column.

The role-aware parts (which column is the customer, the checks over the whole file, the
per-customer summary) live in `customers_import`; this module knows columns, not roles.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .errors import InterviewMinerError

MEMORY_LIMIT = "1GB"
EXCEL_BATCH_ROWS = 50_000
SAMPLE_ROWS = 5_000
SHOW_BAD_ROWS = 5

SOURCE_KINDS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet", ".pq": "parquet",
}

DATE_FORMATS = (
    "ISO", "%Y%m%d", "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%y",
    "%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%y",
    "%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%y",
    "%d-%m-%Y", "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%d %b %Y", "%b %d, %Y", "%d %B %Y", "%B %d, %Y",
)
AMOUNT_MODES = ("plain", "dot", "comma")


class CustomerDataError(InterviewMinerError):
    """A transaction file that cannot be imported as given; the message says what to fix."""


def quote_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def quote_str(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


class Source:
    """A DuckDB connection with the file visible as the relation `src`."""

    def __init__(self, path: Path, spill_dir: str):
        import duckdb

        self.path = path
        self.kind = SOURCE_KINDS.get(path.suffix.lower())
        if path.suffix.lower() == ".xls":
            raise CustomerDataError(f"{path.name}: old .xls workbooks are not read; save it as .xlsx or CSV")
        if self.kind is None:
            raise CustomerDataError(f"{path.name}: unsupported file type; use CSV, TSV, Excel (.xlsx) or Parquet")
        if not path.is_file():
            raise CustomerDataError(f"{path}: no such file")
        self.con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill_dir})
        self.con.execute("SET enable_progress_bar = false")
        self.encoding = "utf-8"
        self.where = "row" if self.kind in ("excel", "parquet") else "line"
        self.first_row = 1 if self.kind == "parquet" else 2  # the header is line/row 1
        try:
            try:
                self._open()
                described = self.con.execute("DESCRIBE src").fetchall()
            except duckdb.Error as e:
                if not self.retry_latin1(e):
                    raise
                described = self.con.execute("DESCRIBE src").fetchall()
        except duckdb.Error as e:
            raise CustomerDataError(f"{path.name}: cannot be read ({first_line(e)})") from None
        self.types = {r[0]: r[1] for r in described}
        self.columns = list(self.types)

    def _open(self) -> None:
        if self.kind in ("csv", "tsv"):
            self.con.execute("DROP VIEW IF EXISTS src")
            delim = ", delim='\\t'" if self.kind == "tsv" else ""
            self.con.execute(
                f"CREATE VIEW src AS SELECT * FROM read_csv({quote_str(str(self.path))}, header=true,"
                f" all_varchar=true, encoding={quote_str(self.encoding)}{delim})"
            )
        elif self.kind == "parquet":
            self.con.execute(f"CREATE VIEW src AS SELECT * FROM read_parquet({quote_str(str(self.path))})")
        else:
            _load_excel(self.con, self.path)

    def retry_latin1(self, error: Exception) -> bool:
        """CSV exports from older tools are often Latin-1: retry once when UTF-8 fails."""
        if self.kind in ("csv", "tsv") and self.encoding == "utf-8" and "utf-8" in str(error).lower():
            self.encoding = "latin-1"
            self._open()
            return True
        return False


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _excel_cell(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps every number as a float: customer 17850, not 17850.0
    return str(value)


def _load_excel(con, path: Path) -> None:
    """The first worksheet into table `src` (all text), streamed in batches: the header is the
    first non-empty row."""
    import openpyxl
    import pyarrow as pa

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zipfile/KeyError/InvalidFileException for bad files
        raise CustomerDataError(f"{path.name}: not a readable .xlsx workbook ({e})") from None
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header: list[str] | None = None
        for row in rows:
            if any(v not in (None, "") for v in row):
                header = [str(v).strip() if v not in (None, "") else f"column{i + 1}" for i, v in enumerate(row)]
                break
        if header is None:
            raise CustomerDataError(f"{path.name}: the first worksheet is empty")
        cols = ", ".join(f"{quote_ident(h)} VARCHAR" for h in header)
        con.execute(f"CREATE TABLE src ({cols})")
        batch: list[list[str | None]] = []

        def flush() -> None:
            if not batch:
                return
            table = pa.table({f"c{i}": pa.array([r[i] for r in batch], pa.string()) for i in range(len(header))})
            con.register("excel_batch", table)
            con.execute("INSERT INTO src SELECT * FROM excel_batch")
            con.unregister("excel_batch")
            batch.clear()

        for row in rows:
            cells = [_excel_cell(v) for v in row[: len(header)]]
            if not any(c not in (None, "") for c in cells):
                continue  # blank line inside the sheet
            batch.append(cells + [None] * (len(header) - len(cells)))
            if len(batch) >= EXCEL_BATCH_ROWS:
                flush()
        flush()
    finally:
        wb.close()


# --- parsing expressions -------------------------------------------------------------------------


def text_sql(col: str) -> str:
    return f"nullif(trim(CAST({quote_ident(col)} AS VARCHAR)), '')"


def date_sql(col: str, col_type: str, fmt: str) -> str:
    t = col_type.upper()
    if t.startswith(("DATE", "TIMESTAMP")):
        return f"CAST({quote_ident(col)} AS DATE)"
    text = text_sql(col)
    if fmt == "ISO":
        return f"CAST(try_cast({text} AS TIMESTAMP) AS DATE)"
    return f"CAST(try_strptime({text}, {quote_str(fmt)}) AS DATE)"


def number_sql(col: str, col_type: str, mode: str) -> str:
    """A DOUBLE; NULL (or NaN/infinity, see `bad_number_sql`) when the text is not a number in
    this mode."""
    t = col_type.upper()
    if t in ("DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT",
             "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT") or t.startswith("DECIMAL"):
        return f"CAST({quote_ident(col)} AS DOUBLE)"
    text = text_sql(col)
    if mode == "plain":
        return f"try_cast({text} AS DOUBLE)"
    # Currency signs and codes, spaces (also non-breaking) and apostrophes (Swiss thousands)
    # carry no value; (12.00) is a negative amount.
    clean = f"regexp_replace({text}, '[\\s\\x{{00A0}}$€£¥₽₹''’]|^[A-Z]{{3}}|[A-Z]{{3}}$', '', 'g')"
    neg = f"(regexp_matches({text}, '^\\(.*\\)$'))"
    clean = f"regexp_replace({clean}, '^\\((.*)\\)$', '\\1')"
    if mode == "dot":
        body = f"try_cast(replace({clean}, ',', '') AS DOUBLE)"
    else:
        body = f"try_cast(replace(replace({clean}, '.', ''), ',', '.') AS DOUBLE)"
    return f"((CASE WHEN {neg} THEN -1 ELSE 1 END) * {body})"


def bad_number_sql(expr: str) -> str:
    return f"NOT coalesce(isfinite({expr}), false)"


def column_sample(src: Source, col: str) -> list[str]:
    rows = src.con.execute(
        f"SELECT v FROM (SELECT {text_sql(col)} AS v FROM src) WHERE v IS NOT NULL LIMIT {SAMPLE_ROWS}"
    ).fetchall()
    return [r[0] for r in rows]


def candidates(src: Source, col: str, options: tuple[str, ...], bad) -> list[str]:
    """The options under which every sampled value reads, in preference order (the least bad
    one when none does, so that the full check names the bad rows). bad(column, type, option)
    is the SQL condition of a value that does not read."""
    sample = column_sample(src, col)
    if not sample:
        return list(options[:1])
    src.con.execute("CREATE OR REPLACE TEMP TABLE sample_values AS SELECT unnest(?::VARCHAR[]) AS v", [sample])
    checks = ", ".join(f"count(*) FILTER (WHERE {bad('v', 'VARCHAR', o)})" for o in options)
    failures = src.con.execute(f"SELECT {checks} FROM sample_values").fetchone()
    good = [o for o, n in zip(options, failures) if n == 0]
    return good or [options[int(min(range(len(options)), key=lambda i: failures[i]))]]


def bad_date_sql(col: str, col_type: str, fmt: str) -> str:
    return f"{date_sql(col, col_type, fmt)} IS NULL"


def bad_amount_sql(col: str, col_type: str, mode: str) -> str:
    return bad_number_sql(number_sql(col, col_type, mode))


def amount_modes(src: Source, col: str) -> list[str]:
    modes = candidates(src, col, AMOUNT_MODES, bad_amount_sql)
    # "1,250" reads in both separator modes: a decimal comma is assumed only when some value
    # ends in a comma and one or two digits.
    if "dot" in modes and "comma" in modes and "plain" not in modes:
        decimal_comma = any(re.search(r",\d{1,2}\)?\s*$", v) for v in column_sample(src, col))
        modes.remove("dot" if decimal_comma else "comma")
    return modes
