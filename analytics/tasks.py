"""Celery adapters over analytics services: ids and ISO dates in, one service call, safe to
run twice (detection upserts on (user, key); scoring skips scored rows; reminders and alerts
are claimed by compare-and-swap)."""

import datetime

from celery import shared_task

from analytics import services


@shared_task(name="analytics.tasks.scheduled_detect_subscriptions")
def scheduled_detect_subscriptions() -> dict:
    """Nightly (01:00 UTC, `scheduled` queue): everyone's detection, then the reminders."""
    report = services.recurrences_detect_all()
    reminders = services.subscription_reminders_send()
    return {"users": report.users, "detected": report.detected, "price_changes": report.price_changes, "reminders": reminders}


@shared_task(name="analytics.tasks.refresh_after_change")
def refresh_after_change(user_id: str, dates: list[str]) -> dict:
    """After a ledger write: score the new rows, re-detect the merchants they touched."""
    report = services.analytics_refresh_after_change(
        user_id=user_id, dates=[datetime.date.fromisoformat(d) for d in dates]
    )
    return {"scored": report.scored, "findings": report.findings, "alerts": report.alerts}
