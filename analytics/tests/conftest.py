import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from ledger.tests.factories import AccountFactory, CategoryFactory, TransactionFactory, system_category
from merchants.models import Merchant


@pytest.fixture
def ledger(user, other_user):
    """A small hand-computed ledger (figures in test_dashboard.py)."""
    checking = AccountFactory(user=user, name="Checking")
    savings = AccountFactory(user=user, name="Savings")
    grocer = Merchant.objects.create(canonical_name="Corner Grocer", category="groceries")
    shop = Merchant.objects.create(canonical_name="Big Shop", category="shopping")
    beans = CategoryFactory(user=user, slug="beans", name="Beans", parent=system_category("dining"))

    def row(day, amount, slug, merchant=None, account=checking, category=None, **extra):
        return TransactionFactory(
            user=user, account=account, date=day, amount=Decimal(amount), merchant=merchant,
            category=category or system_category(slug), merchant_raw=merchant.canonical_name if merchant else slug, **extra,
        )

    d = datetime.date
    rows = {
        "salary": row(d(2024, 1, 1), "3000.00", "salary"),
        "groceries_1": row(d(2024, 1, 5), "-100.00", "groceries", grocer),
        "shopping": row(d(2024, 1, 10), "-200.00", "shopping", shop),
        "refund": row(d(2024, 1, 12), "50.00", "shopping", shop),
        "transfer_out": row(d(2024, 1, 15), "-500.00", "transfer"),
        "transfer_in": row(d(2024, 1, 15), "500.00", "transfer", account=savings),
        "dining": row(d(2024, 1, 20), "-40.00", "dining"),
        "beans": row(d(2024, 1, 21), "-10.00", "", category=beans),
        "groceries_2": row(d(2024, 1, 31), "-60.00", "groceries", grocer),
        "deleted": row(d(2024, 1, 15), "-999.00", "groceries", is_deleted=True, deleted_at=timezone.now()),
        "february": row(d(2024, 2, 1), "-1000.00", "groceries"),
        "december": row(d(2023, 12, 31), "-80.00", "groceries", grocer),
        "december_salary": row(d(2023, 12, 1), "2000.00", "salary"),
    }
    TransactionFactory(user=other_user, date=d(2024, 1, 15), amount=Decimal("-777.00"))
    return {"rows": rows, "checking": checking, "savings": savings, "grocer": grocer, "shop": shop, "beans": beans}
