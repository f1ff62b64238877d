"""Reads of budgets. Every function is scoped to one user; another user's budget is a 404.

A budget's figures (spent, remaining, percentage, suggested_amount) come from one aggregate
statement for all of the user's budgets (`budgets.spending`), kept in the cache per user
until a write of theirs (a transaction or a budget) moves the user's generation on; see
`budgets.cache` and docs/decisions/budgets-spending-cache.md."""

import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone

from budgets import cache as spending_cache
from budgets.models import AlertLevel, Budget, BudgetPeriod
from budgets.periods import calendar_period, user_today
from budgets.spending import RECENT_DAYS, BudgetSpending, budget_spending
from core.exceptions import NotFoundError
from ledger.models import Category, Transaction

SUGGESTION_WINDOW_DAYS = RECENT_DAYS
SUGGESTION_MONTHS = 3  # the 90-day window, in months, for the monthly average
SUGGESTION_MARGIN = Decimal("1.1")
HUNDRED = Decimal(100)
PERCENT = Decimal("0.01")
# The thresholds of AlertLevel, as percentages.
THRESHOLDS = (
    (Decimal(110), AlertLevel.SEVERE),
    (Decimal(100), AlertLevel.EXCEEDED),
    (Decimal(90), AlertLevel.CRITICAL),
    (Decimal(80), AlertLevel.WARNING),
)
AT_RISK_PERCENT = Decimal(80)
OVER_BUDGET_PERCENT = Decimal(100)


# --- figures of one budget ------------------------------------------------------------------
def percentage_of(*, spent: Decimal, amount: Decimal) -> Decimal:
    return (spent * HUNDRED / amount).quantize(PERCENT, rounding=ROUND_HALF_UP)


def level_of(percentage: Decimal) -> AlertLevel:
    for threshold, level in THRESHOLDS:
        if percentage >= threshold:
            return level
    return AlertLevel.NONE


def state_of(percentage: Decimal) -> str:
    if percentage >= OVER_BUDGET_PERCENT:
        return "over_budget"
    if percentage >= AT_RISK_PERCENT:
        return "at_risk"
    return "healthy"


def suggested_amount(recent_spending: Decimal | None) -> Decimal | None:
    """Average monthly spending over the last 90 days x 1.1, rounded up to a whole unit and
    at least BUDGET_SUGGESTION_FLOOR; None without spending to go by."""
    if recent_spending is None or recent_spending <= 0:
        return None
    monthly = recent_spending / SUGGESTION_MONTHS
    suggested = (monthly * SUGGESTION_MARGIN).quantize(Decimal(1), rounding=ROUND_CEILING)
    return max(suggested, Decimal(settings.BUDGET_SUGGESTION_FLOOR)).quantize(PERCENT)


def budget_to_dict(row: BudgetSpending) -> dict[str, Any]:
    """A budget with its figures in API.md's shape (amounts as strings)."""
    percentage = percentage_of(spent=row.spent, amount=row.amount)
    suggestion = suggested_amount(row.recent_spending)
    return {
        "id": str(row.id),
        "category": row.category,
        "amount": _text(row.amount),
        "period": row.period,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat(),
        "auto_renew": row.auto_renew,
        "spent": _text(row.spent),
        "remaining": _text(row.amount - row.spent),
        "percentage": float(percentage),
        "suggested_amount": _text(suggestion) if suggestion is not None else None,
        "state": state_of(percentage),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _text(amount: Decimal) -> str:
    return f"{amount:.2f}"


# --- budgets ----------------------------------------------------------------------------------
def budget_today(*, user) -> datetime.date:
    return user_today(user, timezone.now())


def recent_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last 90 days, today included."""
    return today - datetime.timedelta(days=SUGGESTION_WINDOW_DAYS - 1), today


def budget_spending_rows(*, user, today: datetime.date | None = None) -> list[BudgetSpending]:
    """All of the user's budgets with their spending: from the cache when the user's
    generation has not moved since it was computed, else from one aggregate statement."""
    today = today or budget_today(user=user)
    return spending_cache.remember(
        user_id=user.pk, today=today, compute=lambda: budget_spending(user_id=user.pk, today=today)
    )


def budget_list(*, user, active: bool | None = None, category: str | None = None) -> list[dict[str, Any]]:
    """Every budget of the user with its figures; `active` keeps (or drops) the budgets whose
    period contains today, `category` those of one category slug."""
    today = budget_today(user=user)
    rows = budget_spending_rows(user=user, today=today)
    if active is not None:
        rows = [row for row in rows if (row.start_date <= today <= row.end_date) == active]
    if category:
        rows = [row for row in rows if row.category == category]
    return [budget_to_dict(row) for row in rows]


def budget_get(*, user, budget_id) -> Budget:
    budget = Budget.objects.filter(user=user, pk=budget_id).select_related("category").first()
    if budget is None:
        raise NotFoundError("Budget not found.")
    return budget


def budget_spending_one(*, user, budget_id, today: datetime.date | None = None) -> BudgetSpending:
    """One budget with its spending (one statement); 404 when missing or not the user's."""
    today = today or budget_today(user=user)
    rows = budget_spending(user_id=user.pk, budget_id=budget_id, today=today)
    if not rows:
        raise NotFoundError("Budget not found.")
    return rows[0]


def budget_detail(*, user, budget_id) -> dict[str, Any]:
    return budget_to_dict(budget_spending_one(user=user, budget_id=budget_id))


def budget_status(*, user) -> dict[str, Any]:
    """The budgets whose period contains today: totals, counts, and the over-budget
    (>= 100 %), at-risk (>= 80 %) and healthy ones, each list highest percentage first."""
    today = budget_today(user=user)
    active = [row for row in budget_spending_rows(user=user, today=today) if row.start_date <= today <= row.end_date]
    budgets = sorted((budget_to_dict(row) for row in active), key=lambda item: (-item["percentage"], item["category"]))
    groups = {state: [item for item in budgets if item["state"] == state] for state in ("over_budget", "at_risk", "healthy")}
    total_budgeted = sum((row.amount for row in active), Decimal("0.00"))
    total_spent = sum((row.spent for row in active), Decimal("0.00"))
    return {
        "date": today.isoformat(),
        "total_budgeted": _text(total_budgeted),
        "total_spent": _text(total_spent),
        "total_remaining": _text(total_budgeted - total_spent),
        "percentage": float(percentage_of(spent=total_spent, amount=total_budgeted)) if total_budgeted else 0.0,
        "over_budget_count": len(groups["over_budget"]),
        "at_risk_count": len(groups["at_risk"]),
        "healthy_count": len(groups["healthy"]),
        "over_budget": groups["over_budget"],
        "at_risk": groups["at_risk"],
        "healthy": groups["healthy"],
    }


def budget_history(*, user, budget_id) -> QuerySet[BudgetPeriod]:
    """The closed periods of the budget's category for the user, newest first (the budget's
    own when it has closed, and those before and after it)."""
    budget = budget_get(user=user, budget_id=budget_id)
    return BudgetPeriod.objects.filter(user=user, category_id=budget.category_id).order_by("-start_date")


def budget_period_to_dict(period: BudgetPeriod, *, category: str) -> dict[str, Any]:
    return {
        "id": str(period.id),
        "budget": str(period.budget_id),
        "category": category,
        "start_date": period.start_date.isoformat(),
        "end_date": period.end_date.isoformat(),
        "amount": _text(period.amount),
        "spent": _text(period.spent),
        "remaining": _text(period.amount - period.spent),
        "percentage": float(period.percentage),
        "closed_at": period.closed_at,
    }


# --- suggestions and comparison ---------------------------------------------------------------
def budget_suggestions(*, user) -> list[dict[str, Any]]:
    """Per category the user spent in over the last 90 days (its own rows and its children's),
    or holds a budget for: average monthly spending, the suggested amount (null without
    spending), the current budget's amount, and a flag when the average passes
    BUDGET_SUGGESTION_FLAG_ABOVE a month. Highest average first."""
    today = budget_today(user=user)
    since, until = recent_window(today)
    by_category = _spending_by_category(user=user, since=since, until=until)
    categories = list(Category.objects.filter(user__isnull=True).values("id", "slug", "parent_id"))
    categories += list(Category.objects.filter(user=user).values("id", "slug", "parent_id"))
    subtree_spending = _roll_up(categories, by_category)
    budgeted = {
        row.category_id: row for row in budget_spending_rows(user=user, today=today) if row.start_date <= today <= row.end_date
    }
    flag_above = Decimal(settings.BUDGET_SUGGESTION_FLAG_ABOVE)
    result = []
    for category in categories:
        spending = subtree_spending.get(category["id"])
        budget = budgeted.get(category["id"])
        if (spending is None or spending <= 0) and budget is None:
            continue
        average = (spending / SUGGESTION_MONTHS).quantize(PERCENT) if spending is not None else None
        suggestion = suggested_amount(spending)
        result.append({
            "category": category["slug"],
            "average_monthly_spending": _text(average) if average is not None else None,
            "suggested_amount": _text(suggestion) if suggestion is not None else None,
            "current_budget": _text(budget.amount) if budget else None,
            "budget_id": str(budget.id) if budget else None,
            "flagged": bool(average is not None and average > flag_above),
            "flag_reason": "unusually_high" if average is not None and average > flag_above else None,
        })
    result.sort(key=lambda item: (-(Decimal(item["average_monthly_spending"] or 0)), item["category"]))
    return result


def _spending_by_category(*, user, since: datetime.date, until: datetime.date) -> dict:
    """-(sum of amounts) per category of the user's live transactions in [since, until]."""
    rows = (
        Transaction.objects.filter(user=user, is_deleted=False, date__gte=since, date__lte=until)
        .values("category_id")
        .annotate(total=Sum("amount"))
        .values_list("category_id", "total")
        .order_by()
    )
    return {category_id: -Decimal(str(total)).quantize(PERCENT) for category_id, total in rows}


def _roll_up(categories: list[dict], own: dict) -> dict:
    """Each category's spending plus that of every category below it (cycles end)."""
    children: dict = {}
    for category in categories:
        children.setdefault(category["parent_id"], []).append(category["id"])
    result = {}
    for category in categories:
        seen, stack, total, found = set(), [category["id"]], Decimal("0.00"), False
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in own:
                total, found = total + own[node], True
            stack.extend(children.get(node, ()))
        if found:
            result[category["id"]] = total
    return result


def budget_comparison(*, user, period: str) -> dict[str, Any]:
    """Spending per category in the calendar `period` (week, month, quarter, year) that
    contains today, so far, against the whole previous one, with the change."""
    today = budget_today(user=user)
    current_start, current_end = calendar_period(today, period)
    previous_start, previous_end = calendar_period(current_start - datetime.timedelta(days=1), period)
    current = _spending_by_category(user=user, since=current_start, until=min(today, current_end))
    previous = _spending_by_category(user=user, since=previous_start, until=previous_end)
    slugs = dict(Category.objects.filter(pk__in=set(current) | set(previous)).values_list("pk", "slug"))
    categories = [_change(slugs[pk], current.get(pk, Decimal("0.00")), previous.get(pk, Decimal("0.00"))) for pk in slugs]
    # Spending only: a category that took money in both times (salary) is not spending.
    categories = [item for item in categories if Decimal(item["current"]) > 0 or Decimal(item["previous"]) > 0]
    categories.sort(key=lambda item: (-Decimal(item["current"]), item["category"]))
    total_current = sum((Decimal(item["current"]) for item in categories), Decimal("0.00"))
    total_previous = sum((Decimal(item["previous"]) for item in categories), Decimal("0.00"))
    return {
        "period": period,
        "current": {"start_date": current_start.isoformat(), "end_date": current_end.isoformat(), "through": min(today, current_end).isoformat()},
        "previous": {"start_date": previous_start.isoformat(), "end_date": previous_end.isoformat()},
        "totals": _change(None, total_current, total_previous),
        "categories": categories,
    }


def _change(category: str | None, current: Decimal, previous: Decimal) -> dict[str, Any]:
    change = current - previous
    item = {} if category is None else {"category": category}
    item.update({
        "current": _text(current),
        "previous": _text(previous),
        "change": _text(change),
        "change_percentage": float(percentage_of(spent=change, amount=previous)) if previous > 0 else None,
    })
    return item

