"""Celery adapters: they take ids and ISO dates, call one service, and are safe to run twice
(an alert level moves by compare-and-swap; a closed budget is not closed again)."""

import datetime

from celery import shared_task

from budgets import services


@shared_task(name="budgets.tasks.evaluate_budget_alerts")
def evaluate_budget_alerts(
    user_id: str, since: str | None = None, until: str | None = None, budget_ids: list[str] | None = None
) -> int:
    """Evaluate the user's budgets covering since..until (or `budget_ids`); returns the
    number of alerts sent."""
    sent = services.budget_alerts_evaluate(
        user_id=user_id,
        since=datetime.date.fromisoformat(since) if since else None,
        until=datetime.date.fromisoformat(until) if until else None,
        budget_ids=budget_ids,
    )
    return len(sent)


@shared_task(name="budgets.tasks.scheduled_renew_budgets")
def scheduled_renew_budgets() -> dict[str, int]:
    """Nightly (03:00 UTC): history rows for ended budgets, next periods for auto-renewing ones."""
    return services.budgets_close_ended()
