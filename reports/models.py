"""Report specs saved for re-use, the files rendered from them, and emailed schedules.

A spec is a small JSON document ({filters, group_by, metrics, format}) validated by
`reports.spec` before it is stored, so every stored spec can be run again."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class ReportFormat(models.TextChoices):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"
    IIF = "iif"
    QBO_CSV = "qbo_csv"
    QBO = "qbo"
    TXF = "txf"
    TAX_CSV = "tax_csv"
    TAX_PDF = "tax_pdf"


# Every format but json: what a file-producing schedule may use.
FILE_FORMAT_CHOICES = [(value, label) for value, label in ReportFormat.choices if value != ReportFormat.JSON]


class ReportDefinition(models.Model):
    """A saved report spec a user can re-run (`/api/v1/reports/definitions/`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_definitions")
    name = models.CharField(max_length=120)
    filters = models.JSONField(default=dict, blank=True)
    group_by = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=list, blank=True)
    format = models.CharField(max_length=10, choices=ReportFormat.choices, default=ReportFormat.JSON)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["user", "name"], name="report_definition_user_name")]
        constraints = [
            models.CheckConstraint(condition=Q(format__in=ReportFormat.values), name="report_definition_format_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class GeneratedReport(models.Model):
    """One rendered file. A worker moves it pending -> processing -> completed | failed; the
    file lives in the default storage under `reports/<user id>/` until `expires_at`."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generated_reports")
    definition = models.ForeignKey(
        ReportDefinition, null=True, blank=True, on_delete=models.SET_NULL, related_name="generated_reports"
    )
    name = models.CharField(max_length=120, blank=True)
    spec = models.JSONField(default=dict)
    format = models.CharField(max_length=10, choices=ReportFormat.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    file = models.CharField(max_length=300, blank=True, help_text="Path in the default storage.")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="generated_report_user_created"),
            models.Index(fields=["expires_at"], name="generated_report_expires"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(format__in=ReportFormat.values), name="generated_report_format_valid"),
            models.CheckConstraint(
                condition=~Q(status="completed") | (Q(size__isnull=False) & ~Q(file="") & ~Q(sha256="")),
                name="generated_report_completed_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.format} ({self.status})"


class ScheduleKind(models.TextChoices):
    WEEKLY_SUMMARY = "weekly_summary"
    MONTHLY_REPORT = "monthly_report"
    CUSTOM = "custom"


class Cadence(models.TextChoices):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class ReportSchedule(models.Model):
    """An emailed report. Built-ins carry no definition; `custom` runs one. `next_run` is the
    UTC instant of the next Monday 08:00 (weekly) or 1st 00:00 (monthly) in the user's time
    zone; one beat entry sends every schedule whose `next_run` has passed."""

    Kind = ScheduleKind

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_schedules")
    kind = models.CharField(max_length=20, choices=ScheduleKind.choices)
    definition = models.ForeignKey(
        ReportDefinition, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    format = models.CharField(max_length=10, choices=ReportFormat.choices, default=ReportFormat.PDF)
    enabled = models.BooleanField(default=True)
    next_run = models.DateTimeField()
    last_run = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["next_run"], condition=Q(enabled=True), name="report_schedule_due"),
            models.Index(fields=["user", "created_at"], name="report_schedule_user"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ScheduleKind.values), name="report_schedule_kind_valid"),
            models.CheckConstraint(condition=Q(cadence__in=Cadence.values), name="report_schedule_cadence_valid"),
            models.CheckConstraint(
                condition=Q(kind="custom", definition__isnull=False) | (~Q(kind="custom") & Q(definition__isnull=True)),
                name="report_schedule_custom_iff_definition",
            ),
            models.CheckConstraint(
                condition=Q(format__in=ReportFormat.values) & ~Q(format="json"), name="report_schedule_format_file"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.cadence} ({'on' if self.enabled else 'off'})"


class ScheduleDelivery(models.Model):
    """One send of one schedule for one period (the idempotency key). A second beat tick or a
    redelivered task finds the row and does not send again; see `reports.services.schedule_deliver`."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        SKIPPED = "skipped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="deliveries")
    period_key = models.CharField(max_length=40, help_text="weekly:<monday> or monthly:<yyyy-mm>.")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    report = models.ForeignKey(GeneratedReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message_id = models.CharField(max_length=200, blank=True)
    skip_reason = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_key"], name="schedule_delivery_once_per_period"),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="schedule_delivery_sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.period_key} {self.status}"
