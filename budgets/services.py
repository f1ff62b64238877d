"""Writes of budgets: upsert, change, delete, renew (by hand and nightly), and the alert
evaluation that follows the user's transaction writes. Every write is atomic; the cache of
the user's figures is dropped and alert work enqueued after commit."""

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from budgets import cache as spending_cache
from budgets import tasks
from budgets.models import AlertLevel, Budget, BudgetAlert, BudgetPeriod, BudgetPeriodKind
from budgets.periods import next_period, period_end, user_today
from budgets.selectors import level_of, percentage_of
from budgets.spending import BudgetSpending, budget_spending
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.on_commit import enqueue_on_commit, run_on_commit
from ledger.selectors import category_by_slug
from realtime.services import publish_on_commit

ALERT_RATE_WINDOW = datetime.timedelta(hours=1)
# Nightly catch-up: how many periods one ended budget may be renewed through at most.
MAX_CATCH_UP_PERIODS = 400
UPDATABLE = ("amount", "period", "start_date", "end_date", "auto_renew")


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(f"{field}: {message}", code="invalid", errors={field: [message]})


def _figures_moved(*, user_id) -> None:
    run_on_commit(lambda: spending_cache.forget(user_id=user_id))


def _check_amount(amount: Decimal) -> Decimal:
    if amount <= 0:
        raise _invalid("amount", "The amount must be greater than zero.")
    return amount


def _check_dates(*, start_date: datetime.date, end_date: datetime.date) -> None:
    if end_date <= start_date:
        raise _invalid("end_date", "The end date must be after the start date.")


def _spending_of(budget: Budget, *, today: datetime.date) -> BudgetSpending:
    return budget_spending(user_id=budget.user_id, budget_id=budget.pk, with_recent=False, today=today)[0]


def _settle_level(budget: Budget, *, today: datetime.date) -> None:
    """A budget written by its owner starts at the level its spending already has: they see
    the percentage in the answer, an alert would only repeat it."""
    spending = _spending_of(budget, today=today)
    level = level_of(percentage_of(spent=spending.spent, amount=budget.amount))
    Budget.objects.filter(pk=budget.pk).update(alert_level=level)
    budget.alert_level = level


# --- create, change, delete --------------------------------------------------------------------
@transaction.atomic
def budget_upsert(
    *,
    user,
    category: str,
    amount: Decimal,
    start_date: datetime.date,
    period: str = BudgetPeriodKind.MONTHLY,
    end_date: datetime.date | None = None,
    auto_renew: bool = False,
) -> tuple[Budget, bool]:
    """Create the user's budget for `category` starting on `start_date`, or update the one
    there is (the unique (user, category, start_date) decides, under concurrency too).
    `end_date` defaults to the end of the calendar period; a custom period needs one."""
    category_row = category_by_slug(user=user, slug=category)
    if category_row is None:
        raise _invalid("category", f"Unknown category {category!r}.")
    if end_date is None:
        if period == BudgetPeriodKind.CUSTOM:
            raise _invalid("end_date", "A custom period needs an end date.")
        end_date = period_end(start_date, period)
    _check_amount(amount)
    _check_dates(start_date=start_date, end_date=end_date)
    budget, created = Budget.objects.update_or_create(
        user=user, category=category_row, start_date=start_date,
        defaults={"amount": amount, "period": period, "end_date": end_date, "auto_renew": auto_renew},
    )
    if created:
        _settle_level(budget, today=user_today(user, timezone.now()))
    else:
        _evaluate_later(budget)
    _figures_moved(user_id=user.pk)
    return budget, created


def _locked(*, user, budget_id) -> Budget:
    budget = Budget.objects.select_for_update().filter(user=user, pk=budget_id).first()
    if budget is None:
        raise NotFoundError("Budget not found.")
    return budget


def _evaluate_later(budget: Budget) -> None:
    enqueue_on_commit(tasks.evaluate_budget_alerts, str(budget.user_id), budget_ids=[str(budget.pk)])


@transaction.atomic
def budget_update(*, user, budget_id, data: Mapping[str, Any]) -> Budget:
    """Change the fields present in `data` (amount, period, start_date, end_date, auto_renew);
    a new start or period kind without an end date takes the calendar period's end. A change
    that moves the percentage is evaluated for alerts after commit."""
    budget = _locked(user=user, budget_id=budget_id)
    for field in UPDATABLE:
        if field in data:
            setattr(budget, field, data[field])
    if {"period", "start_date"} & set(data) and "end_date" not in data and budget.period != BudgetPeriodKind.CUSTOM:
        # A new start or kind without an end: the calendar period from the (new) start.
        budget.end_date = period_end(budget.start_date, budget.period)
    _check_amount(budget.amount)
    _check_dates(start_date=budget.start_date, end_date=budget.end_date)
    try:
        with transaction.atomic():
            budget.save()
    except IntegrityError:
        raise ConflictError(
            f"You already have a budget for this category starting on {budget.start_date}.", code="budget_exists"
        ) from None
    if {"amount", "start_date", "end_date"} & set(data):
        _evaluate_later(budget)
    _figures_moved(user_id=user.pk)
    return budget


@transaction.atomic
def budget_delete(*, user, budget_id) -> None:
    _locked(user=user, budget_id=budget_id).delete()
    _figures_moved(user_id=user.pk)


# --- renewal and history ----------------------------------------------------------------------
def _close(budget: Budget, *, today: datetime.date) -> BudgetPeriod:
    """The history row of an ended budget: what it allowed and what was spent (written once)."""
    spending = _spending_of(budget, today=today)
    period, _ = BudgetPeriod.objects.get_or_create(
        budget=budget,
        defaults={
            "user_id": budget.user_id, "category_id": budget.category_id, "start_date": budget.start_date,
            "end_date": budget.end_date, "amount": budget.amount, "spent": spending.spent,
            "percentage": percentage_of(spent=spending.spent, amount=budget.amount),
        },
    )
    return period


def _successor_fields(budget: Budget) -> dict[str, Any]:
    start, end = next_period(start=budget.start_date, end=budget.end_date, period=budget.period)
    return {
        "user_id": budget.user_id, "category_id": budget.category_id, "start_date": start, "end_date": end,
        "amount": budget.amount, "period": budget.period, "auto_renew": budget.auto_renew,
    }


@transaction.atomic
def budget_renew(*, user, budget_id, today: datetime.date | None = None) -> Budget:
    """The next period of an ended budget, same amount (and period kind, and auto-renewal);
    the ended one's history row is written. 409 when it has not ended yet, was renewed
    already, or ended more than one period ago (then a new budget is the way)."""
    budget = _locked(user=user, budget_id=budget_id)
    today = today or user_today(user, timezone.now())
    if budget.end_date >= today:
        raise ConflictError(
            f"This budget runs until {budget.end_date}; it can be renewed once it has ended.", code="budget_not_ended"
        )
    fields = _successor_fields(budget)
    existing = Budget.objects.filter(user=user, category_id=budget.category_id, start_date=fields["start_date"]).first()
    if existing is not None:
        raise ConflictError(
            f"This budget was already renewed: the next one starts on {fields['start_date']}.",
            code="budget_already_renewed", extra={"existing": {"id": str(existing.pk)}},
        )
    if fields["end_date"] < today:
        raise ConflictError(
            f"This budget ended on {budget.end_date}, more than one period ago: create a new budget for the current "
            "period instead of renewing it.",
            code="budget_renewal_expired",
        )
    try:
        with transaction.atomic():
            renewed = Budget.objects.create(**fields)
    except IntegrityError:  # a concurrent renewal won
        raise ConflictError("This budget was already renewed.", code="budget_already_renewed") from None
    _close(budget, today=today)
    _settle_level(renewed, today=today)
    _figures_moved(user_id=user.pk)
    return renewed


def budgets_close_ended(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The nightly pass: every budget that has ended (in its owner's time zone) gets its
    history row, and each one with auto_renew its next period, through to the period that
    contains today (catching up after days without a run). Safe to run twice: a budget with
    its history row is done, and renewals land on the unique (user, category, start_date)."""
    now = now or timezone.now()
    # The zone furthest ahead is UTC+14: no budget ending later than tomorrow (UTC) has ended.
    horizon = now.date() + datetime.timedelta(days=1)
    candidates = (
        Budget.objects.filter(end_date__lt=horizon, closed_period__isnull=True)
        .select_related("user").order_by("user_id", "end_date")
    )
    counts = {"closed": 0, "renewed": 0}
    for budget in list(candidates):
        today = user_today(budget.user, now)
        if budget.end_date < today:
            closed, renewed = _close_and_renew(budget_id=budget.pk, today=today)
            counts["closed"] += closed
            counts["renewed"] += renewed
    return counts


@transaction.atomic
def _close_and_renew(*, budget_id, today: datetime.date) -> tuple[int, int]:
    budget = Budget.objects.select_for_update().filter(pk=budget_id).first()
    if budget is None or BudgetPeriod.objects.filter(budget=budget).exists():  # deleted or closed meanwhile
        return 0, 0
    closed = renewed = 0
    for _ in range(MAX_CATCH_UP_PERIODS):
        _close(budget, today=today)
        closed += 1
        if not budget.auto_renew:
            break
        fields = _successor_fields(budget)
        successor, created = Budget.objects.get_or_create(
            user_id=fields["user_id"], category_id=fields["category_id"], start_date=fields["start_date"], defaults=fields
        )
        if created:
            renewed += 1
            _settle_level(successor, today=today)
        if successor.end_date >= today or hasattr(successor, "closed_period"):
            break
        budget = successor
    _figures_moved(user_id=budget.user_id)
    return closed, renewed


# --- alerts ---------------------------------------------------------------------------------
def budget_alerts_evaluate(
    *,
    user_id,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    budget_ids: list | None = None,
    now: datetime.datetime | None = None,
) -> list[dict[str, Any]]:
    """Compare each budget of the user that has not ended (and covers a day in since..until,
    or is one of `budget_ids`) with the level it had: a level crossed upward publishes one
    `budget_alert` (at the highest level reached), at most one per budget and level an hour,
    except that reaching 100 % from below always alerts. One statement reads every such
    budget's spending; only a budget whose level moved is written. Returns what was sent."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return []
    now = now or timezone.now()
    today = user_today(user, now)
    overlapping = (since, until) if since and until else None
    rows = budget_spending(user_id=user.pk, with_recent=False, today=today, ending_since=today, overlapping=overlapping)
    wanted = {str(budget_id) for budget_id in budget_ids} if budget_ids is not None else None
    sent = []
    for row in rows:
        if wanted is not None and str(row.id) not in wanted:
            continue
        percentage = percentage_of(spent=row.spent, amount=row.amount)
        level = level_of(percentage)
        if level != row.alert_level:
            alert = _move_level(row, level=level, percentage=percentage, now=now)
            if alert is not None:
                sent.append(alert)
    return sent


@transaction.atomic
def _move_level(row: BudgetSpending, *, level: AlertLevel, percentage: Decimal, now: datetime.datetime) -> dict | None:
    # Compare-and-swap: of two evaluations that saw the same old level, one moves it.
    if not Budget.objects.filter(pk=row.id, alert_level=row.alert_level).update(alert_level=level):
        return None
    if level < row.alert_level:
        return None  # spending fell back: the level follows, silently, so a new rise alerts again
    reached_100 = row.alert_level < AlertLevel.EXCEEDED <= level
    recent = BudgetAlert.objects.filter(budget_id=row.id, level=level, created_at__gte=now - ALERT_RATE_WINDOW)
    if not reached_100 and recent.exists():
        return None
    BudgetAlert.objects.create(budget_id=row.id, level=level, amount=row.amount, spent=row.spent, percentage=percentage)
    data = {
        "budget_id": str(row.id),
        "category": row.category,
        "level": AlertLevel(level).label,
        "budget": f"{row.amount:.2f}",
        "spent": f"{row.spent:.2f}",
        "percentage": float(percentage),
        "remaining": f"{row.amount - row.spent:.2f}",
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat(),
    }
    publish_on_commit(row.user_id, "budget_alert", data)
    return data


def transactions_changed_received(*, user_id, dates: list[datetime.date]) -> None:
    """What a ledger write means for budgets: the user's figures are dropped from the cache
    now, and the budgets covering the changed days are evaluated for alerts by a task (one
    per write call: an import batch, a bulk change and a manual entry alike)."""
    spending_cache.forget(user_id=user_id)
    if not dates:
        return
    enqueue_on_commit(
        tasks.evaluate_budget_alerts, str(user_id), since=min(dates).isoformat(), until=max(dates).isoformat()
    )

