"""PostgreSQL builds the transaction list's page as JSON; Python splices it into the body.

The Python path (`selectors.transaction_rows` + `transaction_to_dict` + DRF's renderer) costs
about 1.2 ms to compile the ORM query and ~40 us a row to load UUIDs, datetimes and JSON and
encode them again: at a page of 50 that is most of a list request. Here the SQL is written
once, the WHERE clause is assembled from the cleaned filters (the same ones
`filters.transaction_filters_apply` turns into ORM filters; tests hold the two paths to the
same rows, order and bytes-in-meaning), and each row comes back as one JSON text.

Output forms match `transaction_to_dict` rendered by DRF: UUIDs as strings, amounts as
NUMERIC(14,2) text, dates YYYY-MM-DD, timestamps ISO 8601 UTC with "Z" and microseconds only
when there are some, `confidence` as stored ({} when empty), merchant null or an object."""

import re
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import connection

from core.sql import prepared_cursor
from ledger.db import SEARCH_COLUMN, SEARCH_HEAD_COLUMN
from ledger.filters import DEFAULT_ORDERING, ORDERING_FIELDS
from ledger.models import SEARCH_CONFIG, Category, Transaction
from merchants.models import Merchant

TRANSACTIONS = Transaction._meta.db_table
CATEGORIES = Category._meta.db_table
MERCHANTS = Merchant._meta.db_table


def _utc_text(column: str) -> str:
    # One to_char and a replace: ~0.8 us a value where to_char for the seconds, a test of
    # the microseconds and a second to_char cost ~1.2 us.
    return f"replace(to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"


def _row_json(*, merchant: str, category: str) -> str:
    return f"""json_build_object(
    'id', t.id,
    'account', t.account_id,
    'date', t.date,
    'amount', t.amount::text,
    'currency', t.currency,
    'merchant_raw', t.merchant_raw,
    'merchant', CASE WHEN t.merchant_id IS NULL THEN NULL ELSE {merchant} END,
    'category', {category},
    'confidence', CASE WHEN t.confidence IS NULL
        OR t.confidence IN ('null'::jsonb, 'false'::jsonb, '0'::jsonb, '""'::jsonb, '[]'::jsonb)
        THEN '{{}}'::jsonb ELSE t.confidence END,
    'source', t.source,
    'note', t.note,
    'anomaly_score', t.anomaly_score,
    'is_deleted', t.is_deleted,
    'import_batch', t.import_batch_id,
    'created_at', {_utc_text("t.created_at")},
    'updated_at', {_utc_text("t.updated_at")}
)::text"""


MERCHANT_JSON = "json_build_object('id', m.id, 'canonical_name', m.canonical_name, 'category', m.category)"
# Over the joins of PAGE_FROM.
ROW_JSON = _row_json(merchant=MERCHANT_JSON, category="c.slug")
# Over a page that is already cut: one primary-key lookup per row, whatever the planner
# expects of the page's size (a generic plan expecting one row scanned the merchants for each).
PAGE_ROW_JSON = _row_json(
    merchant=f"(SELECT {MERCHANT_JSON} FROM {MERCHANTS} m WHERE m.id = t.merchant_id)",  # noqa: S608
    category=f"(SELECT c.slug FROM {CATEGORIES} c WHERE c.id = t.category_id)",  # noqa: S608
)

PAGE_FROM = f"""
FROM {TRANSACTIONS} t
JOIN {CATEGORIES} c ON c.id = t.category_id
LEFT JOIN {MERCHANTS} m ON m.id = t.merchant_id
WHERE """

# Table names come from model metadata; every value is a bound parameter.
CATEGORY_ID = (
    f"(SELECT k.id FROM {CATEGORIES} k WHERE (k.user_id IS NULL OR k.user_id = %s) AND k.slug = %s "  # noqa: S608
    "ORDER BY k.user_id ASC NULLS LAST LIMIT 1)"
)
ORDER_COLUMNS = {field: f"t.{field}" for field in (*ORDERING_FIELDS, "id")}


def transaction_page_json(
    *, user_id, cleaned: Mapping[str, Any], offset: int, limit: int, match_count: int | None = None
) -> list[str]:
    """One page of the user's live transactions matching cleaned filters, as JSON texts.
    `match_count` is the filter's total when the caller has it without a query: only then
    may a full-text page try the covering index first (it may take a second statement).

    Prepared once per connection (core.sql) and, for PostgreSQL to settle on one generic plan
    instead of planning every execution (~0.3 ms), LIMIT is written into the text (a
    parameter there is costed as 10% of the rows, which makes the generic plan look worse
    than any custom one) and OFFSET only appears past the first page. A full-text page first
    tries the newest rows through the covering date index (prepared; see SEARCH_WINDOW_ROWS);
    otherwise it is planned on every run: how rare the searched word is decides between
    walking the date index and reading the GIN index, and a generic plan cannot know it."""
    if _searches_recent_rows(cleaned, offset=offset, limit=limit, match_count=match_count):
        rows = _search_window_page(user_id=user_id, cleaned=cleaned, offset=offset, limit=limit)
        if len(rows) == limit:
            return rows
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
PAGE_COLUMNS = ", ".join(
    f"t.{column}" for column in (
        "id", "account_id", "date", "amount", "currency", "merchant_raw", "merchant_id", "category_id", "confidence",
        "source", "note", "anomaly_score", "is_deleted", "import_batch_id", "created_at", "updated_at",
    )
)
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
    """The tsquery text for `q`: every word as a prefix, all required; "" when there is none."""
    return " & ".join(f"{word}:*" for word in re.findall(r"\w+", (cleaned.get("q") or "").strip()))


def _where(user_id, cleaned: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    where, params = ["t.user_id = %s", "NOT t.is_deleted"], [user_id]
    for name, condition in (
        ("since", "t.date >= %s"), ("until", "t.date <= %s"), ("account", "t.account_id = %s"),
        ("min_amount", "t.amount >= %s"), ("max_amount", "t.amount <= %s"),
    ):
        if cleaned.get(name) is not None:
            where.append(condition)
            params.append(cleaned[name])
    if cleaned.get("source"):
        where.append("t.source = %s")
        params.append(cleaned["source"])
    slugs = list(dict.fromkeys(slug.strip() for slug in (cleaned.get("category") or "").split(",") if slug.strip()))
    if slugs:
        where.append("(" + " OR ".join(f"t.category_id = {CATEGORY_ID}" for _ in slugs) + ")")
        for slug in slugs:
            params += [user_id, slug]
    if cleaned.get("merchant"):
        _merchant(cleaned["merchant"], where, params)
    if (cleaned.get("q") or "").strip():
        query = _search_query(cleaned)
        if query:
            # The stored document with the GIN index on it (ledger.db, migration 0007).
            where.append(f"t.{SEARCH_COLUMN} @@ to_tsquery('{SEARCH_CONFIG}'::regconfig, %s)")
            params.append(query)
        else:
            where.append("FALSE")
    return where, params


def _merchant(value: str, where: list[str], params: list[Any]) -> None:
    try:
        merchant_id = uuid.UUID(value)
    except ValueError:
        pattern = "%" + connection.ops.prep_for_like_query(value) + "%"
        where.append("(UPPER(m.canonical_name::text) LIKE UPPER(%s) OR UPPER(t.merchant_raw::text) LIKE UPPER(%s))")
        params += [pattern, pattern]
    else:
        where.append("t.merchant_id = %s")
        params.append(merchant_id)


def _order(cleaned: Mapping[str, Any]) -> str:
    ordering = [part for part in cleaned.get("ordering") or () if part] or DEFAULT_ORDERING
    return ", ".join(
        f"{ORDER_COLUMNS[part.lstrip('-')]} DESC" if part.startswith("-") else f"{ORDER_COLUMNS[part]} ASC"
        for part in ordering
    )
