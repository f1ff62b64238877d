"""Reads of the ledger. Every function is scoped to one user; another user's row is a 404.

Hot paths serialise from `.values()` (one query, joins for category and merchant), never
from model instances with per-row lookups."""

import datetime
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from rapidfuzz import fuzz

from core.exceptions import NotFoundError
from core.throttling import shared_redis_client
from ledger import count_cache, fast_paths
from ledger.filters import category_for_slug, transaction_filters_apply, transaction_filters_clean
from ledger.json_pages import transaction_page_json
from ledger.models import Account, Category, Transaction, UserCorrection
from ledger.transaction_fields import TRANSACTION_COLUMNS, money_text, row_to_api  # noqa: F401 (money_text: public here)
from merchants.services import normalise_descriptor

# Without Redis (ledger.count_cache) the cache cannot check-and-set: a short TTL bounds what a
# write racing a count leaves behind.
COUNT_CACHE_SECONDS = 30
DUPLICATE_WINDOW_DAYS = 2
DUPLICATE_MERCHANT_SIMILARITY = 0.8

# --- transactions ---------------------------------------------------------------------
def transaction_live(*, user) -> QuerySet[Transaction]:
    """The user's transactions that are not soft-deleted."""
    return Transaction.objects.filter(user=user, is_deleted=False)


def transaction_list(*, user, filters: Mapping[str, Any] | None = None) -> QuerySet[Transaction]:
    """The user's live transactions matching API filters (since, until, category, source,
    account, merchant, min_amount, max_amount, q, ordering). Invalid filters raise a 400."""
    cleaned = transaction_filters_clean(filters)
    return transaction_filters_apply(transaction_live(user=user), cleaned, user_id=user.pk)


def plain_filters(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Query parameters (a QueryDict holds lists) or a dict -> a plain dict of single values."""
    if filters is None:
        return {}
    return filters.dict() if hasattr(filters, "dict") else dict(filters)


def transaction_rows(queryset: QuerySet[Transaction]) -> QuerySet:
    """`.values()` rows with every column the API fields read (ledger.transaction_fields)."""
    return queryset.values(*TRANSACTION_COLUMNS)


def transaction_to_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """A `.values(*TRANSACTION_COLUMNS)` row in API.md's transaction shape."""
    return row_to_api(row)


def transaction_filters(*, filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validated, cleaned list filters (400 on a bad one), for `json_pages`."""
    return transaction_filters_clean(filters)


def transaction_count_key(*, user, filters: Mapping[str, Any] | None) -> tuple[str, str] | None:
    """Where a list's cached count lives in Redis (hash key, field), for a caller that reads it
    within another round trip (the list view, with its throttle); None without Redis."""
    if not fast_paths.count_cache() or shared_redis_client() is None:
        return None
    return cache.make_and_validate_key(_count_cache_key(user.pk)), _filter_signature(filters)


def transaction_count(
    *, user, queryset: QuerySet[Transaction] | Callable[[], QuerySet[Transaction]], filters: Mapping[str, Any] | None,
    cached: bytes | str | None = None,
) -> int:
    """COUNT(*) of a filtered list, cached per user and filter until the user's ledger changes
    (ledger.count_cache). `cached` is the field already read from `transaction_count_key`
    (None: not read, or missing)."""
    if not fast_paths.count_cache():
        return _count_of(queryset)
    if (fresh := count_cache.fresh(cached)) is not None:
        return fresh
    signature = _filter_signature(filters)
    key = _count_cache_key(user.pk)
    client = shared_redis_client()
    if client is not None:
        return count_cache.count(
            client, key=cache.make_and_validate_key(key), field=signature, counter=lambda: _count_of(queryset), cached=cached
        )
    counts = cache.get(key) or {}
    if signature in counts:
        return counts[signature]
    value = _count_of(queryset)
    if len(counts) >= count_cache.MAX_FILTERS:
        counts = {}
    counts[signature] = value
    cache.set(key, counts, COUNT_CACHE_SECONDS)
    return value


def _count_of(queryset) -> int:
    return (queryset() if callable(queryset) else queryset).count()


def transaction_counts_forget(*, user_id) -> None:
    cache.delete(_count_cache_key(user_id))


def _count_cache_key(user_id) -> str:
    return f"ledger:list-counts:{user_id}"


def _filter_signature(filters: Mapping[str, Any] | None) -> str:
    relevant = {
        key: value for key, value in sorted(plain_filters(filters).items()) if key not in ("limit", "offset", "ordering", "format")
    }
    return hashlib.sha1(json.dumps(relevant, default=str).encode(), usedforsecurity=False).hexdigest()


class _OrmPage:
    """The portable list page: the count on the filtered queryset, the rows as `.values()`
    dicts in the API shape. One COUNT (unless cached) and one SELECT."""

    def __init__(self, *, user, filters, cached_count=None):
        self.user, self.filters, self.cached_count = user, filters, cached_count
        self.queryset = transaction_list(user=user, filters=filters)

    def count(self) -> int:
        return transaction_count(user=self.user, queryset=self.queryset, filters=self.filters, cached=self.cached_count)

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [row_to_api(row) for row in transaction_rows(self.queryset)[item]]


class _SqlPage:
    """The PostgreSQL list page (decision 0001): the same count, and the rows as JSON texts
    the database built (ledger.json_pages); the ORM query is built only to count a miss."""

    pre_encoded = True

    def __init__(self, *, user, filters, cached_count=None):
        self.user, self.filters, self.cached_count = user, filters, cached_count
        self.cleaned = transaction_filters_clean(filters)
        self.known_total = None

    def count(self) -> int:
        counted_here = []

        def queryset():
            counted_here.append(True)
            return transaction_list(user=self.user, filters=self.filters)

        total = transaction_count(user=self.user, filters=self.filters, cached=self.cached_count, queryset=queryset)
        self.known_total = None if counted_here else total
        return total

    def __getitem__(self, item: slice) -> list[str]:
        # A total known without a query tells a full-text page how common its word is; one
        # counted in this request already cost a query, so the page takes the planned path.
        return transaction_page_json(
            user_id=self.user.pk, cleaned=self.cleaned, offset=item.start, limit=item.stop - item.start,
            match_count=self.known_total,
        )


def transaction_page_source(*, user, filters: Mapping[str, Any] | None, cached_count: bytes | str | None = None):
    """What a paginator pages for the list: `count()` and slices of rows in the API shape
    (dicts, or pre-encoded JSON texts the renderer writes as they are). `cached_count` is the
    count-cache field already read (`transaction_count_key`). Invalid filters raise a 400.
    A source with `pre_encoded` gives JSON texts (core.pagination and core.renderers keep them)."""
    page = _SqlPage if fast_paths.sql_list_pages() else _OrmPage
    return page(user=user, filters=filters, cached_count=cached_count)


def transaction_get(*, user, transaction_id, include_deleted: bool = False) -> Transaction:
    queryset = Transaction.objects.filter(user=user)
    if not include_deleted:
        queryset = queryset.filter(is_deleted=False)
    transaction = queryset.filter(pk=transaction_id).first()
    if transaction is None:
        raise NotFoundError("Transaction not found.")
    return transaction


def transaction_detail(*, user, transaction_id) -> dict[str, Any]:
    row = transaction_rows(transaction_live(user=user).filter(pk=transaction_id)).first()
    if row is None:
        raise NotFoundError("Transaction not found.")
    return transaction_to_dict(row)


def transaction_export_rows(*, user, filters: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Matching rows in API shape, streamed from a server-side cursor in chunks."""
    queryset = transaction_rows(transaction_list(user=user, filters=filters))
    for row in queryset.iterator(chunk_size=2000):
        yield transaction_to_dict(row)


# --- duplicates -----------------------------------------------------------------------
def transaction_duplicates(*, user, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Groups of likely duplicates: same account, same amount, dates at most two days apart
    and a similar merchant. Each group says why. One sweep over rows sorted by
    (account, amount, date), then one query for the members' details."""
    filters = {**plain_filters(filters), "ordering": ""}
    queryset = transaction_list(user=user, filters=filters).order_by("account_id", "amount", "date")
    pairs: list[tuple[Any, Any, float]] = []
    window: list = []
    rows = queryset.values_list("id", "account_id", "amount", "date", "merchant_raw", "merchant_id", named=True)
    for row in rows.iterator(chunk_size=5000):
        window = [kept for kept in window if _same_bucket(kept, row)]
        for kept in window:
            similarity = _merchant_similarity(kept, row)
            if similarity >= DUPLICATE_MERCHANT_SIMILARITY:
                pairs.append((kept.id, row.id, similarity))
        window.append(row)
    return _duplicate_groups(user, pairs)


def _same_bucket(kept, row) -> bool:
    return kept.account_id == row.account_id and kept.amount == row.amount and (row.date - kept.date).days <= DUPLICATE_WINDOW_DAYS


def _merchant_similarity(first, second) -> float:
    if first.merchant_id is not None and first.merchant_id == second.merchant_id:
        return 1.0
    return fuzz.token_set_ratio(normalise_descriptor(first.merchant_raw), normalise_descriptor(second.merchant_raw)) / 100


def _duplicate_groups(user, pairs: list[tuple[Any, Any, float]]) -> list[dict[str, Any]]:
    parent: dict[Any, Any] = {}

    def root(node):
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    lowest: dict[Any, float] = {}
    for first, second, _similarity in pairs:
        parent[root(second)] = root(first)
    for first, _, similarity in pairs:
        key = root(first)
        lowest[key] = min(lowest.get(key, 1.0), similarity)
    members: dict[Any, list] = {}
    for node in parent:
        members.setdefault(root(node), []).append(node)
    rows = {row["id"]: transaction_to_dict(row) for row in transaction_rows(transaction_live(user=user).filter(pk__in=list(parent)))}
    groups = []
    for key, ids in members.items():
        transactions = sorted((rows[i] for i in ids if i in rows), key=lambda item: (item["date"], item["id"]))
        if len(transactions) < 2:
            continue
        groups.append(_describe_group(transactions, lowest.get(key, 1.0)))
    groups.sort(key=lambda group: group["transactions"][0]["date"], reverse=True)
    return groups


def _describe_group(transactions: list[dict[str, Any]], similarity: float) -> dict[str, Any]:
    dates = [datetime.date.fromisoformat(item["date"]) for item in transactions]
    spread = (max(dates) - min(dates)).days
    reasons = [
        "same account",
        f"same amount {transactions[0]['amount']}",
        "same date" if spread == 0 else f"dates within {spread} day{'s' if spread > 1 else ''}",
        f"merchant similarity {similarity:.2f}",
    ]
    return {
        "reason": ", ".join(reasons),
        "reasons": reasons,
        "similarity": round(similarity, 2),
        "transactions": transactions,
    }


# --- categories and accounts ----------------------------------------------------------
def category_list(*, user) -> QuerySet[Category]:
    """System categories plus the user's own, system first."""
    return (
        Category.objects.filter(Q(user__isnull=True) | Q(user=user))
        .select_related("parent")
        .order_by("-is_system", "slug")
    )


def category_get(*, user, category_id) -> Category:
    category = category_list(user=user).filter(pk=category_id).first()
    if category is None:
        raise NotFoundError("Category not found.")
    return category


def category_by_slug(*, user, slug: str) -> Category | None:
    """The user's own category with this slug, else the system one (filters.category_for_slug)."""
    return category_for_slug(user_id=user.pk, slug=slug).first()


def account_list(*, user) -> QuerySet[Account]:
    return Account.objects.filter(user=user).order_by("name", "id")


def account_get(*, user, account_id) -> Account:
    account = None
    if _is_uuid(account_id):
        account = account_list(user=user).filter(pk=account_id).first()
    if account is None:
        raise NotFoundError("Account not found.")
    return account


def _is_uuid(value: Any) -> bool:
    if isinstance(value, uuid.UUID):
        return True
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --- integrity ------------------------------------------------------------------------
def corrections_orphaned(*, sample: int = 20) -> dict[str, Any]:
    """Corrections whose references lead nowhere (decision 0004: they carry no database
    constraint). Every deletion goes through the ORM, which cascades or nulls them, so this
    is expected to be empty; the nightly check reports anything else. Three anti-joins."""
    orphans = {
        "transaction": UserCorrection.objects.exclude(transaction_id__in=Transaction.objects.values("id")),
        "new_category": UserCorrection.objects.exclude(new_category_id__in=Category.objects.values("id")),
        "old_category": UserCorrection.objects.filter(old_category_id__isnull=False).exclude(
            old_category_id__in=Category.objects.values("id")
        ),
    }
    counts = {name: queryset.count() for name, queryset in orphans.items()}
    examples = {
        name: [str(pk) for pk in queryset.order_by().values_list("id", flat=True)[:sample]]
        for name, queryset in orphans.items() if counts[name]
    }
    return {"counts": counts, "examples": examples}
