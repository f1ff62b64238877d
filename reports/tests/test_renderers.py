"""Every renderer on the hand-computed ledger: CSV, XLSX (opened with openpyxl), PDF (text
extracted and pages rasterised with poppler), QuickBooks IIF / QBO CSV / QBO and TXF checked
line by line against their layouts, and the tax summaries."""

import csv
import datetime
import io
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart

from accounts.models import User
from ledger.tests.factories import TransactionFactory
from reports.models import ReportSchedule
from reports.renderers import RENDERERS, pdf, quickbooks, tax, xlsx
from reports.renderers.csv_table import render as render_csv
from reports.schedule_times import Period
from reports.selectors import report_table
from reports.services import schedule_spec
from reports.spec import spec_clean

pytestmark = pytest.mark.django_db


def table(user, **data):
    return report_table(user=user, spec=spec_clean(data))


def test_csv_has_a_bom_totals_and_neutralised_formulas(user, ledger):
    content = render_csv(table(user, group_by=["merchant"], metrics=["sum", "count"]))
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["merchant", "sum", "count"]
    assert rows[1] == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "-60.00", "1"]
    assert rows[-2] == ["Аптека №1 Ελληνικά", "-12.40", "1"]
    assert rows[-1] == ["Total", "1737.60", "8"]


def test_xlsx_summary_has_formulas_number_formats_a_chart_and_transactions(user, ledger):
    report = table(user, name="By month", group_by=["month"], metrics=["income", "expenses", "count", "max"])
    workbook = load_workbook(io.BytesIO(xlsx.render(report)))
    assert workbook.sheetnames == ["Summary", "Transactions"]
    summary = workbook["Summary"]
    assert summary["A1"].value == "By month" and summary["A1"].font.bold
    assert summary["A2"].value == "Period: 2024-01-05 to 2024-03-01"
    assert [cell.value for cell in summary[5]] == ["Month", "Income", "Expenses", "Count", "Max"]
    assert summary["A5"].font.bold and summary["A5"].fill.fgColor.rgb == "001F4E79"
    assert [cell.value for cell in summary[6]] == ["2024-01", 2000, 80.25, 3, 2000]
    assert summary["B6"].number_format == '"$"#,##0.00;[Red]-"$"#,##0.00'
    assert summary["D6"].number_format == "#,##0"
    assert [cell.value for cell in summary[9]] == ["Total", "=SUM(B6:B8)", "=SUM(C6:C8)", "=SUM(D6:D8)", "=MAX(E6:E8)"]
    assert summary["B9"].number_format == '"$"#,##0.00;[Red]-"$"#,##0.00'
    assert summary.freeze_panes == "A6"
    assert summary.auto_filter.ref == "A5:E8"
    (chart,) = summary._charts
    assert isinstance(chart, LineChart)  # a time grouping draws a line
    series = chart.series[0]
    assert series.val.numRef.f == "'Summary'!$B$6:$B$8"  # the header cell B5 is the series' title
    assert series.tx.strRef.f == "'Summary'!B5"
    assert (series.cat.numRef or series.cat.strRef).f == "'Summary'!$A$6:$A$8"
    transactions = workbook["Transactions"]
    assert [cell.value for cell in transactions[1]] == list(xlsx.TRANSACTION_COLUMNS)
    assert transactions.max_row == 9
    row = [cell.value for cell in transactions[6]]
    assert row[0] == datetime.datetime(2024, 2, 14)
    assert row[1] == "'=HYPERLINK(\"http://evil.example\",\"x\")" and row[5] == -60
    assert transactions["F6"].number_format == '"$"#,##0.00;[Red]-"$"#,##0.00'
    assert transactions.freeze_panes == "A2"


def test_xlsx_bar_chart_for_a_category_grouping_and_currency_formats(user, ledger):
    user.preferences = {**user.preferences, "currency": "CHF"}
    report = table(user, group_by=["category"], metrics=["expenses"])
    summary = load_workbook(io.BytesIO(xlsx.render(report)))["Summary"]
    assert isinstance(summary._charts[0], BarChart)
    assert summary["B6"].number_format == '#,##0.00" CHF";[Red]-#,##0.00" CHF"'


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_pdf_renders_non_latin_names_with_an_embedded_font(user, ledger, tmp_path):
    content = pdf.render(table(user, name="Statement", group_by=["category"], metrics=["expenses", "count"]))
    text = pdf_text(content, tmp_path)
    assert "Аптека №1 Ελληνικά" in text
    assert "Statement" in text and "Period: 2024-01-05 to 2024-03-01" in text
    for label, value in (("Income", "2010.00"), ("Expenses", "272.40"), ("Net", "1737.60")):
        assert label in text and value in text
    assert "Spending by category (USD)" in text and "Running net, day by day (USD)" in text
    fonts = subprocess.run(["pdffonts", str(tmp_path / "report.pdf")], capture_output=True, text=True, check=True).stdout
    dejavu = [line for line in fonts.splitlines() if "DejaVuSans" in line]
    assert dejavu and all(line.split()[-5] == "yes" for line in dejavu)  # the "emb" column


def test_pdf_tables_split_across_pages_with_repeated_headers(user, ledger, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "ROWS_PER_TABLE", 5)
    base = ledger["rows"][0]
    rows = TransactionFactory.create_batch(
        120, user=user, account=base.account, date=datetime.date(2024, 1, 6), amount=base.amount, category=base.category,
    )
    assert len(rows) == 120
    text = pdf_text(pdf.render(table(user)), tmp_path)
    pages = text.split("\f")
    with_header = [page for page in pages if "Date" in page and "Description" in page and "Amount" in page]
    assert len([page for page in pages if page.strip()]) >= 3
    assert len(with_header) == len([page for page in pages if "2024-01-06" in page])


def test_the_monthly_pdf_of_the_demo_ledger_rasterises(settings, tmp_path):
    settings.DEBUG = True
    call_command("seed_demo")
    demo = User.objects.get(email="demo@ledgerline.local")
    today = datetime.date.today()
    end = today.replace(day=1) - datetime.timedelta(days=1)
    period = Period(start=end.replace(day=1), end=end, key=f"monthly:{end:%Y-%m}")
    spec = schedule_spec(ReportSchedule(user=demo, kind="monthly_report", cadence="monthly", format="pdf"), period)
    report = report_table(user=demo, spec=spec)
    assert report.kpis["count"] > 10
    path = tmp_path / "monthly.pdf"
    path.write_bytes(RENDERERS["pdf"].render(report))
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png")).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    text = pdf_text(path.read_bytes(), tmp_path)
    assert f"Monthly report {end:%B %Y}" in text and "Running net, day by day" in text


def test_iif_line_by_line(user, ledger):
    lines = quickbooks.render_iif(table(user, filters={"until": "2024-01-31"})).decode("utf-8").split("\r\n")
    assert lines == [
        "!ACCNT\tNAME\tACCNTTYPE",
        "ACCNT\tEveryday\tBANK",
        "ACCNT\tGroceries\tEXP",
        "ACCNT\tIncome:Salary\tINC",
        "!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tMEMO",
        "!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tMEMO",
        "!ENDTRNS",
        "TRNS\t\tCHECK\t01/05/2024\tEveryday\tCORNER GROCER\t-50.00\tCORNER GROCER",
        "SPL\t\tCHECK\t01/05/2024\tGroceries\tCORNER GROCER\t50.00\tCORNER GROCER",
        "ENDTRNS",
        "TRNS\t\tCHECK\t01/20/2024\tEveryday\tCORNER GROCER\t-30.25\tweekly shop",
        "SPL\t\tCHECK\t01/20/2024\tGroceries\tCORNER GROCER\t30.25\tweekly shop",
        "ENDTRNS",
        "TRNS\t\tDEPOSIT\t01/31/2024\tEveryday\tACME PAYROLL\t2000.00\tACME PAYROLL",
        "SPL\t\tDEPOSIT\t01/31/2024\tIncome:Salary\tACME PAYROLL\t-2000.00\tACME PAYROLL",
        "ENDTRNS",
        "",
    ]


def test_iif_fields_cannot_break_the_layout_and_cards_are_ccard(user, ledger):
    ledger["rows"][3].note = "two\tcolumns\nand \"quotes\""
    ledger["rows"][3].save()
    lines = quickbooks.render_iif(table(user, filters={"account": str(ledger["accounts"]["card"].id)})).decode().split("\r\n")
    assert "ACCNT\tCard\tCCARD" in lines
    assert "TRNS\t\tCHECK\t02/03/2024\tCard\tFRESH MARKET\t-19.75\ttwo columns and 'quotes'" in lines
    assert all(line.count("\t") in (2, 7) for line in lines if line and not line.startswith(("!ENDTRNS", "ENDTRNS")))


def test_qbo_csv_is_the_three_column_layout(user, ledger):
    content = quickbooks.render_qbo_csv(table(user, filters={"since": "2024-02-14", "until": "2024-02-15"})).decode()
    assert content.split("\r\n") == [
        "Date,Description,Amount",
        "02/14/2024,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",-60.00",
        "02/15/2024,CORNER GROCER,10.00",
        "",
    ]


def test_qbo_web_connect_statement(user, ledger):
    content = quickbooks.render_qbo(table(user, filters={"account": str(ledger["accounts"]["card"].id)}))
    lines = content.decode("cp1252").split("\r\n")
    assert lines[:9] == [
        "OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "SECURITY:NONE", "ENCODING:USASCII", "CHARSET:1252",
        "COMPRESSION:NONE", "OLDFILEUID:NONE", "NEWFILEUID:NONE",
    ]
    assert lines[9] == "" and lines[10] == "<OFX>" and lines[-2] == "</OFX>"
    card = ledger["accounts"]["card"]
    assert f"<ACCTID>{card.id.hex[:22]}" in lines and "<INTU.BID>3000" in lines
    assert "<DTSTART>20240203" in lines and "<DTEND>20240301" in lines
    first = lines.index("<STMTTRN>")
    assert lines[first:first + 7] == [
        "<STMTTRN>", "<TRNTYPE>DEBIT", "<DTPOSTED>20240203", "<TRNAMT>-19.75",
        f"<FITID>{ledger['rows'][3].id.hex}", "<NAME>FRESH MARKET", "</STMTTRN>",
    ]
    # SGML-escaped and cut to 32 characters.
    assert '<NAME>=HYPERLINK("http://evil.example"' in lines
    assert "<BALAMT>-92.15" in lines
    assert lines.count("<STMTTRN>") == 3


def test_txf_line_by_line(user, ledger):
    lines = tax.render_txf(table(user)).decode("cp1252").split("\r\n")
    assert lines[0] == "V042" and lines[1] == "ALedgerline"
    assert datetime.datetime.strptime(lines[2][1:], "%m/%d/%Y").date() == datetime.date.today()
    assert lines[3:] == [
        "^",
        "TD", "N280", "C1", "L1", "D02/28/2024", "$-100.00", "PRED CROSS", "Xannual gift", "^",
        "TD", "N273", "C1", "L1", "D03/01/2024", "$-12.40", "P?????? ?1 ????????", "^",
        "",
    ]


def test_the_tax_mapping_is_editable(user, ledger, settings, tmp_path):
    mapping = tmp_path / "tax.json"
    mapping.write_text('{"lines": [{"code": "N302", "form": "Schedule C", "line": "Other business expenses", '
                       '"categories": ["dining"]}]}')
    settings.REPORTS_TAX_LINES_FILE = str(mapping)
    lines = tax.render_txf(table(user)).decode().split("\r\n")
    assert lines[4:11] == ["TD", "N302", "C1", "L1", "D02/14/2024", "$-60.00", 'P=HYPERLINK("http://evil.example","x")']


def test_tax_summary_csv_and_pdf(user, ledger, tmp_path):
    report = table(user, name="Tax 2024", filters={"since": "2024-01-01", "until": "2024-12-31"})
    rows = list(csv.reader(io.StringIO(tax.render_summary_csv(report).decode("utf-8-sig"))))
    assert rows[0] == list(tax.SUMMARY_HEADER)
    assert rows[1] == ["N280", "Schedule A", "Cash charity contributions", "donations", "1", "100.00"]
    assert rows[2] == ["N273", "Schedule A", "Medicine and drugs", "pharmacy", "1", "12.40"]
    assert rows[3][:2] == ["N274", "Schedule A"] and rows[3][-2:] == ["0", "0.00"]
    text = pdf_text(tax.render_summary_pdf(report), tmp_path)
    assert "Tax 2024" in text and "Cash charity contributions" in text and "112.40" in text


def _transactions_sheet_cells(content: bytes) -> list[list[tuple]]:
    sheet = load_workbook(io.BytesIO(content))["Transactions"]
    return [[(cell.value, cell.number_format) for cell in row] for row in sheet.iter_rows()]


def test_the_fast_xlsx_rows_equal_openpyxls_own(user, ledger, settings):
    TransactionFactory(user=user, account=ledger["accounts"]["card"], date=datetime.date(2024, 3, 2),
                       amount="-1.05", merchant_raw="  spaced & <tagged> \x07bell ", note="+SUM(A1)")
    report = table(user, group_by=["month"], metrics=["sum"])
    settings.REPORTS_XLSX_FAST_ROWS = True
    fast = xlsx.render(report)
    settings.REPORTS_XLSX_FAST_ROWS = False
    plain = xlsx.render(report)
    cells = _transactions_sheet_cells(fast)
    assert cells == _transactions_sheet_cells(plain)
    assert len(cells) == 10
    assert cells[-1][1][0] == "  spaced & <tagged> bell " and cells[-1][7][0] == "'+SUM(A1)"
    assert cells[-1][5] == (-1.05, '"$"#,##0.00;[Red]-"$"#,##0.00') and cells[-1][0][1] == "yyyy-mm-dd"


def test_both_date_truncations_group_alike(user, ledger, settings):
    results = []
    for plain in (True, False):
        settings.REPORTS_PG_PLAIN_DATE_TRUNC = plain
        results.append([
            table(user, group_by=[grouping], metrics=["sum", "count"]).rows for grouping in ("week", "month", "quarter", "year")
        ])
    assert results[0] == results[1]
    assert results[0][0][0] == {"week": "2024-01-01", "sum": Decimal("-50.00"), "count": 1}
