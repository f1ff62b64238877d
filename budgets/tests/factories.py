"""Factories for budgets. Other apps' tests may import these."""

import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from budgets.models import Budget, BudgetPeriodKind
from ledger.tests.factories import system_category


class BudgetFactory(factory.django.DjangoModelFactory):
    """October 2026 groceries, 100.00, monthly; written straight to the table (no service)."""

    class Meta:
        model = Budget

    user = factory.SubFactory(UserFactory)
    category = factory.LazyFunction(lambda: system_category("groceries"))
    amount = Decimal("100.00")
    period = BudgetPeriodKind.MONTHLY
    start_date = datetime.date(2026, 10, 1)
    end_date = datetime.date(2026, 10, 31)
    auto_renew = False
