"""Schedules: due times across time zones and DST, the period a run covers, one email per
schedule and period whatever beat or the workers do, retries, verified addresses only, and
the one-click unsubscribe."""

import datetime
import smtplib
from decimal import Decimal
from email import message_from_bytes
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from budgets.tests.factories import BudgetFactory
from config.celery import app
from ledger.tests.factories import TransactionFactory, system_category
from reports import emails, services, tasks
from reports.models import ReportSchedule, ScheduleDelivery
from reports.schedule_times import latest_run_at_or_before, next_run_after, period_for_run, user_zone

UTC = datetime.UTC


def at(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(("cadence", "zone", "moment", "expected"), [
    ("weekly", "UTC", at(2024, 3, 6, 10), at(2024, 3, 11, 8)),
    ("weekly", "UTC", at(2024, 3, 11, 8), at(2024, 3, 18, 8)),  # strictly after
    # New York: Monday 08:00 is 13:00 UTC in EST, 12:00 UTC once DST starts (Sunday 10 March 2024).
    ("weekly", "America/New_York", at(2024, 3, 2, 12), at(2024, 3, 4, 13)),
    ("weekly", "America/New_York", at(2024, 3, 9, 12), at(2024, 3, 11, 12)),
    # Berlin: DST ends Sunday 27 October 2024; 08:00 is 06:00 UTC before, 07:00 UTC after.
    ("weekly", "Europe/Berlin", at(2024, 10, 15), at(2024, 10, 21, 6)),
    ("weekly", "Europe/Berlin", at(2024, 10, 22), at(2024, 10, 28, 7)),
    ("monthly", "UTC", at(2024, 2, 10), at(2024, 3, 1)),
    ("monthly", "Asia/Tokyo", at(2024, 3, 15), at(2024, 3, 31, 15)),  # 1 April 00:00 JST
    ("monthly", "Pacific/Kiritimati", at(2024, 12, 15), at(2024, 12, 31, 10)),  # UTC+14
    ("monthly", "America/Los_Angeles", at(2024, 11, 2), at(2024, 12, 1, 8)),  # PST after DST
    ("monthly", "America/Los_Angeles", at(2024, 10, 2), at(2024, 11, 1, 7)),  # still PDT
    # Paraguay moved its clocks from 00:00 to 01:00 on 1 October 2023: midnight did not exist;
    # the run is the first instant after the gap (01:00 -03 = 04:00 UTC).
    ("monthly", "America/Asuncion", at(2023, 9, 15), at(2023, 10, 1, 4)),
])
def test_next_run_in_the_users_time_zone(cadence, zone, moment, expected):
    assert next_run_after(cadence, ZoneInfo(zone), moment) == expected


def test_a_late_dispatcher_sends_for_the_latest_due_run():
    new_york = ZoneInfo("America/New_York")
    assert latest_run_at_or_before("weekly", new_york, at(2024, 3, 11, 12, 5)) == at(2024, 3, 11, 12)
    assert latest_run_at_or_before("weekly", new_york, at(2024, 3, 11, 11, 59)) == at(2024, 3, 4, 13)
    assert latest_run_at_or_before("monthly", ZoneInfo("Asia/Tokyo"), at(2024, 4, 20)) == at(2024, 3, 31, 15)


def test_the_period_a_run_covers():
    weekly = period_for_run("weekly", ZoneInfo("UTC"), at(2024, 3, 11, 8))
    assert (weekly.start, weekly.end, weekly.key) == (datetime.date(2024, 3, 4), datetime.date(2024, 3, 10), "weekly:2024-03-04")
    # 15:00 UTC on 31 March is already 1 April in Tokyo: the report covers March.
    monthly = period_for_run("monthly", ZoneInfo("Asia/Tokyo"), at(2024, 3, 31, 15))
    assert (monthly.start, monthly.end, monthly.key) == (datetime.date(2024, 3, 1), datetime.date(2024, 3, 31), "monthly:2024-03")


def test_an_unknown_time_zone_falls_back_to_utc():
    assert user_zone({"timezone": "Mars/Olympus"}) == ZoneInfo("UTC")
    assert user_zone({}) == ZoneInfo("UTC")


# --- sending ---------------------------------------------------------------------------
pytestmark = pytest.mark.django_db
RUN = at(2024, 2, 19, 8)  # Monday: the weekly summary of 12-18 February


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def weekly(user, ledger):
    # The week before the run's week: 40.00 spent, so "change from last week" has a base.
    TransactionFactory(user=user, account=ledger["accounts"]["card"], date=datetime.date(2024, 2, 7),
                       amount=Decimal("-40.00"), category=system_category("groceries"))
    return ReportSchedule.objects.create(user=user, kind="weekly_summary", cadence="weekly", format="pdf", next_run=RUN)


def dispatch(commit, now=RUN + datetime.timedelta(minutes=3)) -> int:
    with commit():
        return services.schedules_dispatch_due(now=now)


def test_a_due_weekly_summary_is_emailed_once(commit, weekly, user):
    assert dispatch(commit) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Your week in Ledgerline: 12 Feb - 18 Feb 2024"
    # Spent 60.00 (dining) against 40.00 the week before: +20.00, +50 %.
    assert "You spent 60.00 USD from Mon 12 Feb to Sun 18 Feb 2024 (+20.00 USD, +50% on the week before)." in message.body
    assert "  - Dining: 60.00 USD" in message.body
    assert "Budgets at risk" not in message.body  # the user has no budget
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "+20.00 (+50%)" in html and "Dining" in html
    filename, content, attachment_type = message.attachments[0]
    assert attachment_type == "application/pdf" and content.startswith(b"%PDF-")
    assert filename.startswith("weekly-summary-12-feb-18-feb-2024-") and filename.endswith(".pdf")
    delivery = ScheduleDelivery.objects.get()
    assert (delivery.period_key, delivery.status, delivery.attempts) == ("weekly:2024-02-12", "sent", 1)
    assert message.extra_headers["Message-ID"] == delivery.message_id == emails.message_id(delivery)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    weekly.refresh_from_db()
    assert weekly.next_run == at(2024, 2, 26, 8) and weekly.last_run == RUN + datetime.timedelta(minutes=3)
    # Beat fires again (the same tick twice, or the next one): nothing more is sent.
    assert dispatch(commit) == 0
    assert dispatch(commit, now=RUN + datetime.timedelta(minutes=5)) == 0
    assert len(mail.outbox) == 1


def test_two_dispatchers_racing_send_one_email(commit, weekly):
    stale = ReportSchedule.objects.select_related("user").get(pk=weekly.pk)  # read before the first moved it
    assert dispatch(commit) == 1
    with commit():
        assert services._dispatch_one(stale, RUN + datetime.timedelta(minutes=3)) == 0
    # Even if next_run is wound back (an edit, a restore), the period's delivery already exists.
    ReportSchedule.objects.filter(pk=weekly.pk).update(next_run=RUN)
    assert dispatch(commit) == 0
    assert len(mail.outbox) == 1 and ScheduleDelivery.objects.count() == 1


def test_a_task_run_twice_sends_once(commit, weekly):
    dispatch(commit)
    delivery = ScheduleDelivery.objects.get()
    assert tasks.send_scheduled_report.apply(args=[str(delivery.id)]).get() == "sent"
    assert len(mail.outbox) == 1


def test_a_worker_that_died_mid_send_is_resent_after_the_lease(commit, weekly, settings, monkeypatch):
    sends = []
    monkeypatch.setattr(EmailMultiAlternatives, "send", lambda self, *args, **kwargs: sends.append(self) or 1)
    ReportSchedule.objects.filter(pk=weekly.pk).update(enabled=False)  # queue the delivery without sending it
    delivery = ScheduleDelivery.objects.create(
        schedule=weekly, period_key="weekly:2024-02-12", period_start=datetime.date(2024, 2, 12),
        period_end=datetime.date(2024, 2, 18), status="sending", claimed_at=timezone.now() - datetime.timedelta(minutes=1),
        attempts=1,
    )
    ReportSchedule.objects.filter(pk=weekly.pk).update(enabled=True)
    # Claimed a minute ago: another worker may be sending right now; a duplicate task does nothing.
    assert services.schedule_deliver(delivery_id=delivery.id) == "sending"
    assert sends == []
    # Past the lease the claimer is presumed dead: sent again, with the same Message-ID.
    ScheduleDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now() - datetime.timedelta(
        seconds=settings.REPORTS_SEND_LEASE_SECONDS + 1))
    assert services.schedule_deliver(delivery_id=delivery.id) == "sent"
    assert len(sends) == 1 and sends[0].extra_headers["Message-ID"] == emails.message_id(delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_the_dispatcher_requeues_a_lost_delivery(commit, weekly, settings):
    delivery = ScheduleDelivery.objects.create(
        schedule=weekly, period_key="weekly:2024-02-12", period_start=datetime.date(2024, 2, 12),
        period_end=datetime.date(2024, 2, 18), status="pending",
    )
    ReportSchedule.objects.filter(pk=weekly.pk).update(next_run=at(2030, 1, 1))
    ScheduleDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert dispatch(commit, now=timezone.now()) == 1
    assert len(mail.outbox) == 1 and ScheduleDelivery.objects.get().status == "sent"


def test_an_smtp_error_releases_the_claim_for_the_retry(commit, weekly, monkeypatch):
    calls = []
    original = EmailMultiAlternatives.send

    def flaky(self, *args, **kwargs):
        calls.append(self.subject)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky)
    ReportSchedule.objects.filter(pk=weekly.pk).update(enabled=False)
    dispatch(commit)  # disabled: nothing due
    delivery = ScheduleDelivery.objects.create(
        schedule=weekly, period_key="weekly:2024-02-12", period_start=datetime.date(2024, 2, 12),
        period_end=datetime.date(2024, 2, 18),
    )
    ReportSchedule.objects.filter(pk=weekly.pk).update(enabled=True)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        services.schedule_deliver(delivery_id=delivery.id)
    assert ScheduleDelivery.objects.get().status == "pending"  # the retry may claim it at once
    assert services.schedule_deliver(delivery_id=delivery.id) == "sent"
    assert len(calls) == 2 and len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    # The report rendered for the first attempt is reused, not rendered twice.
    assert delivery.report.user_id == weekly.user_id and type(delivery.report).objects.count() == 1
    task = tasks.send_scheduled_report
    assert smtplib.SMTPException in task.autoretry_for and task.retry_backoff is True and task.max_retries == 5


def test_only_verified_addresses_get_email(commit, weekly, user):
    user.is_verified = False
    user.save()
    assert dispatch(commit) == 1
    assert mail.outbox == []
    delivery = ScheduleDelivery.objects.get()
    assert (delivery.status, delivery.skip_reason) == ("skipped", "email not verified")


def test_disabled_schedules_are_not_dispatched(commit, weekly):
    ReportSchedule.objects.filter(pk=weekly.pk).update(enabled=False)
    assert dispatch(commit) == 0
    assert mail.outbox == [] and not ScheduleDelivery.objects.exists()


def test_the_monthly_report_covers_the_month_before(commit, user, ledger):
    ReportSchedule.objects.create(user=user, kind="monthly_report", cadence="monthly", format="xlsx", next_run=at(2024, 3, 1))
    assert dispatch(commit, now=at(2024, 3, 1, 0, 5)) == 1
    (message,) = mail.outbox
    assert message.subject == "Your Ledgerline monthly report: February 2024"
    assert "February 2024: income 10.00 USD, expenses 179.75 USD, net -169.75 USD over 4 transactions." in message.body
    # January's spending was 80.25: +99.50 (+124 %).
    assert "Spending changed by +99.50 USD (+124%) from the month before." in message.body
    filename, content, attachment_type = message.attachments[0]
    assert attachment_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert content.startswith(b"PK")


def test_one_click_unsubscribe_disables_the_schedule(commit, weekly, api_client):
    dispatch(commit)
    body = mail.outbox[0].body
    link = next(line for line in body.splitlines() if line.startswith("Stop these emails: ")).split(": ", 1)[1]
    assert mail.outbox[0].extra_headers["List-Unsubscribe"] == f"<{link}>"
    path = link.split("127.0.0.1:8000", 1)[1]
    response = api_client.get(path)
    assert response.status_code == 200 and response.json() == {"id": str(weekly.id), "enabled": False}
    weekly.refresh_from_db()
    assert weekly.enabled is False
    # RFC 8058: mail clients POST to the same link.
    ReportSchedule.objects.filter(pk=weekly.pk).update(enabled=True)
    assert api_client.post(path).status_code == 200
    assert ReportSchedule.objects.get(pk=weekly.pk).enabled is False


def test_a_forged_unsubscribe_token_is_refused(weekly, api_client):
    token = emails.unsubscribe_token(weekly)
    for bad in (token[:-2] + "xx", "", "garbage"):
        response = api_client.get("/api/v1/reports/schedules/unsubscribe/", {"token": bad})
        assert response.status_code == 400 and response.json()["code"] == "invalid_token"
    assert ReportSchedule.objects.get(pk=weekly.pk).enabled is True


def test_the_custom_schedule_runs_its_definition_for_the_period(commit, user, ledger):
    definition = services.report_definition_create(user=user, data={
        "name": "Groceries", "filters": {"category": "groceries"}, "group_by": ["account"], "metrics": ["sum"],
        "format": "json",
    })
    schedule = services.report_schedule_create(
        user=user, data={"kind": "custom", "definition": definition.id, "cadence": "monthly", "format": "csv"}
    )
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run=at(2024, 3, 1))
    assert dispatch(commit, now=at(2024, 3, 1, 0, 1)) == 1
    filename, content, _ = mail.outbox[0].attachments[0]
    # February's groceries: Card -19.75, Everyday +10.00 (a refund).
    # Django hands a text/* attachment back decoded.
    assert content == "\ufeffaccount,sum\r\nCard,-19.75\r\nEveryday,10.00\r\nTotal,-9.75\r\n"
    assert filename.startswith("groceries-")


def test_emails_parse_as_multipart_with_the_attachment(commit, weekly):
    dispatch(commit)
    parsed = message_from_bytes(mail.outbox[0].message().as_bytes())
    assert parsed.get_content_type() == "multipart/mixed"
    kinds = [part.get_content_type() for part in parsed.walk()]
    assert kinds == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html", "application/pdf"]


def test_report_tasks_go_to_the_default_queue_and_beats_to_scheduled():


    route = app.amqp.router.route
    assert route({}, "reports.tasks.render_report")["queue"].name == "default"
    assert route({}, "reports.tasks.send_scheduled_report")["queue"].name == "default"
    assert route({}, "reports.tasks.scheduled_dispatch_due_schedules")["queue"].name == "scheduled"
    assert route({}, "reports.tasks.scheduled_purge_expired_reports")["queue"].name == "scheduled"


def test_a_render_that_fails_marks_the_report_failed_and_keeps_the_delivery(commit, weekly, monkeypatch):
    def explode(table):
        raise ValueError("boom")

    monkeypatch.setitem(services.RENDERERS, "pdf", services.RENDERERS["pdf"].__class__(explode, "application/pdf", "pdf"))
    ReportSchedule.objects.filter(pk=weekly.pk).update(enabled=False)
    delivery = ScheduleDelivery.objects.create(
        schedule=weekly, period_key="weekly:2024-02-12", period_start=datetime.date(2024, 2, 12),
        period_end=datetime.date(2024, 2, 18),
    )
    ReportSchedule.objects.filter(pk=weekly.pk).update(enabled=True)
    with pytest.raises(ValueError):
        services.schedule_deliver(delivery_id=delivery.id)
    assert ScheduleDelivery.objects.get().status == "pending" and mail.outbox == []
    assert list(services.GeneratedReport.objects.values_list("status", "error")) == [("failed", "render failed")]


def test_the_admin_lists_reports(client, admin_user, commit, weekly):
    dispatch(commit)
    client.force_login(admin_user)
    for path in ("generatedreport", "reportschedule", "scheduledelivery", "reportdefinition"):
        response = client.get(f"/admin/reports/{path}/")
        assert response.status_code == 200


def test_the_weekly_summary_lists_the_budgets_at_risk(commit, weekly, user):
    today = timezone.localdate()
    start = today.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    BudgetFactory(user=user, category=system_category("dining"), amount=Decimal("100.00"), start_date=start, end_date=end)
    BudgetFactory(user=user, category=system_category("transport"), amount=Decimal("100.00"), start_date=start, end_date=end)
    TransactionFactory(user=user, date=today, amount=Decimal("-85.00"), category=system_category("dining"))
    TransactionFactory(user=user, date=today, amount=Decimal("-10.00"), category=system_category("transport"))

    assert dispatch(commit) == 1

    body = mail.outbox[0].body
    assert "Budgets at risk" in body
    assert "  - dining: 85.00 of 100.00 USD (85.0%)" in body
    assert "transport" not in body  # 10 % spent: healthy
