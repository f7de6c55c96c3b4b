"""Customer-base analysis (issue 13) on real files, a real DuckDB and a real study.

The fixture below is small enough to compute by hand; every expected number in these tests was
worked out on paper from it (see the comments), not read back from the code.

Window 2024-01-05 .. 2024-06-28 (6 calendar months). Revenue per customer:
  C3 1000 (one purchase)   C1 600 (100 every month)   C2 600 (100,120,80,100,120,80)
  C4 300 (+400, return -100)   C6 300 (two purchases in January)   C5 200   C9 100 (two days in April)
  C7 a lost deal, C8 a postponed deal (no purchases); one row without a customer id.
Total 3100.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from interview_miner import cli, customers, customers_recruit
from interview_miner.app import MAIN_SCRIPT
from interview_miner.customers_import import CustomerDataError, guess_columns, read_transactions
from interview_miner.models import Interview, Persona
from interview_miner.store import Store

REPO = Path(__file__).resolve().parents[1]

HEADER = ["Customer ID", "Order Date", "Amount", "Margin", "Status", "Company", "Email"]
ROWS = [
    # customer, date, amount, margin, status, company, email
    ("C1", "2024-01-10", "100", "50", "won", "Alpha Ltd", "a@alpha.test"),
    ("C1", "2024-02-10", "100", "50", "", "", ""),
    ("C1", "2024-03-10", "100", "50", "", "", ""),
    ("C1", "2024-04-10", "100", "50", "", "", ""),
    ("C1", "2024-05-10", "100", "50", "", "", ""),
    ("C1", "2024-06-10", "100", "50", "", "Alpha Limited", ""),
    ("C2", "2024-01-15", "100", "50", "", "Beta Co", "b@beta.test"),
    ("C2", "2024-02-15", "120", "60", "", "", ""),
    ("C2", "2024-03-15", "80", "40", "", "", ""),
    ("C2", "2024-04-15", "100", "50", "", "", ""),
    ("C2", "2024-05-15", "120", "60", "", "", ""),
    ("C2", "2024-06-15", "80", "40", "", "", ""),
    ("C3", "2024-02-20", "1000", "100", "won", "Gamma GmbH", "c@gamma.test"),
    ("C4", "2024-03-01", "400", "200", "", "=HYPERLINK(\"x\")", ""),
    ("C4", "2024-03-20", "-100", "-50", "", "", ""),
    ("C5", "2024-06-28", "200", "100", "", "Epsilon", ""),
    ("C6", "2024-01-05", "150", "75", "", "Zeta", ""),
    ("C6", "2024-01-25", "150", "75", "", "", ""),
    ("C9", "2024-04-01", "60", "30", "", "Iota", ""),
    ("C9", "2024-04-02", "40", "20", "", "", ""),
    ("C7", "2024-05-01", "", "", "Lost", "Eta", "h@eta.test"),
    ("C8", "2024-06-01", "0", "0", "on hold", "Theta", ""),
    ("", "2024-03-03", "999", "1", "", "walk-in", ""),
]


def write_csv(path: Path, rows=ROWS, header=HEADER, delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def sales(tmp_path) -> Path:
    return write_csv(tmp_path / "sales.csv")


@pytest.fixture
def imported(store, sales):
    customers.import_file(store, sales)
    return store


def by_id(store) -> dict[str, customers.Customer]:
    return {c.customer_id: c for c in customers.load_customers(store)}


# --- import ----------------------------------------------------------------------------------------


def test_import_summarises_each_customer(store, sales):
    report, _ = customers.import_file(store, sales)
    assert (report.rows, report.transactions, report.customers, report.buyers) == (23, 20, 9, 7)
    assert report.skipped_no_customer == 1 and report.window == ("2024-01-05", "2024-06-28") and report.months == 6
    assert (report.returns, report.return_value) == (1, -100.0)
    assert vars(report.columns) == {"customer": "Customer ID", "date": "Order Date", "amount": "Amount",
                                    "margin": "Margin", "status": "Status", "name": "Company", "contact": "Email",
                                    "quantity": None, "unit_price": None}
    c = by_id(store)
    assert (c["C4"].revenue, c["C4"].transactions, c["C4"].returns, c["C4"].purchase_days) == (300.0, 2, 1, 1)
    assert (c["C4"].first_purchase, c["C4"].last_purchase) == ("2024-03-01", "2024-03-01")  # a return is no purchase
    assert (c["C9"].purchase_days, c["C9"].active_months) == (2, 1)
    assert c["C1"].name == "Alpha Limited" and c["C1"].contact == "a@alpha.test"  # latest non-empty wins
    assert (c["C7"].deal, c["C7"].status, c["C7"].purchase_days) == ("declined", "Lost", 0)
    assert c["C8"].deal == "postponed"
    # CV of monthly revenue over 6 months: C1 flat; C2 sd = sqrt(1600/6) around 100; one-month buyers sqrt(5)
    assert c["C1"].cv_revenue == pytest.approx(0.0, abs=1e-12)
    assert c["C2"].cv_revenue == pytest.approx((1600 / 6) ** 0.5 / 100)
    assert c["C3"].cv_revenue == pytest.approx(5 ** 0.5)


def test_abc_xyz_rfm_and_pareto_by_hand(imported):
    s = customers.last_analysis(imported)[1]
    assert (s["customers"], s["transactions"], s["total_value"]) == (7, 20, 3100.0)
    # share of value ranked strictly above: C3 0, C1/C2 1000/3100, C4/C6 2200/3100=.71 (tie: both A,
    # though one of them alone would pass 80%), C5 2800/3100=.90 -> B, C9 3000/3100=.97 -> C
    c = by_id(imported)
    assert {k: v.abc for k, v in c.items() if v.abc} == {
        "C1": "A", "C2": "A", "C3": "A", "C4": "A", "C6": "A", "C5": "B", "C9": "C"}
    assert s["abc"] == {"A": 5, "B": 1, "C": 1}
    assert s["xyz"] == {"X": 1, "Y": 1, "Z": 5}  # C1 cv 0, C2 cv .163, the rest one active month
    assert s["matrix"] == {"AX": 1, "AY": 1, "AZ": 3, "BX": 0, "BY": 0, "BZ": 1, "CX": 0, "CY": 0, "CZ": 1}
    assert s["matrix_value"]["AZ"] == 1600.0
    # recency to 06-28: C5 0, C2 13, C1 18, C9 87, C4 119, C3 129, C6 155
    assert {k: v.recency_days for k, v in c.items() if v.abc} == {
        "C5": 0, "C2": 13, "C1": 18, "C9": 87, "C4": 119, "C3": 129, "C6": 155}
    # scores 1 + floor(5 x strictly-worse / 7)
    assert {k: (v.r, v.f, v.m) for k, v in c.items() if v.abc} == {
        "C1": (3, 4, 3), "C2": (4, 4, 3), "C3": (1, 1, 5), "C4": (2, 1, 2), "C5": (5, 1, 1),
        "C6": (1, 3, 2), "C9": (3, 3, 1)}
    assert {k: v.segment for k, v in c.items() if v.abc} == {
        "C1": "loyal", "C2": "loyal", "C3": "lost", "C4": "hibernating", "C5": "new", "C6": "at risk",
        "C9": "need attention"}
    assert {k: n for k, n in s["rfm_segments"].items() if n} == {
        "loyal": 2, "new": 1, "need attention": 1, "at risk": 1, "hibernating": 1, "lost": 1}
    # Pareto curve: top 20% = 1.4 customers = 1000 + 0.4 x 600; top 4% = 0.28 x 1000
    assert s["pareto"] == {"top20_share": round(1240 / 3100, 4), "top4_share": round(280 / 3100, 4)}
    assert c["C7"].abc is None and c["C7"].segment is None  # prospects stay out of the analysis
    assert (s["prospects"], s["deals"]) == (2, {"declined": 1, "postponed": 1})


def test_analyze_by_margin_and_other_thresholds(imported):
    # margins: C1 300, C2 300, C4 150, C6 150, C3 100, C5 100, C9 50 = 1150; C3/C5 tie at .78 -> A
    s = customers.analyze(imported, customers.AnalysisOptions(by="margin")).summary()
    assert s["total_value"] == 1150.0 and s["abc"] == {"A": 6, "B": 0, "C": 1}
    assert by_id(imported)["C3"].abc == "A" and by_id(imported)["C9"].abc == "C"
    # a lower A bar: only C3 (share above 0) and C1/C2 (1000/3100 = .32) stay A below 50%
    s = customers.analyze(imported, customers.AnalysisOptions(a=0.5, b=0.8)).summary()
    assert s["abc"] == {"A": 3, "B": 2, "C": 2}
    assert customers.last_analysis(imported)[0].a == 0.5  # kept for the app and recruiting


def test_short_window_has_no_xyz_and_says_why(store, tmp_path):
    rows = [r for r in ROWS if r[1] < "2024-03-01" and r[0]]  # January and February only
    customers.import_file(store, write_csv(tmp_path / "short.csv", rows))
    s = customers.last_analysis(store)[1]
    assert s["xyz"] is None and s["matrix"] is None
    assert "2 calendar months" in s["xyz_note"] and "fewer than 3" in s["xyz_note"]
    assert all(c.xyz is None for c in customers.load_customers(store))
    assert sum(s["abc"].values()) == 4  # C1, C2, C3, C6 still get ABC


@pytest.mark.parametrize("fmt", ["tsv", "xlsx", "parquet", "semicolon"])
def test_every_format_reads_the_same(tmp_path, sales, fmt):
    expected, _ = read_transactions(sales)
    if fmt == "tsv":
        path = write_csv(tmp_path / "sales.tsv", delimiter="\t")
    elif fmt == "semicolon":  # European export: dd.mm.yyyy, decimal comma, thousands dots
        def eu(amount: str) -> str:  # 1000 -> 1.000,00
            return f"{int(amount):,}".replace(",", ".") + ",00" if amount else ""

        rows = [(r[0], ".".join(reversed(r[1].split("-"))), eu(r[2]), *r[3:]) for r in ROWS]
        path = write_csv(tmp_path / "sales_eu.csv", rows, delimiter=";")
    elif fmt == "xlsx":
        import openpyxl
        from datetime import datetime

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(HEADER)
        for r in ROWS:
            ws.append([r[0] or None, datetime.fromisoformat(r[1]), float(r[2]) if r[2] else None,
                       float(r[3]) if r[3] else None, *(v or None for v in r[4:])])
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a name that looks like a formula stays text
        path = tmp_path / "sales.xlsx"
        wb.save(path)
    else:
        import duckdb

        path = tmp_path / "sales.parquet"
        con = duckdb.connect()
        con.execute(f"COPY (SELECT \"Customer ID\", CAST(\"Order Date\" AS DATE) AS \"Order Date\","
                    f" try_cast(\"Amount\" AS DOUBLE) AS \"Amount\", try_cast(\"Margin\" AS DOUBLE) AS \"Margin\","
                    f" \"Status\", \"Company\", \"Email\" FROM read_csv('{sales}', all_varchar=true))"
                    f" TO '{path}' (FORMAT parquet)")
    got, report = read_transactions(path)
    assert got == expected  # in Excel too: ids stay C1, amounts typed as numbers read alike
    assert report.customers == 9 and report.skipped_no_customer == 1


def test_excel_numeric_customer_ids_stay_whole(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["CustomerID", "InvoiceDate", "Amount"])
    wb.active.append([17850.0, "2010-12-01", 15.3])
    wb.save(tmp_path / "ids.xlsx")
    summaries, _ = read_transactions(tmp_path / "ids.xlsx")
    assert [(s.customer_id, s.revenue) for s in summaries] == [("17850", 15.3)]


def test_quantity_times_price_and_latin1(tmp_path):
    path = tmp_path / "retail.csv"
    path.write_bytes("InvoiceDate,CustomerID,Quantity,UnitPrice,Description\n"
                     "12/1/2010 8:26,17850,6,2.55,CAFÉ MUG\n"
                     "12/9/2010 9:01,17850,-2,2.55,CAFÉ MUG\n"
                     "1/3/2011 10:00,13047,3,1.00,x\n".encode("latin-1"))
    summaries, report = read_transactions(path)
    assert {s.customer_id: round(s.revenue, 2) for s in summaries} == {"17850": 10.2, "13047": 3.0}
    assert report.columns.quantity == "Quantity" and report.columns.amount is None
    assert report.window == ("2010-12-01", "2011-01-03") and report.returns == 1
    assert any("latin-1" in n for n in report.notes) and any("month/day" in n for n in report.notes)


# --- bad files -------------------------------------------------------------------------------------


def test_missing_column_names_the_columns_and_keeps_the_previous_import(imported, tmp_path):
    before = customers.load_customers(imported)
    path = tmp_path / "no_amount.csv"
    path.write_text("client,day,note\nA,2024-01-01,x\n")
    with pytest.raises(CustomerDataError, match=r"no amount column found among 'client', 'day', 'note'"):
        customers.import_file(imported, path)
    with pytest.raises(CustomerDataError, match=r"--amount 'total' is not a column"):
        customers.import_file(imported, path, {"amount": "total"})
    assert customers.load_customers(imported) == before
    assert customers.current_import(imported)["file_name"] == "sales.csv"


def test_bad_dates_and_amounts_are_one_error_with_the_first_bad_lines(imported, tmp_path):
    rows = list(ROWS)
    rows[3] = ("C1", "2024-13-45", "100", "50", "", "", "")   # line 5 (the header is line 1)
    rows[8] = ("C2", "2024-03-15", "eighty", "40", "", "", "")  # line 10
    rows[9] = ("C2", "2024-04-15", "", "50", "", "", "")       # line 11: empty and no deal status
    before = customers.load_customers(imported)
    with pytest.raises(CustomerDataError) as e:
        customers.import_file(imported, write_csv(tmp_path / "bad.csv", rows))
    message = str(e.value)
    assert message.startswith("bad.csv: nothing imported.")
    assert "date column 'Order Date': 1 value does not read as dates; first at line 5 ('2024-13-45')" in message
    assert "amount column 'Amount': 2 values do not read as numbers; first at line 10 ('eighty'), line 11 (empty)" in message
    assert customers.load_customers(imported) == before


def test_unsupported_and_empty_files(store, tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(CustomerDataError, match="save it as .xlsx"):
        customers.import_file(store, tmp_path / "old.xls")
    (tmp_path / "only_header.csv").write_text("customer_id,date,amount\n")
    with pytest.raises(CustomerDataError, match="no rows with a customer id"):
        customers.import_file(store, tmp_path / "only_header.csv")
    (tmp_path / "x.csv").write_text("customer_id,date,amount\nA,2024-01-01,1\n")
    with pytest.raises(CustomerDataError, match="needs a margin column"):
        customers.import_file(store, tmp_path / "x.csv", options=customers.AnalysisOptions(by="margin"))
    assert store.customer_import() is None


def test_column_guesses_prefer_specific_names():
    cols = guess_columns(["Date", "Customer", "Customer ID", "Total", "Profit", "E-mail"])
    assert (cols.customer, cols.date, cols.amount, cols.margin, cols.contact) == (
        "Customer ID", "Date", "Total", "Profit", "E-mail")
    retail = guess_columns(["Invoice", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"])
    assert (retail.amount, retail.quantity, retail.unit_price) == (None, "Quantity", "Price")
    assert guess_columns(["client", "day", "price"]).amount == "price"


# --- CLI contract ----------------------------------------------------------------------------------


def test_cli_import_analyze_json_contract(tmp_path, sales, capsys):
    db = str(tmp_path / "study.db")
    assert cli.main(["customers", "import", str(sales), "--db", db]) == 0
    assert "imported sales.csv: 23 rows, 20 transactions, 9 customers" in capsys.readouterr().out
    assert cli.main(["customers", "--db", db, "analyze", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"customers", "transactions", "total_value", "window", "abc", "xyz", "matrix", "pareto",
                        "rfm_segments"}
    assert (out["customers"], out["transactions"], out["total_value"]) == (7, 20, 3100.0)
    assert out["window"] == ["2024-01-05", "2024-06-28"]
    assert set(out["pareto"]) == {"top20_share", "top4_share"} and set(out["xyz"]) == {"X", "Y", "Z"}
    assert len(out["matrix"]) == 9 and out["abc"] == {"A": 5, "B": 1, "C": 1}
    assert cli.main(["customers", "analyze", "--by", "margin", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_value"] == 1150.0
    bad = tmp_path / "bad.csv"
    bad.write_text("customer,date,amount\nA,yesterday,1\n")
    assert cli.main(["customers", "import", str(bad), "--db", db]) == 1
    assert "date column 'date': 1 value does not read as dates; first at line 2 ('yesterday')" in capsys.readouterr().err


# --- recruiting and personas ------------------------------------------------------------------------


def big_base(tmp_path: Path) -> Path:
    """120 buyers over 12 months with distinct values, 15 lost and 15 postponed deals."""
    rows = []
    for n in range(120):
        months = range(1, 13) if n % 3 else range(1, 13, 4)  # two in three buy monthly
        if n % 10 == 9:
            months = [1, 2, 3, 4]  # valuable ones who stopped early in the year
        for m in months:
            rows.append((f"B{n:03d}", f"2024-{m:02d}-10", str(1000 - 7 * n), "1", "", f"Buyer {n}", f"b{n}@x.test"))
    for n in range(15):
        rows.append((f"L{n:02d}", "2024-06-01", "", "", "lost", f"Lost {n}", f"l{n}@x.test"))
        rows.append((f"P{n:02d}", "2024-07-01", "", "", "postponed", f"Later {n}", f"p{n}@x.test"))
    return write_csv(tmp_path / "big.csv", rows)


def test_recruit_mixes_best_slipping_and_deals(store, tmp_path):
    customers.import_file(store, big_base(tmp_path))
    store.add_interview(Interview(id=None, content_hash="h1", file_name="b001.txt", kind="transcript",
                                  metadata={"customer_id": "B001"}))
    store.add_interview(Interview(id=None, content_hash="h2", file_name="ghost.txt", kind="transcript",
                                  metadata={"customer_id": "NOPE"}))
    result = customers_recruit.recruit(store, 60)
    assert len(result.candidates) == 60 and len({c.customer_id for c in result.candidates}) == 60
    # a third for deals, split evenly; a quarter of the buyers' 40 places for slipping customers
    assert result.groups == {"best": 30, "slipping": 10, "postponed": 10, "declined": 10}
    best = [c for c in result.candidates if c.group == "best"]
    assert [c.abc for c in best] == sorted(c.abc for c in best)  # A before B before C
    assert best[0].customer_id == "B001" and best[0].abc + best[0].xyz == "AX"  # B000 buys irregularly: AZ
    assert best[0].interview_ids == [1] and best[0].interview_status == "interviewed"
    assert result.interviewed == 1
    slipping = [c for c in result.candidates if c.group == "slipping"]
    assert all(c.abc in ("A", "B") and c.segment in customers_recruit.SLIPPING for c in slipping)
    assert all(c.reason for c in result.candidates)
    assert any("NOPE" in n for n in result.notes)
    path = customers_recruit.write_recruit_csv(result, tmp_path / "out" / "list.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 60 and rows[0]["interview_status"] == "interviewed" and rows[0]["interview_ids"] == "1"
    assert tuple(rows[0]) == customers_recruit.CSV_COLUMNS


def test_recruit_small_base_and_formula_cells(imported, tmp_path):
    result = customers_recruit.recruit(imported, 60)
    assert len(result.candidates) == 9  # everybody, fewer than asked
    assert result.groups["declined"] == 1 and result.groups["postponed"] == 1
    assert not any("advises" in n for n in result.notes)
    assert any("advises 50-75" in n for n in customers_recruit.recruit(imported, 10).notes)
    c4 = next(r for r in customers_recruit.recruit_csv_rows(result) if r[1] == "C4")
    assert c4[2] == "'=HYPERLINK(\"x\")"  # a spreadsheet shows it, does not run it
    with pytest.raises(ValueError):
        customers_recruit.recruit(imported, 0)


def test_persona_value_shares(imported):
    ids = {}
    for n, cid in enumerate(["C3", "C1", "C9", None]):
        i = imported.add_interview(Interview(id=None, content_hash=f"h{n}", file_name=f"{n}.txt", kind="transcript",
                                             metadata={"customer_id": cid} if cid else {}))
        ids[cid] = i.id
    imported.save_personas([Persona(id="p-big", name="Big buyers", interview_ids=[ids["C3"], ids["C1"]]),
                            Persona(id="p-small", name="Small shops", interview_ids=[ids["C9"], ids[None]])])
    shares = customers_recruit.persona_value_shares(imported)
    assert [v.persona for v in shares] == ["Big buyers", "Small shops"]
    big, small = shares
    assert (big.value, big.share, big.abc, big.customers) == (1600.0, round(1600 / 3100, 4), {"A": 2, "B": 0, "C": 0}, 2)
    assert (small.share, small.abc, small.interviews, small.linked_interviews) == (
        round(100 / 3100, 4), {"A": 0, "B": 0, "C": 1}, 2, 1)
    customers.analyze(imported, customers.AnalysisOptions(by="margin"))
    assert customers_recruit.persona_value_shares(imported)[0].share == round(400 / 1150, 4)


def test_json_export_carries_each_personas_customer_value(imported):
    from interview_miner import export

    i = imported.add_interview(Interview(id=None, content_hash="h", file_name="c3.txt", kind="transcript",
                                         metadata={"customer_id": "C3"}))
    imported.save_personas([Persona(id="p1", name="Big", interview_ids=[i.id]), Persona(id="p2", name="None")])
    doc = json.loads(export.render_study(export.load_study(imported), "json"))
    values = {p["id"]: p["customer_value"] for p in doc["personas"]}
    assert values["p1"] == {"by": "revenue", "share": round(1000 / 3100, 4), "value": 1000.0, "customers": 1,
                            "linked_interviews": 1, "abc": {"A": 1, "B": 0, "C": 0}}
    assert values["p2"]["customers"] == 0 and values["p2"]["share"] == 0.0


def test_no_customer_data_is_a_clear_error(store):
    with pytest.raises(CustomerDataError, match="customers import FILE"):
        customers.analyze(store)
    assert customers_recruit.persona_value_shares(store) == []


# --- the app ---------------------------------------------------------------------------------------


def page(db: Path) -> AppTest:
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=30).run()
    at.switch_page("app_pages/customers.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_customers_page_uploads_and_shows_the_analysis(tmp_path, monkeypatch, sales):
    db = tmp_path / "study.db"
    monkeypatch.setenv("INTERVIEW_MINER_DB", str(db))
    at = page(db)
    assert "No customer data yet" in "\n".join(str(e.value) for e in at.info)
    at.file_uploader[0].upload("sales.csv", sales.read_bytes(), "text/csv")
    at.run()
    next(b for b in at.button if b.label == "Import").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Customers"], metrics["Transactions"], metrics["Top 20% hold"]) == ("7", "20", "40%")
    assert len(at.get("vega_lite_chart")) >= 3  # Pareto, matrix, RFM
    table = at.dataframe[0].value
    assert len(table) == 9 and list(table["customer"][:2]) == ["C1", "C2"]
    assert set(table["interview"]) == {"to contact"}
    assert Store(db).customer_import()["file_name"] == "sales.csv"


def test_customers_page_shows_interview_status_and_bad_upload(tmp_path, monkeypatch, sales):
    db = tmp_path / "study.db"
    monkeypatch.setenv("INTERVIEW_MINER_DB", str(db))
    s = Store(db)
    customers.import_file(s, sales)
    s.add_interview(Interview(id=None, content_hash="h", file_name="c3.txt", kind="transcript",
                              metadata={"customer_id": "C3"}))
    at = page(db)
    table = at.dataframe[0].value
    assert table.loc[table["customer"] == "C3", "interview"].item() == "interviewed (#1)"
    at.file_uploader[0].upload("broken.csv", b"customer,date,amount\nA,soon,1\n", "text/csv")
    at.run()
    next(b for b in at.button if b.label == "Import").click()
    at.run()
    assert "date column 'date'" in "\n".join(str(e.value) for e in at.error)
    assert Store(db).customer_import()["file_name"] == "sales.csv"


def test_overview_ranks_personas_by_customer_value(tmp_path, monkeypatch, sales):
    from corpus_fixture import load_literal_study

    db = tmp_path / "study.db"
    monkeypatch.setenv("INTERVIEW_MINER_DB", str(db))
    s = Store(db)
    load_literal_study(s)
    customers.import_file(s, sales)
    interviews = s.list_interviews()
    for i, cid in zip(interviews, ["C9", "C5", "C3", "C1"]):
        s.update_interview(i.id, metadata={**i.metadata, "customer_id": cid})
    s.save_personas([Persona(id="p1", name="Owners", interview_ids=[interviews[0].id, interviews[1].id]),
                     Persona(id="p2", name="Managers", interview_ids=[interviews[2].id, interviews[3].id])])
    at = AppTest.from_file(str(MAIN_SCRIPT), default_timeout=30).run()
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Personas by customer value" in [h.value for h in at.subheader]
    chart = next(c for c in at.get("vega_lite_chart") if '"persona"' in c.proto.spec and '"share"' in c.proto.spec)
    data = pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pylist()
    assert [(d["persona"], d["share"], d["ABC"]) for d in data] == [
        ("Managers", round(1600 / 3100, 4), "2 A"), ("Owners", round(300 / 3100, 4), "1 B · 1 C")]
