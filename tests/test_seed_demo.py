import csv

import pytest
from django.core.management import call_command

from accounts.models import User
from ledger.models import Transaction

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_categorised_demo_ledger_once(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    user = User.objects.get(email="demo@ledgerline.local")
    assert user.check_password("demo-ledger-2024")
    with (settings.BASE_DIR / "fixtures" / "demo_statement.csv").open() as handle:
        expected_rows = sum(1 for _ in csv.DictReader(handle))
    rows = Transaction.objects.filter(user=user)
    assert rows.count() == expected_rows
    starbucks = rows.filter(merchant_raw__startswith="STARBUCKS")
    assert {(row.merchant.canonical_name, row.category.slug) for row in starbucks} == {("Starbucks", "coffee")}
    assert {row.category.slug for row in rows.filter(merchant_raw="ACME CORP PAYROLL")} == {"salary"}


def test_seed_demo_does_nothing_in_production(settings):
    settings.DEBUG = False
    call_command("seed_demo")
    assert not User.objects.filter(email="demo@ledgerline.local").exists()
