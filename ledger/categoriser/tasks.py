"""Celery adapters for the categoriser (registered through ledger/tasks.py; queue `default`)."""

import datetime

from celery import shared_task

from ledger.categoriser.embeddings import embeddings_backfill
from ledger.categoriser.personal import personal_model_retrain, users_with_new_corrections


@shared_task(name="ledger.tasks.categoriser_retrain")
def categoriser_retrain(user_id: str) -> int:
    """Retrain one user's personal model; safe to run twice (the same rows give the same model)."""
    stored = personal_model_retrain(user_id=user_id)
    return stored.examples if stored is not None else 0


@shared_task(name="ledger.tasks.categoriser_retrain_nightly")
def categoriser_retrain_nightly() -> int:
    """Nightly at 01:00: every user with corrections newer than their personal model."""
    users = users_with_new_corrections()
    for user_id in users:
        personal_model_retrain(user_id=user_id)
    return len(users)


@shared_task(name="ledger.tasks.embeddings_backfill")
def embeddings_backfill_task(user_id: str, dates: list[str] | None = None) -> int:
    """Embed the user's rows (on these ISO dates, when given) that have no vector for the
    current model; safe to run twice."""
    return embeddings_backfill(
        user_id=user_id, dates=[datetime.date.fromisoformat(day) for day in dates] if dates is not None else None
    )
