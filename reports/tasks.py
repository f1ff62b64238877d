"""Celery adapters over reports.services: they take ids, and are safe to run twice."""

import smtplib

from celery import shared_task
from django.conf import settings

from reports import services


@shared_task(name="reports.tasks.render_report")
def render_report(report_id: str) -> str | None:
    report = services.report_render(report_id=report_id)
    return report.status if report else None


@shared_task(
    name="reports.tasks.send_scheduled_report",
    autoretry_for=(smtplib.SMTPException, OSError, ConnectionError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=settings.TASK_RETRY_MAX,
)
def send_scheduled_report(delivery_id: str) -> str:
    return services.schedule_deliver(delivery_id=delivery_id)


@shared_task(name="reports.tasks.scheduled_dispatch_due_schedules")
def scheduled_dispatch_due_schedules() -> int:
    return services.schedules_dispatch_due()


@shared_task(name="reports.tasks.scheduled_purge_expired_reports")
def scheduled_purge_expired_reports() -> int:
    return services.reports_expired_purge()
