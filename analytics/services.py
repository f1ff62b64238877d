"""Analytics writes: recurring-charge detection (nightly for everyone, incrementally for one
user after an import), subscription reminders, anomaly scoring of new transactions, and the
user's decisions (confirm or dismiss a subscription, mark an anomaly as expected)."""

import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, F, Q
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import DEFAULT_PREFERENCES
from analytics import anomaly_rules
from analytics.models import AnomalyFinding, ExpectedPattern, Recurrence
from analytics.recurrence import Charge, Detected, descriptor_of, detect_groups, merchant_key
from analytics.selectors import anomaly_get, category_index, recurrence_get
from core.exceptions import ApplicationError
from ledger.annotations import transaction_anomaly_scores_set
from ledger.models import Category, Transaction
from merchants.models import Merchant
from realtime.services import publish_on_commit

logger = logging.getLogger(__name__)

HISTORY_DAYS = 3 * 366  # what detection reads: enough for a yearly charge seen 3 times
ANOMALY_HISTORY_DAYS = 2 * 366  # "first-ever merchant" looks this far back
REMINDER_DAYS_KEY = "subscription_reminder_days"
MAX_REMINDER_DAYS = 30
USERS_PER_BATCH = 50
NEW_ROW_HOURS = 48


# --- loading charges ------------------------------------------------------------------------
def _spending_rows(*, user_ids: Sequence, since: datetime.date, until: datetime.date):
    """Live outflows of these users, transfers and income categories left out."""
    excluded = Category.objects.filter(
        Q(slug__in=("transfer", "income")) | Q(parent__slug__in=("transfer", "income"))
    ).values("pk")
    return Transaction.objects.filter(
        user_id__in=list(user_ids), is_deleted=False, amount__lt=0, date__gte=since, date__lte=until
    ).exclude(category_id__in=excluded)


def _group_by_user(rows: Iterable[tuple]) -> dict[Any, dict[str, list[Charge]]]:
    groups: dict[Any, dict[str, list[Charge]]] = defaultdict(lambda: defaultdict(list))
    for pk, user_id, date, amount, currency, merchant_id, raw in rows:
        key = merchant_key(merchant_id, descriptor_of(raw) if not merchant_id else "")
        if key:
            groups[str(user_id)][key].append(Charge(id=str(pk), date=date, amount=amount, currency=currency))
    return groups


@dataclass
class DetectionReport:
    users: int = 0
    detected: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    price_changes: int = 0
    names: list[str] = field(default_factory=list)


# --- detection ------------------------------------------------------------------------------
def recurrences_detect_all(*, as_of: datetime.date | None = None, user_ids: Sequence | None = None) -> DetectionReport:
    """Detect every user's recurring charges (the nightly run); idempotent. Users are read in
    batches: one query per USERS_PER_BATCH users, not one per user."""
    as_of = as_of or timezone.localdate()
    if user_ids is None:
        user_ids = list(
            Transaction.objects.filter(date__gte=as_of - datetime.timedelta(days=HISTORY_DAYS))
            .values_list("user_id", flat=True).distinct().order_by("user_id")
        )
    report = DetectionReport()
    for start in range(0, len(user_ids), USERS_PER_BATCH):
        batch = user_ids[start:start + USERS_PER_BATCH]
        _detect_batch(batch, as_of=as_of, keys=None, report=report)
    return report


def recurrences_detect(*, user_id, as_of: datetime.date | None = None, keys: Iterable[str] | None = None) -> DetectionReport:
    """One user's detection; with `keys`, only those merchants' groups (after an import)."""
    report = DetectionReport()
    _detect_batch([user_id], as_of=as_of or timezone.localdate(), keys=set(keys) if keys is not None else None, report=report)
    return report


def _detect_batch(user_ids: Sequence, *, as_of: datetime.date, keys: set[str] | None, report: DetectionReport) -> None:
    rows = _spending_rows(user_ids=user_ids, since=as_of - datetime.timedelta(days=HISTORY_DAYS), until=as_of)
    if keys is not None:
        merchant_ids = [k[2:] for k in keys if k.startswith("m:")]
        rows = rows.filter(Q(merchant_id__in=merchant_ids) | Q(merchant_id__isnull=True))
    # No ORDER BY: detection sorts each small group itself. Ids as text from PostgreSQL: a UUID
    # object per column per row, only to be turned into text again, was a fifth of a nightly
    # run (SQLite keeps UUIDs as undashed hex, so there the fields are read as they are).
    columns = ["id", "user_id", "date", "amount", "currency", "merchant_id", "merchant_raw"]
    if connection.vendor == "postgresql":
        columns = [Cast(c, CharField()) if c.endswith("id") else c for c in columns]
    rows = rows.order_by().values_list(*columns)
    grouped = _group_by_user(rows.iterator(chunk_size=20_000))
    found = {}
    for user_id in user_ids:
        groups = grouped.get(str(user_id), {})
        if keys is not None:
            groups = {k: v for k, v in groups.items() if k in keys}
        found[str(user_id)] = detect_groups(groups, as_of=as_of)
    report.users += len(user_ids)
    _store(found, as_of=as_of, keys=keys, report=report)


@transaction.atomic
def _store(found: dict[Any, dict[str, Detected]], *, as_of, keys: set[str] | None, report: DetectionReport) -> None:
    existing = Recurrence.objects.select_for_update().filter(user_id__in=list(found))
    # An incremental run owns only the touched merchants' rows, their per-price ones included.
    current = {(str(r.user_id), r.key): r for r in existing if keys is None or _group_of(r.key)[0] in keys}
    names = _merchant_names(found)
    creates, updates, vanished = [], [], []
    for user_id, detected in found.items():
        for key, item in detected.items():
            row = current.pop((user_id, key), None)
            if row is None:
                creates.append(_new_recurrence(user_id, key, item, names))
            else:
                _price_change(row, item, report)
                before = _stored_values(row)
                _apply(row, item)
                if _stored_values(row) != before:  # a nightly re-run changes few rows
                    updates.append(row)
            report.detected += 1
    for row in current.values():  # no longer detected
        if row.review == Recurrence.Review.NONE:
            vanished.append(row.pk)
        elif row.status != Recurrence.Status.ENDED:
            row.status = Recurrence.Status.ENDED
            updates.append(row)
    Recurrence.objects.bulk_create(creates, batch_size=1000)
    Recurrence.objects.bulk_update(updates, UPDATED_FIELDS, batch_size=1000)
    Recurrence.objects.filter(pk__in=vanished).delete()
    report.created += len(creates)
    report.updated += len(updates)
    report.removed += len(vanished)


UPDATED_FIELDS = [
    "amount_mean", "amount_tolerance", "period", "period_days", "first_seen", "last_seen", "next_expected_date",
    "occurrences", "confidence", "status", "transaction_ids", "currency", "updated_at",
]


def _stored_values(row: Recurrence) -> tuple:
    return tuple(getattr(row, name) for name in UPDATED_FIELDS if name != "updated_at")


def _group_of(key: str) -> tuple[str, str]:
    """"m:<id>@9.99" (one price of a merchant billing several) -> ("m:<id>", "9.99")."""
    group, _, price = key.partition("@")
    return group, price


def _merchant_names(found: dict) -> dict[str, str]:
    ids = {_group_of(key)[0][2:] for detected in found.values() for key in detected if key.startswith("m:")}
    return {f"m:{pk}": name for pk, name in Merchant.objects.filter(pk__in=ids).values_list("pk", "canonical_name")}


def _new_recurrence(user_id, key: str, item: Detected, names: dict) -> Recurrence:
    group, price = _group_of(key)
    name = names.get(group) or group[2:].title()
    row = Recurrence(
        user_id=user_id, key=key, name=f"{name} ({price})" if price else name,
        merchant_id=group[2:] if group.startswith("m:") else None,
    )
    _apply(row, item)
    return row


def _apply(row: Recurrence, item: Detected) -> None:
    row.amount_mean, row.amount_tolerance = item.amount_mean, item.amount_tolerance
    row.period, row.period_days = item.period.name, item.period.days
    row.first_seen, row.last_seen, row.next_expected_date = item.first_seen, item.last_seen, item.next_expected_date
    row.occurrences, row.confidence = item.occurrences, item.confidence
    row.status = Recurrence.Status.ENDED if item.ended else Recurrence.Status.ACTIVE
    row.transaction_ids = item.transaction_ids
    row.updated_at = timezone.now()
    row.currency = item.currency or row.currency or "USD"


def _price_change(row: Recurrence, item: Detected, report: DetectionReport) -> None:
    """A stored subscription whose latest price moved beyond its tolerance: tell the user
    once (the stored price becomes the new one, so a second run finds nothing to say)."""
    if abs(item.amount_mean - row.amount_mean) <= row.amount_tolerance or row.review == Recurrence.Review.DISMISSED:
        return
    report.price_changes += 1
    publish_on_commit(row.user_id, "subscription_price_changed", {
        "recurrence_id": str(row.pk), "name": row.name, "old_amount": row.amount_mean, "new_amount": item.amount_mean,
        "currency": row.currency, "last_seen": item.last_seen,
    })


# --- reminders ------------------------------------------------------------------------------
def reminder_days(preferences: dict | None) -> int:
    value = (preferences or {}).get(REMINDER_DAYS_KEY, DEFAULT_PREFERENCES[REMINDER_DAYS_KEY])
    return value if isinstance(value, int) and value >= 0 else DEFAULT_PREFERENCES[REMINDER_DAYS_KEY]


def subscription_reminders_send(*, as_of: datetime.date | None = None, user_ids: Sequence | None = None) -> int:
    """Publish `subscription_reminder` for each active subscription due within the user's
    reminder window (preference `subscription_reminder_days`, default 3). Once per expected
    date: `reminded_for` is compare-and-swapped, so a second run (or a second worker) sends
    nothing."""
    as_of = as_of or timezone.localdate()
    candidates = Recurrence.objects.filter(
        status=Recurrence.Status.ACTIVE, next_expected_date__gte=as_of,
        next_expected_date__lte=as_of + datetime.timedelta(days=MAX_REMINDER_DAYS),
    ).exclude(review=Recurrence.Review.DISMISSED).exclude(reminded_for=F("next_expected_date"))
    if user_ids is not None:
        candidates = candidates.filter(user_id__in=list(user_ids))
    sent = 0
    for row in candidates.select_related("user"):
        days_until = (row.next_expected_date - as_of).days
        if days_until > reminder_days(row.user.preferences):
            continue
        claimed = Recurrence.objects.filter(pk=row.pk, next_expected_date=row.next_expected_date).exclude(
            reminded_for=row.next_expected_date
        ).update(reminded_for=row.next_expected_date)
        if claimed:
            sent += 1
            publish_on_commit(row.user_id, "subscription_reminder", {
                "recurrence_id": str(row.pk), "name": row.name, "amount": row.amount_mean, "currency": row.currency,
                "next_expected_date": row.next_expected_date, "days_until": days_until, "period": row.period,
            })
    return sent


# --- the user's decisions -------------------------------------------------------------------
@transaction.atomic
def recurrence_review(*, user, recurrence_id, review: str) -> Recurrence:
    """Confirm or dismiss a detected subscription; detection never overrides the decision
    (a dismissed one is neither listed, counted nor reminded)."""
    if review not in (Recurrence.Review.CONFIRMED, Recurrence.Review.DISMISSED):
        raise ApplicationError("review: must be confirmed or dismissed.", errors={"review": ["Must be confirmed or dismissed."]})
    row = recurrence_get(user=user, recurrence_id=recurrence_id)
    Recurrence.objects.filter(pk=row.pk, user=user).update(review=review, updated_at=timezone.now())
    row.refresh_from_db()
    return row


@transaction.atomic
def anomaly_mark_expected(*, user, finding_id) -> AnomalyFinding:
    """The user says this is fine: the finding is closed and each of its patterns (rule and
    merchant) stops scoring that user's later charges."""
    finding = anomaly_get(user=user, finding_id=finding_id)
    AnomalyFinding.objects.filter(pk=finding.pk, user=user).update(status=AnomalyFinding.Status.EXPECTED)
    patterns = {reason["pattern"] for reason in finding.reasons if reason.get("pattern")}
    ExpectedPattern.objects.bulk_create(
        [ExpectedPattern(user=user, pattern=p) for p in sorted(patterns)], ignore_conflicts=True
    )
    finding.refresh_from_db()
    return finding


# --- anomaly scoring ------------------------------------------------------------------------
@dataclass
class ScoringReport:
    scored: int = 0
    findings: int = 0
    alerts: int = 0
    keys: set[str] = field(default_factory=set)


def anomalies_score_new(*, user_id, dates: Iterable[datetime.date]) -> ScoringReport:
    """Score the user's live rows on these dates that have no score yet (new rows: an import or
    a manual entry), store the findings and publish `anomaly_alert` once per transaction
    above ANOMALY_ALERT_THRESHOLD. Safe to run twice: scored rows are skipped, and the alert
    is claimed by compare-and-swap on the finding."""
    dates = sorted(set(dates))
    report = ScoringReport()
    if not dates:
        return report
    # "New": written in the last NEW_ROW_HOURS. A re-categorisation of old, never-scored rows
    # (seeded, or from before this feature) sends the same signal and must not score them all.
    recent = timezone.now() - datetime.timedelta(hours=NEW_ROW_HOURS)
    new = list(
        Transaction.objects.filter(
            user_id=user_id, is_deleted=False, anomaly_score__isnull=True, date__in=dates, created_at__gte=recent
        )
        .values_list("id", "date", "amount", "category_id", "merchant_id", "merchant_raw", "created_at")
    )
    if not new:
        return report
    history = _anomaly_history(user_id, since=dates[0] - datetime.timedelta(days=ANOMALY_HISTORY_DAYS), until=dates[-1])
    rows = {str(r[0]): _anomaly_row(r) for r in new}
    transfer_ids = {str(pk) for pk in category_index_transfer(user_id)}
    known = _known_recurrences(user_id)
    expected = set(ExpectedPattern.objects.filter(user_id=user_id).values_list("pattern", flat=True))
    scores, findings = {}, []
    for pk, row in rows.items():
        if row.category_id in transfer_ids:
            scores[pk] = 0.0
            continue
        finding = anomaly_rules.score_row(history, row, known=known.get(row.key), expected=expected)
        scores[pk] = finding.score
        report.keys.add(row.key)
        if finding.reasons and finding.score >= settings.ANOMALY_RECORD_THRESHOLD:
            findings.append(AnomalyFinding(user_id=user_id, transaction_id=pk, score=finding.score, reasons=finding.reasons))
    _store_scores(user_id, scores, findings, report)
    return report


@transaction.atomic
def _store_scores(user_id, scores: dict, findings: list[AnomalyFinding], report: ScoringReport) -> None:
    report.scored = transaction_anomaly_scores_set(user_id=user_id, scores=scores)
    AnomalyFinding.objects.bulk_create(findings, ignore_conflicts=True)
    report.findings = len(findings)
    alerting = AnomalyFinding.objects.filter(
        user_id=user_id, transaction_id__in=[f.transaction_id for f in findings],
        score__gte=settings.ANOMALY_ALERT_THRESHOLD, alerted_at__isnull=True, status=AnomalyFinding.Status.OPEN,
    ).select_related("transaction")
    for finding in alerting:
        claimed = AnomalyFinding.objects.filter(pk=finding.pk, alerted_at__isnull=True).update(alerted_at=timezone.now())
        if claimed:
            report.alerts += 1
            publish_on_commit(user_id, "anomaly_alert", anomaly_payload(finding))


def anomaly_payload(finding: AnomalyFinding) -> dict[str, Any]:
    row = finding.transaction
    return {
        "anomaly_id": str(finding.pk), "transaction_id": str(row.pk), "date": row.date, "amount": row.amount,
        "currency": row.currency, "merchant_raw": row.merchant_raw, "score": finding.score, "reasons": finding.reasons,
    }


def category_index_transfer(user_id) -> frozenset:
    return category_index(user=user_id).transfer_ids


def _anomaly_row(values: tuple) -> anomaly_rules.Row:
    pk, date, amount, category_id, merchant_id, raw, created_at = values
    key = merchant_key(merchant_id, descriptor_of(raw) if not merchant_id else "") or f"t:{pk}"
    return anomaly_rules.Row(
        id=str(pk), date=date, amount=amount, category_id=str(category_id), key=key, order=(date, created_at, str(pk))
    )


def _anomaly_history(user_id, *, since: datetime.date, until: datetime.date) -> anomaly_rules.History:
    rows = _spending_rows(user_ids=[user_id], since=since, until=until).values_list(
        "id", "date", "amount", "category_id", "merchant_id", "merchant_raw", "created_at"
    )
    return anomaly_rules.History(_anomaly_row(r) for r in rows.iterator(chunk_size=20_000))


def _known_recurrences(user_id) -> dict[str, anomaly_rules.KnownRecurrence]:
    rows = Recurrence.objects.filter(user_id=user_id, status=Recurrence.Status.ACTIVE).exclude(
        review=Recurrence.Review.DISMISSED
    )
    return {
        r.key: anomaly_rules.KnownRecurrence(id=str(r.pk), name=r.name, amount_mean=r.amount_mean, amount_tolerance=r.amount_tolerance)
        for r in rows
    }


def analytics_refresh_after_change(*, user_id, dates: Iterable[datetime.date], as_of: datetime.date | None = None) -> ScoringReport:
    """After a ledger write (import, manual entry): score the new rows, then re-detect the
    recurring charges of the merchants they touched (incremental detection)."""
    report = anomalies_score_new(user_id=user_id, dates=dates)
    keys = {k for k in report.keys if not k.startswith("t:")}
    if keys:
        recurrences_detect(user_id=user_id, as_of=as_of, keys=keys)
    return report
