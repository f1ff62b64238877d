"""One module per output format, one contract: `render(table: ReportTable) -> bytes`.

`RENDERERS[format]` gives the function, the content type and the file extension."""

from collections.abc import Callable
from dataclasses import dataclass

from reports.renderers import csv_table, pdf, quickbooks, tax, xlsx
from reports.selectors import ReportTable


@dataclass(frozen=True)
class Renderer:
    render: Callable[[ReportTable], bytes]
    content_type: str
    extension: str


RENDERERS: dict[str, Renderer] = {
    "csv": Renderer(csv_table.render, "text/csv; charset=utf-8", "csv"),
    "xlsx": Renderer(xlsx.render, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pdf": Renderer(pdf.render, "application/pdf", "pdf"),
    "iif": Renderer(quickbooks.render_iif, "application/x-iif", "iif"),
    "qbo_csv": Renderer(quickbooks.render_qbo_csv, "text/csv; charset=utf-8", "csv"),
    "qbo": Renderer(quickbooks.render_qbo, "application/vnd.intu.qbo", "qbo"),
    "txf": Renderer(tax.render_txf, "application/x-txf", "txf"),
    "tax_csv": Renderer(tax.render_summary_csv, "text/csv; charset=utf-8", "csv"),
    "tax_pdf": Renderer(tax.render_summary_pdf, "application/pdf", "pdf"),
}
