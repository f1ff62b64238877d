import uuid

from django.db import models


class DeadLetter(models.Model):
    """A task that failed for good (retries exhausted, or an error that retrying cannot fix).

    Kept so an operator can see what was lost and re-run it once the cause is mended."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task_name = models.CharField(max_length=200, db_index=True)
    task_id = models.CharField(max_length=255, unique=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    exception_type = models.CharField(max_length=200)
    exception_message = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    retries = models.PositiveIntegerField(default=0)
    failed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    retried_at = models.DateTimeField(null=True, blank=True)
    retry_task_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-failed_at"]
        indexes = [models.Index(fields=["retried_at"], name="deadletter_retried_idx")]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.exception_type})"
