"""A small hand-computed ledger: every expected figure in these tests is worked out from it
by hand (see the comments beside the rows)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.tests.factories import AccountFactory, TransactionFactory, system_category

ROWS = [
    # (date, category, amount, account, merchant_raw, note)
    ("2024-01-05", "groceries", "-50.00", "everyday", "CORNER GROCER", ""),
    ("2024-01-20", "groceries", "-30.25", "everyday", "CORNER GROCER", "weekly shop"),
    ("2024-01-31", "salary", "2000.00", "everyday", "ACME PAYROLL", ""),
    ("2024-02-03", "groceries", "-19.75", "card", "FRESH MARKET", ""),
    ("2024-02-14", "dining", "-60.00", "card", '=HYPERLINK("http://evil.example","x")', "valentine"),
    ("2024-02-15", "groceries", "10.00", "everyday", "CORNER GROCER", "refund"),
    ("2024-02-28", "donations", "-100.00", "everyday", "RED CROSS", "annual gift"),
    ("2024-03-01", "pharmacy", "-12.40", "card", "Аптека №1 Ελληνικά", ""),
]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Rendered files go to a throw-away MEDIA_ROOT, not the repository's var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def ledger(user, other_user):
    accounts = {
        "everyday": AccountFactory(user=user, name="Everyday", last4="1111"),
        "card": AccountFactory(user=user, name="Card", kind="credit_card", last4="2222"),
    }
    rows = []
    for day, slug, amount, account, merchant, note in ROWS:
        rows.append(TransactionFactory(
            user=user, account=accounts[account], date=datetime.date.fromisoformat(day), amount=Decimal(amount),
            category=system_category(slug), merchant_raw=merchant, note=note,
        ))
    # Neither of these may count anywhere: a deleted row and another user's row.
    TransactionFactory(
        user=user, account=accounts["everyday"], date=datetime.date(2024, 1, 10), amount=Decimal("-999.00"),
        is_deleted=True, deleted_at=timezone.now(),
    )
    TransactionFactory(user=other_user, date=datetime.date(2024, 1, 10), amount=Decimal("-777.00"))
    return {"accounts": accounts, "rows": rows}
