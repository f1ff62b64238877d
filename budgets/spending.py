"""Spending of budgets, all of a user's budgets in one statement.

A budget's spending is -(sum of amounts) of the owner's live transactions in its category or
any category below it, dated within its period (refunds, being positive, reduce it). Its
suggestion reads the same subtree's spending over the last 90 days.

One SQL statement, written by hand because a category's subtree is a recursive query
(`WITH RECURSIVE`, on PostgreSQL and SQLite alike), which the ORM cannot say:
- `subtree` pairs every budgeted category with itself and each category below it (the
  user's own and the system's; UNION, so even a cycle of user categories ends);
- each (budget, subtree category) pair sums its period with one range read of the
  (category, user, date) index, as a correlated subquery: a per-budget index range, not a
  scan of every date any budget covers;
- `recent` sums the last 90 days per category in one range read of the (user, date)
  index, joined in once (not once per budget).
On PostgreSQL the statement runs with JIT and parallel workers off (for it alone): its cost
estimate at a million rows passes `jit_above_cost`, and compiling it took ~450-750 ms against
~100 ms of execution; see _PLANNER_SETTINGS for the workers."""

import datetime
import functools
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from budgets.models import Budget
from core.money import CENT
from ledger.models import Category, Transaction


@dataclass(frozen=True)
class BudgetSpending:
    """One budget with what was spent in its period and in its category over the recent
    window (None: no transactions at all in it)."""

    id: uuid.UUID
    user_id: uuid.UUID
    category_id: uuid.UUID
    category: str
    amount: Decimal
    period: str
    start_date: datetime.date
    end_date: datetime.date
    auto_renew: bool
    alert_level: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    spent: Decimal
    recent_spending: Decimal | None


_COLUMNS = (
    "id", "user_id", "category_id", "amount", "period", "start_date", "end_date", "auto_renew", "alert_level",
    "created_at", "updated_at",
)

_SQL = """
WITH RECURSIVE subtree (root_id, category_id) AS (
    SELECT DISTINCT b.category_id, b.category_id FROM {budget} b WHERE b.user_id = %(user)s{where}
    UNION
    SELECT s.root_id, c.id FROM {category} c JOIN subtree s ON c.parent_id = s.category_id
    WHERE c.user_id IS NULL OR c.user_id = %(user)s
),
{recent},
parts (budget_id, period_total, recent_total) AS (
    SELECT b.id,
        (SELECT SUM(t.amount) FROM {transaction} t
         WHERE t.category_id = s.category_id AND t.user_id = b.user_id AND t.is_deleted = %(deleted)s
           AND t.date >= b.start_date AND t.date <= b.end_date),
        r.total
    FROM {budget} b
    JOIN subtree s ON s.root_id = b.category_id
    LEFT JOIN recent r ON r.category_id = s.category_id
    WHERE b.user_id = %(user)s{where}
)
SELECT {columns}, c.slug, SUM(p.period_total), SUM(p.recent_total), COUNT(p.recent_total)
FROM {budget} b
JOIN {category} c ON c.id = b.category_id
JOIN parts p ON p.budget_id = b.id
WHERE b.user_id = %(user)s{where}
GROUP BY b.id, c.id
ORDER BY b.start_date, c.slug, b.id
"""


# The suggestion's window: the last 90 days, today included.
RECENT_DAYS = 90
_RECENT = """recent (category_id, total) AS {materialized}(
    SELECT t.category_id, SUM(t.amount) FROM {transaction} t
    WHERE t.user_id = %(user)s AND t.is_deleted = %(deleted)s AND t.date >= %(since)s AND t.date <= %(until)s
    GROUP BY t.category_id
)"""
# Without suggestions (alert evaluation, renewal) the recent window is not read at all.
_NO_RECENT = "recent (category_id, total) AS (SELECT category_id, amount FROM {transaction} WHERE 1 = 0)"
_FILTERS = {
    "budget": " AND b.id = %(budget)s",
    "ending_since": " AND b.end_date >= %(ending_since)s",
    "overlapping": " AND b.start_date <= %(overlap_until)s AND b.end_date >= %(overlap_since)s",
}


# For this statement only (set_config(..., true) lasts until the transaction ends): no JIT,
# and no parallel workers, which made the 90-day window a parallel scan of the whole table
# (~690-1200 ms on the contended 2-core host) instead of a bitmap read of its dates (~350-530 ms).
_PLANNER_SETTINGS = "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"


@functools.cache
def _statement(vendor: str, with_recent: bool, filters: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    tables = {
        "budget": quote(Budget._meta.db_table),
        "category": quote(Category._meta.db_table),
        "transaction": quote(Transaction._meta.db_table),
    }
    # Computed once, not once per budget: without MATERIALIZED, PostgreSQL may inline it into
    # a nested loop (it did, with no statistics on a fresh budgets table: 40 s, not 0.1 s).
    materialized = "MATERIALIZED " if vendor == "postgresql" else ""
    recent = (_RECENT if with_recent else _NO_RECENT).format(materialized=materialized, **tables)
    return _SQL.format(
        **tables,
        recent=recent,
        columns=", ".join(f"b.{quote(column)}" for column in _COLUMNS),
        where="".join(_FILTERS[name] for name in filters),
    )


def budget_spending(
    *,
    user_id,
    today: datetime.date,
    with_recent: bool = True,
    budget_id=None,
    ending_since: datetime.date | None = None,
    overlapping: tuple[datetime.date, datetime.date] | None = None,
) -> list[BudgetSpending]:
    """The user's budgets with their spending, in one statement, ordered by start date and
    category: all of them, or only `budget_id`, those ending on or after `ending_since`, those
    whose period shares a day with `overlapping` (since, until). With `with_recent`, each also
    carries its category's spending over the 90 days to `today` (None: no rows at all)."""
    operations = connection.ops
    uuid_field = Budget._meta.pk
    params: dict[str, Any] = {"user": uuid_field.get_db_prep_value(_as_uuid(user_id), connection), "deleted": False}
    if with_recent:
        params["since"] = operations.adapt_datefield_value(today - datetime.timedelta(days=RECENT_DAYS - 1))
        params["until"] = operations.adapt_datefield_value(today)
    filters = []
    if budget_id is not None:
        filters.append("budget")
        params["budget"] = uuid_field.get_db_prep_value(_as_uuid(budget_id), connection)
    if ending_since is not None:
        filters.append("ending_since")
        params["ending_since"] = operations.adapt_datefield_value(ending_since)
    if overlapping is not None:
        filters.append("overlapping")
        params["overlap_since"] = operations.adapt_datefield_value(overlapping[0])
        params["overlap_until"] = operations.adapt_datefield_value(overlapping[1])
    sql = _statement(connection.vendor, with_recent, tuple(filters))
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [_row(row) for row in cursor.fetchall()]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_PLANNER_SETTINGS)
        cursor.execute(sql, params)
        return [_row(row) for row in cursor.fetchall()]


def _as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _row(row: tuple) -> BudgetSpending:
    values = dict(zip(_COLUMNS, row[: len(_COLUMNS)], strict=True))
    slug, period_total, recent_total, recent_rows = row[len(_COLUMNS) :]
    fields = {column: _convert(column, value) for column, value in values.items()}
    return BudgetSpending(
        **fields,
        category=slug,
        spent=-_money(period_total or 0),
        recent_spending=-_money(recent_total) if recent_rows else None,
    )


def _convert(column: str, value):
    """Raw values as the ORM would load them (SQLite hands back UUIDs as hex text, dates,
    times and decimals as text or floats)."""
    field = Budget._meta.get_field(column)
    expression = field.get_col(Budget._meta.db_table)
    for converter in connection.ops.get_db_converters(expression) + field.get_db_converters(connection):
        value = converter(value, expression, connection)
    if column in ("id", "user_id", "category_id"):
        return _as_uuid(value)
    if column == "amount":
        return _money(value)
    return value


def _money(value) -> Decimal:
    # SQLite sums NUMERIC columns as floats: their shortest repr is the cents they came from.
    return Decimal(str(value)).quantize(CENT)
