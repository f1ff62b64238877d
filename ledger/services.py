"""Writes to the ledger. Every write is atomic and, after commit, sends `transactions_changed`
once (budgets and analytics react) and a `transaction_update` hint to the user's sockets."""

import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import RestrictedError
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.text import slugify

from core.categories import UNCATEGORIZED
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.money import is_currency, to_money
from core.sql import array_literal
from ledger import selectors
from ledger.categoriser import categorise, descriptor_key, gather_evidence, merchant_key
from ledger.db import TIME_ORDERED_UUID_SQL
from ledger.models import Account, Category, CategoryRule, Transaction, TransactionSource, UserCorrection
from ledger.signals import send_transactions_changed_on_commit, transactions_changed
from merchants.services import normalise_descriptor
from realtime.services import publish_on_commit

__all__ = [
    "transactions_changed",
    "transaction_create",
    "transaction_update",
    "transaction_delete",
    "transaction_restore",
    "transaction_correct",
    "transactions_bulk_categorise",
    "corrections_apply_to_matching",
    "category_create",
    "category_update",
    "category_delete",
    "account_create",
    "account_update",
    "account_delete",
]

BULK_MAX_IDS = 10_000
BULK_MAX_FILTER_ROWS = 100_000
USER_CONFIDENCE = {"category": 1.0, "method": "user"}
TRANSACTION_WRITABLE = ("account", "date", "amount", "currency", "merchant_raw", "category", "note")


@dataclass(frozen=True)
class CorrectionResult:
    transaction: Transaction
    old_category: Category | None
    new_category: Category


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(f"{field}: {message}", code="invalid", errors={field: [message]})


def _notify(*, user, action: str, category_ids: Iterable, dates: Iterable[datetime.date], ids: Sequence) -> None:
    # Now for this request's own reads, and again on commit through the signal's receiver.
    selectors.transaction_counts_forget(user_id=user.pk)
    send_transactions_changed_on_commit(user_id=user.pk, category_ids=category_ids, dates=dates)
    # A hint for open sockets; the rows themselves are read over REST. Ids are capped: a bulk
    # change sends its count, not ten thousand ids.
    publish_on_commit(user.pk, "transaction_update", {"action": action, "count": len(ids), "ids": [str(i) for i in ids[:100]]})


# --- resolution of references in input -----------------------------------------------------
def _resolve_category(*, user, slug: str, field: str = "category") -> Category:
    category = selectors.category_by_slug(user=user, slug=slug) if slug else None
    if category is None:
        raise _invalid(field, f"Unknown category {slug!r}.")
    return category


def _resolve_account(*, user, account_id) -> Account | None:
    if account_id in (None, ""):
        return None
    try:
        return selectors.account_get(user=user, account_id=account_id)
    except NotFoundError:
        raise _invalid("account", "Unknown account.") from None


def _check_currency(currency: str) -> str:
    if not is_currency(currency):
        raise _invalid("currency", f"{currency!r} is not an ISO 4217 currency code.")
    return currency


def _money(value: Any) -> Decimal:
    try:
        amount = to_money(value)
    except ValueError:
        raise _invalid("amount", "A decimal amount such as \"-12.50\" is required.") from None
    if abs(amount) >= Decimal("1e12"):
        raise _invalid("amount", "Amount is too large.")
    return amount


# --- transactions -------------------------------------------------------------------------
@transaction.atomic
def transaction_create(
    *,
    user,
    date: datetime.date,
    amount: Any,
    merchant_raw: str = "",
    account=None,
    currency: str | None = None,
    category: str | None = None,
    note: str = "",
    source: str = TransactionSource.MANUAL,
) -> Transaction:
    """A manual (or API) entry. When no category is given, the categoriser suggests one."""
    account_row = _resolve_account(user=user, account_id=account)
    currency = _check_currency(currency or (account_row.currency if account_row else user.base_currency))
    row = Transaction(
        user=user, account=account_row, date=date, amount=_money(amount), currency=currency,
        merchant_raw=merchant_raw, note=note, source=source,
    )
    evidence = gather_evidence([row], user_id=user.pk)[0]
    row.merchant_id = evidence.merchant_id
    if category:
        row.category = _resolve_category(user=user, slug=category)
        row.confidence = {**USER_CONFIDENCE, "merchant": evidence.merchant_score}
    else:
        suggestion = categorise(user, [row], evidence=[evidence])[0]
        row.category = suggestion.category
        row.confidence = {"category": suggestion.confidence, "merchant": evidence.merchant_score, "method": suggestion.method}
    row.save()
    _notify(user=user, action="created", category_ids=[row.category_id], dates=[row.date], ids=[row.pk])
    return row


@transaction.atomic
def transaction_update(*, user, transaction_id, data: Mapping[str, Any]) -> Transaction:
    """Change the writable fields present in `data`. A category change is a correction."""
    row = _locked_transaction(user=user, transaction_id=transaction_id)
    old_category_id, old_date = row.category_id, row.date
    if "account" in data:
        row.account = _resolve_account(user=user, account_id=data["account"])
    if "date" in data:
        row.date = data["date"]
    if "amount" in data:
        row.amount = _money(data["amount"])
    if "currency" in data:
        row.currency = _check_currency(data["currency"])
    if "note" in data:
        row.note = data["note"]
    if "merchant_raw" in data and data["merchant_raw"] != row.merchant_raw:
        row.merchant_raw = data["merchant_raw"]
        evidence = gather_evidence([{"merchant_raw": row.merchant_raw, "amount": row.amount}], user_id=user.pk)[0]
        row.merchant_id = evidence.merchant_id
        row.confidence = {**(row.confidence or {}), "merchant": evidence.merchant_score}
    if data.get("category"):
        new_category = _resolve_category(user=user, slug=data["category"])
        if new_category.pk != row.category_id:
            _record_correction(user=user, row=row, new_category=new_category, reason="edited")
    row.save()
    _notify(
        user=user, action="updated", category_ids=[old_category_id, row.category_id], dates=[old_date, row.date], ids=[row.pk]
    )
    return row


def _locked_transaction(*, user, transaction_id) -> Transaction:
    row = Transaction.objects.select_for_update().filter(user=user, is_deleted=False, pk=transaction_id).first()
    if row is None:
        raise NotFoundError("Transaction not found.")
    return row


@transaction.atomic
def transaction_delete(*, user, transaction_id) -> None:
    """Soft delete: the row disappears from every read but can be restored."""
    row = _locked_transaction(user=user, transaction_id=transaction_id)
    Transaction.objects.filter(pk=row.pk, is_deleted=False).update(is_deleted=True, deleted_at=timezone.now(), updated_at=timezone.now())
    _notify(user=user, action="deleted", category_ids=[row.category_id], dates=[row.date], ids=[row.pk])


@transaction.atomic
def transaction_restore(*, user, transaction_id) -> Transaction:
    """Bring a soft-deleted row back; 409 if a live row now holds its fingerprint."""
    row = Transaction.objects.select_for_update().filter(user=user, is_deleted=True, pk=transaction_id).first()
    if row is None:
        raise NotFoundError("Deleted transaction not found.")
    try:
        with transaction.atomic():
            Transaction.objects.filter(pk=row.pk).update(is_deleted=False, deleted_at=None, updated_at=timezone.now())
    except IntegrityError:
        raise ConflictError("A live transaction with the same fingerprint exists.", code="duplicate_transaction") from None
    _notify(user=user, action="restored", category_ids=[row.category_id], dates=[row.date], ids=[row.pk])
    row.refresh_from_db()
    return row


@transaction.atomic
def transaction_correct(*, user, transaction_id, new_category: str, reason: str = "") -> CorrectionResult:
    """Move one transaction to another category, record the correction and teach the
    categoriser at once: later rows with this descriptor (or merchant) get this category."""
    row = _locked_transaction(user=user, transaction_id=transaction_id)
    category = _resolve_category(user=user, slug=new_category, field="new_category")
    old_category = row.category
    _record_correction(user=user, row=row, new_category=category, reason=reason)
    row.save(update_fields=["category", "confidence", "updated_at"])
    _notify(user=user, action="updated", category_ids=[old_category.pk, category.pk], dates=[row.date], ids=[row.pk])
    return CorrectionResult(transaction=row, old_category=old_category, new_category=category)


def _record_correction(*, user, row: Transaction, new_category: Category, reason: str) -> None:
    descriptor = normalise_descriptor(row.merchant_raw)
    UserCorrection.objects.create(
        transaction=row, old_category_id=row.category_id, new_category=new_category,
        reason=reason[:255], descriptor=descriptor[:255],
    )
    _learn(user=user, keyed_rows=[(descriptor, row.merchant_id)], category=new_category)
    row.category = new_category
    row.confidence = {**(row.confidence or {}), **USER_CONFIDENCE}


def _learn(*, user, keyed_rows: Iterable[tuple[str, Any]], category: Category) -> None:
    """Upsert one rule per distinct descriptor and merchant: the latest correction wins."""
    keys = set()
    for descriptor, merchant_id in keyed_rows:
        if descriptor:
            keys.add(descriptor_key(descriptor)[:300])
        if merchant_id is not None:
            keys.add(merchant_key(merchant_id))
    if not keys:
        return
    CategoryRule.objects.bulk_create(
        [CategoryRule(user=user, key=key, category=category) for key in sorted(keys)],
        update_conflicts=True,
        unique_fields=["user", "key"],
        update_fields=["category", "updated_at"],
        batch_size=1000,
    )


def _confidence_becomes_user() -> RawSQL:
    # Keep each row's merchant confidence; overwrite category and method in the same statement.
    patch = json.dumps(USER_CONFIDENCE)
    if connection.vendor == "postgresql":
        return RawSQL("COALESCE(confidence, '{}'::jsonb) || %s::jsonb", (patch,))
    return RawSQL("json_patch(COALESCE(confidence, '{}'), %s)", (patch,))


@transaction.atomic
def transactions_bulk_categorise(
    *, user, category: str, ids: Sequence | None = None, filters: Mapping[str, Any] | None = None, reason: str = "bulk"
) -> int:
    """Put many transactions (listed ids, or everything a list filter matches) into one
    category. All or nothing: an unknown id changes nothing. One UPDATE statement, one
    correction row per changed transaction (bulk-inserted), rules learned for each descriptor.
    Returns how many rows changed."""
    target = _resolve_category(user=user, slug=category)
    now = timezone.now()
    if connection.vendor == "postgresql":
        changing, descriptors = _bulk_update_postgresql(user=user, target=target, ids=ids, filters=filters, now=now)
    else:
        changing = _bulk_update_portable(user=user, target=target, ids=ids, filters=filters, now=now)
        descriptors = _normalised({row[3] for row in changing})
    if not changing:
        return 0
    corrections = [(row[0], row[1], descriptors[row[3]][:255]) for row in changing]
    _record_corrections(user=user, target=target, corrections=corrections, reason=reason[:255], now=now)
    _learn(user=user, keyed_rows={(descriptors[row[3]], row[4]) for row in changing}, category=target)
    _notify(
        user=user, action="categorized", category_ids={target.pk, *(row[1] for row in changing)},
        dates={row[2] for row in changing}, ids=[row[0] for row in changing],
    )
    return len(changing)


def _bulk_update_portable(*, user, target: Category, ids, filters, now) -> list[tuple]:
    scope = _bulk_scope(user=user, ids=ids, filters=filters)
    # Lock the rows we are about to change so the corrections match what the UPDATE did.
    changing = list(
        scope.exclude(category=target).select_for_update()
        .order_by().values_list("id", "category_id", "date", "merchant_raw", "merchant_id")
    )
    if changing:
        Transaction.objects.filter(pk__in=[row[0] for row in changing]).update(
            category=target, confidence=_confidence_becomes_user(), updated_at=now
        )
    return changing


# Two statements. The scope: the rows (live, the user's) with their physical address and old
# category; unknown ids are then refused before anything is written. The UPDATE: one per row
# address (a TID scan, no second primary-key descent), only where the row still has the
# category the scope read. A row a concurrent writer changed in between has a new address, and
# READ COMMITTED re-checks the join against the latest version: it is left to that writer,
# and every correction names the category the row really had. The address only locates: the
# UPDATE checks id, owner and liveness again, because between the two statements VACUUM may
# free a dead version's slot and another row, another user's too, may take that address. No SELECT ... FOR UPDATE: on
# 10,000 rows spread over the table it dirtied every heap page once more (~50 MB of WAL)
# before the UPDATE touched them again. Ids travel as one uuid[] parameter (an IN list of
# 10,000 literals costs ~300 ms to plan) and come back as text: they only travel on to the
# corrections' INSERT and the notification.
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
# Normalising the changed rows' descriptors (~30 us each; a bulk change of 10,000 rows can
# hold 8,000 distinct ones) is pure Python: it runs on this thread while the UPDATE holds the
# connection, and psycopg releases the GIL while it waits, so the two overlap.
_DESCRIPTOR_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-descriptors")


def _bulk_update_postgresql(*, user, target: Category, ids, filters, now) -> tuple[list[tuple], dict[str, str]]:
    if ids is not None:
        unique_ids = _bulk_ids(ids)
        scope_sql, scope_params = "t.id = ANY(%s::uuid[])", [array_literal(unique_ids)]
    else:
        filtered = _bulk_filtered(user=user, filters=filters).order_by().values("id")
        filter_sql, filter_params = filtered.query.sql_with_params()
        scope_sql, scope_params = f"t.id IN ({filter_sql})", list(filter_params)
    with connection.cursor() as cursor:
        cursor.execute(BULK_SCOPE_SQL + scope_sql, [user.pk, *scope_params])
        scope = cursor.fetchall()
    if ids is not None and len(scope) != len(unique_ids):
        raise NotFoundError(
            f"{len(unique_ids) - len(scope)} of the transactions were not found; nothing was changed.", code="not_found"
        )
    target_id = str(target.pk)
    # In date order: the new row versions' entries then go into the date-keyed indexes (the
    # category and date ones) leaf after leaf instead of one random leaf per row.
    moving = sorted((row for row in scope if row[2] != target_id), key=itemgetter(3))
    if not moving:
        return [], {}
    descriptors = _DESCRIPTOR_WORKER.submit(_normalised, {row[4] for row in moving})
    with connection.cursor() as cursor:
        cursor.execute(BULK_UPDATE_SQL, bulk_update_params(user=user, target=target, moving=moving, now=now))
        changed = {row[0] for row in cursor.fetchall()}
    return [row[1:] for row in moving if row[1] in changed], descriptors.result()


def bulk_update_params(*, user, target: Category, moving: Sequence[tuple], now) -> list:
    """BULK_UPDATE_SQL's parameters for scope rows (address, id, old category, ...) moving to
    `target` (also used by the benchmark to time the statement alone)."""
    return [
        target.pk, json.dumps(USER_CONFIDENCE), now, array_literal(row[0] for row in moving),
        array_literal(row[1] for row in moving), array_literal(row[2] for row in moving), user.pk,
    ]


def _normalised(texts: Iterable[str]) -> dict[str, str]:
    return {text: normalise_descriptor(text) for text in texts}


# Constant text (the id expression is ledger.db's); every value is a parameter.
CORRECTIONS_INSERT_SQL = (
    "INSERT INTO ledger_usercorrection "  # noqa: S608
    "(id, transaction_id, old_category_id, new_category_id, reason, descriptor, created_at) "
    f"SELECT {TIME_ORDERED_UUID_SQL}, changed.transaction_id, changed.old_category_id, %s, %s, changed.descriptor, %s "
    "FROM unnest(%s::uuid[], %s::uuid[], %s::text[]) AS changed (transaction_id, old_category_id, descriptor) "
    "ORDER BY changed.transaction_id"
)


def _record_corrections(*, user, target: Category, corrections: list[tuple], reason: str, now) -> None:
    """One UserCorrection per changed row. PostgreSQL: one INSERT ... SELECT over three array
    parameters, so Python builds no row objects, with time-ordered ids (ledger.db): the
    10,000 new keys go to the right edge of the primary key instead of 10,000 random leaf
    pages; bulk_create elsewhere."""
    if connection.vendor == "postgresql":
        transaction_ids, old_category_ids, descriptors = zip(*corrections, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(
                CORRECTIONS_INSERT_SQL,
                [
                    target.pk, reason, now,
                    array_literal(transaction_ids), array_literal(old_category_ids), array_literal(descriptors),
                ],
            )
        return
    UserCorrection.objects.bulk_create(
        [
            UserCorrection(
                transaction_id=transaction_id, old_category_id=old_category_id, new_category=target,
                reason=reason, descriptor=descriptor, created_at=now,
            )
            for transaction_id, old_category_id, descriptor in corrections
        ],
        batch_size=2000,
    )


def _bulk_ids(ids: Sequence) -> set:
    unique_ids = set(ids)
    if not unique_ids:
        raise _invalid("ids", "Give at least one id.")
    if len(unique_ids) > BULK_MAX_IDS:
        raise _invalid("ids", f"At most {BULK_MAX_IDS} ids per request.")
    return unique_ids


def _bulk_filtered(*, user, filters: Mapping[str, Any] | None):
    if filters is None:
        raise _invalid("non_field_errors", "Give either ids or a filter.")
    scope = selectors.transaction_list(user=user, filters={**selectors.plain_filters(filters), "ordering": ""})
    if scope.count() > BULK_MAX_FILTER_ROWS:
        raise _invalid("filter", f"The filter matches more than {BULK_MAX_FILTER_ROWS} transactions; narrow it.")
    return scope


def _bulk_scope(*, user, ids: Sequence | None, filters: Mapping[str, Any] | None):
    if ids is not None:
        unique_ids = _bulk_ids(ids)
        scope = selectors.transaction_live(user=user).filter(pk__in=unique_ids)
        found = scope.count()
        if found != len(unique_ids):
            raise NotFoundError(
                f"{len(unique_ids) - found} of the transactions were not found; nothing was changed.", code="not_found"
            )
        return scope
    return _bulk_filtered(user=user, filters=filters)


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
    if not matching_ids:
        return 0
    total = 0
    for start in range(0, len(matching_ids), BULK_MAX_IDS):
        total += transactions_bulk_categorise(
            user=user, category=correction.new_category.slug, ids=matching_ids[start : start + BULK_MAX_IDS], reason="admin: applied correction"
        )
    return total


# --- categories ---------------------------------------------------------------------------
@transaction.atomic
def category_create(*, user, name: str, slug: str = "", parent: str | None = None) -> Category:
    """A user's own category. Slugs are unique per user and never shadow a system slug."""
    slug = slugify(slug or name).replace("-", "_")[:50]
    if not slug:
        raise _invalid("slug", "A slug (or a name to derive it from) is required.")
    parent_row = _resolve_category(user=user, slug=parent, field="parent") if parent else None
    category_check(user=user, slug=slug, parent=parent_row)
    try:
        with transaction.atomic():
            return Category.objects.create(user=user, slug=slug, name=name, parent=parent_row, is_system=False)
    except IntegrityError:
        raise ConflictError(f"You already have a category {slug!r}.", code="category_exists") from None


def category_check(*, user, slug: str | None, parent: Category | None, category: Category | None = None) -> None:
    """The rules a user's category keeps (the API's create and update, and the admin form):
    its slug never shadows a system slug, and its parent is a system category or one of the
    same user's, never itself."""
    if slug and Category.objects.filter(user__isnull=True, slug=slug).exclude(pk=getattr(category, "pk", None)).exists():
        message = f"{slug!r} is a system category."
        raise ConflictError(message, code="category_exists", errors={"slug": [message]})
    if parent is not None and parent.user_id not in (None, getattr(user, "pk", None)):
        raise _invalid("parent", "That category belongs to another user.")
    if parent is not None and category is not None and parent.pk == category.pk:
        raise _invalid("parent", "A category cannot be its own parent.")


def _own_category(*, user, category_id) -> Category:
    category = selectors.category_get(user=user, category_id=category_id)
    if category.is_system:
        raise ApplicationError("System categories cannot be changed.", code="system_category", status_code=403)
    return category


@transaction.atomic
def category_update(*, user, category_id, name: str | None = None, parent: str | None = None) -> Category:
    category = _own_category(user=user, category_id=category_id)
    if name is not None:
        category.name = name
    if parent is not None:
        parent_row = _resolve_category(user=user, slug=parent, field="parent") if parent else None
        category_check(user=user, slug=None, parent=parent_row, category=category)
        category.parent = parent_row
    category.save()
    return category


@transaction.atomic
def category_delete(*, user, category_id) -> None:
    """Delete a user's category; its transactions move to `uncategorized` in one statement."""
    category = _own_category(user=user, category_id=category_id)
    fallback = Category.objects.get(user__isnull=True, slug=UNCATEGORIZED)
    moved = Transaction.objects.filter(user=user, category=category)
    dates = set(moved.values_list("date", flat=True).distinct())
    moved.update(category=fallback, updated_at=timezone.now())
    Category.objects.filter(user=user, parent=category).update(parent=None)
    category.delete()
    if dates:
        selectors.transaction_counts_forget(user_id=user.pk)
        send_transactions_changed_on_commit(user_id=user.pk, category_ids=[category_id, fallback.pk], dates=dates)


# --- financial accounts -------------------------------------------------------------------
@transaction.atomic
def account_create(*, user, name: str, kind: str = Account.Kind.CHECKING, currency: str | None = None,
                   institution: str = "", last4: str = "") -> Account:
    return Account.objects.create(
        user=user, name=name, kind=kind, currency=_check_currency(currency or user.base_currency),
        institution=institution, last4=last4,
    )


@transaction.atomic
def account_update(*, user, account_id, data: Mapping[str, Any]) -> Account:
    account = selectors.account_get(user=user, account_id=account_id)
    for field in ("name", "kind", "institution", "last4"):
        if field in data:
            setattr(account, field, data[field])
    if "currency" in data:
        account.currency = _check_currency(data["currency"])
    account.save()
    return account


@transaction.atomic
def account_delete(*, user, account_id) -> None:
    account = selectors.account_get(user=user, account_id=account_id)
    try:
        with transaction.atomic():
            account.delete()
    except RestrictedError:
        raise ConflictError("The account still has transactions.", code="account_in_use") from None
