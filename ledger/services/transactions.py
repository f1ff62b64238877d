"""One transaction at a time: create, change, soft-delete, restore and correct."""

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import ConflictError, NotFoundError
from ledger.categoriser import categorise, gather_evidence
from ledger.models import Category, Transaction, TransactionSource, UserCorrection
from ledger.services.common import (
    USER_CONFIDENCE,
    check_currency,
    learn,
    money,
    notify,
    resolve_account,
    resolve_category,
)
from ledger.transaction_fields import TRANSACTION_WRITABLE
from merchants.services import normalise_descriptor


@dataclass(frozen=True)
class CorrectionResult:
    transaction: Transaction
    old_category: Category | None
    new_category: Category


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
    **other_fields: Any,
) -> Transaction:
    """A manual (or API) entry. When no category is given, the categoriser suggests one.
    `other_fields` are further writable fields of ledger.transaction_fields, stored as given."""
    account_row = resolve_account(user=user, account_id=account)
    currency = check_currency(currency or (account_row.currency if account_row else user.base_currency))
    row = Transaction(
        user=user, account=account_row, date=date, amount=money(amount), currency=currency,
        merchant_raw=merchant_raw, note=note, source=source, **_plain_fields(other_fields),
    )
    evidence = gather_evidence([row], user_id=user.pk)[0]
    row.merchant_id = evidence.merchant_id
    if category:
        row.category = resolve_category(user=user, slug=category)
        row.confidence = {**USER_CONFIDENCE, "merchant": evidence.merchant_score}
    else:
        suggestion = categorise(user, [row], evidence=[evidence])[0]
        row.category = suggestion.category
        row.confidence = {"category": suggestion.confidence, "merchant": evidence.merchant_score, "method": suggestion.method}
    row.save()
    notify(user=user, action="created", category_ids=[row.category_id], dates=[row.date], ids=[row.pk])
    return row


def _plain_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(TRANSACTION_WRITABLE)
    if unknown:
        raise TypeError(f"Not writable transaction fields: {sorted(unknown)}")
    return dict(values)


@transaction.atomic
def transaction_update(*, user, transaction_id, data: Mapping[str, Any]) -> Transaction:
    """Change the writable fields present in `data`. A category change is a correction."""
    row = locked_transaction(user=user, transaction_id=transaction_id)
    old_category_id, old_date = row.category_id, row.date
    for name in TRANSACTION_WRITABLE:
        if name in data:
            _SETTERS.get(name, _set_plain)(user=user, row=row, name=name, value=data[name])
    row.save()
    notify(
        user=user, action="updated", category_ids=[old_category_id, row.category_id], dates=[old_date, row.date], ids=[row.pk]
    )
    return row


def _set_plain(*, user, row: Transaction, name: str, value: Any) -> None:
    setattr(row, name, value)


def _set_account(*, user, row: Transaction, name: str, value: Any) -> None:
    row.account = resolve_account(user=user, account_id=value)


def _set_amount(*, user, row: Transaction, name: str, value: Any) -> None:
    row.amount = money(value)


def _set_currency(*, user, row: Transaction, name: str, value: Any) -> None:
    row.currency = check_currency(value)


def _set_merchant_raw(*, user, row: Transaction, name: str, value: Any) -> None:
    if value == row.merchant_raw:
        return
    row.merchant_raw = value
    evidence = gather_evidence([{"merchant_raw": row.merchant_raw, "amount": row.amount}], user_id=user.pk)[0]
    row.merchant_id = evidence.merchant_id
    row.confidence = {**(row.confidence or {}), "merchant": evidence.merchant_score}


def _set_category(*, user, row: Transaction, name: str, value: Any) -> None:
    if not value:
        return
    new_category = resolve_category(user=user, slug=value)
    if new_category.pk != row.category_id:
        record_correction(user=user, row=row, new_category=new_category, reason="edited")


# Writable fields that need more than an assignment. Order matters where one reads another:
# TRANSACTION_WRITABLE lists amount before merchant_raw (the merchant evidence reads the amount).
_SETTERS: dict[str, Callable[..., None]] = {
    "account": _set_account,
    "amount": _set_amount,
    "currency": _set_currency,
    "merchant_raw": _set_merchant_raw,
    "category": _set_category,
}


def locked_transaction(*, user, transaction_id) -> Transaction:
    row = Transaction.objects.select_for_update().filter(user=user, is_deleted=False, pk=transaction_id).first()
    if row is None:
        raise NotFoundError("Transaction not found.")
    return row


@transaction.atomic
def transaction_delete(*, user, transaction_id) -> None:
    """Soft delete: the row disappears from every read but can be restored."""
    row = locked_transaction(user=user, transaction_id=transaction_id)
    now = timezone.now()
    Transaction.objects.filter(pk=row.pk, is_deleted=False).update(is_deleted=True, deleted_at=now, updated_at=now)
    notify(user=user, action="deleted", category_ids=[row.category_id], dates=[row.date], ids=[row.pk])


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
    notify(user=user, action="restored", category_ids=[row.category_id], dates=[row.date], ids=[row.pk])
    row.refresh_from_db()
    return row


@transaction.atomic
def transaction_correct(*, user, transaction_id, new_category: str, reason: str = "") -> CorrectionResult:
    """Move one transaction to another category, record the correction and teach the
    categoriser at once: later rows with this descriptor (or merchant) get this category."""
    row = locked_transaction(user=user, transaction_id=transaction_id)
    category = resolve_category(user=user, slug=new_category, field="new_category")
    old_category = row.category
    record_correction(user=user, row=row, new_category=category, reason=reason)
    row.save(update_fields=["category", "confidence", "updated_at"])
    notify(user=user, action="updated", category_ids=[old_category.pk, category.pk], dates=[row.date], ids=[row.pk])
    return CorrectionResult(transaction=row, old_category=old_category, new_category=category)


def record_correction(*, user, row: Transaction, new_category: Category, reason: str) -> None:
    """Write the audit row for a row that is locked, learn from it, and move the row (unsaved)."""
    descriptor = normalise_descriptor(row.merchant_raw)
    UserCorrection.objects.create(
        transaction=row, old_category_id=row.category_id, new_category=new_category,
        reason=reason[:255], descriptor=descriptor[:255],
    )
    learn(user=user, keyed_rows=[(descriptor, row.merchant_id)], category=new_category)
    row.category = new_category
    row.confidence = {**(row.confidence or {}), **USER_CONFIDENCE}
