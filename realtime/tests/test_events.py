"""The event store: what is stored, ids, pruning, and GET /api/v1/events/."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import UserFactory
from realtime.models import Event, EventStream
from realtime.services import apublish, events_prune, publish, publish_on_commit, publish_progress
from realtime.tasks import scheduled_prune_events
from realtime.types import is_stored_type

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("event_type", "expected"),
    [
        ("budget_alert", True), ("anomaly_alert", True), ("subscription_reminder", True),
        ("upload_completed", True), ("upload_failed", True), ("report_ready", True),
        ("receipt_processed", True), ("portfolio_update", True), ("goal_alert", True), ("bill_reminder", True),
        ("pong", False), ("connected", False), ("echo", False), ("upload_progress", False),
        ("transaction_update", False), ("resync_required", False), ("something_else", False),
    ],
)
def test_which_types_are_stored(event_type, expected):
    assert is_stored_type(event_type) is expected


def test_a_stored_type_writes_a_row_whose_sequence_is_the_envelope_id(user):
    message = publish(user.id, "budget_alert", {"spent": "80.10", "when": timezone.datetime(2024, 3, 1).date()})
    event = Event.objects.get(user=user)
    assert (event.type, event.data) == ("budget_alert", {"spent": "80.10", "when": "2024-03-01"})
    assert message == {
        "type": "budget_alert",
        "data": {"spent": "80.10", "when": "2024-03-01"},
        "timestamp": event.created.isoformat().replace("+00:00", "Z"),
        "id": str(event.sequence),
    }


def test_transient_types_take_ids_but_no_rows_and_store_overrides_the_rule(user):
    ids = [
        publish(user.id, "pong", {})["id"],
        publish(user.id, "upload_progress", {"n": 1})["id"],
        publish(user.id, "upload_progress", {"n": 2}, store=True)["id"],
        publish(user.id, "budget_alert", {"n": 3}, store=False)["id"],
    ]
    assert ids == ["1", "2", "3", "4"]
    assert list(Event.objects.filter(user=user).values_list("sequence", "type")) == [(3, "upload_progress")]


def test_ids_increase_per_user_independently(user, other_user):
    assert [publish(user.id, "budget_alert", {})["id"] for _ in range(3)] == ["1", "2", "3"]
    assert publish(other_user.id, "budget_alert", {})["id"] == "1"
    assert publish(str(user.id), "budget_alert", {})["id"] == "4"
    assert EventStream.objects.get(user=user).last_id == 4


def test_publish_inside_a_transaction_stores_with_it_and_a_rollback_takes_it_away(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(user.id, "budget_alert", {"n": 1})
        assert Event.objects.filter(user=user).count() == 1
        raise RuntimeError
    assert not Event.objects.filter(user=user).exists()


def test_publish_on_commit_runs_only_after_commit(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        publish_on_commit(user.id, "report_ready", {"report_id": "r1"})
        assert not Event.objects.filter(user=user).exists()
    assert list(Event.objects.filter(user=user).values_list("type", "data")) == [("report_ready", {"report_id": "r1"})]


def test_a_missing_user_gets_nothing_published():
    missing = "00000000-0000-0000-0000-000000000001"
    assert publish(missing, "budget_alert", {}) is None
    assert not EventStream.objects.exists()
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_apublish_works_from_async_code():
    from asgiref.sync import async_to_sync

    user = UserFactory()
    message = async_to_sync(apublish)(user.id, "anomaly_alert", {"score": "0.97"})
    assert Event.objects.get(user=user).sequence == int(message["id"])


def test_publishing_costs_a_fixed_number_of_queries(user):
    publish(user.id, "budget_alert", {})
    with CaptureQueriesContext(connection) as queries:
        publish(user.id, "budget_alert", {})
    # savepoint/transaction bookkeeping aside: one UPDATE ... RETURNING and one INSERT.
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert statements.count("UPDATE") == 1
    assert statements.count("INSERT") == 1


def test_progress_is_throttled_per_upload_and_the_final_state_is_stored(user, settings):
    settings.UPLOAD_PROGRESS_MIN_INTERVAL_SECONDS = 3600
    sent = [publish_progress(user.id, "u1", processed=n, total=10, stage="importing") for n in range(10)]
    other_upload = publish_progress(user.id, "u2", processed=1, total=10, stage="importing")
    final = publish_progress(user.id, "u1", processed=10, total=10, stage="completed", final=True)
    assert [message is not None for message in sent] == [True] + [False] * 9
    assert other_upload["data"]["upload_id"] == "u2"
    assert final["data"] == {"upload_id": "u1", "processed": 10, "total": 10, "percent": 100.0, "stage": "completed"}
    assert list(Event.objects.filter(user=user).values_list("type", "data__upload_id")) == [("upload_progress", "u1")]
    # A new run of the same upload starts unthrottled once the previous one finished.
    assert publish_progress(user.id, "u1", processed=0, total=5, stage="importing") is not None


def test_without_a_minimum_interval_every_progress_call_goes_out(user, settings):
    settings.UPLOAD_PROGRESS_MIN_INTERVAL_SECONDS = 0
    sent = [publish_progress(user.id, "u1", processed=n, total=3, stage="importing") for n in range(3)]
    assert [message["data"]["percent"] for message in sent] == [0.0, 33.3, 66.7]


def test_pruning_deletes_events_past_retention_and_records_the_window(user, other_user, settings):
    settings.EVENT_RETENTION_DAYS = 7
    old = [publish(user.id, "budget_alert", {"n": n}) for n in range(2)]
    Event.objects.filter(user=user).update(created=timezone.now() - timedelta(days=8))
    recent = publish(user.id, "budget_alert", {"n": 2})
    other = publish(other_user.id, "budget_alert", {"n": 3})

    assert events_prune() == 2
    assert events_prune() == 0  # the nightly task is safe to run twice
    assert scheduled_prune_events() == 0
    assert list(Event.objects.filter(user=user).values_list("sequence", flat=True)) == [int(recent["id"])]
    assert EventStream.objects.get(user=user).pruned_through == int(old[-1]["id"])
    assert EventStream.objects.get(user=other_user).pruned_through == 0
    assert Event.objects.filter(user=other_user, sequence=int(other["id"])).exists()


def test_the_prune_task_is_scheduled_nightly(settings):
    schedule = settings.BEAT_SCHEDULES["realtime: prune stored events past EVENT_RETENTION_DAYS"]
    assert schedule == {"task": "realtime.tasks.scheduled_prune_events", "crontab": {"minute": "37", "hour": "3"}}


# --- GET /api/v1/events/ ---------------------------------------------------------------------------
URL = "/api/v1/events/"


def test_the_owner_lists_stored_events_oldest_first(auth_client, user, other_user):
    first = publish(user.id, "budget_alert", {"n": 1})
    publish(user.id, "pong", {})
    second = publish(user.id, "upload_completed", {"upload_id": "u1", "imported": 3})
    publish(other_user.id, "budget_alert", {"n": "theirs"})

    response = auth_client.get(URL)
    assert response.status_code == 200
    assert response.json() == {"count": 2, "next": None, "previous": None, "results": [first, second]}


def test_since_id_and_type_filter(auth_client, user):
    first = publish(user.id, "budget_alert", {"n": 1})
    second = publish(user.id, "upload_completed", {"n": 2})
    third = publish(user.id, "report_ready", {"n": 3})

    assert auth_client.get(URL, {"since_id": first["id"]}).json()["results"] == [second, third]
    assert auth_client.get(URL, {"type": "budget_alert,report_ready"}).json()["results"] == [first, third]
    assert auth_client.get(f"{URL}?type=budget_alert&type=upload_completed").json()["results"] == [first, second]
    assert auth_client.get(URL, {"since_id": third["id"]}).json()["results"] == []


def test_events_are_paginated(auth_client, user):
    events = [publish(user.id, "budget_alert", {"n": n}) for n in range(3)]
    page = auth_client.get(URL, {"limit": 2}).json()
    assert (page["count"], page["results"], page["previous"]) == (3, events[:2], None)
    assert page["next"].endswith("/api/v1/events/?limit=2&offset=2")
    assert auth_client.get(page["next"]).json()["results"] == events[2:]


def test_another_users_events_never_appear(api_client, other_user, user):
    from conftest import authenticated_client

    publish(user.id, "budget_alert", {"secret": "mine"})
    response = authenticated_client(other_user).get(URL, {"since_id": 0})
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert Event.objects.filter(user=user).count() == 1


def test_anonymous_gets_401(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("query", "field"),
    [("since_id=abc", "since_id"), ("since_id=-1", "since_id"), ("type=DROP TABLE", "type"), ("type=,", "type"), ("limit=0", "limit")],
)
def test_bad_filters_are_400_in_the_error_shape(auth_client, query, field):
    response = auth_client.get(f"{URL}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"]
