"""Dashboard reads: KPIs, time series, cash flow and the category tree. Each figure is one
aggregate query over the user's live transactions (plus the small category list to name and
classify the groups), cached per user and query (analytics.cache).

Definitions (README "Analytics"): transfers between the user's own accounts, the rows in the
`transfer` category (or a user category under it), count as neither income nor spending.
Income is the sum of amounts in the `income` tree (income, salary, interest, refunds and the
user's categories below them); spending (expenses) is -(sum of amounts) in every other
category, so a refund booked to `shopping` reduces shopping's spend; net = income - expenses."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from analytics.cache import cached_for_user
from analytics.models import AnomalyFinding, Recurrence
from core.exceptions import NotFoundError
from ledger.models import Account, Category, Transaction
from merchants.models import Merchant

INCOME_ROOT = "income"
TRANSFER_ROOT = "transfer"
TOP_COUNT = 5
SERIES_LIMIT = 10
ZERO = Decimal("0")
INTERVALS = ("day", "week", "month")
GROUPS = ("category", "merchant", "account")
UNMATCHED_KEY = "unmatched"
OTHER_KEY = "other"


def money(amount: Decimal | None) -> str:
    return f"{(amount or ZERO):.2f}"


@dataclass(frozen=True)
class Scope:
    """What a dashboard figure covers: the user's rows from `since` to `until` (inclusive),
    optionally one of their accounts."""

    since: datetime.date
    until: datetime.date
    account_id: Any = None

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def params(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat(), "account": str(self.account_id or "")}


# --- categories: classification and names ---------------------------------------------
@dataclass(frozen=True)
class CategoryIndex:
    rows: dict  # id -> {"id", "slug", "name", "parent_id"}
    income_ids: frozenset
    transfer_ids: frozenset

    def name(self, category_id) -> str:
        row = self.rows.get(category_id)
        return row["name"] if row else "Unknown"


def _subtree(rows: dict, root_slug: str) -> frozenset:
    roots = {pk for pk, row in rows.items() if row["slug"] == root_slug}
    members, frontier = set(roots), set(roots)
    while frontier:
        frontier = {pk for pk, row in rows.items() if row["parent_id"] in frontier} - members
        members |= frontier
    return frozenset(members)


def category_index(*, user) -> CategoryIndex:
    """The system categories and the user's own, with the income and transfer subtrees."""
    rows = {
        row["id"]: row
        for row in Category.objects.filter(Q(user__isnull=True) | Q(user=user)).values("id", "slug", "name", "parent_id")
    }
    return CategoryIndex(rows=rows, income_ids=_subtree(rows, INCOME_ROOT), transfer_ids=_subtree(rows, TRANSFER_ROOT))


def _transfer_category_ids(user) -> QuerySet:
    # A subquery, so each figure stays one statement: the transfer category and any below it.
    visible = Q(user__isnull=True) | Q(user=user)
    return Category.objects.filter(visible & (Q(slug=TRANSFER_ROOT) | Q(parent__slug=TRANSFER_ROOT))).values("pk")


def scoped_rows(*, user, since: datetime.date, until: datetime.date, account_id=None) -> QuerySet[Transaction]:
    """The user's live, non-transfer transactions dated since..until (inclusive)."""
    rows = Transaction.objects.filter(user=user, is_deleted=False, date__gte=since, date__lte=until).exclude(
        category_id__in=_transfer_category_ids(user)
    )
    if account_id:
        rows = rows.filter(account_id=account_id)
    return rows


def _merchant_names(ids: Iterable) -> dict:
    ids = [pk for pk in ids if pk is not None]
    return dict(Merchant.objects.filter(pk__in=ids).values_list("pk", "canonical_name")) if ids else {}


# --- summary ----------------------------------------------------------------------------
@dataclass
class _Totals:
    income: Decimal = ZERO
    expenses: Decimal = ZERO
    count: int = 0


def _previous_scope(scope: Scope) -> Scope:
    until = scope.since - datetime.timedelta(days=1)
    return Scope(since=until - datetime.timedelta(days=scope.days - 1), until=until, account_id=scope.account_id)


def _change(current: Decimal, previous: Decimal) -> dict[str, Any]:
    percent = None if previous == 0 else round(float((current - previous) / abs(previous) * 100), 1)
    return {"amount": money(current - previous), "percent": percent}


def summary(*, user, scope: Scope) -> dict[str, Any]:
    """KPIs for the scope, the same for the previous period of equal length, and the change."""
    return cached_for_user(user_id=user.pk, name="summary", params=scope.params(), compute=lambda: _summary(user, scope))


def _summary(user, scope: Scope) -> dict[str, Any]:
    previous_scope = _previous_scope(scope)
    in_current = Q(date__gte=scope.since)
    groups = list(
        scoped_rows(user=user, since=previous_scope.since, until=scope.until, account_id=scope.account_id)
        .values("category_id", "merchant_id")
        .annotate(
            current=Sum("amount", filter=in_current),
            previous=Sum("amount", filter=~in_current),
            # Count a column the covering index holds (not id): PostgreSQL answers from the index.
            current_count=Count("amount", filter=in_current),
            previous_count=Count("amount", filter=~in_current),
        )
        .order_by()
    )
    categories = category_index(user=user)
    current = _period_figures(groups, categories, scope, "current")
    previous = _period_figures(groups, categories, previous_scope, "previous")
    names = _merchant_names(current.pop("_merchant_ids"))
    previous.pop("_merchant_ids")
    for item in current["top_merchants"]:
        item["name"] = names.get(item["id"], "Unknown")
    for key in ("top_categories", "top_merchants"):
        previous.pop(key)
    change = {key: _change(Decimal(current[key]), Decimal(previous[key])) for key in ("income", "expenses", "net")}
    change["transaction_count"] = current["transaction_count"] - previous["transaction_count"]
    return {**current, "previous": previous, "change": change}


def _period_figures(groups: list[dict], categories: CategoryIndex, scope: Scope, column: str) -> dict[str, Any]:
    totals = _Totals()
    by_category: dict = defaultdict(lambda: ZERO)
    by_merchant: dict = defaultdict(lambda: ZERO)
    for group in groups:
        amount = group[column] or ZERO
        totals.count += group[f"{column}_count"]
        if group["category_id"] in categories.income_ids:
            totals.income += amount
            continue
        totals.expenses -= amount
        by_category[group["category_id"]] -= amount
        if group["merchant_id"] is not None:
            by_merchant[group["merchant_id"]] -= amount
    net = totals.income - totals.expenses
    return {
        "since": scope.since.isoformat(),
        "until": scope.until.isoformat(),
        "income": money(totals.income),
        "expenses": money(totals.expenses),
        "net": money(net),
        "savings_rate": round(float(net / totals.income), 4) if totals.income > 0 else None,
        "average_daily_spend": money(totals.expenses / scope.days),
        "transaction_count": totals.count,
        "top_categories": [
            {"id": str(pk), "slug": categories.rows[pk]["slug"], "name": categories.name(pk), "spent": money(spent),
             "share": _share(spent, totals.expenses)}
            for pk, spent in _top(by_category)
        ],
        "top_merchants": [
            {"id": pk, "spent": money(spent), "share": _share(spent, totals.expenses)} for pk, spent in _top(by_merchant)
        ],
        "_merchant_ids": [pk for pk, _ in _top(by_merchant)],
    }


def _top(spend: dict) -> list[tuple]:
    positive = [(pk, amount) for pk, amount in spend.items() if amount > 0]
    return sorted(positive, key=lambda item: (-item[1], str(item[0])))[:TOP_COUNT]


def _share(part: Decimal, whole: Decimal) -> float | None:
    return round(float(part / whole), 4) if whole > 0 else None


# --- buckets ------------------------------------------------------------------------------
TRUNCATE = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def bucket_start(day: datetime.date, interval: str) -> datetime.date:
    if interval == "month":
        return day.replace(day=1)
    if interval == "week":
        return day - datetime.timedelta(days=day.weekday())
    return day


def bucket_starts(scope: Scope, interval: str) -> list[datetime.date]:
    """Every bucket from the one holding `since` to the one holding `until`: gaps filled."""
    starts, current = [], bucket_start(scope.since, interval)
    while current <= scope.until:
        starts.append(current)
        if interval == "month":
            current = (current.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        else:
            current += datetime.timedelta(days=7 if interval == "week" else 1)
    return starts


def bucket_label(start: datetime.date, interval: str) -> str:
    return start.strftime("%Y-%m") if interval == "month" else start.isoformat()


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


# --- time series ----------------------------------------------------------------------------
def timeseries(*, user, scope: Scope, interval: str, group_by: str) -> dict[str, Any]:
    """Spending per bucket and group, chart-ready: {labels, series: [{key, name, values}]}.
    The SERIES_LIMIT largest groups get a series each; the rest are summed into "other"."""
    params = {**scope.params(), "interval": interval, "group_by": group_by}
    return cached_for_user(
        user_id=user.pk, name="timeseries", params=params, compute=lambda: _timeseries(user, scope, interval, group_by)
    )


def _timeseries(user, scope: Scope, interval: str, group_by: str) -> dict[str, Any]:
    field = {"category": "category_id", "merchant": "merchant_id", "account": "account_id"}[group_by]
    categories = category_index(user=user)
    rows = (
        scoped_rows(user=user, since=scope.since, until=scope.until, account_id=scope.account_id)
        .exclude(category_id__in=list(categories.income_ids))
        .annotate(bucket=TRUNCATE[interval]("date"))
        .values("bucket", field)
        .annotate(total=Sum("amount"))
        .order_by()
    )
    starts = bucket_starts(scope, interval)
    position = {start: index for index, start in enumerate(starts)}
    values: dict = defaultdict(lambda: [ZERO] * len(starts))
    for row in rows:
        values[row[field]][position[_as_date(row["bucket"])]] -= row["total"]
    names = _group_names(user, group_by, values.keys(), categories)
    ranked = sorted(values.items(), key=lambda item: (-sum(item[1]), str(item[0])))
    series = [
        {"key": str(key) if key is not None else UNMATCHED_KEY, "name": names.get(key, "Unknown"), "values": [money(v) for v in vals]}
        for key, vals in ranked[:SERIES_LIMIT]
    ]
    if len(ranked) > SERIES_LIMIT:
        other = [sum(column, ZERO) for column in zip(*(vals for _, vals in ranked[SERIES_LIMIT:]), strict=True)]
        series.append({"key": OTHER_KEY, "name": "Other", "values": [money(v) for v in other]})
    return {"interval": interval, "group_by": group_by, "labels": [bucket_label(s, interval) for s in starts], "series": series}


def _group_names(user, group_by: str, keys: Iterable, categories: CategoryIndex) -> dict:
    keys = list(keys)
    if group_by == "category":
        names = {key: categories.name(key) for key in keys}
    elif group_by == "merchant":
        names = _merchant_names(keys)
    else:
        names = dict(Account.objects.filter(user=user, pk__in=[k for k in keys if k]).values_list("pk", "name"))
    names[None] = "Unmatched" if group_by == "merchant" else "No account"
    return names


# --- cash flow ------------------------------------------------------------------------------
def cashflow(*, user, scope: Scope, interval: str) -> dict[str, Any]:
    """Money in, money out, net and the running balance (cumulative net since `since`) per
    bucket, gap-filled. Transfers between own accounts are left out."""
    params = {**scope.params(), "interval": interval}
    return cached_for_user(user_id=user.pk, name="cashflow", params=params, compute=lambda: _cashflow(user, scope, interval))


def _cashflow(user, scope: Scope, interval: str) -> dict[str, Any]:
    rows = (
        scoped_rows(user=user, since=scope.since, until=scope.until, account_id=scope.account_id)
        .annotate(bucket=TRUNCATE[interval]("date"))
        .values("bucket")
        .annotate(inflow=Sum("amount", filter=Q(amount__gt=0)), outflow=Sum("amount", filter=Q(amount__lt=0)))
        .order_by()
    )
    found = {_as_date(row["bucket"]): row for row in rows}
    buckets, balance, total_in, total_out = [], ZERO, ZERO, ZERO
    for start in bucket_starts(scope, interval):
        row = found.get(start, {})
        inflow, outflow = row.get("inflow") or ZERO, -(row.get("outflow") or ZERO)
        balance += inflow - outflow
        total_in, total_out = total_in + inflow, total_out + outflow
        buckets.append({"label": bucket_label(start, interval), "start": start.isoformat(), "in": money(inflow),
                        "out": money(outflow), "net": money(inflow - outflow), "running_balance": money(balance)})
    return {"interval": interval, "since": scope.since.isoformat(), "until": scope.until.isoformat(),
            "total_in": money(total_in), "total_out": money(total_out), "net": money(total_in - total_out), "buckets": buckets}


# --- category tree ----------------------------------------------------------------------------
def category_tree(*, user, scope: Scope) -> dict[str, Any]:
    """Every category with spend (-(sum)) of its own rows and `total` with its children
    rolled up; categories without rows in the scope are left out. Transfers are left out."""
    return cached_for_user(user_id=user.pk, name="categories", params=scope.params(), compute=lambda: _category_tree(user, scope))


def _category_tree(user, scope: Scope) -> dict[str, Any]:
    own = dict(
        scoped_rows(user=user, since=scope.since, until=scope.until, account_id=scope.account_id)
        .values("category_id").annotate(total=Sum("amount")).order_by().values_list("category_id", "total")
    )
    categories = category_index(user=user)
    children = defaultdict(list)
    for pk, row in categories.rows.items():
        children[row["parent_id"]].append(pk)

    def node(pk) -> dict[str, Any] | None:
        kids = [child for child in (node(k) for k in sorted(children[pk], key=lambda k: categories.rows[k]["slug"])) if child]
        spent = -own.get(pk, ZERO)
        total = spent + sum((Decimal(kid["total"]) for kid in kids), ZERO)
        if pk not in own and not kids:
            return None
        row = categories.rows[pk]
        return {"id": str(pk), "slug": row["slug"], "name": row["name"], "is_income": pk in categories.income_ids,
                "spent": money(spent), "total": money(total), "children": kids}

    roots = [n for n in (node(pk) for pk in sorted(children[None], key=lambda k: categories.rows[k]["slug"])) if n]
    spending = sum((Decimal(n["total"]) for n in roots if not n["is_income"]), ZERO)
    return {"since": scope.since.isoformat(), "until": scope.until.isoformat(), "total_spent": money(spending), "categories": roots}


# --- subscriptions and anomalies (lists) ------------------------------------------------------
MONTHLY_FACTOR = {"weekly": Decimal("52") / 12, "fortnightly": Decimal("26") / 12, "monthly": Decimal("1"),
                  "quarterly": Decimal("1") / 3, "yearly": Decimal("1") / 12}


def recurrence_list(*, user, include_dismissed: bool = False) -> QuerySet[Recurrence]:
    rows = Recurrence.objects.filter(user=user)
    if not include_dismissed:
        rows = rows.exclude(review=Recurrence.Review.DISMISSED)
    return rows.order_by("status", "next_expected_date", "name")


def recurrence_get(*, user, recurrence_id) -> Recurrence:
    row = Recurrence.objects.filter(user=user, pk=recurrence_id).first()
    if row is None:
        raise NotFoundError("Subscription not found.")
    return row


def monthly_equivalent(recurrence: Recurrence) -> Decimal:
    """What the charge costs per month, positive (spending)."""
    return (-recurrence.amount_mean * MONTHLY_FACTOR[recurrence.period]).quantize(Decimal("0.01"))


def subscriptions_overview(*, user, include_dismissed: bool = False) -> dict[str, Any]:
    rows = list(recurrence_list(user=user, include_dismissed=include_dismissed))
    total = sum((monthly_equivalent(r) for r in rows if r.status == Recurrence.Status.ACTIVE and r.review != Recurrence.Review.DISMISSED), ZERO)
    return {"count": len(rows), "monthly_total": money(total), "results": rows}


def anomaly_list(*, user, since: datetime.date | None = None, include_expected: bool = False) -> QuerySet:
    rows = AnomalyFinding.objects.filter(user=user, transaction__is_deleted=False)
    if since is not None:
        rows = rows.filter(transaction__date__gte=since)
    if not include_expected:
        rows = rows.exclude(status=AnomalyFinding.Status.EXPECTED)
    return rows.select_related("transaction", "transaction__category").order_by("-transaction__date", "-created_at")


def anomaly_get(*, user, finding_id) -> AnomalyFinding:
    row = AnomalyFinding.objects.filter(user=user, pk=finding_id).select_related("transaction").first()
    if row is None:
        raise NotFoundError("Anomaly not found.")
    return row
