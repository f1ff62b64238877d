"""Recurring-charge detection: the pure rules and the stored, idempotent runs."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from analytics import services
from analytics.models import Recurrence
from analytics.recurrence import Charge, add_months, detect
from ledger.tests.factories import TransactionFactory, system_category

d = datetime.date


def charges(dates, amounts):
    if not isinstance(amounts, list):
        amounts = [amounts] * len(dates)
    return [Charge(id=str(i), date=day, amount=Decimal(a)) for i, (day, a) in enumerate(zip(dates, amounts, strict=True))]


def monthly(start: datetime.date, count: int, day: int | None = None):
    return [add_months(start, i, day or start.day) for i in range(count)]


def test_billing_on_the_31st_lands_on_the_months_last_day():
    dates = monthly(d(2024, 1, 31), 4)
    assert dates == [d(2024, 1, 31), d(2024, 2, 29), d(2024, 3, 31), d(2024, 4, 30)]
    found = detect(charges(dates, "-9.99"), as_of=d(2024, 5, 1))
    assert found.period.name == "monthly"
    assert found.next_expected_date == d(2024, 5, 31)
    assert found.amount_mean == Decimal("-9.99")
    assert found.ended is False


def test_billing_on_feb_28th_then_the_28th():
    found = detect(charges(monthly(d(2023, 1, 28), 5), "-15.00"), as_of=d(2023, 6, 1))
    assert (found.period.name, found.next_expected_date, found.occurrences) == ("monthly", d(2023, 6, 28), 5)


def test_weekend_shifts_and_a_skipped_month_still_count():
    dates = [d(2024, 1, 15), d(2024, 2, 15), d(2024, 3, 18), d(2024, 5, 15), d(2024, 6, 17), d(2024, 7, 15)]
    found = detect(charges(dates, "-12.99"), as_of=d(2024, 7, 20))
    assert found.period.name == "monthly"
    assert found.next_expected_date == d(2024, 8, 15)
    assert found.confidence >= 0.8


@pytest.mark.parametrize(("step", "name"), [(7, "weekly"), (14, "fortnightly"), (91, "quarterly")])
def test_fixed_periods(step, name):
    dates = [d(2024, 1, 3) + datetime.timedelta(days=step * i) for i in range(4)]
    assert detect(charges(dates, "-5.00"), as_of=dates[-1]).period.name == name


def test_two_charges_are_not_enough_below_yearly_but_a_yearly_charge_needs_only_two():
    assert detect(charges([d(2024, 1, 5), d(2024, 2, 5)], "-9.99"), as_of=d(2024, 2, 6)) is None
    annual = detect(charges([d(2023, 3, 1), d(2024, 3, 1)], "-99.00"), as_of=d(2024, 3, 2))
    assert annual.period.name == "yearly"
    assert annual.next_expected_date == d(2025, 3, 1)
    assert annual.confidence <= 0.75


def test_a_price_rise_keeps_the_subscription_at_the_new_price():
    found = detect(charges(monthly(d(2024, 1, 10), 6), ["-9.99"] * 4 + ["-11.99"] * 2), as_of=d(2024, 6, 11))
    assert found.amount_mean == Decimal("-11.99")
    assert found.previous_amount == Decimal("-9.99")


def test_a_cancelled_subscription_ends():
    dates = monthly(d(2024, 1, 10), 5)
    assert detect(charges(dates, "-9.99"), as_of=d(2024, 6, 1)).ended is False
    assert detect(charges(dates, "-9.99"), as_of=d(2024, 8, 1)).ended is True


def test_weekly_groceries_at_varying_amounts_are_not_a_subscription():
    dates = [d(2024, 1, 6) + datetime.timedelta(days=7 * i) for i in range(12)]
    amounts = ["-54.10", "-81.30", "-62.45", "-95.00", "-47.80", "-70.25", "-88.60", "-58.90", "-66.10", "-102.40", "-51.75", "-79.95"]
    assert detect(charges(dates, amounts), as_of=d(2024, 4, 1)) is None


def test_irregular_charges_are_not_a_subscription():
    dates = [d(2024, 1, 2), d(2024, 1, 9), d(2024, 2, 20), d(2024, 2, 23), d(2024, 4, 30)]
    assert detect(charges(dates, "-4.50"), as_of=d(2024, 5, 1)) is None


# --- stored runs --------------------------------------------------------------------------------
NETFLIX_START = d(2024, 1, 15)


def _netflix(user, months=6, amounts=None, start=NETFLIX_START):
    rows = []
    for i, day in enumerate(monthly(start, months)):
        amount = (amounts or ["-15.49"] * months)[i]
        rows.append(TransactionFactory(user=user, date=day, amount=Decimal(amount), merchant_raw=f"NETFLIX.COM {4000 + i}",
                                       category=system_category("subscriptions")))
    return rows


@pytest.mark.django_db
def test_the_nightly_run_stores_the_subscription_and_is_idempotent(user, other_user):
    rows = _netflix(user)
    TransactionFactory(user=other_user, merchant_raw="NETFLIX.COM", amount=Decimal("-15.49"))
    first = services.recurrences_detect_all(as_of=d(2024, 7, 1))
    found = Recurrence.objects.get(user=user)
    assert (found.key, found.name, found.period, found.amount_mean, found.next_expected_date) == (
        "d:NETFLIX", "Netflix", "monthly", Decimal("-15.49"), d(2024, 7, 15)
    )
    assert found.transaction_ids == [str(r.pk) for r in rows]
    assert found.status == "active"
    assert (first.created, first.detected) == (1, 1)
    second = services.recurrences_detect_all(as_of=d(2024, 7, 1))
    assert (second.created, second.detected, second.removed) == (0, 1, 0)
    assert Recurrence.objects.count() == 1


@pytest.mark.django_db
def test_a_price_change_publishes_an_alert_once(user, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(services, "publish_on_commit", lambda user_id, kind, data: sent.append((user_id, kind, data)))
    rows = _netflix(user, months=4)
    services.recurrences_detect_all(as_of=d(2024, 5, 1))
    TransactionFactory(user=user, date=d(2024, 5, 15), amount=Decimal("-17.99"), merchant_raw="NETFLIX.COM 9",
                       category=system_category("subscriptions"))
    report = services.recurrences_detect_all(as_of=d(2024, 5, 20))
    assert report.price_changes == 1
    assert [(kind, data["old_amount"], data["new_amount"]) for _, kind, data in sent] == [
        ("subscription_price_changed", Decimal("-15.49"), Decimal("-17.99"))
    ]
    services.recurrences_detect_all(as_of=d(2024, 5, 20))
    assert len(sent) == 1
    assert len(rows) == 4


@pytest.mark.django_db
def test_a_cancelled_subscription_is_kept_as_ended(user):
    _netflix(user, months=4)
    services.recurrences_detect_all(as_of=d(2024, 10, 1))
    assert Recurrence.objects.get(user=user).status == "ended"


@pytest.mark.django_db
def test_deleted_rows_and_transfers_are_not_subscriptions(user):
    for row in _netflix(user):
        row.is_deleted = True
        row.deleted_at = datetime.datetime(2024, 7, 1, tzinfo=datetime.UTC)
        row.save()
    for day in monthly(d(2024, 1, 1), 6):
        TransactionFactory(user=user, date=day, amount=Decimal("-500.00"), merchant_raw="TO SAVINGS", category=system_category("transfer"))
    services.recurrences_detect_all(as_of=d(2024, 7, 1))
    assert not Recurrence.objects.exists()


@pytest.mark.django_db
def test_reminders_go_n_days_before_once(user, monkeypatch):
    sent = []
    monkeypatch.setattr(services, "publish_on_commit", lambda user_id, kind, data: sent.append((kind, data)))
    _netflix(user)
    services.recurrences_detect_all(as_of=d(2024, 7, 1))
    assert services.subscription_reminders_send(as_of=d(2024, 7, 11)) == 0  # 4 days before: too early
    assert services.subscription_reminders_send(as_of=d(2024, 7, 12)) == 1  # 3 days (the default)
    assert services.subscription_reminders_send(as_of=d(2024, 7, 13)) == 0  # once
    kind, data = sent[0]
    assert kind == "subscription_reminder"
    assert (data["name"], data["amount"], data["next_expected_date"], data["days_until"]) == ("Netflix", Decimal("-15.49"), d(2024, 7, 15), 3)


@pytest.mark.django_db
def test_the_reminder_window_is_a_user_preference(user, monkeypatch):
    monkeypatch.setattr(services, "publish_on_commit", lambda *args: None)
    user.preferences = {**user.preferences, "subscription_reminder_days": 7}
    user.save()
    _netflix(user)
    services.recurrences_detect_all(as_of=d(2024, 7, 1))
    assert services.subscription_reminders_send(as_of=d(2024, 7, 8)) == 1


@pytest.mark.django_db
def test_a_dismissed_subscription_stays_dismissed_and_gets_no_reminder(user, monkeypatch):
    monkeypatch.setattr(services, "publish_on_commit", lambda *args: None)
    _netflix(user)
    services.recurrences_detect_all(as_of=d(2024, 7, 1))
    row = Recurrence.objects.get(user=user)
    services.recurrence_review(user=user, recurrence_id=row.pk, review="dismissed")
    services.recurrences_detect_all(as_of=d(2024, 7, 2))
    assert Recurrence.objects.get(pk=row.pk).review == "dismissed"
    assert services.subscription_reminders_send(as_of=d(2024, 7, 12)) == 0


@pytest.mark.django_db
def test_the_command_runs_for_one_user(user, other_user, capsys):
    _netflix(user)
    _netflix(other_user)
    call_command("detect_subscriptions", "--user", user.email.upper(), "--as-of", "2024-07-01", "--no-reminders")
    assert "users=1 detected=1 created=1" in capsys.readouterr().out
    assert list(Recurrence.objects.values_list("user_id", flat=True)) == [user.pk]


@pytest.mark.django_db
def test_the_nightly_task_is_idempotent(user, monkeypatch):
    from analytics import tasks

    monkeypatch.setattr(services, "publish_on_commit", lambda *args: None)
    _netflix(user, start=datetime.date.today() - datetime.timedelta(days=200))
    first = tasks.scheduled_detect_subscriptions.apply().get()
    second = tasks.scheduled_detect_subscriptions.apply().get()
    assert first["detected"] == second["detected"] == 1
    assert Recurrence.objects.filter(user=user).count() == 1
    assert second["reminders"] == 0


def test_one_merchant_billing_two_subscriptions_is_split_by_price():
    from analytics.recurrence import detect_groups

    dates = monthly(d(2024, 1, 20), 5)
    mixed = charges(dates + [x + datetime.timedelta(days=3) for x in dates], ["-2.99"] * 5 + ["-10.99"] * 5)
    found = detect_groups({"d:APPLE": mixed}, as_of=d(2024, 6, 1))
    assert sorted(found) == ["d:APPLE@10.99", "d:APPLE@2.99"]
    assert found["d:APPLE@2.99"].next_expected_date == d(2024, 6, 20)


def test_descriptors_differing_only_in_reference_numbers_share_a_key():
    from analytics.recurrence import descriptor_of
    from merchants.services import normalise_descriptor

    assert descriptor_of("NETFLIX.COM 866-579-7172") == descriptor_of("NETFLIX.COM 123-456-7890") == "NETFLIX"
    for raw in ("7-ELEVEN 1234", "7-ELEVEN 5678", "3M STORE 12", "SPOTIFY P3C1A2"):
        assert descriptor_of(raw) == normalise_descriptor(raw)


@pytest.mark.django_db
def test_a_matched_merchant_billing_two_prices_is_stored_as_two_subscriptions(user):
    from merchants.models import Merchant

    apple = Merchant.objects.create(canonical_name="Pineapple Media", category="subscriptions")
    for day in monthly(d(2024, 1, 20), 5):
        TransactionFactory(user=user, date=day, amount=Decimal("-2.99"), merchant=apple, merchant_raw="APPLE.COM/BILL")
        TransactionFactory(user=user, date=day + datetime.timedelta(days=3), amount=Decimal("-10.99"), merchant=apple,
                           merchant_raw="APPLE.COM/BILL")
    services.recurrences_detect_all(as_of=d(2024, 6, 1))
    rows = Recurrence.objects.filter(user=user).order_by("amount_mean")
    assert [(r.name, r.merchant_id, r.amount_mean) for r in rows] == [
        ("Pineapple Media (10.99)", apple.pk, Decimal("-10.99")), ("Pineapple Media (2.99)", apple.pk, Decimal("-2.99")),
    ]
    assert services.recurrences_detect_all(as_of=d(2024, 6, 1)).updated == 0  # nothing changed: nothing written


@pytest.mark.django_db
def test_incremental_detection_updates_a_merchants_per_price_subscriptions(user):
    for day in monthly(d(2024, 1, 20), 5):
        TransactionFactory(user=user, date=day, amount=Decimal("-2.99"), merchant_raw="APPLE.COM/BILL")
        TransactionFactory(user=user, date=day + datetime.timedelta(days=3), amount=Decimal("-10.99"), merchant_raw="APPLE.COM/BILL")
    _netflix(user)
    services.recurrences_detect_all(as_of=d(2024, 6, 1))
    assert Recurrence.objects.filter(user=user).count() == 3
    TransactionFactory(user=user, date=d(2024, 6, 20), amount=Decimal("-2.99"), merchant_raw="APPLE.COM/BILL")
    report = services.recurrences_detect(user_id=user.pk, as_of=d(2024, 6, 21), keys={"d:APPLE"})
    assert (report.created, report.removed) == (0, 0)
    cheap = Recurrence.objects.get(user=user, key="d:APPLE@2.99")
    assert (cheap.last_seen, cheap.occurrences) == (d(2024, 6, 20), 6)
    assert Recurrence.objects.filter(user=user).count() == 3  # Netflix untouched
