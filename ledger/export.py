"""Streamed exports of transactions as CSV, JSON or XLSX.

Spreadsheet formula injection: a text cell starting with = + - @, a tab or a carriage return
is prefixed with a single quote in CSV and XLSX, so Excel or LibreOffice shows it as text
instead of running it. Plain signed numbers ("-12.50") stay numbers."""

import csv
import datetime
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from openpyxl import Workbook

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
COLUMNS = (
    "id", "date", "amount", "currency", "merchant_raw", "merchant", "category",
    "source", "note", "account", "anomaly_score", "created_at",
)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def neutralise(value: Any) -> Any:
    """A cell value a spreadsheet will not evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def export_filename(export_format: str, today: datetime.date | None = None) -> str:
    # Built only from a fixed word, a date and a whitelisted extension: nothing a user typed
    # reaches the Content-Disposition header.
    return f"transactions-{(today or datetime.date.today()).isoformat()}.{export_format}"


def _flat(row: dict[str, Any]) -> list[Any]:
    merchant = row["merchant"]["canonical_name"] if row["merchant"] else ""
    values = {**row, "merchant": merchant}
    return [values[column] if values[column] is not None else "" for column in COLUMNS]


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(COLUMNS)  # BOM: Excel then reads UTF-8 correctly
    for row in rows:
        yield writer.writerow([neutralise(str(value)) for value in _flat(row)])


def stream_json(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + json.dumps(row, cls=DjangoJSONEncoder)
    yield "]"


def stream_xlsx(rows: Iterable[dict[str, Any]], chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """openpyxl's write-only workbook keeps memory flat; the zip is spooled to a temporary
    file (an xlsx cannot be written front to back) and then streamed out."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Transactions")
    sheet.append(list(COLUMNS))
    amount_index = COLUMNS.index("amount")
    for row in rows:
        cells = [neutralise(value) if isinstance(value, str) else value for value in _flat(row)]
        cells[amount_index] = Decimal(row["amount"])
        cells[COLUMNS.index("created_at")] = str(row["created_at"])
        sheet.append(cells)
    with tempfile.TemporaryFile() as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(chunk_size):
            yield chunk
