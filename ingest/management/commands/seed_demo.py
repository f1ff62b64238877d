import csv
import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from ledger import services as ledger_services
from ledger.models import Transaction

DEMO_EMAIL = "demo@ledgerline.local"
DEMO_PASSWORD = "demo-ledger-2024"
DEMO_STATEMENT = Path(settings.BASE_DIR) / "fixtures" / "demo_statement.csv"


class Command(BaseCommand):
    help = (
        "Create the demo user with a checking account and two months of transactions from "
        "fixtures/demo_statement.csv (idempotent), and print its credentials. Embedded default only."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stdout.write("seed_demo: DEBUG is off; no demo user in production.")
            return
        user = self._demo_user()
        created = self._demo_transactions(user)
        if created:
            self.stdout.write(f"Demo statement: {created} transactions categorised into the ledger.")
        self.stdout.write(self.style.SUCCESS(f"Demo user: {DEMO_EMAIL} / {DEMO_PASSWORD}"))

    def _demo_user(self) -> User:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            return User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, full_name="Demo User", is_verified=True)
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    @transaction.atomic
    def _demo_transactions(self, user: User) -> int:
        # Until the statement importer lands, the demo rows go through the ledger's own
        # service, so merchants are matched and categories suggested exactly as for real ones.
        if Transaction.objects.filter(user=user).exists():
            return 0
        account = ledger_services.account_create(
            user=user, name="Everyday Checking", kind="checking", currency="USD", institution="Demo Bank", last4="4242"
        )
        today = datetime.date.today()
        with DEMO_STATEMENT.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            ledger_services.transaction_create(
                user=user,
                account=account.id,
                date=today - datetime.timedelta(days=int(row["days_ago"])),
                amount=row["amount"],
                merchant_raw=row["description"],
                currency="USD",
            )
        return len(rows)
