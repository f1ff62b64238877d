import uuid

from celery import current_app
from django.db import transaction
from django.utils import timezone

from core.models import DeadLetter
from core.on_commit import dispatch_task


def dead_letter_record(
    *,
    task_name: str,
    task_id: str,
    args: list,
    kwargs: dict,
    exception: BaseException,
    traceback: str,
    retries: int,
) -> DeadLetter:
    """Record a task that failed for good; the same task id twice updates one row."""
    dead_letter, _ = DeadLetter.objects.update_or_create(
        task_id=task_id or str(uuid.uuid4()),
        defaults={
            "task_name": task_name,
            "args": args,
            "kwargs": kwargs,
            "exception_type": type(exception).__name__,
            "exception_message": str(exception)[:10_000],
            "traceback": traceback[-20_000:],
            "retries": retries,
        },
    )
    return dead_letter


def dead_letter_retry(*, dead_letter: DeadLetter) -> str | None:
    """Send a dead letter's task again with its original arguments.

    Claims the row first (compare-and-swap on retried_at) so two admins clicking at once,
    or the command racing the admin, re-run it only once. Returns the new task id, or None
    when somebody else already re-ran it."""
    new_task_id = str(uuid.uuid4())
    with transaction.atomic():
        claimed = DeadLetter.objects.filter(id=dead_letter.id, retried_at__isnull=True).update(
            retried_at=timezone.now(), retry_task_id=new_task_id
        )
    if not claimed:
        return None
    task = current_app.tasks[dead_letter.task_name]
    dispatch_task(task, dead_letter.args, dead_letter.kwargs, task_id=new_task_id)
    return new_task_id
