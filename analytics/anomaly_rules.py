"""Anomaly rules for single transactions: pure functions over a user's recent outflows, so the
scoring after an import, after a manual entry and in the evaluation script are the same code.

Each rule returns a score in 0..1 with a reason; a transaction's score combines them as
independent evidence (1 - product of (1 - score)). Rules:
- amount_outlier: robust z-score of the spend against the same category's spends of the last
  12 months (median and MAD, MAD scaled by 1.4826 to a standard deviation, floored so a
  category of identical charges does not divide by zero); needs MIN_HISTORY earlier charges.
  Not when the amount is usual for the merchant itself (at most 1.5x the median of its own
  earlier charges): a category mixes merchants (a phone bill among streaming subscriptions).
- new_merchant_large: the first charge from a merchant in the loaded history, large for this
  user (several times their 95th-percentile charge).
- duplicate_charge: the same merchant and amount within 24 hours (dates: the same or the
  next day), unless that merchant habitually repeats (two such pairs already); below
  DUPLICATE_ALERT_FLOOR it is listed (0.5) but does not alert.
- subscription_amount_changed: a merchant with a known recurring charge, at another price."""

import bisect
import datetime
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from analytics.recurrence import same_price

WINDOW_DAYS = 365
MIN_HISTORY = 8
MAD_SCALE = 1.4826
LARGE_FLOOR = Decimal("100")
LARGE_FACTOR = 3
DUPLICATE_FLOOR = Decimal("5")
DUPLICATE_ALERT_FLOOR = Decimal("20")
HABITUAL_REPEATS = 2
MERCHANT_USUAL_FACTOR = Decimal("1.5")
MERCHANT_WINDOW_DAYS = 400  # a yearly charge's previous one, with some slack


@dataclass(frozen=True)
class Row:
    id: str
    date: datetime.date
    amount: Decimal
    category_id: str
    key: str  # merchant key: "m:<id>" or "d:<descriptor>"
    order: tuple = ()  # (date, created_at, id): what "earlier" means within one day


@dataclass(frozen=True)
class KnownRecurrence:
    id: str
    name: str
    amount_mean: Decimal
    amount_tolerance: Decimal


@dataclass
class Finding:
    score: float
    reasons: list[dict] = field(default_factory=list)
    price_change: dict | None = None  # set when a known subscription charged another amount


def _logistic(z: float, centre: float = 5.0, width: float = 1.5) -> float:
    return 1 / (1 + math.exp(-(z - centre) / width))


class History:
    """A user's outflows (the new rows included), indexed for the rules."""

    def __init__(self, rows: Iterable[Row]):
        self.rows = sorted((r for r in rows if r.amount < 0), key=lambda r: r.order or (r.date, r.id))
        self.position = {r.id: i for i, r in enumerate(self.rows)}
        self.by_category: dict[str, list[Row]] = defaultdict(list)
        self.by_key: dict[str, list[Row]] = defaultdict(list)
        for row in self.rows:
            self.by_category[row.category_id].append(row)
            self.by_key[row.key].append(row)
        self._percentiles: dict = {}

    def earlier(self, rows: Sequence[Row], row: Row, days: int) -> list[Row]:
        """Rows before `row` (in ledger order) dated within `days` days before it."""
        start = row.date - datetime.timedelta(days=days)
        dates = [r.date for r in rows]
        low = bisect.bisect_left(dates, start)
        mine = self.position[row.id]
        return [r for r in rows[low:] if self.position[r.id] < mine]

    def percentile_before(self, day: datetime.date, share: float) -> Decimal:
        """The `share` percentile of the spends in the WINDOW_DAYS before `day` (cached per day)."""
        if (day, share) not in self._percentiles:
            start = day - datetime.timedelta(days=WINDOW_DAYS)
            spends = sorted(-r.amount for r in self.rows if start <= r.date < day)
            self._percentiles[(day, share)] = spends[min(len(spends) - 1, int(share * len(spends)))] if spends else Decimal("0")
        return self._percentiles[(day, share)]


def amount_outlier(history: History, row: Row) -> tuple[float, str]:
    usual = [-r.amount for r in history.earlier(history.by_key[row.key], row, MERCHANT_WINDOW_DAYS)]
    if usual and -row.amount <= statistics.median(usual) * MERCHANT_USUAL_FACTOR:
        return 0.0, ""  # a category mixes merchants: a rent in "home" is usual for the landlord
    earlier = [-r.amount for r in history.earlier(history.by_category[row.category_id], row, WINDOW_DAYS)]
    if len(earlier) < MIN_HISTORY:
        return 0.0, ""
    median = statistics.median(earlier)
    mad = statistics.median(abs(x - median) for x in earlier) * Decimal(str(MAD_SCALE))
    spread = max(mad, median * Decimal("0.1"), Decimal("1"))
    z = float((-row.amount - median) / spread)
    if z <= 3:
        return 0.0, ""
    return _logistic(z), f"{-row.amount:.2f} is {z:.1f} robust deviations above the category's median {median:.2f}"


def new_merchant_large(history: History, row: Row) -> tuple[float, str]:
    if history.earlier(history.by_key[row.key], row, 100_000):
        return 0.0, ""
    threshold = max(LARGE_FLOOR, history.percentile_before(row.date, 0.95) * LARGE_FACTOR)
    if -row.amount < threshold:
        return 0.0, ""
    return 0.85, f"first charge from this merchant, {-row.amount:.2f} (large for you: over {threshold:.2f})"


def duplicate_charge(history: History, row: Row) -> tuple[float, str]:
    if -row.amount < DUPLICATE_FLOOR:
        return 0.0, ""
    same = history.by_key[row.key]
    twins = [r for r in history.earlier(same, row, 1) if r.amount == row.amount]
    if not twins:
        return 0.0, ""
    window = history.earlier(same, row, WINDOW_DAYS)
    habitual = sum(1 for a, b in zip(window, window[1:], strict=False) if a.amount == b.amount and (b.date - a.date).days <= 1)
    if habitual >= HABITUAL_REPEATS:
        return 0.0, ""
    # Small repeats (two bus fares, two coffees) are common: listed, not alerted.
    score = 0.85 if -row.amount >= DUPLICATE_ALERT_FLOOR else 0.5
    return score, f"the same amount {-row.amount:.2f} from this merchant on {twins[-1].date.isoformat()}"


def subscription_amount_changed(known: KnownRecurrence | None, row: Row) -> tuple[float, str, dict | None]:
    if known is None or same_price(known.amount_mean, row.amount):
        return 0.0, "", None
    change = abs(row.amount - known.amount_mean) / abs(known.amount_mean)
    score = 0.9 if change >= Decimal("0.5") else 0.8
    detail = f"{known.name} usually charges {-known.amount_mean:.2f}, this time {-row.amount:.2f}"
    return score, detail, {"recurrence_id": known.id, "old_amount": known.amount_mean, "new_amount": row.amount}


def score_row(history: History, row: Row, *, known: KnownRecurrence | None, expected: set[str]) -> Finding:
    """The finding for one new row; rules whose pattern ("rule|key") the user marked as
    expected are skipped."""
    if row.amount >= 0:
        return Finding(score=0.0)
    results = [
        ("amount_outlier", *amount_outlier(history, row)),
        ("new_merchant_large", *new_merchant_large(history, row)),
        ("duplicate_charge", *duplicate_charge(history, row)),
    ]
    sub_score, sub_detail, price_change = subscription_amount_changed(known, row)
    results.append(("subscription_amount_changed", sub_score, sub_detail))
    reasons, remaining = [], 1.0
    for rule, score, detail in results:
        pattern = f"{rule}|{row.key}"
        if score <= 0 or pattern in expected:
            continue
        remaining *= 1 - score
        reasons.append({"rule": rule, "score": round(score, 4), "detail": detail, "pattern": pattern})
    reasons.sort(key=lambda r: -r["score"])
    if "subscription_amount_changed|" + row.key in expected:
        price_change = None
    return Finding(score=round(1 - remaining, 4), reasons=reasons, price_change=price_change)
