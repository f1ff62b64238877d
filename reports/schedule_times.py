"""When a schedule is due, in the user's time zone, and which period a run covers.

Built-ins: the weekly summary runs every Monday at 08:00 local time and covers the week
before (Monday to Sunday); the monthly report runs on the 1st at 00:00 local time and covers
the month before. A local time that a DST change skips (00:00 where clocks jump from 00:00 to
01:00) means the first instant after the gap; one that repeats means its first occurrence.
All returned instants are UTC."""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKLY_HOUR = 8
UTC = datetime.UTC


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    key: str


def user_zone(preferences: dict | None) -> ZoneInfo:
    name = (preferences or {}).get("timezone") or "UTC"
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _instant(day: datetime.date, hour: int, zone: ZoneInfo) -> datetime.datetime:
    local = datetime.datetime(day.year, day.month, day.day, hour, tzinfo=zone)  # fold=0: first occurrence
    # A skipped wall time (a gap) round-trips to the wall time after the gap; through UTC
    # it becomes the first real instant at or after it.
    return local.astimezone(UTC)


def _first_of_next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def run_at_or_after(cadence: str, zone: ZoneInfo, moment: datetime.datetime) -> datetime.datetime:
    """The first run instant at or after `moment`."""
    local_day = moment.astimezone(zone).date()
    if cadence == "weekly":
        monday = local_day - datetime.timedelta(days=local_day.weekday())
        candidate = _instant(monday, WEEKLY_HOUR, zone)
        return candidate if candidate >= moment else _instant(monday + datetime.timedelta(days=7), WEEKLY_HOUR, zone)
    first = local_day.replace(day=1)
    candidate = _instant(first, 0, zone)
    return candidate if candidate >= moment else _instant(_first_of_next_month(first), 0, zone)


def next_run_after(cadence: str, zone: ZoneInfo, moment: datetime.datetime) -> datetime.datetime:
    """The first run instant strictly after `moment`."""
    return run_at_or_after(cadence, zone, moment + datetime.timedelta(microseconds=1))


def latest_run_at_or_before(cadence: str, zone: ZoneInfo, moment: datetime.datetime) -> datetime.datetime:
    """The last run instant at or before `moment` (the one a late dispatcher sends for)."""
    upcoming = next_run_after(cadence, zone, moment)
    upcoming_day = upcoming.astimezone(zone).date()
    if cadence == "weekly":
        return _instant(upcoming_day - datetime.timedelta(days=7), WEEKLY_HOUR, zone)
    previous_first = (upcoming_day.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    return _instant(previous_first, 0, zone)


def period_for_run(cadence: str, zone: ZoneInfo, run_at: datetime.datetime) -> Period:
    """The week (Monday-Sunday) or month before the run's local date."""
    local_day = run_at.astimezone(zone).date()
    if cadence == "weekly":
        start = local_day - datetime.timedelta(days=local_day.weekday() + 7)
        return Period(start=start, end=start + datetime.timedelta(days=6), key=f"weekly:{start.isoformat()}")
    end = local_day.replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    return Period(start=start, end=end, key=f"monthly:{start:%Y-%m}")
