"""The real thing: daphne, a Celery worker on every queue, PostgreSQL, Redis and an SMTP
server on localhost (aiosmtpd). Beat's task runs on the worker, finds the due Monday summary,
renders its PDF and mails it; a report requested over HTTP is rendered by the worker,
announced on the WebSocket and downloaded."""

import datetime
import json
from decimal import Decimal
from email import message_from_bytes, policy

import httpx
import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from websockets.sync.client import connect as ws_connect

from accounts.services import session_open
from accounts.tests.factories import UserFactory
from core.categories import system_categories
from ledger.models import Category
from ledger.tests.factories import AccountFactory, TransactionFactory
from reports import tasks
from reports.models import ReportSchedule, ScheduleDelivery
from tests.live import free_port, live_env, receive_until, running_stack, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 Message accepted for delivery"


def system_category(slug: str) -> Category:
    """Transactional tests run last and each empties every table when it ends, so the system
    categories the data migration loaded may be gone: put back the one needed."""
    name = next(item["name"] for item in system_categories() if item["slug"] == slug)
    return Category.objects.get_or_create(user=None, slug=slug, defaults={"name": name, "is_system": True})[0]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def test_the_monday_email_arrives_by_smtp_and_reports_render_on_the_worker(smtp_server, tmp_path):
    inbox, smtp_port = smtp_server
    user = UserFactory(full_name="Zoë Łukasz", preferences={"currency": "USD", "timezone": "Europe/Berlin"})
    account = AccountFactory(user=user, name="Everyday")
    today = timezone.localdate()
    last_monday = today - datetime.timedelta(days=today.weekday() + 7)
    for offset, slug, amount, merchant in ((0, "groceries", "-45.10", "Frischmarkt"), (2, "dining", "-23.00", "Кафе Пушкин")):
        TransactionFactory(user=user, account=account, date=last_monday + datetime.timedelta(days=offset),
                           amount=Decimal(amount), category=system_category(slug), merchant_raw=merchant)
    schedule = ReportSchedule.objects.create(
        user=user, kind="weekly_summary", cadence="weekly", format="pdf",
        next_run=timezone.now() - datetime.timedelta(minutes=1),
    )
    env = live_env(EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}", DEFAULT_FROM_EMAIL="Ledgerline <reports@ledgerline.test>")
    with running_stack(tmp_path, env=env) as stack:
        # What beat sends every five minutes, here once, to the worker's scheduled queue.
        tasks.scheduled_dispatch_due_schedules.apply_async()
        wait_until(lambda: inbox.messages, "the weekly summary email", timeout=90)
        _check_the_email(inbox, user, schedule, last_monday)
        _check_a_pdf_report_over_http(stack, user)
    worker_log = stack["logs"]["worker"].read_text()
    assert "reports.tasks.send_scheduled_report" in worker_log and "reports.tasks.render_report" in worker_log


def _check_the_email(inbox: Inbox, user, schedule: ReportSchedule, last_monday: datetime.date) -> None:
    (mail_from, recipients, raw), = inbox.messages
    assert mail_from == "reports@ledgerline.test" and recipients == [user.email]
    message = message_from_bytes(raw, policy=policy.default)
    sunday = last_monday + datetime.timedelta(days=6)
    assert message["Subject"] == f"Your week in Ledgerline: {last_monday:%d %b} - {sunday:%d %b %Y}"
    assert message["To"] == user.email
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "You spent 68.10 USD" in text and "Hello Zoë Łukasz" in text
    assert "Groceries: 45.10 USD" in text and "Dining: 23.00 USD" in text
    assert "68.10 USD" in html and "Unsubscribe" in html
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().endswith(".pdf")
    assert attachment.get_content().startswith(b"%PDF-")
    delivery = ScheduleDelivery.objects.get(schedule=schedule)
    assert delivery.status == "sent" and delivery.period_key == f"weekly:{last_monday.isoformat()}"
    assert message["Message-ID"] == delivery.message_id


def _check_a_pdf_report_over_http(stack: dict, user) -> None:
    tokens = session_open(user=user, ip_address="127.0.0.1", user_agent="e2e")
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    ticket = httpx.post(f"{stack['http']}/api/v1/auth/ws-ticket/", headers=headers, timeout=10).json()["ticket"]
    with ws_connect(f"{stack['ws']}/ws/?ticket={ticket}", open_timeout=10) as websocket:
        assert json.loads(websocket.recv(timeout=10))["type"] == "connected"
        accepted = httpx.post(
            f"{stack['http']}/api/v1/reports/", headers=headers, timeout=10,
            json={"name": "Week", "group_by": ["category"], "metrics": ["expenses"], "format": "pdf"},
        )
        assert accepted.status_code == 202, accepted.text
        ready = receive_until(websocket, "report_ready", timeout=60)
    assert ready["data"]["id"] == accepted.json()["id"] and ready["data"]["status"] == "completed"
    download = httpx.get(f"{stack['http']}{ready['data']['download_url']}", headers=headers, timeout=10)
    assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-") and len(download.content) == ready["data"]["size"]
    other = UserFactory()
    other_headers = {"Authorization": f"Bearer {session_open(user=other, ip_address='127.0.0.1', user_agent='e2e').access_token}"}
    assert httpx.get(f"{stack['http']}{ready['data']['download_url']}", headers=other_headers, timeout=10).status_code == 404
