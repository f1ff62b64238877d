"""The report as a PDF (reportlab platypus).

Page one: a cover block (who, which period, when generated), four KPI boxes (income,
expenses, net, transactions), a bar chart of spending by category and a line chart (the
running net day by day for a month-sized period, net per month for longer ones). Then the
grouped table and the transactions, as tables that split across pages and repeat their
header row on every page.

Text is set in DejaVu Sans, embedded from the TTF files of Debian's fonts-dejavu-core
(`REPORTS_FONT_DIR`), so Cyrillic, Greek, accented and most other non-CJK merchant names
render instead of showing as black boxes."""

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from reports.renderers.cells import money_text
from reports.selectors import ReportTable

FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}
ACCENT = colors.HexColor("#1F4E79")
LIGHT = colors.HexColor("#EAF1F8")
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 16 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
TOP_CATEGORIES = 10
# Rows per table flowable: each splits across pages (header repeated); several moderate tables
# keep reportlab's split, which re-measures the rest of a table at every page, linear overall.
ROWS_PER_TABLE = 400
TEXT_WIDTH = 34
ROW_HEIGHT = 12


@cache
def register_fonts() -> None:
    font_dir = Path(settings.REPORTS_FONT_DIR)
    for name, filename in FONT_FILES.items():
        path = font_dir / filename
        if not path.is_file():
            raise RuntimeError(f"{path} is missing: install Debian's fonts-dejavu-core (make install does).")
        pdfmetrics.registerFont(TTFont(name, str(path)))


def styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    return {
        "title": ParagraphStyle("title", fontName=FONT_BOLD, fontSize=20, leading=24, textColor=ACCENT),
        "body": ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13),
        "heading": ParagraphStyle("heading", fontName=FONT_BOLD, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4),
        "kpi_label": ParagraphStyle("kpi_label", fontName=FONT, fontSize=8, leading=10, textColor=colors.grey),
        "kpi_value": ParagraphStyle("kpi_value", fontName=FONT_BOLD, fontSize=13, leading=16),
    }


def document(buffer: io.BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN + 4 * mm,
        title=title, author="Ledgerline",
    )


def footer(title: str):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, MARGIN - 2 * mm, title[:90])
        canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN - 2 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def cover(table: ReportTable, style: dict[str, ParagraphStyle], subtitle: str = "") -> list:
    user = table.user
    who = f"{escape(user.full_name)} &lt;{escape(user.email)}&gt;" if user.full_name else escape(user.email)
    lines = [
        Paragraph(escape(table.name), style["title"]),
        Spacer(1, 3 * mm),
        Paragraph(f"Prepared for {who}", style["body"]),
        Paragraph(f"Period: {escape(table.period_label())} · Currency: {escape(table.currency)}", style["body"]),
        Paragraph(f"Generated at {table.generated_at:%Y-%m-%d %H:%M} UTC", style["body"]),
    ]
    if subtitle:
        lines.append(Paragraph(escape(subtitle), style["body"]))
    return [*lines, Spacer(1, 5 * mm)]


def data_table(header: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[float], numeric_from: int) -> list:
    """Header + rows as tables of ROWS_PER_TABLE rows; each repeats its header on every page."""
    flowables, chunk = [], []
    for row in rows:
        chunk.append(row)
        if len(chunk) == ROWS_PER_TABLE:
            flowables.append(_table(header, chunk, widths, numeric_from))
            chunk = []
    if chunk or not flowables:
        flowables.append(_table(header, chunk, widths, numeric_from))
    return flowables


def _table(header: Sequence[str], rows: list, widths: Sequence[float], numeric_from: int) -> Table:
    # Fixed row heights (every cell is one clipped line): reportlab then skips measuring each
    # cell's text, a third of the time of a 10,000-row statement.
    table = Table([list(header), *rows], colWidths=widths, rowHeights=ROW_HEIGHT, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 8),
        ("FONT", (0, 1), (-1, -1), FONT, 8),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, LIGHT]),
        ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return table


def kpi_boxes(table: ReportTable, style: dict[str, ParagraphStyle]) -> Table:
    kpis = table.kpis
    items = [
        ("Income", money_text(kpis["income"])), ("Expenses", money_text(kpis["expenses"])),
        ("Net", money_text(kpis["net"])), ("Transactions", f"{kpis['count']:,}"),
    ]
    cells = [[Paragraph(label, style["kpi_label"]), Paragraph(value, style["kpi_value"])] for label, value in items]
    boxes = Table([cells], colWidths=[CONTENT_WIDTH / 4] * 4)
    boxes.setStyle(TableStyle([
        ("BOX", (0, 0), (0, 0), 0.8, ACCENT), ("BOX", (1, 0), (1, 0), 0.8, ACCENT),
        ("BOX", (2, 0), (2, 0), 0.8, ACCENT), ("BOX", (3, 0), (3, 0), 0.8, ACCENT),
        ("BACKGROUND", (0, 0), (-1, -1), LIGHT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return boxes


def category_bar_chart(spending: list[tuple[str, Decimal]], title: str) -> Drawing:
    top = list(reversed(spending[:TOP_CATEGORIES]))  # the horizontal chart draws bottom up
    height = 40 + 16 * max(len(top), 1)
    drawing = Drawing(CONTENT_WIDTH, height)
    drawing.add(String(0, height - 12, title, fontName=FONT_BOLD, fontSize=10))
    if not top:
        drawing.add(String(0, height - 30, "No spending in this period.", fontName=FONT, fontSize=9))
        return drawing
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 110, 10, CONTENT_WIDTH - 150, height - 32
    chart.data = [[float(amount) for _, amount in top]]
    chart.categoryAxis.categoryNames = [name[:22] for name, _ in top]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7.5
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = ACCENT
    chart.barLabelFormat = "%.2f"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 6.5
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def net_line_chart(kind: str, points: list, title: str) -> Drawing:
    drawing = Drawing(CONTENT_WIDTH, 180)
    drawing.add(String(0, 168, title, fontName=FONT_BOLD, fontSize=10))
    if not points:
        drawing.add(String(0, 150, "No transactions in this period.", fontName=FONT, fontSize=9))
        return drawing
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 45, 35, CONTENT_WIDTH - 60, 120
    chart.data = [[float(value) for _, value in points]]
    step = max(1, len(points) // 10)
    fmt = "%d %b" if kind == "daily" else "%b %Y"
    chart.categoryAxis.categoryNames = [day.strftime(fmt) if index % step == 0 else "" for index, (day, _) in enumerate(points)]
    chart.categoryAxis.joinAxisMode = "bottom"  # dates under the plot, not on the zero line
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.lines[0].strokeColor = ACCENT
    chart.lines[0].strokeWidth = 1.6
    drawing.add(chart)
    return drawing


def render(table: ReportTable) -> bytes:
    style = styles()
    buffer = io.BytesIO()
    story = [*cover(table, style), kpi_boxes(table, style), Spacer(1, 6 * mm)]
    story.append(category_bar_chart(table.spending_by_category, f"Spending by category ({table.currency})"))
    kind, points = table.net_series
    line_title = "Running net, day by day" if kind == "daily" else "Net per month"
    story += [Spacer(1, 4 * mm), net_line_chart(kind, points, f"{line_title} ({table.currency})")]
    if table.spec.group_by:
        story.append(Paragraph("Summary", style["heading"]))
        story += _summary_tables(table)
    story.append(Paragraph("Transactions", style["heading"]))
    story += data_table(
        ("Date", "Description", "Category", "Account", "Amount"),
        _transaction_cells(table), widths=(22 * mm, 68 * mm, 30 * mm, 30 * mm, 28 * mm), numeric_from=4,
    )
    document(buffer, table.name).build(story, onFirstPage=footer(table.name), onLaterPages=footer(table.name))
    return buffer.getvalue()


def _summary_tables(table: ReportTable) -> list:
    columns = table.columns
    groups = len(table.spec.group_by)

    def text(value) -> str:
        if value is None:
            return ""
        return money_text(value) if isinstance(value, Decimal) else _clip(str(value))

    rows = [[text(row[column]) for column in columns] for row in table.rows]
    rows.append(["Total"] + [""] * (groups - 1) + [text(table.totals.get(metric)) for metric in table.spec.metrics])
    width = CONTENT_WIDTH / len(columns)
    return data_table([column.title() for column in columns], rows, widths=[width] * len(columns), numeric_from=groups)


def _transaction_cells(table: ReportTable):
    for row in table.transactions():
        yield [
            row["date"].isoformat(), _clip(row["merchant__canonical_name"] or row["merchant_raw"]),
            _clip(row["category__name"] or "", 18), _clip(row["account__name"] or "", 18), money_text(row["amount"]),
        ]


def _clip(text: str, width: int = TEXT_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
