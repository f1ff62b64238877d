"""Tax exports through the category -> tax-line mapping (reports.tax_lines).

TXF v042: the header record (V042, A<program>, D<export date>, ^) and one detail record per
transaction in a mapped category: TD, N<reference number>, C1 (copy), L1 (line), D<date>,
$<amount> (signed as in the ledger: a deduction paid out is negative, a refund positive),
P<payee>, X<memo> when there is a note, ^. Lines end in CRLF. Plus a per-tax-line summary
(count and total deductible, i.e. -(sum of amounts)) as CSV and as PDF."""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from reportlab.lib.units import mm

from reports.renderers import pdf
from reports.renderers.cells import money_text, neutralise
from reports.selectors import ReportTable
from reports.tax_lines import TaxLine, tax_line_by_category, tax_lines

CRLF = "\r\n"
PROGRAM = "Ledgerline"


@dataclass
class TaxLineTotal:
    line: TaxLine
    count: int = 0
    total: Decimal = Decimal("0.00")  # deductible amount: -(sum of amounts)


def _txf_text(value: str) -> str:
    return " ".join(str(value).replace("^", " ").split())


def render_txf(table: ReportTable) -> bytes:
    mapping = tax_line_by_category(tax_lines())
    lines = ["V042", f"A{PROGRAM}", f"D{timezone.now():%m/%d/%Y}", "^"]
    for row in table.transactions():
        line = mapping.get(row["category__slug"])
        if line is None:
            continue
        lines += ["TD", line.code, "C1", "L1", f"D{row['date']:%m/%d/%Y}", f"${money_text(row['amount'])}"]
        lines.append(f"P{_txf_text(row['merchant__canonical_name'] or row['merchant_raw'])}")
        if row["note"]:
            lines.append(f"X{_txf_text(row['note'])}")
        lines.append("^")
    return (CRLF.join(lines) + CRLF).encode("cp1252", errors="replace")


def tax_summary(table: ReportTable) -> list[TaxLineTotal]:
    """Per tax line of the mapping, in its order: count and deductible total of the period."""
    lines = tax_lines()
    mapping = tax_line_by_category(lines)
    totals = {line.code: TaxLineTotal(line=line) for line in lines}
    for slug, count, amount in table.category_totals:
        line = mapping.get(slug)
        if line is not None:
            totals[line.code].count += count
            totals[line.code].total -= amount
    return list(totals.values())


SUMMARY_HEADER = ("Tax line", "Form", "Description", "Categories", "Transactions", "Total")


def _summary_rows(table: ReportTable) -> list[list[str]]:
    return [
        [item.line.code, item.line.form, item.line.line, ", ".join(item.line.categories), str(item.count),
         money_text(item.total)]
        for item in tax_summary(table)
    ]


def render_summary_csv(table: ReportTable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=CRLF)
    writer.writerow(SUMMARY_HEADER)
    for row in _summary_rows(table):
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_summary_pdf(table: ReportTable) -> bytes:
    style = pdf.styles()
    buffer = io.BytesIO()
    rows = _summary_rows(table)
    grand = sum((Decimal(row[-1]) for row in rows), Decimal("0.00"))
    story = pdf.cover(table, style, subtitle="Tax summary: deductible totals per TXF tax line.")
    story += pdf.data_table(
        SUMMARY_HEADER, [*rows, ["Total", "", "", "", "", money_text(grand)]],
        widths=(18 * mm, 24 * mm, 56 * mm, 38 * mm, 20 * mm, 22 * mm), numeric_from=4,
    )
    pdf.document(buffer, table.name).build(story, onFirstPage=pdf.footer(table.name), onLaterPages=pdf.footer(table.name))
    return buffer.getvalue()
