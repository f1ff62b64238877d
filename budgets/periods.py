"""Calendar arithmetic of budget periods. Pure functions of dates: no database, no clock.

A period is `start` to `end`, both inclusive. Weekly, monthly, quarterly and yearly periods
are calendar periods counted from their start: 1-31 October is followed by 1-30 November,
15 January-14 February by 15 February-14 March. A custom period is followed by one of the
same number of days."""

import calendar
import datetime
import zoneinfo

from budgets.models import BudgetPeriodKind

ONE_DAY = datetime.timedelta(days=1)
MONTHS = {BudgetPeriodKind.MONTHLY: 1, BudgetPeriodKind.QUARTERLY: 3, BudgetPeriodKind.YEARLY: 12}
COMPARISON_PERIODS = ("week", "month", "quarter", "year")


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 -> 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def period_end(start: datetime.date, period: str) -> datetime.date:
    """The last day of the calendar period of kind `period` starting on `start`."""
    if period == BudgetPeriodKind.WEEKLY:
        return start + 6 * ONE_DAY
    if period in MONTHS:
        return add_months(start, MONTHS[period]) - ONE_DAY
    raise ValueError(f"A {period!r} period has no calendar length.")


def next_period(*, start: datetime.date, end: datetime.date, period: str) -> tuple[datetime.date, datetime.date]:
    """The period that follows `start`..`end`: the next calendar period, or for custom ones
    the same number of days."""
    next_start = end + ONE_DAY
    if period == BudgetPeriodKind.CUSTOM:
        return next_start, next_start + (end - start)
    return next_start, period_end(next_start, period)


def calendar_period(today: datetime.date, period: str) -> tuple[datetime.date, datetime.date]:
    """The calendar week (Monday first), month, quarter or year that contains `today`."""
    if period == "week":
        start = today - today.weekday() * ONE_DAY
        return start, start + 6 * ONE_DAY
    if period == "month":
        start = today.replace(day=1)
        return start, add_months(start, 1) - ONE_DAY
    if period == "quarter":
        start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        return start, add_months(start, 3) - ONE_DAY
    if period == "year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    raise ValueError(f"Unknown period {period!r}.")


def user_today(user, now: datetime.datetime) -> datetime.date:
    """Today's date where the user lives (preferences.timezone; UTC when unknown): a budget's
    days are the bank's calendar days, which are the user's."""
    name = (getattr(user, "preferences", None) or {}).get("timezone") or "UTC"
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = datetime.UTC
    return now.astimezone(zone).date()
