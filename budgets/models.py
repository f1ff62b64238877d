"""Budgets: an amount a user means to spend in one category (and its child categories) over
one period, the history of the periods that closed, and the alerts sent when spending
crossed a threshold. Every rule that belongs to one row is a database constraint."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.money import money_field
from ledger.models import Category


class BudgetPeriodKind(models.TextChoices):
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    CUSTOM = "custom"


class AlertLevel(models.IntegerChoices):
    """Thresholds of a budget's percentage, in order: a level is reached at its percentage.
    `NONE` is below 80 %. Stored as a small integer so "crossed upward" is a comparison."""

    NONE = 0, "none"
    WARNING = 1, "warning"
    CRITICAL = 2, "critical"
    EXCEEDED = 3, "exceeded"
    SEVERE = 4, "severe"


class Budget(models.Model):
    """One period of a budget: `start_date` to `end_date`, both inclusive. Renewing writes a
    new row for the next period; the unique (user, category, start_date) is what makes a
    second renewal (or an upsert racing another) one row, never two."""

    Period = BudgetPeriodKind

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="budgets")
    # Deleting a user's own category takes its budgets with it: a budget of nothing is no budget.
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="budgets")
    amount = money_field()
    period = models.CharField(max_length=10, choices=BudgetPeriodKind.choices, default=BudgetPeriodKind.MONTHLY)
    start_date = models.DateField()
    end_date = models.DateField()
    auto_renew = models.BooleanField(default=False)
    # The highest threshold the spending had reached when last evaluated: an alert goes out
    # only when a later evaluation finds a higher one (crossed upward). Written by the alert
    # evaluation with compare-and-swap, so two workers never both announce one crossing.
    alert_level = models.PositiveSmallIntegerField(choices=AlertLevel.choices, default=AlertLevel.NONE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_date", "category_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "category", "start_date"], name="budget_user_category_start_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="budget_end_after_start"),
            models.CheckConstraint(condition=Q(period__in=BudgetPeriodKind.values), name="budget_period_valid"),
            models.CheckConstraint(condition=Q(alert_level__lte=AlertLevel.SEVERE), name="budget_alert_level_valid"),
        ]
        indexes = [
            # The nightly renewal reads ended budgets across users by end date.
            models.Index(fields=["end_date"], name="budget_end_date"),
        ]

    def __str__(self) -> str:
        return f"{self.category_id} {self.amount} {self.start_date}..{self.end_date}"


class BudgetPeriod(models.Model):
    """The record of a closed period: what was budgeted and what was spent, written once when
    the period is renewed or found ended by the nightly task (one row per budget row)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    budget = models.OneToOneField(Budget, on_delete=models.CASCADE, related_name="closed_period")
    # Copies of the budget's owner and category, so a category's history is one indexed read.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    start_date = models.DateField()
    end_date = models.DateField()
    amount = money_field()
    spent = money_field()
    percentage = models.DecimalField(max_digits=20, decimal_places=2)
    closed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_period_amount_positive"),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="budget_period_end_after_start"),
        ]
        indexes = [models.Index(fields=["user", "category", "-start_date"], name="budget_period_history")]

    def __str__(self) -> str:
        return f"{self.category_id} {self.start_date}..{self.end_date}: {self.spent}/{self.amount}"


class BudgetAlert(models.Model):
    """One `budget_alert` that was published: the hourly rate limit per budget and level reads
    these, and the admin shows them. The event itself (and its replay) lives in realtime."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    level = models.PositiveSmallIntegerField(choices=AlertLevel.choices)
    amount = money_field()
    spent = money_field()
    percentage = models.DecimalField(max_digits=20, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=AlertLevel.WARNING, level__lte=AlertLevel.SEVERE), name="budget_alert_level_range"
            ),
        ]
        indexes = [models.Index(fields=["budget", "level", "-created_at"], name="budget_alert_recent")]

    def __str__(self) -> str:
        return f"{self.budget_id} {self.get_level_display()} at {self.percentage} %"
