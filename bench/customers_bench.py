"""Benchmark `customers import` + `analyze` on generated transactions (issue 13: 1M rows in
<= 10 s end to end on 2 cores, memory bounded at 10M).

    python bench/customers_bench.py                 # 1M and 10M rows, CSV
    python bench/customers_bench.py --rows 1000000 --format parquet
    python bench/customers_bench.py --real CDNOW_master.txt   # the CDNOW set shipped in `lifetimes`

The machine may be shared: wall time then depends on the load, so the CPU seconds (user +
system, all threads) are printed too; on an idle 2-core machine wall time is about half of them
or a little more.

Data: DuckDB writes N rows of (customer_id, date over 3 years, amount, margin, status, name,
email); customers are drawn with a skew (a few buy very often, most rarely) so the Pareto
shares look like a real base; 3% of rows are returns, 0.5% declined or postponed deals. Each
measurement runs in a fresh child process, so its peak RSS (ru_maxrss) is the import's alone.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def generate(path: Path, rows: int, fmt: str, seed: float = 0.42) -> None:
    import duckdb

    customers = max(10, rows // 20)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET threads = 1")  # random() repeats its draws after setseed only on one thread
    con.execute(f"SELECT setseed({seed})")
    query = f"""
        SELECT 'C' || lpad(CAST(cust AS VARCHAR), 8, '0') AS customer_id,
               DATE '2022-01-01' + CAST(floor(random() * 1096) AS INTEGER) AS date,
               round(sign * (5 + exp(random() * 5)), 2) AS amount,
               round(sign * (5 + exp(random() * 5)) * 0.3, 2) AS margin,
               CASE WHEN d < 0.0025 THEN 'lost' WHEN d < 0.005 THEN 'postponed' ELSE 'won' END AS status,
               'Customer ' || cust AS name, 'c' || cust || '@example.com' AS email
        FROM (SELECT CAST(floor(pow(random(), 3) * {customers}) AS BIGINT) AS cust,
                     CASE WHEN random() < 0.03 THEN -1 ELSE 1 END AS sign, random() AS d
              FROM range({rows}))
    """
    options = "(FORMAT parquet)" if fmt == "parquet" else "(HEADER, DELIMITER ',')"
    con.execute(f"COPY ({query}) TO '{path}' {options}")
    con.close()


def cdnow_to_csv(source: Path, out: Path) -> None:
    """CDNOW_master.txt (whitespace separated: id, yyyymmdd, cds, dollars) as a CSV."""
    with source.open() as f, out.open("w") as w:
        w.write("customer_id,date,number_of_cds,dollar_value\n")
        for line in f:
            parts = line.split()
            if len(parts) == 4 and parts[0].isdigit():
                w.write(",".join(parts) + "\n")


def measure(path: Path) -> dict:
    """Import + analyze in a child process: seconds for each and the child's peak RSS."""
    code = f"""
import json, time, resource, sys
sys.path.insert(0, {str(REPO)!r})
from interview_miner import customers
from interview_miner.store import Store
store = Store({str(path.with_suffix('.db'))!r})
def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime
c0 = cpu()
t0 = time.perf_counter()
report, _ = customers.import_file(store, {str(path)!r})
t1 = time.perf_counter()
analysis = customers.analyze(store)
t2 = time.perf_counter()
print(json.dumps({{"import_s": round(t1 - t0, 2), "analyze_s": round(t2 - t1, 2), "total_s": round(t2 - t0, 2),
                  "cpu_s": round(cpu() - c0, 2),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "report": report.to_dict(), "summary": analysis.summary()}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip().startswith("{") else sys.exit(out.stdout[-2000:])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="*", default=[1_000_000, 10_000_000])
    p.add_argument("--format", choices=["csv", "parquet"], default="csv")
    p.add_argument("--real", type=Path, help="CDNOW_master.txt from the lifetimes package")
    p.add_argument("--keep", type=Path, help="folder for the generated files (default: temporary)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if args.real:
            path = folder / "cdnow.csv"
            cdnow_to_csv(args.real, path)
            result = measure(path)
            print(json.dumps({"dataset": str(args.real.name), **result}, indent=2))
            return 0
        for rows in args.rows:
            path = folder / f"tx{rows}.{args.format}"
            t0 = time.perf_counter()
            generate(path, rows, args.format)
            gen = time.perf_counter() - t0
            result = measure(path)
            size_mb = path.stat().st_size / 2**20
            r, s = result["report"], result["summary"]
            print(f"{rows:>11,} rows ({args.format}, {size_mb:,.0f} MB, generated in {gen:.1f} s): "
                  f"import {result['import_s']:.2f} s + analyze {result['analyze_s']:.2f} s = "
                  f"{result['total_s']:.2f} s wall ({result['cpu_s']:.1f} CPU-s on 2 cores), peak RSS {result['peak_rss_mb']:,} MB; "
                  f"{r['customers']:,} customers, top20 {s['pareto']['top20_share']}, ABC {s['abc']}", flush=True)
            path.unlink()
            path.with_suffix(".db").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
