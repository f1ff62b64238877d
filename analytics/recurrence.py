"""Recurring-charge detection for one group of charges (one merchant or descriptor of one
user): pure functions, no database, so the nightly run, the incremental run after an import
and the evaluation script share them.

A group is recurring when the gaps between its charges fit one period (weekly, fortnightly,
monthly, quarterly, yearly), allowing calendar-month jitter (28-31 days), weekend shifts of
up to 3 days and one skipped period per gap, and its amounts mostly repeat (a price change
is allowed). Periods up to quarterly need at least 3 charges; yearly needs 2 (one gap of
350-380 days with the same amount) and its confidence is capped, since two charges are thin
evidence."""

import datetime
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import NamedTuple

from merchants.services import normalise_descriptor

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    name: str
    days: int
    low: int  # accepted gap for one period, inclusive
    high: int
    months: int = 0  # calendar months per period (0: a fixed number of days)


PERIODS = (
    Period("weekly", 7, 5, 9),
    Period("fortnightly", 14, 11, 17),
    Period("monthly", 30, 25, 36, months=1),
    Period("quarterly", 91, 80, 102, months=3),
    Period("yearly", 365, 350, 380, months=12),
)
MIN_OCCURRENCES = 3
MIN_OCCURRENCES_YEARLY = 2
YEARLY_CONFIDENCE_CAP = 0.75
MIN_CONFIDENCE = 0.55
CLUSTER_MIN_CONFIDENCE = 0.8
MIN_INTERVAL_REGULARITY = 0.75
MIN_AMOUNT_STABILITY = 0.5
# Two charges are the same price when within this share of it (or TOLERANCE_FLOOR).
TOLERANCE_SHARE = Decimal("0.05")
TOLERANCE_FLOOR = Decimal("0.10")


class Charge(NamedTuple):
    # A tuple, not a dataclass: the nightly run builds millions (~1 us each against ~17).
    id: str
    date: datetime.date
    amount: Decimal  # negative: money out
    currency: str = ""


@dataclass
class Detected:
    period: Period
    amount_mean: Decimal
    amount_tolerance: Decimal
    first_seen: datetime.date
    last_seen: datetime.date
    next_expected_date: datetime.date
    occurrences: int
    confidence: float
    ended: bool
    transaction_ids: list[str] = field(default_factory=list)
    previous_amount: Decimal | None = None  # the price before the latest change, if any
    currency: str = ""


@lru_cache(maxsize=65_536)  # prices repeat: the nightly run asks for the same ones millions of times
def tolerance_for(amount: Decimal) -> Decimal:
    return max(abs(amount) * TOLERANCE_SHARE, TOLERANCE_FLOOR).quantize(CENT, rounding=ROUND_HALF_EVEN)


def same_price(first: Decimal, second: Decimal) -> bool:
    return abs(first - second) <= tolerance_for(first)


def add_months(day: datetime.date, months: int, anchor_day: int) -> datetime.date:
    """`day` moved by whole calendar months, on `anchor_day` clamped to the month's end
    (billing on the 31st lands on Feb 28/29)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    next_month = datetime.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (next_month - datetime.timedelta(days=1)).day
    return datetime.date(year, month + 1, min(anchor_day, last_day))


def _period_for(gaps: Sequence[int]) -> Period | None:
    typical = statistics.median(gaps)
    for period in PERIODS:
        if period.low <= typical <= period.high:
            return period
    return None


def _fits(gap: int, period: Period) -> bool:
    # One period, or two when a charge was skipped (a month without the charge).
    return any(period.low * k <= gap <= period.high * k for k in (1, 2))


def _jitter(gaps: Sequence[int], period: Period) -> float:
    """0 when every gap is the nominal period, up to 1 at the edge of the accepted range."""
    width = max(period.high - period.days, period.days - period.low)
    deviations = [min(abs(gap - k * period.days) for k in (1, 2)) / width for gap in gaps if _fits(gap, period)]
    if period.months:  # calendar months: 28-31 days is no jitter at all
        deviations = [max(0.0, d - 3 * period.months / width) for d in deviations]
    return min(1.0, statistics.fmean(deviations)) if deviations else 1.0


def _latest_level(amounts: Sequence[Decimal]) -> tuple[list[Decimal], Decimal | None]:
    """The run of same-price charges at the end, and the price before it (if it changed)."""
    level = [amounts[-1]]
    for amount in reversed(amounts[:-1]):
        if not same_price(amounts[-1], amount):
            return level, amount
        level.append(amount)
    return level, None


def _collapse_same_day(charges: Sequence[Charge]) -> list[Charge]:
    kept: dict[datetime.date, Charge] = {}
    for charge in charges:
        kept.setdefault(charge.date, charge)
    return sorted(kept.values(), key=lambda c: c.date)


def detect(charges: Sequence[Charge], *, as_of: datetime.date) -> Detected | None:
    """The recurrence these charges form, or None. `as_of` decides whether it has ended."""
    charges = _collapse_same_day(charges)
    if len(charges) < MIN_OCCURRENCES_YEARLY:
        return None
    gaps = [(b.date - a.date).days for a, b in zip(charges, charges[1:], strict=False)]
    period = _period_for(gaps)
    if period is None:
        return None
    needed = MIN_OCCURRENCES_YEARLY if period.name == "yearly" else MIN_OCCURRENCES
    if len(charges) < needed:
        return None
    regularity = sum(_fits(gap, period) for gap in gaps) / len(gaps)
    amounts = [c.amount for c in charges]
    stable = sum(same_price(a, b) for a, b in zip(amounts, amounts[1:], strict=False)) / len(gaps)
    if regularity < MIN_INTERVAL_REGULARITY or stable < MIN_AMOUNT_STABILITY:
        return None
    count_factor = min(1.0, 0.6 + 0.1 * len(charges))
    confidence = regularity * (1 - 0.5 * _jitter(gaps, period)) * (0.4 + 0.6 * stable) * count_factor
    if period.name == "yearly":
        confidence = min(confidence, YEARLY_CONFIDENCE_CAP)
    if confidence < MIN_CONFIDENCE:
        return None
    level, previous_amount = _latest_level(amounts)
    mean = (sum(level, Decimal("0")) / len(level)).quantize(CENT, rounding=ROUND_HALF_EVEN)
    next_date = _next_expected(charges, period)
    return Detected(
        period=period, amount_mean=mean, amount_tolerance=tolerance_for(mean), first_seen=charges[0].date,
        last_seen=charges[-1].date, next_expected_date=next_date, occurrences=len(charges),
        confidence=round(confidence, 4), ended=as_of > next_date + datetime.timedelta(days=period.high),
        transaction_ids=[c.id for c in charges], previous_amount=previous_amount, currency=charges[-1].currency,
    )


def _next_expected(charges: Sequence[Charge], period: Period) -> datetime.date:
    last = charges[-1].date
    if not period.months:
        return last + datetime.timedelta(days=period.days)
    # The billing day is the most common day of month of the recent charges (weekend shifts
    # move single charges; a 31st billing shows as 28-31 and max() of those keeps the 31st).
    recent = [c.date.day for c in charges[-6:]]
    counts = Counter(recent).most_common()
    anchor = max(day for day, count in counts if count == counts[0][1])
    if anchor >= 28:
        anchor = max(recent)
    candidate = add_months(last, period.months, anchor)
    return candidate if candidate > last else add_months(last, period.months * 2, anchor)


# --- grouping a user's charges -----------------------------------------------------------------
def merchant_key(merchant_id, descriptor: str) -> str:
    """What groups charges: the matched merchant, else the normalised descriptor ("" when
    nothing is left of it: such rows are never grouped)."""
    if merchant_id:
        return f"m:{merchant_id}"
    return f"d:{descriptor}" if descriptor else ""


_DIGITS = re.compile(r"\d+")
_NORMALISED_BY_SHAPE: dict[str, str] = {}
SHAPE_CACHE_LIMIT = 200_000


def descriptor_of(raw: str) -> str:
    """normalise_descriptor(raw), memoised by the descriptor's shape (its digits masked).
    Unmatched subscription rows carry a new reference number each time ("NETFLIX.COM 866-579-
    7172", "SPOTIFY P3C1A2"), so normalise_descriptor's own cache misses on every one and it
    costs ~20-60 us a row: most of a nightly run. Descriptors that differ only in digits share
    one result when that result has no digits of its own (the digits were noise the
    normalisation dropped); a result with digits ("7 ELEVEN") is never shared."""
    found = _NORMALISED_BY_SHAPE.get(raw)  # the same text again (noise repeats exactly)
    if found is not None:
        return found
    shape = _DIGITS.sub("0", raw)
    found = _NORMALISED_BY_SHAPE.get(shape)
    if found is None:
        found = normalise_descriptor(raw)
        if len(_NORMALISED_BY_SHAPE) >= SHAPE_CACHE_LIMIT:
            _NORMALISED_BY_SHAPE.clear()
        if not _DIGITS.search(found):
            _NORMALISED_BY_SHAPE[shape] = found
    if shape == raw:
        _NORMALISED_BY_SHAPE[raw] = found
    return found


def detect_groups(groups: dict[str, list[Charge]], *, as_of: datetime.date) -> dict[str, Detected]:
    """Each group's recurrence; a group that is not one as a whole (one merchant billing several
    subscriptions, as Apple does) is tried again split by price: "<key>@<amount>"."""
    found = {}
    for key, charges in groups.items():
        detected = detect(charges, as_of=as_of)
        if detected is not None:
            found[key] = detected
            continue
        for amount, cluster in price_clusters(charges).items():
            detected = detect(cluster, as_of=as_of) if len(cluster) >= MIN_OCCURRENCES else None
            # Stricter than a whole group: noise split by price makes chance regularities.
            if detected is not None and detected.period.name != "yearly" and detected.confidence >= CLUSTER_MIN_CONFIDENCE:
                found[f"{key}@{-amount:.2f}"] = detected
    return found


def price_clusters(charges: Sequence[Charge]) -> dict[Decimal, list[Charge]]:
    """Charges grouped by exact price, when there is more than one price."""
    clusters: dict[Decimal, list[Charge]] = {}
    for charge in charges:
        clusters.setdefault(charge.amount, []).append(charge)
    return clusters if len(clusters) > 1 else {}
