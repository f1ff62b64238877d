"""Analytics rows: recurring charges found in a user's ledger, the anomaly findings on single
transactions (the score itself lives on ledger.Transaction.anomaly_score) and the patterns a
user marked as expected."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.money import money_field


class RecurrencePeriod(models.TextChoices):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class Recurrence(models.Model):
    """A recurring charge (a subscription) detected in one user's outflows.

    `key` is what groups the charges: "m:<merchant id>" when matched, else "d:<normalised
    descriptor>"; one row per (user, key), so detection upserts and is idempotent. `review` is
    the user's decision and detection never overrides it."""

    Period = RecurrencePeriod

    class Status(models.TextChoices):
        ACTIVE = "active"
        ENDED = "ended"

    class Review(models.TextChoices):
        NONE = "none"
        CONFIRMED = "confirmed"
        DISMISSED = "dismissed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recurrences")
    key = models.CharField(max_length=300)
    name = models.CharField(max_length=255)
    merchant = models.ForeignKey(
        "merchants.Merchant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    currency = models.CharField(max_length=3)
    amount_mean = money_field(help_text="Signed (negative): the charge at its latest price.")
    amount_tolerance = money_field(help_text="A charge within mean +- tolerance is the same price.")
    period = models.CharField(max_length=12, choices=RecurrencePeriod.choices)
    period_days = models.PositiveSmallIntegerField()
    first_seen = models.DateField()
    last_seen = models.DateField()
    next_expected_date = models.DateField()
    occurrences = models.PositiveIntegerField()
    confidence = models.FloatField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.NONE)
    # The transactions that formed it (ids as strings, oldest first): JSON, not a join table,
    # because the nightly run rewrites thousands of these and a join table is a row per charge.
    transaction_ids = models.JSONField(default=list, blank=True)
    # Idempotent reminders: the next_expected_date a reminder was last sent for.
    reminded_for = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_expected_date", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="recurrence_user_key_unique"),
            models.CheckConstraint(condition=Q(confidence__gte=0, confidence__lte=1), name="recurrence_confidence_0_1"),
            models.CheckConstraint(condition=Q(amount_tolerance__gte=0), name="recurrence_tolerance_non_negative"),
            models.CheckConstraint(condition=Q(period__in=RecurrencePeriod.values), name="recurrence_period_valid"),
            models.CheckConstraint(condition=Q(last_seen__gte=models.F("first_seen")), name="recurrence_seen_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.amount_mean} {self.period}"


class AnomalyFinding(models.Model):
    """Why a transaction looked unusual when it was scored. One per transaction; `alerted_at`
    is set (compare-and-swap) by the one process that publishes its `anomaly_alert`."""

    class Status(models.TextChoices):
        OPEN = "open"
        EXPECTED = "expected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="anomaly_findings")
    transaction = models.OneToOneField(
        "ledger.Transaction", on_delete=models.CASCADE, related_name="anomaly_finding"
    )
    score = models.FloatField()
    # [{"rule": str, "score": float, "detail": str, "pattern": str}, ...], strongest first.
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    alerted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="anomaly_finding_score_0_1"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="anomaly_user_created")]

    def __str__(self) -> str:
        return f"{self.transaction_id}: {self.score:.2f}"


class ExpectedPattern(models.Model):
    """A pattern the user said is fine ("rule|merchant key"): that rule no longer scores
    charges of that merchant for this user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expected_patterns")
    pattern = models.CharField(max_length=400)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "pattern"], name="expected_pattern_user_unique")]

    def __str__(self) -> str:
        return self.pattern
