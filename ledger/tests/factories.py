"""Factories for ledger rows. Other apps' tests may import these."""

import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from ledger.models import Account, Category, ImportBatch, Transaction, TransactionSource


def system_category(slug: str) -> Category:
    """A seeded system category (the data migration loads them into every database)."""
    return Category.objects.get(user__isnull=True, slug=slug)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Checking {n}")
    kind = Account.Kind.CHECKING
    currency = "USD"
    institution = "First Bank"
    last4 = "1234"


class CategoryFactory(factory.django.DjangoModelFactory):
    """A user's own category; for a system one use `system_category(slug)`."""

    class Meta:
        model = Category

    user = factory.SubFactory(UserFactory)
    slug = factory.Sequence(lambda n: f"custom_{n}")
    name = factory.Sequence(lambda n: f"Custom {n}")
    is_system = False


class ImportBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportBatch

    user = factory.SubFactory(UserFactory)
    file_hash = factory.Sequence(lambda n: f"{n:064x}")
    filename = factory.Sequence(lambda n: f"statement_{n}.csv")
    format = ImportBatch.Format.CSV


class TransactionFactory(factory.django.DjangoModelFactory):
    """A live transaction. Pass `category=` a Category or leave the default `groceries`;
    `account` defaults to a new account of the same user."""

    class Meta:
        model = Transaction

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory, user=factory.SelfAttribute("..user"))
    date = factory.LazyFunction(lambda: datetime.date(2024, 3, 15))
    amount = Decimal("-12.50")
    currency = "USD"
    merchant_raw = "CORNER GROCER 123"
    category = factory.LazyFunction(lambda: system_category("groceries"))
    source = TransactionSource.MANUAL
    confidence = factory.LazyFunction(lambda: {"category": 1.0, "merchant": 0.0, "method": "user"})
