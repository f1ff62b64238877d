"""Financial accounts (a bank account, a card, cash): not login accounts."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import RestrictedError

from core.exceptions import ConflictError
from ledger import selectors
from ledger.models import Account
from ledger.services.common import check_currency

ACCOUNT_WRITABLE = ("name", "kind", "institution", "last4")


@transaction.atomic
def account_create(*, user, name: str, kind: str = Account.Kind.CHECKING, currency: str | None = None,
                   institution: str = "", last4: str = "") -> Account:
    return Account.objects.create(
        user=user, name=name, kind=kind, currency=check_currency(currency or user.base_currency),
        institution=institution, last4=last4,
    )


@transaction.atomic
def account_update(*, user, account_id, data: Mapping[str, Any]) -> Account:
    account = selectors.account_get(user=user, account_id=account_id)
    for field in ACCOUNT_WRITABLE:
        if field in data:
            setattr(account, field, data[field])
    if "currency" in data:
        account.currency = check_currency(data["currency"])
    account.save()
    return account


@transaction.atomic
def account_delete(*, user, account_id) -> None:
    """Refused (409) while transactions name the account: they restrict its deletion."""
    account = selectors.account_get(user=user, account_id=account_id)
    try:
        with transaction.atomic():
            account.delete()
    except RestrictedError:
        raise ConflictError("The account still has transactions.", code="account_in_use") from None
