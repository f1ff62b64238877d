"""Celery adapters for the ledger. Thin: each calls one selector or service. The categoriser's
tasks live in its package and are re-exported here so that autodiscovery registers them."""

import logging

from celery import shared_task

from ledger.categoriser.tasks import categoriser_retrain, categoriser_retrain_nightly, embeddings_backfill_task
from ledger.selectors import corrections_orphaned

__all__ = [
    "categoriser_retrain",
    "categoriser_retrain_nightly",
    "embeddings_backfill_task",
    "scheduled_check_correction_references",
]

logger = logging.getLogger(__name__)


@shared_task(name="ledger.tasks.scheduled_check_correction_references")
def scheduled_check_correction_references() -> dict:
    """Nightly: report corrections whose transaction or category is gone (decision 0004).
    Read-only, so safe to run twice."""
    found = corrections_orphaned()
    if any(found["counts"].values()):
        logger.error("ledger: corrections with missing references: %s (examples: %s)", found["counts"], found["examples"])
    return found
