"""Anomaly rules and the once-per-transaction alert."""

import datetime
from decimal import Decimal

import pytest

from analytics import services
from analytics.models import AnomalyFinding, ExpectedPattern, Recurrence
from ledger import services as ledger_services
from ledger.models import Transaction
from ledger.tests.factories import TransactionFactory, system_category

pytestmark = pytest.mark.django_db
d = datetime.date
GROCERIES = ["-52.10", "-61.30", "-58.45", "-49.00", "-66.80", "-55.25", "-60.60", "-57.90", "-63.10", "-54.40"]


@pytest.fixture
def sent(monkeypatch):
    events = []
    monkeypatch.setattr(services, "publish_on_commit", lambda user_id, kind, data: events.append((user_id, kind, data)))
    return events


def history(user, *, scored=True):
    for i, amount in enumerate(GROCERIES):
        TransactionFactory(user=user, date=d(2024, 1, 6) + datetime.timedelta(days=7 * i), amount=Decimal(amount),
                           merchant_raw="CORNER GROCER", anomaly_score=0.0 if scored else None)


def score(user, *rows):
    return services.anomalies_score_new(user_id=user.pk, dates=[r.date for r in rows])


def test_a_large_amount_for_its_category_is_an_anomaly_and_alerts_once(user, sent):
    history(user)
    big = TransactionFactory(user=user, date=d(2024, 3, 20), amount=Decimal("-480.00"), merchant_raw="CORNER GROCER")
    report = score(user, big)
    big.refresh_from_db()
    assert big.anomaly_score >= 0.8
    finding = AnomalyFinding.objects.get(transaction=big)
    assert finding.reasons[0]["rule"] == "amount_outlier"
    assert finding.reasons[0]["pattern"] == "amount_outlier|d:CORNER GROCER"
    assert report.alerts == 1
    assert [(kind, data["transaction_id"], data["amount"]) for _, kind, data in sent] == [
        ("anomaly_alert", str(big.pk), Decimal("-480.00"))
    ]
    # Run twice (a redelivered task): nothing is scored or sent again.
    assert score(user, big).alerts == 0
    Transaction.objects.filter(pk=big.pk).update(anomaly_score=None)
    assert score(user, big).alerts == 0  # re-scored, but the finding's alert was already claimed
    assert len(sent) == 1


def test_an_ordinary_amount_scores_zero_and_no_finding(user, sent):
    history(user)
    usual = TransactionFactory(user=user, date=d(2024, 3, 20), amount=Decimal("-59.00"), merchant_raw="CORNER GROCER")
    score(user, usual)
    usual.refresh_from_db()
    assert usual.anomaly_score == 0.0
    assert not AnomalyFinding.objects.exists()
    assert sent == []


def test_a_first_ever_merchant_with_a_large_amount(user, sent):
    history(user)
    new = TransactionFactory(user=user, date=d(2024, 3, 20), amount=Decimal("-900.00"), merchant_raw="LUXURY WATCHES",
                             category=system_category("shopping"))
    score(user, new)
    finding = AnomalyFinding.objects.get(transaction=new)
    assert [r["rule"] for r in finding.reasons] == ["new_merchant_large"]
    assert finding.score == 0.85


def test_the_same_merchant_and_amount_twice_within_a_day(user, sent):
    history(user)
    first = TransactionFactory(user=user, date=d(2024, 3, 20), amount=Decimal("-57.90"), merchant_raw="CORNER GROCER")
    second = TransactionFactory(user=user, date=d(2024, 3, 21), amount=Decimal("-57.90"), merchant_raw="CORNER GROCER")
    score(user, first, second)
    assert not AnomalyFinding.objects.filter(transaction=first).exists()
    finding = AnomalyFinding.objects.get(transaction=second)
    assert [r["rule"] for r in finding.reasons] == ["duplicate_charge"]


def test_a_known_subscription_at_another_amount(user, sent):
    for i in range(5):
        TransactionFactory(user=user, date=d(2024, 1 + i, 15), amount=Decimal("-15.49"), merchant_raw="NETFLIX.COM",
                           category=system_category("subscriptions"), anomaly_score=0.0)
    services.recurrences_detect_all(as_of=d(2024, 6, 1))
    assert Recurrence.objects.get(user=user).amount_mean == Decimal("-15.49")
    dearer = TransactionFactory(user=user, date=d(2024, 6, 15), amount=Decimal("-22.99"), merchant_raw="NETFLIX.COM",
                                category=system_category("subscriptions"))
    services.analytics_refresh_after_change(user_id=user.pk, dates=[dearer.date], as_of=d(2024, 6, 16))
    finding = AnomalyFinding.objects.get(transaction=dearer)
    assert finding.reasons[0]["rule"] == "subscription_amount_changed"
    assert finding.score == 0.8
    kinds = [kind for _, kind, _ in sent]
    assert kinds == ["anomaly_alert", "subscription_price_changed"]
    assert Recurrence.objects.get(user=user).amount_mean == Decimal("-22.99")  # incremental detection


def test_marking_as_expected_stops_that_pattern(user, sent):
    history(user)
    big = TransactionFactory(user=user, date=d(2024, 3, 20), amount=Decimal("-480.00"), merchant_raw="CORNER GROCER")
    score(user, big)
    finding = AnomalyFinding.objects.get(transaction=big)
    services.anomaly_mark_expected(user=user, finding_id=finding.pk)
    assert AnomalyFinding.objects.get(pk=finding.pk).status == "expected"
    assert list(ExpectedPattern.objects.values_list("pattern", flat=True)) == ["amount_outlier|d:CORNER GROCER"]
    again = TransactionFactory(user=user, date=d(2024, 3, 27), amount=Decimal("-490.00"), merchant_raw="CORNER GROCER")
    score(user, again)
    again.refresh_from_db()
    assert again.anomaly_score == 0.0
    assert len(sent) == 1


def test_a_manual_entry_is_scored_after_commit(user, sent, django_capture_on_commit_callbacks):
    history(user)
    with django_capture_on_commit_callbacks(execute=True):
        row = ledger_services.transaction_create(user=user, date=d(2024, 3, 20), amount="-480.00", merchant_raw="CORNER GROCER", category="groceries")
    row.refresh_from_db()
    assert row.anomaly_score >= 0.8
    assert [kind for _, kind, _ in sent] == ["anomaly_alert"]


def test_transfers_and_income_are_never_anomalies(user, sent):
    history(user)
    moved = TransactionFactory(user=user, date=d(2024, 3, 20), amount=Decimal("-5000.00"), merchant_raw="TO SAVINGS",
                               category=system_category("transfer"))
    paid = TransactionFactory(user=user, date=d(2024, 3, 20), amount=Decimal("5000.00"), merchant_raw="EMPLOYER",
                              category=system_category("salary"))
    score(user, moved)
    moved.refresh_from_db()
    paid.refresh_from_db()
    assert moved.anomaly_score == paid.anomaly_score == 0.0
    assert sent == []


def test_scores_are_written_only_onto_that_users_rows(user, other_user):
    from ledger.annotations import transaction_anomaly_scores_set

    mine = TransactionFactory(user=user)
    theirs = TransactionFactory(user=other_user)
    assert transaction_anomaly_scores_set(user_id=user.pk, scores={mine.pk: 0.5, theirs.pk: 0.9}) == 1
    theirs.refresh_from_db()
    assert theirs.anomaly_score is None


def test_old_unscored_rows_are_not_scored_when_they_change(user, sent):
    from django.utils import timezone

    history(user)
    old = TransactionFactory(user=user, date=d(2024, 3, 20), amount=Decimal("-480.00"), merchant_raw="CORNER GROCER")
    Transaction.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=3))
    assert score(user, old).scored == 0
    old.refresh_from_db()
    assert old.anomaly_score is None
    assert sent == []
