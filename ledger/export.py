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
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from openpyxl import Workbook

from ledger.transaction_fields import EXPORT_FIELDS, plain_value

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The exported fields and their order come from ledger.transaction_fields.
COLUMNS = tuple(item.name for item in EXPORT_FIELDS)
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
    """An API-shaped row as cells: each exported field's export value, None as ""."""
    values = (item.export_value(row[item.name]) for item in EXPORT_FIELDS)
    return [value if value is not None else "" for value in values]


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
    for row in rows:
        cells = [neutralise(value) if isinstance(value, str) else value for value in _flat(row)]
        # A field's spreadsheet form (amounts as numbers, timestamps as text), from its kind.
        sheet.append([
            item.spreadsheet(row[item.name]) if item.spreadsheet is not plain_value and row[item.name] is not None else cell
            for item, cell in zip(EXPORT_FIELDS, cells, strict=True)
        ])
    with tempfile.TemporaryFile() as spool:
        workbook.save(spool)
        spool.seek(0)
        while chunk := spool.read(chunk_size):
            yield chunk
