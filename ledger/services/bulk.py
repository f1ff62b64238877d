"""Many transactions into one category at once: by ids or by a list filter.

Two implementations with one outcome (tests hold them to it); ledger.fast_paths chooses:
the portable one locks the rows and updates them through the ORM; the PostgreSQL one
(docs/decisions/0005-sql-bulk-categorise.md) reads the scope with each row's address and
updates by address with array parameters."""

import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from core.exceptions import NotFoundError
from core.sql import array_literal
from ledger import fast_paths, selectors
from ledger.db import TIME_ORDERED_UUID_SQL
from ledger.models import Category, Transaction, UserCorrection
from ledger.services.common import USER_CONFIDENCE, invalid, learn, notify, resolve_category
from merchants.services import normalise_descriptor

BULK_MAX_IDS = 10_000
BULK_MAX_FILTER_ROWS = 100_000


class ChangedRow(NamedTuple):
    """A transaction the bulk change moved, as it was before."""

    id: Any
    old_category_id: Any
    date: datetime.date
    merchant_raw: str
    merchant_id: Any


class ScopeRow(NamedTuple):
    """A row of BULK_SCOPE_SQL: a candidate for the change, with its physical address."""

    address: str
    id: str
    category_id: str
    date: datetime.date
    merchant_raw: str
    merchant_id: str | None

    def changed(self) -> ChangedRow:
        return ChangedRow(self.id, self.category_id, self.date, self.merchant_raw, self.merchant_id)


@transaction.atomic
def transactions_bulk_categorise(
    *, user, category: str, ids: Sequence | None = None, filters: Mapping[str, Any] | None = None, reason: str = "bulk"
) -> int:
    """Put many transactions (listed ids, or everything a list filter matches) into one
    category. All or nothing: an unknown id changes nothing. One UPDATE statement, one
    correction row per changed transaction (bulk-inserted), rules learned for each descriptor.
    Returns how many rows changed."""
    target = resolve_category(user=user, slug=category)
    now = timezone.now()
    if fast_paths.sql_bulk_categorise():
        changed, descriptors = _update_by_address(user=user, target=target, ids=ids, filters=filters, now=now)
    else:
        changed = _update_portable(user=user, target=target, ids=ids, filters=filters, now=now)
        descriptors = normalised(row.merchant_raw for row in changed)
    if not changed:
        return 0
    _record_corrections(target=target, changed=changed, descriptors=descriptors, reason=reason[:255], now=now)
    learn(user=user, keyed_rows={(descriptors[row.merchant_raw], row.merchant_id) for row in changed}, category=target)
    notify(
        user=user, action="categorized", category_ids={target.pk, *(row.old_category_id for row in changed)},
        dates={row.date for row in changed}, ids=[row.id for row in changed],
    )
    return len(changed)


def normalised(texts: Iterable[str]) -> dict[str, str]:
    """Each distinct raw descriptor -> its normalised form (merchants.services)."""
    return {text: normalise_descriptor(text) for text in set(texts)}


# --- the portable path ----------------------------------------------------------------------
def _update_portable(*, user, target: Category, ids, filters, now) -> list[ChangedRow]:
    scope = _orm_scope(user=user, ids=ids, filters=filters)
    # Lock the rows about to change so the corrections match what the UPDATE did.
    changed = [
        ChangedRow(*row)
        # OF self: a merchant-name filter outer-joins merchants, whose side cannot be locked.
        for row in scope.exclude(category=target).select_for_update(of=("self",)).order_by()
        .values_list("id", "category_id", "date", "merchant_raw", "merchant_id")
    ]
    if changed:
        Transaction.objects.filter(pk__in=[row.id for row in changed]).update(
            category=target, confidence=_confidence_becomes_user(), updated_at=now
        )
    return changed


def _confidence_becomes_user() -> RawSQL:
    # Keep each row's merchant confidence; overwrite category and method in the same statement.
    patch = json.dumps(USER_CONFIDENCE)
    if fast_paths.json_partial_update() == "postgresql":
        return RawSQL("COALESCE(confidence, '{}'::jsonb) || %s::jsonb", (patch,))
    return RawSQL("json_patch(COALESCE(confidence, '{}'), %s)", (patch,))


def _orm_scope(*, user, ids: Sequence | None, filters: Mapping[str, Any] | None):
    if ids is not None:
        unique_ids = _unique_ids(ids)
        scope = selectors.transaction_live(user=user).filter(pk__in=unique_ids)
        _all_found(wanted=len(unique_ids), found=scope.count())
        return scope
    return _filtered(user=user, filters=filters)


def _unique_ids(ids: Sequence) -> set:
    unique_ids = set(ids)
    if not unique_ids:
        raise invalid("ids", "Give at least one id.")
    if len(unique_ids) > BULK_MAX_IDS:
        raise invalid("ids", f"At most {BULK_MAX_IDS} ids per request.")
    return unique_ids


def _all_found(*, wanted: int, found: int) -> None:
    if found != wanted:
        raise NotFoundError(f"{wanted - found} of the transactions were not found; nothing was changed.", code="not_found")


def _filtered(*, user, filters: Mapping[str, Any] | None):
    if filters is None:
        raise invalid("non_field_errors", "Give either ids or a filter.")
    scope = selectors.transaction_list(user=user, filters={**selectors.plain_filters(filters), "ordering": ""})
    if scope.count() > BULK_MAX_FILTER_ROWS:
        raise invalid("filter", f"The filter matches more than {BULK_MAX_FILTER_ROWS} transactions; narrow it.")
    return scope


# --- the PostgreSQL path (decision 0005) ----------------------------------------------------
# Invariants. The scope statement reads the live rows of this user with their address and old
# category; unknown ids are refused before anything is written. The UPDATE joins by address and
# re-checks id, owner, liveness and the old category: an address only locates (VACUUM may give
# a freed slot to another row, another user's too), and a row a concurrent writer changed in
# between has a new version, is left to that writer, and gets no correction. Ids travel as one
# uuid[] parameter and come back as text (they only travel on to the INSERT and the hint).
BULK_SCOPE_SQL = """
SELECT t.ctid::text, t.id::text, t.category_id::text, t.date, t.merchant_raw, t.merchant_id::text
FROM ledger_transaction t
WHERE t.user_id = %s AND NOT t.is_deleted AND """
BULK_UPDATE_SQL = """
UPDATE ledger_transaction t
SET category_id = %s, confidence = COALESCE(t.confidence, '{}'::jsonb) || %s::jsonb, updated_at = %s
FROM unnest(%s::tid[], %s::uuid[], %s::uuid[]) AS scope (row_address, id, category_id)
WHERE t.ctid = scope.row_address AND t.id = scope.id AND t.user_id = %s AND NOT t.is_deleted
  AND t.category_id = scope.category_id
RETURNING t.id::text
"""


def _update_by_address(*, user, target: Category, ids, filters, now) -> tuple[list[ChangedRow], dict[str, str]]:
    scope = read_scope(user=user, ids=ids, filters=filters)
    target_id = str(target.pk)
    # In date order, so the new versions' entries go into the date-keyed indexes leaf by leaf.
    moving = sorted((row for row in scope if row.category_id != target_id), key=attrgetter("date"))
    if not moving:
        return [], {}
    # Normalising descriptors is pure Python; it overlaps the UPDATE, during which psycopg
    # releases the GIL. The pool lives for this call only.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-descriptors") as pool:
        descriptors = pool.submit(normalised, [row.merchant_raw for row in moving])
        with connection.cursor() as cursor:
            cursor.execute(BULK_UPDATE_SQL, bulk_update_params(user=user, target=target, moving=moving, now=now))
            updated = {row[0] for row in cursor.fetchall()}
        return [row.changed() for row in moving if row.id in updated], descriptors.result()


def read_scope(*, user, ids: Sequence | None, filters: Mapping[str, Any] | None) -> list[ScopeRow]:
    """The candidate rows with their addresses (BULK_SCOPE_SQL); a 404 if an id is unknown."""
    if ids is not None:
        unique_ids = _unique_ids(ids)
        scope_sql, scope_params = "t.id = ANY(%s::uuid[])", [array_literal(unique_ids)]
    else:
        filtered = _filtered(user=user, filters=filters).order_by().values("id")
        filter_sql, filter_params = filtered.query.sql_with_params()
        scope_sql, scope_params = f"t.id IN ({filter_sql})", list(filter_params)
    with connection.cursor() as cursor:
        cursor.execute(BULK_SCOPE_SQL + scope_sql, [user.pk, *scope_params])
        scope = [ScopeRow(*row) for row in cursor.fetchall()]
    if ids is not None:
        _all_found(wanted=len(unique_ids), found=len(scope))
    return scope


def bulk_update_params(*, user, target: Category, moving: Sequence[ScopeRow], now) -> list:
    """BULK_UPDATE_SQL's parameters for scope rows moving to `target` (the benchmark times
    the statement alone with them)."""
    return [
        target.pk, json.dumps(USER_CONFIDENCE), now, array_literal(row.address for row in moving),
        array_literal(row.id for row in moving), array_literal(row.category_id for row in moving), user.pk,
    ]


# Constant text (the id expression is ledger.db's); every value is a parameter. Time-ordered
# ids put a bulk change's keys at the primary key's right edge.
CORRECTIONS_INSERT_SQL = (
    "INSERT INTO ledger_usercorrection "  # noqa: S608
    "(id, transaction_id, old_category_id, new_category_id, reason, descriptor, created_at) "
    f"SELECT {TIME_ORDERED_UUID_SQL}, changed.transaction_id, changed.old_category_id, %s, %s, changed.descriptor, %s "
    "FROM unnest(%s::uuid[], %s::uuid[], %s::text[]) AS changed (transaction_id, old_category_id, descriptor) "
    "ORDER BY changed.transaction_id"
)


def _record_corrections(*, target: Category, changed: list[ChangedRow], descriptors: Mapping[str, str], reason: str, now) -> None:
    """One UserCorrection per changed row, for rows this transaction has just updated."""
    if fast_paths.sql_bulk_categorise():
        with connection.cursor() as cursor:
            cursor.execute(
                CORRECTIONS_INSERT_SQL,
                [
                    target.pk, reason, now, array_literal(row.id for row in changed),
                    array_literal(row.old_category_id for row in changed),
                    array_literal(descriptors[row.merchant_raw][:255] for row in changed),
                ],
            )
        return
    UserCorrection.objects.bulk_create(
        [
            UserCorrection(
                transaction_id=row.id, old_category_id=row.old_category_id, new_category=target,
                reason=reason, descriptor=descriptors[row.merchant_raw][:255], created_at=now,
            )
            for row in changed
        ],
        batch_size=2000,
    )


@transaction.atomic
def corrections_apply_to_matching(*, correction: UserCorrection) -> int:
    """Admin action: apply a correction to every live transaction of that user with the same
    normalised descriptor that is not in the new category yet."""
    user = correction.transaction.user
    candidates = selectors.transaction_live(user=user).exclude(category=correction.new_category_id)
    matching_ids = [
        pk
        for pk, merchant_raw in candidates.values_list("id", "merchant_raw").iterator(chunk_size=5000)
        if normalise_descriptor(merchant_raw) == correction.descriptor
    ]
    total = 0
    for start in range(0, len(matching_ids), BULK_MAX_IDS):
        total += transactions_bulk_categorise(
            user=user, category=correction.new_category.slug, ids=matching_ids[start : start + BULK_MAX_IDS],
            reason="admin: applied correction",
        )
    return total
