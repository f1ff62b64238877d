"""Celery adapters for the ledger. Thin: each calls one selector or service."""

import logging

from celery import shared_task

from ledger.selectors import corrections_orphaned

logger = logging.getLogger(__name__)


@shared_task(name="ledger.tasks.scheduled_check_correction_references")
def scheduled_check_correction_references() -> dict:
    """Nightly: report corrections whose transaction or category is gone (decision 0004).
    Read-only, so safe to run twice."""
    found = corrections_orphaned()
    if any(found["counts"].values()):
        logger.error("ledger: corrections with missing references: %s (examples: %s)", found["counts"], found["examples"])
    return found
