"""The scheduled report email: context, HTML + plain-text bodies from templates/reports/,
the attachment, and the one-click unsubscribe link (a signed token naming the schedule)."""

import datetime
from decimal import Decimal
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import Sum
from django.template.loader import render_to_string

from budgets.selectors import budget_status
from ledger.selectors import transaction_list
from reports.models import ReportSchedule, ScheduleDelivery
from reports.schedule_times import Period
from reports.selectors import ReportTable

UNSUBSCRIBE_SALT = "reports.schedule.unsubscribe"
TOP_CATEGORIES = 5
SUBJECTS = {
    "weekly_summary": "Your week in Ledgerline: {start:%d %b} - {end:%d %b %Y}",
    "monthly_report": "Your Ledgerline monthly report: {start:%B %Y}",
    "custom": "{name}: {start:%d %b} - {end:%d %b %Y}",
}


def budgets_at_risk(*, user, period: Period) -> list[dict[str, Any]]:
    """The user's current budgets at or over their warning threshold (80 %), over-budget first,
    as [{"name", "spent", "budget", "percentage"}]; the email leaves the section out when empty."""
    status = budget_status(user=user)
    return [
        {"name": item["category"], "spent": item["spent"], "budget": item["amount"], "percentage": item["percentage"]}
        for item in status["over_budget"] + status["at_risk"]
    ]


def unsubscribe_token(schedule: ReportSchedule) -> str:
    return signing.dumps({"schedule": str(schedule.id)}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_schedule_id(token: str) -> str | None:
    try:
        return signing.loads(token, salt=UNSUBSCRIBE_SALT).get("schedule")
    except (signing.BadSignature, AttributeError):
        return None


def unsubscribe_url(schedule: ReportSchedule) -> str:
    return f"{settings.REPORTS_PUBLIC_URL.rstrip('/')}/api/v1/reports/schedules/unsubscribe/?token={unsubscribe_token(schedule)}"


def message_id(delivery: ScheduleDelivery) -> str:
    """Stable per delivery: a resend after a worker died mid-send carries the same Message-ID,
    so mail systems that deduplicate on it show one message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "ledgerline.local"
    return f"<report-{delivery.id}@{domain}>"


def email_context(*, schedule: ReportSchedule, period: Period, table: ReportTable) -> dict[str, Any]:
    user = schedule.user
    spent = table.kpis["expenses"]
    previous = _previous_period_spending(table, period)
    change = spent - previous
    return {
        "user": user, "schedule": schedule, "period": period, "currency": table.currency,
        "kpis": table.kpis, "spent": spent, "previous_spent": previous, "change": change,
        "change_percent": (change / previous * 100).quantize(Decimal("1")) if previous else None,
        "top_categories": table.spending_by_category[:TOP_CATEGORIES],
        "budgets_at_risk": budgets_at_risk(user=user, period=period),
        "unsubscribe_url": unsubscribe_url(schedule),
        "title": SUBJECTS[schedule.kind].format(start=period.start, end=period.end, name=table.name),
    }


def _previous_period_spending(table: ReportTable, period: Period) -> Decimal:
    """Spending in the period of the same length just before (last week, last month)."""
    if period.key.startswith("monthly:"):
        end = period.start - datetime.timedelta(days=1)
        start = end.replace(day=1)
    else:
        length = (period.end - period.start).days + 1
        start, end = period.start - datetime.timedelta(days=length), period.start - datetime.timedelta(days=1)
    filters = {**table.spec.filters, "since": start.isoformat(), "until": end.isoformat(), "ordering": ""}
    outflow = transaction_list(user=table.user, filters=filters).filter(amount__lt=0).aggregate(total=Sum("amount"))["total"]
    return Decimal("0.00") - (outflow or Decimal("0.00"))


def build_email(
    *, schedule: ReportSchedule, delivery: ScheduleDelivery, period: Period, table: ReportTable,
    attachment: tuple[str, bytes, str],
) -> EmailMultiAlternatives:
    context = email_context(schedule=schedule, period=period, table=table)
    template = "weekly_summary" if schedule.kind == "weekly_summary" else "monthly_report"
    message = EmailMultiAlternatives(
        subject=context["title"],
        body=render_to_string(f"reports/email_{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[schedule.user.email],
        headers={
            "Message-ID": message_id(delivery),
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string(f"reports/email_{template}.html", context), "text/html")
    message.attach(*attachment)
    return message
