"""The base class of every Ledgerline Celery task.

Retries cover errors that can pass (a dropped connection, a lock timeout) with exponential
backoff and jitter; bad data is never retried. A task that fails for good is recorded as a
DeadLetter an admin can see and re-run."""

import logging
import socket

import redis.exceptions
from celery import Task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from core.metrics import TASKS_DEAD_LETTERED
from core.services import dead_letter_record

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
    socket.timeout,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


class LedgerlineTask(Task):
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 2
    retry_backoff_max = 600
    retry_jitter = True
    acks_late = True

    @property
    def max_retries(self) -> int:  # type: ignore[override]
        return settings.TASK_RETRY_MAX

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        TASKS_DEAD_LETTERED.labels(self.name).inc()
        try:
            dead_letter_record(
                task_name=self.name,
                task_id=task_id,
                args=list(args or []),
                kwargs=dict(kwargs or {}),
                exception=exc,
                traceback=str(einfo) if einfo else "",
                retries=self.request.retries or 0,
            )
        except Exception:  # the record must never hide the original failure
            logger.exception("Could not record dead letter for %s[%s]", self.name, task_id)
        super().on_failure(exc, task_id, args, kwargs, einfo)
