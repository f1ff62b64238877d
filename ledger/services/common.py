"""What every ledger write shares: resolving references in input, checking values, telling
the rest of the system after commit, and teaching the categoriser."""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from core.exceptions import ApplicationError, NotFoundError
from core.money import is_currency, to_money
from ledger import selectors
from ledger.categoriser import descriptor_key, merchant_key
from ledger.models import Account, Category, CategoryRule
from ledger.signals import send_transactions_changed_on_commit
from realtime.services import publish_on_commit

USER_CONFIDENCE = {"category": 1.0, "method": "user"}
# A socket hint names at most this many ids; a bulk change sends its count.
NOTIFY_MAX_IDS = 100


def invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(f"{field}: {message}", code="invalid", errors={field: [message]})


def notify(*, user, action: str, category_ids: Iterable, dates: Iterable[datetime.date], ids: Sequence) -> None:
    """After a write: drop the cached list totals now (this request's own reads) and, on
    commit, send `transactions_changed` and a `transaction_update` hint to the user's sockets."""
    selectors.transaction_counts_forget(user_id=user.pk)
    send_transactions_changed_on_commit(user_id=user.pk, category_ids=category_ids, dates=dates)
    publish_on_commit(
        user.pk, "transaction_update", {"action": action, "count": len(ids), "ids": [str(i) for i in ids[:NOTIFY_MAX_IDS]]}
    )


def resolve_category(*, user, slug: str, field: str = "category") -> Category:
    category = selectors.category_by_slug(user=user, slug=slug) if slug else None
    if category is None:
        raise invalid(field, f"Unknown category {slug!r}.")
    return category


def resolve_account(*, user, account_id) -> Account | None:
    if account_id in (None, ""):
        return None
    try:
        return selectors.account_get(user=user, account_id=account_id)
    except NotFoundError:
        raise invalid("account", "Unknown account.") from None


def check_currency(currency: str) -> str:
    if not is_currency(currency):
        raise invalid("currency", f"{currency!r} is not an ISO 4217 currency code.")
    return currency


def money(value: Any) -> Decimal:
    try:
        amount = to_money(value)
    except ValueError:
        raise invalid("amount", "A decimal amount such as \"-12.50\" is required.") from None
    if abs(amount) >= Decimal("1e12"):
        raise invalid("amount", "Amount is too large.")
    return amount


def learn(*, user, keyed_rows: Iterable[tuple[str, Any]], category: Category) -> None:
    """Upsert one rule per distinct (descriptor, merchant id) key: the latest correction wins."""
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
