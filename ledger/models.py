"""The ledger's rows: financial accounts, categories, transactions, their provenance and the
corrections users make. Every money rule that belongs to one row is a database constraint."""

import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q

from core.money import money_field

CURRENCY_REGEX = r"^[A-Z]{3}$"

# The full-text document for `q`: the selector filters on exactly this expression, so the
# PostgreSQL GIN index over it is used. 'simple' because descriptors are not English prose.
SEARCH_CONFIG = "simple"


def transaction_search_vector() -> SearchVector:
    return SearchVector("merchant_raw", "note", config=SEARCH_CONFIG)


class AccountKind(models.TextChoices):
    CHECKING = "checking"
    SAVINGS = "savings"
    CREDIT_CARD = "credit_card"
    CASH = "cash"
    WALLET = "wallet"
    INVESTMENT = "investment"


class TransactionSource(models.TextChoices):
    OCR = "ocr"
    SMS = "sms"
    CSV = "csv"
    OFX = "ofx"
    QIF = "qif"
    XLSX = "xlsx"
    CAMT = "camt"
    MANUAL = "manual"
    API = "api"


class Account(models.Model):
    """A financial account the user holds at an institution (not a login account)."""

    Kind = AccountKind

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="financial_accounts")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=AccountKind.choices, default=AccountKind.CHECKING)
    currency = models.CharField(max_length=3)
    institution = models.CharField(max_length=100, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(currency__regex=CURRENCY_REGEX), name="account_currency_iso4217"),
            models.CheckConstraint(condition=Q(last4="") | Q(last4__regex=r"^[0-9]{4}$"), name="account_last4_digits"),
            models.CheckConstraint(condition=Q(kind__in=AccountKind.values), name="account_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A system category (user is NULL; loaded from fixtures/categories.json) or a user's own."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="categories"
    )
    slug = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    # RESTRICT, not PROTECT: a parent with children cannot be deleted alone, but deleting its
    # user takes both (the same for the transactions' account and category).
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.RESTRICT, related_name="children")
    is_system = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["slug"], condition=Q(user__isnull=True), name="category_system_slug_unique"),
            models.UniqueConstraint(
                fields=["user", "slug"], condition=Q(user__isnull=False), name="category_user_slug_unique"
            ),
            # A system category belongs to nobody; a user's category is never a system one.
            models.CheckConstraint(
                condition=Q(is_system=True, user__isnull=True) | Q(is_system=False, user__isnull=False),
                name="category_system_iff_no_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.slug


class ImportBatch(models.Model):
    """Provenance of imported rows: one uploaded file (or SMS/receipt batch) per row.

    The ingest app creates and fills it; the SHA-256 of the bytes is the batch key per user."""

    class Format(models.TextChoices):
        CSV = "csv"
        OFX = "ofx"
        QIF = "qif"
        XLSX = "xlsx"
        CAMT = "camt"
        SMS = "sms"
        OCR = "ocr"

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_batches")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_batches")
    file_hash = models.CharField(max_length=64)
    filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=10, choices=Format.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    error_report = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"
        constraints = [
            models.UniqueConstraint(fields=["user", "file_hash"], name="import_batch_user_file_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.filename or self.file_hash[:12]} ({self.status})"


class Transaction(models.Model):
    Source = TransactionSource

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: every index below starts with user, and each extra index is one
    # more entry to write for every row inserted or re-categorised (bulk-categorise rewrites
    # all index entries of 10,000 rows; category_id is indexed, so those updates are not HOT).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transactions", db_index=False
    )
    # account and category: no single-column index either. Their composite indexes below lead
    # with them, so they also serve the foreign keys' lookups (deleting an account or a
    # category), and bulk-categorise writes two index entries fewer per row.
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.RESTRICT, related_name="transactions", db_index=False
    )
    date = models.DateField()
    amount = money_field(help_text="Signed: negative = money out, positive = money in.")
    currency = models.CharField(max_length=3)
    merchant_raw = models.CharField(max_length=255, blank=True)
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL, related_name="transactions"
    )
    category = models.ForeignKey(Category, on_delete=models.RESTRICT, related_name="transactions", db_index=False)
    source = models.CharField(max_length=10, choices=TransactionSource.choices, default=TransactionSource.MANUAL)
    confidence = models.JSONField(default=dict, blank=True)
    anomaly_score = models.FloatField(null=True, blank=True)
    blockchain_hash = models.CharField(max_length=64, blank=True)
    ipfs_cid = models.CharField(max_length=100, blank=True, help_text="Content id of an attached receipt.")
    note = models.TextField(blank=True)
    external_id = models.CharField(max_length=255, blank=True, help_text="The bank's own id (OFX FITID, CAMT ref).")
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="Dedup key, unique per user among live rows; blank for manual rows."
    )
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="transactions"
    )
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(currency__regex=CURRENCY_REGEX), name="transaction_currency_iso4217"),
            models.CheckConstraint(
                condition=Q(anomaly_score__isnull=True) | Q(anomaly_score__gte=0, anomaly_score__lte=1),
                name="transaction_anomaly_score_0_1",
            ),
            models.CheckConstraint(
                condition=Q(is_deleted=False, deleted_at__isnull=True) | Q(is_deleted=True, deleted_at__isnull=False),
                name="transaction_deleted_at_iff_deleted",
            ),
            models.CheckConstraint(
                condition=Q(source__in=TransactionSource.values), name="transaction_source_valid"
            ),
            models.UniqueConstraint(
                fields=["user", "fingerprint"],
                condition=Q(is_deleted=False) & ~Q(fingerprint=""),
                name="transaction_user_fingerprint_live_unique",
            ),
        ]
        # Plus, on PostgreSQL only, a stored generated column `search_document` (the
        # transaction_search_vector() document) with a GIN index (migrations 0003, 0007): it
        # lives outside the model state because SQLite rebuilds tables from that state.
        # On PostgreSQL txn_user_date_order also INCLUDEs is_deleted and `search_head`
        # (migration 0010, ledger.db): a full-text page walks it without reading the table.
        # The list's order is (-date, -created_at, -id): with the tie-breakers in the index a
        # page of 50 reads 50 index entries; with (user, date) alone PostgreSQL reads and
        # sorts every row of the newest day for each page.
        # The (user, category) and (user, account) patterns are served with category and account
        # first: every query names the user too, and equality on both columns reads the same
        # entries in either order, while the leading column also serves its foreign key.
        indexes = [
            models.Index(fields=["user", "date", "created_at", "id"], name="txn_user_date_order"),
            models.Index(fields=["category", "user", "date", "created_at", "id"], name="txn_category_user_date_order"),
            models.Index(fields=["account", "user", "date"], name="txn_account_user_date"),
            models.Index(fields=["anomaly_score"], condition=Q(anomaly_score__gt=0.5), name="txn_anomalous"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} {self.merchant_raw}"


class UserCorrection(models.Model):
    """An audit row: the user moved a transaction from one category to another. The
    categoriser learns from it through CategoryRule, written by the same service.

    Whose correction it is follows from the transaction: no user column of its own, so it
    cannot disagree with the transaction's, and bulk-categorise writes one index entry fewer
    per row.

    Its three references are foreign keys without a database constraint (decision 0004):
    Django still joins them and applies CASCADE and SET_NULL when a transaction or a category
    is deleted (every deletion goes through the ORM; no code deletes with raw SQL). Every
    correction is written by a ledger service that has just locked the transaction it names
    and resolved both categories, so the values are valid by construction; the nightly
    `ledger.tasks.scheduled_check_correction_references` reports any that are not."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, related_name="corrections", db_constraint=False
    )
    old_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    new_category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    reason = models.CharField(max_length=255, blank=True)
    descriptor = models.CharField(max_length=255, blank=True, help_text="Normalised merchant descriptor at the time.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["-created_at"], name="correction_created_desc")]

    def __str__(self) -> str:
        return f"{self.transaction_id}: {self.old_category_id} -> {self.new_category_id}"


class CategoryRule(models.Model):
    """What a user's corrections taught: rows with this key get this category.

    key is "d:<normalised descriptor>" or "m:<merchant id>"; one rule per (user, key), the
    latest correction wins (upserted on the unique constraint)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="category_rules")
    key = models.CharField(max_length=300)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="rules")
    hits = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="category_rule_user_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} -> {self.category_id}"


class PersonalCategoriser(models.Model):
    """A user's personal text model (issue 15): what the categoriser learnt from their own
    labelled rows, on top of the global model it was trained with. One row per user, replaced
    by each retrain; `payload` is a NumPy .npz archive of plain arrays (no pickle)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="personal_categoriser"
    )
    global_version = models.CharField(max_length=40)
    examples = models.PositiveIntegerField(default=0)
    # Corrections recorded up to this instant are in the model; later ones are "fresh" and used
    # by nearest-neighbour matching until the next retrain.
    trained_through = models.DateTimeField()
    payload = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} ({self.examples} examples)"


class TransactionEmbedding(models.Model):
    """One 384-dimension vector per transaction (float32, little-endian bytes), from the global
    model's character features; `similar/` ranks a user's rows by cosine similarity."""

    transaction = models.OneToOneField(Transaction, on_delete=models.CASCADE, primary_key=True, related_name="embedding")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    model_version = models.CharField(max_length=40)
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "model_version"], name="txn_embedding_user_version")]

    def __str__(self) -> str:
        return f"{self.transaction_id} ({self.model_version})"
