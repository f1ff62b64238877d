"""Writes of the reports app: request and render reports, save definitions, manage and send
schedules, unsubscribe, purge expired files."""

import datetime
import hashlib
import logging
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from core.exceptions import ApplicationError, NotFoundError
from core.on_commit import enqueue_on_commit
from realtime.services import publish
from reports import emails, tasks
from reports.models import (
    GeneratedReport,
    ReportDefinition,
    ReportFormat,
    ReportSchedule,
    ScheduleDelivery,
    ScheduleKind,
)
from reports.renderers import RENDERERS
from reports.schedule_times import Period, latest_run_at_or_before, next_run_after, period_for_run, user_zone
from reports.selectors import ReportTable, report_definition_get, report_retention, report_schedule_get, report_table
from reports.spec import ReportSpec, spec_clean

logger = logging.getLogger(__name__)
BUILT_IN_CADENCE = {ScheduleKind.WEEKLY_SUMMARY: "weekly", ScheduleKind.MONTHLY_REPORT: "monthly"}


# --- reports ---------------------------------------------------------------------------
def report_run(*, user, data: dict[str, Any], definition: ReportDefinition | None = None) -> ReportTable | GeneratedReport:
    """`format=json`: the table, computed now. Any other format: a pending GeneratedReport
    that a worker renders (task on the default queue) and announces with `report_ready`."""
    spec = spec_clean(data)
    if spec.format == ReportFormat.JSON:
        return report_table(user=user, spec=spec)
    return report_request(user=user, spec=spec, definition=definition)


@transaction.atomic
def report_request(*, user, spec: ReportSpec, definition: ReportDefinition | None = None) -> GeneratedReport:
    report = GeneratedReport.objects.create(
        user=user, definition=definition, name=spec.name, spec=spec.as_json(), format=spec.format,
        expires_at=timezone.now() + report_retention(),
    )
    enqueue_on_commit(tasks.render_report, str(report.id))
    return report


def report_render(*, report_id) -> GeneratedReport | None:
    """Render a pending report to its file. Safe to run twice: a completed report is left as
    it is; one left `processing` by a dead worker is rendered again to the same path."""
    claimed = GeneratedReport.objects.filter(
        pk=report_id, status__in=[GeneratedReport.Status.PENDING, GeneratedReport.Status.PROCESSING]
    ).update(status=GeneratedReport.Status.PROCESSING)
    if not claimed:
        return None
    report = GeneratedReport.objects.select_related("user").get(pk=report_id)
    try:
        table = report_table(user=report.user, spec=spec_clean(report.spec))
        report_store(report=report, table=table)
    except Exception as error:
        logger.exception("Report %s failed", report_id)
        GeneratedReport.objects.filter(pk=report_id).update(
            status=GeneratedReport.Status.FAILED, error=f"{type(error).__name__}"[:300], completed_at=timezone.now()
        )
        report.refresh_from_db()
        _announce(report)
        return report
    _announce(report)
    return report


def report_store(*, report: GeneratedReport, table: ReportTable) -> GeneratedReport:
    """Render `table` in the report's format, store the bytes, mark the report completed."""
    renderer = RENDERERS[report.format]
    content = renderer.render(table)
    path = f"reports/{report.user_id}/{report.id}.{renderer.extension}"
    if default_storage.exists(path):
        default_storage.delete(path)
    stored = default_storage.save(path, ContentFile(content))
    report.file, report.size = stored, len(content)
    report.sha256 = hashlib.sha256(content).hexdigest()
    report.status, report.completed_at, report.error = GeneratedReport.Status.COMPLETED, timezone.now(), ""
    report.save(update_fields=["file", "size", "sha256", "status", "completed_at", "error"])
    return report


def report_download_name(report: GeneratedReport) -> str:
    # Built from a slug of the name, the date and a whitelisted extension only: nothing a
    # user typed reaches the Content-Disposition header unfiltered.
    base = slugify(report.name)[:60] or "report"
    return f"{base}-{report.created_at:%Y-%m-%d}.{RENDERERS[report.format].extension}"


def _announce(report: GeneratedReport) -> None:
    publish(report.user_id, "report_ready", {
        "id": str(report.id), "status": report.status, "format": report.format, "size": report.size,
        "download_url": f"/api/v1/reports/{report.id}/download/" if report.status == "completed" else None,
    })


def reports_expired_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete reports past `expires_at` and their files (nightly). Returns how many."""
    now = now or timezone.now()
    purged = 0
    for report in GeneratedReport.objects.filter(expires_at__lte=now).only("id", "file").iterator(chunk_size=500):
        if report.file and default_storage.exists(report.file):
            default_storage.delete(report.file)
        purged += GeneratedReport.objects.filter(pk=report.pk).delete()[0] and 1
    return purged


# --- definitions -----------------------------------------------------------------------
def report_definition_create(*, user, data: dict[str, Any]) -> ReportDefinition:
    spec = spec_clean(data)
    name = (data.get("name") or "").strip()
    if not name:
        raise ApplicationError("name: This field is required.", errors={"name": ["This field is required."]})
    return ReportDefinition.objects.create(user=user, **_definition_fields(spec, name))


def report_definition_update(*, user, definition_id, data: dict[str, Any]) -> ReportDefinition:
    definition = report_definition_get(user=user, definition_id=definition_id)
    current = {"filters": definition.filters, "group_by": definition.group_by, "metrics": definition.metrics,
               "format": definition.format, "name": definition.name}
    merged = {**current, **{key: value for key, value in data.items() if key in current}}
    spec = spec_clean(merged)
    name = (merged.get("name") or "").strip() or definition.name
    for field, value in _definition_fields(spec, name).items():
        setattr(definition, field, value)
    definition.save()
    return definition


def _definition_fields(spec: ReportSpec, name: str) -> dict[str, Any]:
    return {"name": name[:120], "filters": spec.filters, "group_by": list(spec.group_by),
            "metrics": list(spec.metrics), "format": spec.format}


def report_definition_delete(*, user, definition_id) -> None:
    report_definition_get(user=user, definition_id=definition_id).delete()


def report_definition_rerun(*, user, definition_id, overrides: dict[str, Any]) -> ReportTable | GeneratedReport:
    """Run a saved definition again; `overrides` may change its filters or format this once."""
    definition = report_definition_get(user=user, definition_id=definition_id)
    data = {
        "name": definition.name, "filters": {**definition.filters, **(overrides.get("filters") or {})},
        "group_by": definition.group_by, "metrics": definition.metrics,
        "format": overrides.get("format") or definition.format,
    }
    return report_run(user=user, data=data, definition=definition)


# --- schedules -------------------------------------------------------------------------
def report_schedule_create(*, user, data: dict[str, Any]) -> ReportSchedule:
    kind = data.get("kind")
    definition = None
    if kind == ScheduleKind.CUSTOM:
        if not data.get("definition"):
            raise ApplicationError("definition: required for a custom schedule.",
                                   errors={"definition": ["Required for a custom schedule."]})
        definition = report_definition_get(user=user, definition_id=data["definition"])
        cadence = data.get("cadence") or "monthly"
    else:
        if data.get("definition"):
            raise ApplicationError("definition: only a custom schedule runs a definition.",
                                   errors={"definition": ["Only a custom schedule runs a definition."]})
        cadence = BUILT_IN_CADENCE[kind]
    schedule = ReportSchedule(
        user=user, kind=kind, definition=definition, cadence=cadence, format=data.get("format") or ReportFormat.PDF,
        enabled=data.get("enabled", True),
    )
    schedule.next_run = next_run_after(cadence, user_zone(user.preferences), timezone.now())
    schedule.save()
    return schedule


def report_schedule_update(*, user, schedule_id, data: dict[str, Any]) -> ReportSchedule:
    schedule = report_schedule_get(user=user, schedule_id=schedule_id)
    for field in ("format", "enabled"):
        if field in data:
            setattr(schedule, field, data[field])
    if "cadence" in data and schedule.kind == ScheduleKind.CUSTOM:
        schedule.cadence = data["cadence"]
    if "definition" in data and schedule.kind == ScheduleKind.CUSTOM:
        schedule.definition = report_definition_get(user=user, definition_id=data["definition"])
    # Re-enabled or re-timed: the next run is computed from now, never one in the past.
    schedule.next_run = next_run_after(schedule.cadence, user_zone(user.preferences), timezone.now())
    schedule.save()
    return schedule


def report_schedule_delete(*, user, schedule_id) -> None:
    report_schedule_get(user=user, schedule_id=schedule_id).delete()


def report_schedule_unsubscribe(*, token: str) -> ReportSchedule:
    """The email's one-click link: disables the schedule its signed token names."""
    schedule_id = emails.unsubscribe_schedule_id(token)
    schedule = ReportSchedule.objects.filter(pk=schedule_id).first() if schedule_id else None
    if schedule is None:
        raise ApplicationError("The unsubscribe link is invalid.", code="invalid_token")
    ReportSchedule.objects.filter(pk=schedule.pk).update(enabled=False, updated_at=timezone.now())
    schedule.enabled = False
    return schedule


def schedules_dispatch_due(*, now: datetime.datetime | None = None) -> int:
    """The one beat entry: for every enabled schedule whose next_run has passed, create its
    delivery for the period (unique per schedule and period) and move next_run on with a
    compare-and-set, so a second beat tick or a second dispatcher finds nothing to do. Also
    re-sends deliveries whose task was lost (claim older than the lease). Returns deliveries queued."""
    now = now or timezone.now()
    queued = 0
    due = ReportSchedule.objects.filter(enabled=True, next_run__lte=now).select_related("user")
    for schedule in due.iterator(chunk_size=200):
        queued += _dispatch_one(schedule, now)
    stale = now - datetime.timedelta(seconds=settings.REPORTS_SEND_LEASE_SECONDS)
    lost = ScheduleDelivery.objects.filter(
        Q(status=ScheduleDelivery.Status.PENDING, created_at__lte=stale)
        | Q(status=ScheduleDelivery.Status.SENDING, claimed_at__lte=stale),
        attempts__lt=settings.TASK_RETRY_MAX + 1,
    ).values_list("id", flat=True)
    for delivery_id in lost:
        enqueue_on_commit(tasks.send_scheduled_report, str(delivery_id))
        queued += 1
    return queued


def _dispatch_one(schedule: ReportSchedule, now: datetime.datetime) -> int:
    zone = user_zone(schedule.user.preferences)
    run_at = latest_run_at_or_before(schedule.cadence, zone, now)
    period = period_for_run(schedule.cadence, zone, run_at)
    with transaction.atomic():
        moved = ReportSchedule.objects.filter(pk=schedule.pk, next_run=schedule.next_run, enabled=True).update(
            next_run=next_run_after(schedule.cadence, zone, now), last_run=now
        )
        if not moved:
            return 0  # another dispatcher took it
        try:
            with transaction.atomic():
                delivery = ScheduleDelivery.objects.create(
                    schedule=schedule, period_key=period.key, period_start=period.start, period_end=period.end
                )
        except IntegrityError:
            return 0  # this period was already dispatched
        enqueue_on_commit(tasks.send_scheduled_report, str(delivery.id))
    return 1


def schedule_spec(schedule: ReportSchedule, period: Period) -> ReportSpec:
    dates = {"since": period.start.isoformat(), "until": period.end.isoformat()}
    if schedule.kind == ScheduleKind.CUSTOM:
        definition = schedule.definition
        spec = spec_clean({"name": definition.name, "filters": {**definition.filters, **dates},
                           "group_by": definition.group_by, "metrics": definition.metrics})
        return replace(spec, format=schedule.format)
    if schedule.kind == ScheduleKind.WEEKLY_SUMMARY:
        name = f"Weekly summary {period.start:%d %b} - {period.end:%d %b %Y}"
        return ReportSpec(filters=dates, group_by=("category",), metrics=("expenses", "income", "count"),
                          format=schedule.format, name=name)
    name = f"Monthly report {period.start:%B %Y}"
    return ReportSpec(filters=dates, group_by=("category",), metrics=("income", "expenses", "net", "count"),
                      format=schedule.format, name=name)


def schedule_deliver(*, delivery_id) -> str:
    """Render and email one delivery, once. The claim is a compare-and-set: a duplicate task
    finds the delivery sent, or claimed within the lease, and does nothing. A task whose worker
    died mid-send is redelivered after the lease and sends again with the same Message-ID.
    Returns the delivery's status afterwards."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.REPORTS_SEND_LEASE_SECONDS)
    claimed = ScheduleDelivery.objects.filter(
        Q(status=ScheduleDelivery.Status.PENDING) | Q(status=ScheduleDelivery.Status.SENDING, claimed_at__lte=stale),
        pk=delivery_id,
    ).update(status=ScheduleDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    delivery = ScheduleDelivery.objects.select_related("schedule__user", "schedule__definition", "report").filter(
        pk=delivery_id
    ).first()
    if delivery is None:
        raise NotFoundError("Delivery not found.")
    if not claimed:
        return delivery.status
    schedule, user = delivery.schedule, delivery.schedule.user
    reason = _skip_reason(schedule, user)
    if reason:
        ScheduleDelivery.objects.filter(pk=delivery.pk).update(status=ScheduleDelivery.Status.SKIPPED, skip_reason=reason)
        return ScheduleDelivery.Status.SKIPPED
    try:
        _send(delivery, schedule, user)
    except Exception:
        # Let the task's retry (with backoff) claim it again at once rather than after the lease.
        ScheduleDelivery.objects.filter(pk=delivery.pk, status=ScheduleDelivery.Status.SENDING).update(
            status=ScheduleDelivery.Status.PENDING
        )
        raise
    return ScheduleDelivery.Status.SENT


def _skip_reason(schedule: ReportSchedule, user) -> str:
    if not schedule.enabled:
        return "schedule disabled"
    if not user.is_active:
        return "user inactive"
    if not user.is_verified:
        return "email not verified"
    return ""


def _send(delivery: ScheduleDelivery, schedule: ReportSchedule, user) -> None:
    period = Period(start=delivery.period_start, end=delivery.period_end, key=delivery.period_key)
    spec = schedule_spec(schedule, period)
    table = report_table(user=user, spec=spec)
    report = delivery.report
    if report is None or report.status != GeneratedReport.Status.COMPLETED:
        report = GeneratedReport.objects.create(
            user=user, name=spec.name, spec=spec.as_json(), format=spec.format,
            status=GeneratedReport.Status.PROCESSING, expires_at=timezone.now() + report_retention(),
        )
        try:
            report_store(report=report, table=table)
        except Exception:
            GeneratedReport.objects.filter(pk=report.pk).update(
                status=GeneratedReport.Status.FAILED, error="render failed", completed_at=timezone.now()
            )
            raise
        ScheduleDelivery.objects.filter(pk=delivery.pk).update(report=report)
    with default_storage.open(report.file, "rb") as stored:
        content = stored.read()
    attachment = (report_download_name(report), content, RENDERERS[report.format].content_type.split(";")[0])
    message = emails.build_email(schedule=schedule, delivery=delivery, period=period, table=table, attachment=attachment)
    message.send()
    ScheduleDelivery.objects.filter(pk=delivery.pk).update(
        status=ScheduleDelivery.Status.SENT, sent_at=timezone.now(), message_id=emails.message_id(delivery)
    )
