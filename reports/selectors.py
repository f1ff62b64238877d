"""Reads for reports: the grouped table (one GROUP BY query), the chart series and the
transaction rows the file renderers stream. Every query starts from
`ledger.selectors.transaction_list(user=..., filters=...)`, so a report sees exactly the
rows the transaction list shows for the same filters."""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Count, DateField, DecimalField, F, Func, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter, TruncWeek, TruncYear
from django.utils import timezone

from core.exceptions import NotFoundError
from ledger.models import Account, Category
from ledger.selectors import transaction_list
from reports.models import GeneratedReport, ReportDefinition, ReportSchedule
from reports.spec import TIME_GROUPINGS, ReportSpec

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)
TRANSACTION_FIELDS = (
    "id", "date", "amount", "currency", "merchant_raw", "merchant__canonical_name", "category__slug",
    "category__name", "category__parent__name", "account_id", "account__name", "account__kind", "note",
)
# A period this long or shorter is charted day by day (the month's running net); longer ones
# by month.
DAILY_SERIES_MAX_DAYS = 62

_GROUP_EXPRESSIONS = {
    "day": F("date"),
    "week": TruncWeek("date"),
    "month": TruncMonth("date"),
    "quarter": TruncQuarter("date"),
    "year": TruncYear("date"),
    "category": F("category_id"),
    "merchant": Coalesce(F("merchant__canonical_name"), F("merchant_raw")),
    "account": F("account_id"),
}
_AGGREGATES = {
    "sum": lambda: Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY),
    "count": lambda: Count("id"),
    "min": lambda: Min("amount"),
    "max": lambda: Max("amount"),
    "income": lambda: Coalesce(Sum("amount", filter=Q(amount__gt=0)), Value(ZERO), output_field=MONEY),
    "outflow": lambda: Coalesce(Sum("amount", filter=Q(amount__lt=0)), Value(ZERO), output_field=MONEY),
    # The rows' first and last dates ride along, so the period needs no second scan.
    "first": lambda: Min("date"),
    "last": lambda: Max("date"),
}


@dataclass
class ReportTable:
    """What every renderer receives: the grouped rows plus lazily computed extras (charts,
    transactions) so a CSV of the table never pays for what only the PDF draws."""

    user: Any
    spec: ReportSpec
    queryset: QuerySet
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    bounds: tuple[datetime.date | None, datetime.date | None] = (None, None)
    generated_at: datetime.datetime = field(default_factory=timezone.now)

    @property
    def name(self) -> str:
        return self.spec.name or "Ledgerline report"

    @property
    def currency(self) -> str:
        return self.user.base_currency

    @property
    def columns(self) -> list[str]:
        return [*self.spec.group_by, *self.spec.metrics]

    @cached_property
    def period(self) -> tuple[datetime.date | None, datetime.date | None]:
        """The filters' since/until, or else the first and last dates of the matching rows."""
        since, until = _filter_date(self.spec.filters.get("since")), _filter_date(self.spec.filters.get("until"))
        return since or self.bounds[0], until or self.bounds[1]

    def period_label(self) -> str:
        since, until = self.period
        if since is None:
            return "no transactions"
        return f"{since.isoformat()} to {until.isoformat()}"

    def transactions(self) -> Iterator[dict[str, Any]]:
        """Matching rows oldest first, streamed from the database in chunks."""
        queryset = self.queryset.order_by("date", "created_at", "id").values(*TRANSACTION_FIELDS)
        yield from queryset.iterator(chunk_size=2000)

    @cached_property
    def kpis(self) -> dict[str, Any]:
        row = self.queryset.order_by().aggregate(
            income=_AGGREGATES["income"](), outflow=_AGGREGATES["outflow"](), count=Count("id")
        )
        income, outflow = money(row["income"]), money(row["outflow"])
        return {"income": income, "expenses": ZERO - outflow, "net": income + outflow, "count": row["count"]}

    @cached_property
    def spending_by_category(self) -> list[tuple[str, Decimal]]:
        """(category name, spending) largest first; spending = -(sum of amounts), so refunds
        reduce it and a category with net money in is left out."""
        rows = self.queryset.order_by().values("category_id").annotate(total=Sum("amount"))
        names = _category_names({row["category_id"] for row in rows})
        spending = [(names.get(row["category_id"], "?"), ZERO - money(row["total"])) for row in rows if row["total"] < 0]
        return sorted(spending, key=lambda item: (-item[1], item[0]))

    @cached_property
    def category_totals(self) -> list[tuple[str, int, Decimal]]:
        """(category slug, count, sum of amounts) per category, one query."""
        rows = self.queryset.order_by().values("category__slug").annotate(count=Count("id"), total=Sum("amount"))
        return [(row["category__slug"], row["count"], money(row["total"])) for row in rows]

    @cached_property
    def net_series(self) -> tuple[str, list[tuple[datetime.date, Decimal]]]:
        """('daily', running net per day) for a month-sized period, else ('monthly', net per month)."""
        since, until = self.period
        if since is None:
            return "daily", []
        if (until - since).days <= DAILY_SERIES_MAX_DAYS:
            per_day = dict(self.queryset.order_by().values_list("date").annotate(total=Sum("amount")))
            running, points, day = ZERO, [], since
            while day <= until:
                running += money(per_day.get(day, ZERO))
                points.append((day, running))
                day += datetime.timedelta(days=1)
            return "daily", points
        per_month = self.queryset.order_by().annotate(month=TruncMonth("date")).values_list("month")
        totals = per_month.annotate(total=Sum("amount"))
        return "monthly", sorted((_as_date(month), money(total)) for month, total in totals)


def report_table(*, user, spec: ReportSpec) -> ReportTable:
    """The grouped table for `spec` over the user's matching transactions: one query."""
    queryset = transaction_list(user=user, filters={**spec.filters, "ordering": ""})
    rows, totals, bounds = _grouped_rows(queryset, spec)
    return ReportTable(user=user, spec=spec, queryset=queryset, rows=rows, totals=totals, bounds=bounds)


def _group_expression(name: str, queryset: QuerySet):
    """PostgreSQL resolves DATE_TRUNC(kind, <date>) to its timestamptz variant, casting every
    row's date through the session time zone; on a plain timestamp the same truncation costs
    less (docs/decisions/reports-date-trunc.md). Same values: the bank date has no time zone."""
    if (
        name in _PLAIN_TRUNC_KINDS and settings.REPORTS_PG_PLAIN_DATE_TRUNC
        and connections[queryset.db].vendor == "postgresql"
    ):
        template = f"DATE_TRUNC('{_PLAIN_TRUNC_KINDS[name]}', %(expressions)s::timestamp)::date"
        return Func(F("date"), template=template, output_field=DateField())
    return _GROUP_EXPRESSIONS[name]


_PLAIN_TRUNC_KINDS = {"week": "week", "month": "month", "quarter": "quarter", "year": "year"}


def _grouped_rows(queryset: QuerySet, spec: ReportSpec) -> tuple[list[dict[str, Any]], dict[str, Any], tuple]:
    aliases = {f"g_{name}": _group_expression(name, queryset) for name in spec.group_by}
    needed = {"sum", "count", "first", "last"} | _needed_aggregates(spec)
    aggregates = {f"m_{name}": _AGGREGATES[name]() for name in sorted(needed)}
    base = queryset.order_by()
    if aliases:
        raw = list(base.annotate(**aliases).values(*aliases).annotate(**aggregates).order_by(*aliases))
    else:
        raw = [item for item in [base.aggregate(**aggregates)] if item["m_count"]]
    labels = _labellers(spec, raw)
    rows = []
    for item in raw:
        row = {name: labels[name](item[f"g_{name}"]) for name in spec.group_by}
        row.update(_metric_values(item, spec.metrics))
        rows.append(row)
    # By label: dates and periods are ISO-like text, categories by slug, accounts by name.
    rows.sort(key=lambda row: tuple(row[name] for name in spec.group_by))
    combined = _combined(raw, needed)
    return rows, _metric_values(combined, spec.metrics), (combined["m_first"], combined["m_last"])


def _combined(raw: list[dict[str, Any]], needed: set[str]) -> dict[str, Any]:
    """The aggregates of all rows together, from the groups' aggregates (no second query)."""
    combined: dict[str, Any] = {}
    for name in needed:
        values = [item[f"m_{name}"] for item in raw if item[f"m_{name}"] is not None]
        if name in ("min", "first"):
            combined[f"m_{name}"] = min(values) if values else None
        elif name in ("max", "last"):
            combined[f"m_{name}"] = max(values) if values else None
        elif name == "count":
            combined["m_count"] = sum(values)
        else:
            combined[f"m_{name}"] = sum(values, ZERO)
    return combined


def _needed_aggregates(spec: ReportSpec) -> set[str]:
    needed = set()
    for metric in spec.metrics:
        if metric in ("income", "net"):
            needed.add("income")
        if metric in ("expenses", "net"):
            needed.add("outflow")
        if metric in ("min", "max"):
            needed.add(metric)
    return needed


def _metric_values(item: dict[str, Any], metrics: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for metric in metrics:
        if metric == "average":
            values[metric] = _average(item["m_sum"], item["m_count"])
        elif metric == "expenses":
            values[metric] = money(ZERO - item["m_outflow"])
        elif metric == "net":
            values[metric] = money(item["m_income"] + item["m_outflow"])
        elif metric == "count":
            values[metric] = item["m_count"]
        else:
            values[metric] = money(item[f"m_{metric}"])
    return values


def money(value: Decimal | None) -> Decimal | None:
    """Two decimal places. SQLite hands sums back as floats turned Decimal (-12.4000000000000,
    or 0.30000000000000004): quantizing restores the cents exactly."""
    return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _average(total: Decimal, count: int) -> Decimal | None:
    # In Python, not AVG(): SQLite's AVG is a float; this is exact and rounds half up to the cent.
    return (Decimal(total) / count).quantize(CENT, rounding=ROUND_HALF_UP) if count else None


def _labellers(spec: ReportSpec, raw: list[dict[str, Any]]) -> dict[str, Any]:
    labels: dict[str, Any] = {}
    for name in spec.group_by:
        if name in TIME_GROUPINGS:
            labels[name] = _TIME_LABELS[name]
        elif name == "category":
            names = _category_slugs({item["g_category"] for item in raw})
            labels[name] = lambda value, names=names: names.get(value, "?")
        elif name == "account":
            accounts = dict(Account.objects.filter(id__in={item["g_account"] for item in raw}).values_list("id", "name"))
            labels[name] = lambda value, accounts=accounts: accounts.get(value, "(no account)")
        else:
            labels[name] = lambda value: value or "(unknown)"
    return labels


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


_TIME_LABELS = {
    "day": lambda value: _as_date(value).isoformat(),
    "week": lambda value: _as_date(value).isoformat(),
    "month": lambda value: _as_date(value).strftime("%Y-%m"),
    "quarter": lambda value: f"{_as_date(value).year}-Q{(_as_date(value).month - 1) // 3 + 1}",
    "year": lambda value: str(_as_date(value).year),
}


def _category_slugs(ids: set) -> dict[Any, str]:
    return dict(Category.objects.filter(id__in=ids).values_list("id", "slug"))


def _category_names(ids: set) -> dict[Any, str]:
    return dict(Category.objects.filter(id__in=ids).values_list("id", "name"))


def _filter_date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def category_names_by_slug(*, user) -> dict[str, str]:
    queryset = Category.objects.filter(Q(user__isnull=True) | Q(user=user)).values_list("slug", "name")
    return dict(queryset)


# --- stored objects --------------------------------------------------------------------
def generated_report_list(*, user) -> QuerySet[GeneratedReport]:
    return GeneratedReport.objects.filter(user=user)


def generated_report_get(*, user, report_id) -> GeneratedReport:
    report = GeneratedReport.objects.filter(user=user, pk=report_id).first()
    if report is None:
        raise NotFoundError("Report not found.")
    return report


def generated_report_is_expired(report: GeneratedReport) -> bool:
    return report.expires_at <= timezone.now()


def report_definition_list(*, user) -> QuerySet[ReportDefinition]:
    return ReportDefinition.objects.filter(user=user)


def report_definition_get(*, user, definition_id) -> ReportDefinition:
    definition = ReportDefinition.objects.filter(user=user, pk=definition_id).first()
    if definition is None:
        raise NotFoundError("Report definition not found.")
    return definition


def report_schedule_list(*, user) -> QuerySet[ReportSchedule]:
    return ReportSchedule.objects.filter(user=user)


def report_schedule_get(*, user, schedule_id) -> ReportSchedule:
    schedule = ReportSchedule.objects.filter(user=user, pk=schedule_id).first()
    if schedule is None:
        raise NotFoundError("Report schedule not found.")
    return schedule


def report_retention() -> datetime.timedelta:
    return datetime.timedelta(days=settings.REPORT_RETENTION_DAYS)
