"""The list page built as JSON by PostgreSQL (decision 0001; ledger.fast_paths chooses it).

Both the row's JSON (`transaction_fields.json_object_sql`) and the WHERE clause (each
filter's `sql` in `filters.LIST_FILTERS`) derive from the same declarations as the ORM path,
and tests hold the two paths to the same rows, order and values. Invariant: a row's JSON
equals `transaction_fields.row_to_api` rendered by DRF (UUIDs as strings, amounts as
NUMERIC(14,2) text, dates YYYY-MM-DD, timestamps ISO 8601 UTC with "Z")."""

from collections.abc import Mapping
from typing import Any

from django.db import connection

from core.sql import prepared_cursor
from ledger.db import SEARCH_COLUMN, SEARCH_HEAD_COLUMN
from ledger.filters import ORDERING_FIELDS, ordering, present, search_query
from ledger.models import SEARCH_CONFIG, Category, Transaction
from ledger.transaction_fields import TABLE_COLUMNS, json_object_sql
from merchants.models import Merchant

TRANSACTIONS = Transaction._meta.db_table
CATEGORIES = Category._meta.db_table
MERCHANTS = Merchant._meta.db_table


MERCHANT_JSON = "json_build_object('id', m.id, 'canonical_name', m.canonical_name, 'category', m.category)"
# Over the joins of PAGE_FROM.
ROW_JSON = json_object_sql(merchant=MERCHANT_JSON, category="c.slug")
# Over a page that is already cut: one primary-key lookup per row, whatever the planner
# expects of the page's size (a generic plan expecting one row scanned the merchants for each).
PAGE_ROW_JSON = json_object_sql(
    merchant=f"(SELECT {MERCHANT_JSON} FROM {MERCHANTS} m WHERE m.id = t.merchant_id)",  # noqa: S608
    category=f"(SELECT c.slug FROM {CATEGORIES} c WHERE c.id = t.category_id)",  # noqa: S608
)

PAGE_FROM = f"""
FROM {TRANSACTIONS} t
JOIN {CATEGORIES} c ON c.id = t.category_id
LEFT JOIN {MERCHANTS} m ON m.id = t.merchant_id
WHERE """

ORDER_COLUMNS = {field: f"t.{field}" for field in (*ORDERING_FIELDS, "id")}


def transaction_page_json(
    *, user_id, cleaned: Mapping[str, Any], offset: int, limit: int, match_count: int | None = None
) -> list[str]:
    """One page of the user's live transactions matching cleaned filters, as JSON texts.
    `match_count` is the filter's total when the caller has it without a query: only then
    may a full-text page try the covering index first (it may take a second statement).

    Prepared once per connection (core.sql) and, for PostgreSQL to settle on one generic plan
    instead of planning every execution, LIMIT is written into the text (a
    parameter there is costed as 10% of the rows, which makes the generic plan look worse
    than any custom one) and OFFSET only appears past the first page. A full-text page first
    tries the newest rows through the covering date index (prepared; see SEARCH_WINDOW_ROWS);
    otherwise it is planned on every run: how rare the searched word is decides between
    walking the date index and reading the GIN index, and a generic plan cannot know it."""
    if _searches_recent_rows(cleaned, offset=offset, limit=limit, match_count=match_count):
        rows = _search_window_page(user_id=user_id, cleaned=cleaned, offset=offset, limit=limit)
        if len(rows) == limit:
            return rows
    return _planned_page(user_id=user_id, cleaned=cleaned, offset=offset, limit=limit)


def _planned_page(*, user_id, cleaned: Mapping[str, Any], offset: int, limit: int) -> list[str]:
    where, params = _where(user_id, cleaned)
    sql = f"SELECT {ROW_JSON}{PAGE_FROM}{' AND '.join(where)} ORDER BY {_order(cleaned)} LIMIT {int(limit):d}"
    if offset:
        sql += " OFFSET %s"
        params.append(offset)
    searching = bool((cleaned.get("q") or "").strip())
    with connection.cursor() if searching else prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


# A full-text page first reads the newest SEARCH_WINDOW_ROWS rows from the date index, which
# carries each short row's stripped document (ledger.db, migration 0010): no table page is read
# until a row matches, and the statement, whose plan does not depend on the word, is prepared
# once per connection. When the window holds a whole page, those are exactly the page's rows
# (every match inside it comes before every match outside it); when it does not, the word is
# rare here and the planned query below answers from the GIN index. A word known to match few
# rows (the cached count) goes there directly, and so do pages whose count is not cached, deep
# pages and other filters.
SEARCH_WINDOW_ROWS = 10_000
SEARCH_WINDOW_LAST_ROW = 500
SEARCH_FEW_MATCHES = 2_000
WINDOW_FILTERS = frozenset({"q", "since", "until", "ordering"})
# Table names come from model metadata; every value is a bound parameter. The tsquery is
# built once per execution (an InitPlan), not once per row as a parameter of a generic plan.
# The page is cut (ORDER BY ... LIMIT) in a subquery of the window and the row only, and the
# output's category and merchant are looked up after it, so PostgreSQL cannot put a join in
# front of the ordered walk (the generic plan expects a handful of matches: it did, and then
# sorted the whole window).
PAGE_COLUMNS = ", ".join(f"t.{column}" for column in TABLE_COLUMNS)
SEARCH_WINDOW_SELECT = f"""WITH search AS MATERIALIZED (SELECT to_tsquery('{SEARCH_CONFIG}'::regconfig, %s) AS query)
SELECT {PAGE_ROW_JSON}
FROM (
    SELECT {PAGE_COLUMNS} FROM (
        SELECT s.id, s.date, s.created_at, s.{SEARCH_HEAD_COLUMN} AS head FROM {TRANSACTIONS} s
        WHERE s.user_id = %s AND NOT s.is_deleted"""  # noqa: S608
SEARCH_WINDOW_ORDER = """
        ORDER BY s.date DESC, s.created_at DESC, s.id DESC LIMIT """
SEARCH_WINDOW_MATCH = f"""
    ) w
    JOIN {TRANSACTIONS} t ON t.id = w.id
    WHERE (w.head @@ (SELECT query FROM search) OR w.head IS NULL)
      AND (w.head @@ (SELECT query FROM search) OR t.{SEARCH_COLUMN} @@ (SELECT query FROM search))
    ORDER BY w.date DESC, w.created_at DESC, w.id DESC LIMIT """  # noqa: S608
SEARCH_WINDOW_OUTPUT = """
) t
ORDER BY t.date DESC, t.created_at DESC, t.id DESC"""


def _searches_recent_rows(cleaned: Mapping[str, Any], *, offset: int, limit: int, match_count: int | None) -> bool:
    if not _search_query(cleaned) or offset + limit > SEARCH_WINDOW_LAST_ROW:
        return False
    if match_count is None or match_count <= SEARCH_FEW_MATCHES:
        return False
    if any(value not in (None, "", []) for name, value in cleaned.items() if name not in WINDOW_FILTERS):
        return False
    # Only the default order: the window is walked (-date, -created_at, -id), which no
    # `ordering` value spells (it takes no id).
    return not [part for part in cleaned.get("ordering") or () if part]


def _search_window_page(*, user_id, cleaned: Mapping[str, Any], offset: int, limit: int) -> list[str]:
    dates, params = "", [_search_query(cleaned), user_id]
    for name, condition in (("since", " AND s.date >= %s"), ("until", " AND s.date <= %s")):
        if cleaned.get(name) is not None:
            dates += condition
            params.append(cleaned[name])
    sql = f"{SEARCH_WINDOW_SELECT}{dates}{SEARCH_WINDOW_ORDER}{SEARCH_WINDOW_ROWS:d}{SEARCH_WINDOW_MATCH}{int(limit):d}"
    if offset:
        sql += " OFFSET %s"
        params.append(offset)
    sql += SEARCH_WINDOW_OUTPUT
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _search_query(cleaned: Mapping[str, Any]) -> str:
    return search_query(cleaned.get("q") or "")


def _where(user_id, cleaned: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    where, params = ["t.user_id = %s", "NOT t.is_deleted"], [user_id]
    for item, value in present(cleaned):
        condition, values = item.sql(value, user_id)
        where.append(condition)
        params += values
    return where, params


def _order(cleaned: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{ORDER_COLUMNS[part.lstrip('-')]} DESC" if part.startswith("-") else f"{ORDER_COLUMNS[part]} ASC"
        for part in ordering(cleaned)
    )
