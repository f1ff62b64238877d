"""Subscriptions and anomalies over HTTP; owner, other user (404, nothing changed) and
anonymous on every analytics endpoint."""

import datetime
import uuid
from decimal import Decimal

import pytest

from analytics.models import AnomalyFinding, Recurrence
from ledger.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db
BASE = "/api/v1/analytics/"
d = datetime.date


def recurrence(user, **fields):
    values = {
        "key": f"d:NETFLIX{uuid.uuid4().hex[:4]}", "name": "Netflix", "currency": "USD", "amount_mean": Decimal("-15.49"),
        "amount_tolerance": Decimal("0.77"), "period": "monthly", "period_days": 30, "first_seen": d(2024, 1, 15),
        "last_seen": d(2024, 6, 15), "next_expected_date": d(2024, 7, 15), "occurrences": 6, "confidence": 0.95, **fields,
    }
    return Recurrence.objects.create(user=user, **values)


def finding(user, **fields):
    row = TransactionFactory(user=user, date=d(2024, 3, 20), amount=Decimal("-480.00"), anomaly_score=0.9)
    reasons = [{"rule": "amount_outlier", "score": 0.9, "detail": "x", "pattern": "amount_outlier|d:CORNER GROCER"}]
    return AnomalyFinding.objects.create(user=user, transaction=row, score=0.9, reasons=reasons, **fields)


def test_the_subscription_list_with_monthly_equivalents_and_total(auth_client, user, other_user):
    monthly = recurrence(user)
    recurrence(user, name="Domain", period="yearly", period_days=365, amount_mean=Decimal("-24.00"), next_expected_date=d(2025, 1, 1))
    recurrence(user, name="Gym", period="weekly", period_days=7, amount_mean=Decimal("-10.00"))
    recurrence(user, name="Old", status="ended")
    recurrence(user, name="Not mine really", review="dismissed")
    recurrence(other_user, name="Theirs")
    body = auth_client.get(f"{BASE}subscriptions/").json()
    assert body["count"] == 4
    by_name = {r["name"]: r for r in body["results"]}
    assert set(by_name) == {"Netflix", "Domain", "Gym", "Old"}
    assert by_name["Netflix"]["monthly_equivalent"] == "15.49"
    assert by_name["Domain"]["monthly_equivalent"] == "2.00"
    assert by_name["Gym"]["monthly_equivalent"] == "43.33"  # 10 x 52 / 12
    assert body["monthly_total"] == "60.82"  # ended and dismissed ones left out
    assert by_name["Netflix"]["id"] == str(monthly.pk)
    assert by_name["Netflix"]["amount_mean"] == "-15.49"
    with_dismissed = auth_client.get(f"{BASE}subscriptions/", {"include_dismissed": "true"}).json()
    assert with_dismissed["count"] == 5


def test_confirm_and_dismiss(auth_client, user):
    row = recurrence(user)
    assert auth_client.post(f"{BASE}subscriptions/{row.pk}/confirm/").json()["review"] == "confirmed"
    assert auth_client.post(f"{BASE}subscriptions/{row.pk}/dismiss/").json()["review"] == "dismissed"
    assert Recurrence.objects.get(pk=row.pk).review == "dismissed"


def test_the_anomaly_list_and_marking_one_expected(auth_client, user, other_user):
    mine = finding(user)
    finding(other_user)
    body = auth_client.get(f"{BASE}anomalies/").json()
    assert [f["id"] for f in body] == [str(mine.pk)]
    assert body[0]["transaction"]["amount"] == "-480.00"
    assert body[0]["reasons"][0]["rule"] == "amount_outlier"
    assert auth_client.get(f"{BASE}anomalies/", {"since": "2024-03-21"}).json() == []
    assert auth_client.get(f"{BASE}anomalies/", {"since": "bad"}).status_code == 400
    marked = auth_client.post(f"{BASE}anomalies/{mine.pk}/expected/")
    assert marked.status_code == 200
    assert marked.json()["status"] == "expected"
    assert auth_client.get(f"{BASE}anomalies/").json() == []
    assert len(auth_client.get(f"{BASE}anomalies/", {"include_expected": "true"}).json()) == 1


def test_another_users_subscription_is_404_and_unchanged(auth_client, other_user):
    theirs = recurrence(other_user)
    for action in ("confirm", "dismiss"):
        response = auth_client.post(f"{BASE}subscriptions/{theirs.pk}/{action}/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert Recurrence.objects.get(pk=theirs.pk).review == "none"
    assert auth_client.post(f"{BASE}subscriptions/{uuid.uuid4()}/confirm/").status_code == 404


def test_another_users_anomaly_is_404_and_unchanged(auth_client, other_user):
    theirs = finding(other_user)
    response = auth_client.post(f"{BASE}anomalies/{theirs.pk}/expected/")
    assert response.status_code == 404
    assert AnomalyFinding.objects.get(pk=theirs.pk).status == "open"
    assert not other_user.expected_patterns.exists()


def test_another_users_rows_never_reach_my_figures(auth_client, other_user):
    TransactionFactory(user=other_user, date=d(2024, 1, 10), amount=Decimal("-99.00"))
    params = {"since": "2024-01-01", "until": "2024-01-31"}
    assert auth_client.get(f"{BASE}summary/", params).json()["expenses"] == "0.00"
    assert auth_client.get(f"{BASE}timeseries/", params).json()["series"] == []
    assert auth_client.get(f"{BASE}cashflow/", params).json()["total_out"] == "0.00"
    assert auth_client.get(f"{BASE}categories/", params).json()["categories"] == []
    assert auth_client.get(f"{BASE}subscriptions/").json()["count"] == 0


@pytest.mark.parametrize(("method", "path"), [
    ("get", "summary/"), ("get", "timeseries/"), ("get", "cashflow/"), ("get", "categories/"), ("get", "subscriptions/"),
    ("post", f"subscriptions/{uuid.uuid4()}/confirm/"), ("post", f"subscriptions/{uuid.uuid4()}/dismiss/"),
    ("get", "anomalies/"), ("post", f"anomalies/{uuid.uuid4()}/expected/"),
])
def test_anonymous_is_401_everywhere(api_client, method, path):
    response = getattr(api_client, method)(f"{BASE}{path}")
    assert response.status_code == 401
    assert set(response.json()) >= {"detail", "code"}


def test_the_schema_documents_every_analytics_endpoint(auth_client):
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for path in ("summary/", "timeseries/", "cashflow/", "categories/", "subscriptions/", "anomalies/",
                 "subscriptions/{recurrence_id}/confirm/", "anomalies/{finding_id}/expected/"):
        assert f"/api/v1/analytics/{path}" in paths
