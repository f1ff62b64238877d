"""The report table as CSV: UTF-8 with a BOM (Excel then reads it as UTF-8), one row per
group, a final Total row; text cells neutralised against formula injection."""

import csv
import io

from reports.renderers.cells import cell_text
from reports.selectors import ReportTable


def render(table: ReportTable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([cell_text(row[column]) for column in table.columns])
    if table.spec.group_by:
        label = ["Total", *[""] * (len(table.spec.group_by) - 1)]
        writer.writerow(label + [cell_text(table.totals.get(metric)) for metric in table.spec.metrics])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
