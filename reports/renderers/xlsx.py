"""The report as an Excel workbook (openpyxl, write-only: rows go straight to the zip, so a
100,000-transaction sheet keeps memory flat).

Sheet "Summary": title, period, a styled header row, one row per group with number formats
in the user's currency, frozen below the header, an autofilter, and a totals row of SUM /
MIN / MAX formulas that recalculate when a cell is edited; a native chart (line for a time
grouping, bar otherwise) of the first money metric by the first grouping.
Sheet "Transactions": every matching transaction, oldest first."""

import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from reports.renderers.cells import neutralise
from reports.selectors import ReportTable
from reports.spec import TIME_GROUPINGS

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CAD": "CA$", "AUD": "A$"}
MONEY_METRICS = frozenset({"sum", "average", "min", "max", "income", "expenses", "net"})
TOTAL_FORMULAS = {"sum": "SUM", "income": "SUM", "expenses": "SUM", "net": "SUM", "count": "SUM", "min": "MIN", "max": "MAX"}
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
HEADER_ROW = 5
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
TRANSACTION_COLUMNS = ("Date", "Description", "Merchant", "Category", "Account", "Amount", "Currency", "Note")


def money_format(currency: str) -> str:
    """An Excel number format showing the currency: "$"#,##0.00 with negatives in red."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol:
        return f'"{symbol}"#,##0.00;[Red]-"{symbol}"#,##0.00'
    return f'#,##0.00" {currency}";[Red]-#,##0.00" {currency}"'


TRANSACTIONS_SHEET_PATH = "xl/worksheets/sheet2.xml"  # the second sheet created
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def render(table: ReportTable) -> bytes:
    workbook = Workbook(write_only=True)
    _summary_sheet(workbook, table)
    remaining = _transactions_sheet(workbook, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if remaining is None:
        return buffer.getvalue()
    return _splice_rows(buffer.getvalue(), remaining)


def _cell(sheet, value: Any, *, number_format: str | None = None, font: Font | None = None, fill=None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if font:
        cell.font = font
    if fill:
        cell.fill = fill
    return cell


def _summary_sheet(workbook: Workbook, table: ReportTable) -> None:
    sheet = workbook.create_sheet("Summary")
    columns = table.columns
    last_column = get_column_letter(len(columns))
    first_data, last_data = HEADER_ROW + 1, HEADER_ROW + len(table.rows)
    # Write-only sheets write their views and widths before the rows: set them first.
    sheet.freeze_panes = f"A{first_data}"
    if table.rows:
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{last_column}{last_data}"
    for index, _column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 22 if index <= len(table.spec.group_by) else 16
    money = money_format(table.currency)
    sheet.append([_cell(sheet, table.name, font=TITLE_FONT)])
    sheet.append([f"Period: {table.period_label()}"])
    sheet.append([f"Currency: {table.currency}", f"Generated: {table.generated_at:%Y-%m-%d %H:%M} UTC"])
    sheet.append([])
    sheet.append([_cell(sheet, column.title(), font=HEADER_FONT, fill=HEADER_FILL) for column in columns])
    formats = [money if column in MONEY_METRICS else COUNT_FORMAT if column == "count" else None for column in columns]
    for row in table.rows:
        sheet.append([_value_cell(sheet, row[column], formats[index]) for index, column in enumerate(columns)])
    if table.rows and table.spec.group_by:
        sheet.append(_totals_row(sheet, table, formats, first_data, last_data))
    if table.rows and table.spec.group_by:
        sheet.add_chart(_chart(table, sheet, first_data, last_data), f"{get_column_letter(len(columns) + 2)}{HEADER_ROW}")


def _value_cell(sheet, value: Any, number_format: str | None):
    if isinstance(value, str):
        return neutralise(value)
    return _cell(sheet, value, number_format=number_format) if number_format else value


def _totals_row(sheet, table: ReportTable, formats: list, first_data: int, last_data: int) -> list:
    cells = [_cell(sheet, "Total", font=BOLD)] + [None] * (len(table.spec.group_by) - 1)
    for index, metric in enumerate(table.spec.metrics, start=len(table.spec.group_by)):
        letter = get_column_letter(index + 1)
        function = TOTAL_FORMULAS.get(metric)
        value = f"={function}({letter}{first_data}:{letter}{last_data})" if function else table.totals.get(metric)
        cells.append(_cell(sheet, value, number_format=formats[index], font=BOLD))
    return cells


def _chart(table: ReportTable, sheet, first_data: int, last_data: int):
    grouping = table.spec.group_by[0]
    chart = LineChart() if grouping in TIME_GROUPINGS else BarChart()
    chart.title = table.name
    chart.y_axis.title = table.currency
    chart.x_axis.title = grouping.title()
    chart.width, chart.height = 22, 11
    metric_columns = [index for index, column in enumerate(table.columns, start=1) if column in MONEY_METRICS]
    value_column = (metric_columns or [len(table.columns)])[0]
    data = Reference(sheet, min_col=value_column, min_row=HEADER_ROW, max_row=last_data)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first_data, max_row=last_data))
    return chart


def _text(value: str | None) -> str:
    """Text a cell can hold: no XML-illegal control characters, formulas neutralised."""
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value or ""))


def _transaction_values(row: dict[str, Any]) -> list[Any]:
    return [
        row["date"], _text(row["merchant_raw"]), _text(row["merchant__canonical_name"]), row["category__slug"],
        _text(row["account__name"]), Decimal(row["amount"]), row["currency"], _text(row["note"]),
    ]


def _transactions_sheet(workbook: Workbook, table: ReportTable) -> Iterator[dict[str, Any]] | None:
    """Header and rows through openpyxl; with REPORTS_XLSX_FAST_ROWS only the first data row
    (it registers the date and money styles) and the rest is returned for `_splice_rows`."""
    sheet = workbook.create_sheet("Transactions")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(TRANSACTION_COLUMNS))}1"
    for letter, width in zip("ABCDEFGH", (12, 36, 24, 18, 18, 14, 9, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([_cell(sheet, column, font=HEADER_FONT, fill=HEADER_FILL) for column in TRANSACTION_COLUMNS])
    money = money_format(table.currency)
    amount_cell = WriteOnlyCell(sheet)
    rows = table.transactions()
    for row in rows:
        # One reusable styled cell for the amount: write-only rows are serialised on append.
        values = _transaction_values(row)
        amount_cell.value, amount_cell.number_format = values[5], money
        sheet.append([*values[:5], amount_cell, *values[6:]])
        if settings.REPORTS_XLSX_FAST_ROWS:
            return rows
    return None


_STYLE = re.compile(rb'<c r="([A-Z]+)2" s="(\d+)"')


def _splice_rows(workbook_bytes: bytes, rows: Iterator[dict[str, Any]]) -> bytes:
    """Write the transactions after the first into the sheet openpyxl wrote, as the same XML
    openpyxl writes (inline strings, the date and money style ids of row 2), at a fraction of
    its per-cell cost (docs/decisions/reports-xlsx-rows.md)."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes))
    sheet = source.read(TRANSACTIONS_SHEET_PATH)
    styles = {column.decode(): style.decode() for column, style in _STYLE.findall(sheet)}
    head, tail = sheet.split(b"</sheetData>", 1)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != TRANSACTIONS_SHEET_PATH:
                target.writestr(item, source.read(item.filename))
                continue
            with target.open(TRANSACTIONS_SHEET_PATH, "w") as stream:
                stream.write(head)
                batch = []
                for number, row in enumerate(rows, start=3):
                    batch.append(_row_xml(number, _transaction_values(row), styles["A"], styles["F"]))
                    if len(batch) == 1000:
                        stream.write("".join(batch).encode())
                        batch = []
                stream.write("".join(batch).encode())
                stream.write(b"</sheetData>" + tail)
    return output.getvalue()


def _row_xml(number: int, values: list[Any], date_style: str, money_style: str) -> str:
    date, description, merchant, category, account, amount, currency, note = values
    return (
        f'<row r="{number}"><c r="A{number}" s="{date_style}" t="n"><v>{(date - EXCEL_EPOCH).days}</v></c>'
        f"{_inline('B', number, description)}{_inline('C', number, merchant)}{_inline('D', number, category)}"
        f'{_inline("E", number, account)}<c r="F{number}" s="{money_style}" t="n"><v>{amount}</v></c>'
        f"{_inline('G', number, currency)}{_inline('H', number, note)}</row>"
    )


def _inline(column: str, number: int, text: str) -> str:
    if not text:
        return f'<c r="{column}{number}" t="inlineStr"></c>'
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{column}{number}" t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'
