"""The one way services hand work to Celery or to any other side effect: after commit.

Never call `.delay()` inside an open transaction: a worker could run before the rows it
needs are visible, or for rows that a rollback then removes."""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache, partial
from typing import Any

from celery import Task
from django.conf import settings
from django.db import close_old_connections, transaction

logger = logging.getLogger(__name__)


def run_on_commit(callback: Callable[[], Any]) -> None:
    """Run `callback` once the current transaction commits (at once outside one)."""
    transaction.on_commit(callback, robust=True)


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send `task(*args, **kwargs)` after commit, the way TASK_EXECUTION says."""
    run_on_commit(partial(dispatch_task, task, args, kwargs))


def dispatch_task(task: Task, args: tuple | list, kwargs: dict, *, task_id: str | None = None) -> None:
    mode = settings.TASK_EXECUTION
    if mode == "broker":
        task.apply_async(args=list(args), kwargs=kwargs, task_id=task_id)
    elif mode == "inline":
        task.apply(args=list(args), kwargs=kwargs, task_id=task_id, throw=True)
    else:
        _in_process_executor().submit(_run_in_process, task, list(args), kwargs, task_id)


@cache
def _in_process_executor() -> ThreadPoolExecutor:
    # The embedded default has no broker: tasks run in this process, off the request thread.
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="ledgerline-task")


def _run_in_process(task: Task, args: list, kwargs: dict, task_id: str | None) -> None:
    try:
        result = task.apply(args=args, kwargs=kwargs, task_id=task_id)
        if result.failed():
            logger.error("In-process task %s failed: %s", task.name, result.result)
    finally:
        close_old_connections()
