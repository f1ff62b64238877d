"""Stored events over the socket: resume, replay during publishing, the retention window, tabs,
other users, throttled progress. Through the real ASGI app (auth middleware, consumer)."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.tests.factories import UserFactory
from config.asgi import application
from conftest import authenticated_client
from realtime import consumers, selectors
from realtime.models import Event
from realtime.services import events_prune, publish, publish_progress

pytestmark = pytest.mark.django_db(transaction=True)


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


def token_for(user) -> str:
    return authenticated_client(user).token_pair.access_token


def alert(user, number: int) -> int:
    return int(publish(user.id, "budget_alert", {"n": number})["id"])


async def open_socket(token: str, query: str = "") -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, f"/ws/?token={token}{query}")
    connected, _ = await communicator.connect()
    assert connected
    communicator.connected_message = await communicator.receive_json_from()
    assert communicator.connected_message["type"] == "connected"
    return communicator


async def receive_until(socket: WebsocketCommunicator, event_type: str) -> list[dict]:
    """Every message up to and including the first of `event_type`."""
    messages = []
    while True:
        messages.append(await socket.receive_json_from(timeout=5))
        if messages[-1]["type"] == event_type:
            return messages


def stored(messages: list[dict]) -> list[tuple[str, int]]:
    return [(message["type"], message["data"]["n"]) for message in messages if message["type"] == "budget_alert"]


def test_resume_replays_exactly_the_stored_events_after_the_id_in_order_then_live_ones():
    user = UserFactory()
    token = token_for(user)
    first = alert(user, 1)
    publish(user.id, "upload_progress", {"n": 99})  # transient: never replayed
    alert(user, 2)
    alert(user, 3)

    async def scenario():
        socket = await open_socket(token)
        await socket.send_json_to({"type": "resume", "data": {"last_event_id": str(first)}})
        replay = await receive_until(socket, "resumed")
        assert stored(replay) == [("budget_alert", 2), ("budget_alert", 3)]
        assert [message["type"] for message in replay] == ["budget_alert", "budget_alert", "resumed"]
        assert replay[-1]["data"] == {"last_event_id": str(first), "replayed": 2, "trigger": "client"}
        assert int(replay[0]["id"]) < int(replay[1]["id"])
        await sync_to_async(alert)(user, 4)
        assert stored([await socket.receive_json_from(timeout=5)]) == [("budget_alert", 4)]
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    run(scenario)


def test_resume_in_the_url_replays_before_anything_live():
    user = UserFactory()
    token = token_for(user)
    first = alert(user, 1)
    alert(user, 2)

    async def scenario():
        socket = await open_socket(token, f"&last_event_id={first}")
        replay = await receive_until(socket, "resumed")
        assert stored(replay) == [("budget_alert", 2)]
        await socket.disconnect()

    run(scenario)


def test_an_event_published_during_the_replay_arrives_once_and_nothing_is_missed(monkeypatch):
    user = UserFactory()
    token = token_for(user)
    first = alert(user, 1)
    alert(user, 2)
    real_plan = selectors.event_replay_plan

    def plan_while_publishing(**kwargs):
        alert(user, 3)  # committed before the replay reads: in the replay, and live too
        plan = real_plan(**kwargs)
        alert(user, 4)  # committed after the read: live only
        return plan

    monkeypatch.setattr(consumers, "event_replay_plan", plan_while_publishing)

    async def scenario():
        socket = await open_socket(token)
        await socket.send_json_to({"type": "resume", "data": {"last_event_id": first}})
        messages = await receive_until(socket, "resumed")
        messages.append(await socket.receive_json_from(timeout=5))
        while not await socket.receive_nothing(timeout=0.5):
            messages.append(await socket.receive_json_from())
        assert stored(messages) == [("budget_alert", 2), ("budget_alert", 3), ("budget_alert", 4)]
        await socket.disconnect()

    run(scenario)


def test_events_received_live_before_a_resume_are_not_sent_again():
    user = UserFactory()
    token = token_for(user)
    first = alert(user, 1)

    async def scenario():
        socket = await open_socket(token)
        await sync_to_async(alert)(user, 2)
        assert stored([await socket.receive_json_from(timeout=5)]) == [("budget_alert", 2)]
        await sync_to_async(alert)(user, 3)  # still in flight when the resume arrives
        await socket.send_json_to({"type": "resume", "data": {"last_event_id": str(first)}})
        messages = await receive_until(socket, "resumed")
        while not await socket.receive_nothing(timeout=0.5):
            messages.append(await socket.receive_json_from())
        assert stored(messages) == [("budget_alert", 3)]
        await socket.disconnect()

    run(scenario)


def test_a_resume_from_before_the_retention_window_answers_resync_required():
    user = UserFactory()
    token = token_for(user)
    first = alert(user, 1)
    second = alert(user, 2)
    events_prune(now=timezone.now() + timedelta(days=8))
    third = alert(user, 3)

    async def scenario():
        socket = await open_socket(token)
        await socket.send_json_to({"type": "resume", "data": {"last_event_id": str(first)}})
        answer = await socket.receive_json_from(timeout=5)
        assert answer["type"] == "resync_required"
        # The latest id is the socket's own `connected`, handed out after the third alert.
        latest = socket.connected_message["id"]
        assert int(latest) == third + 1
        assert answer["data"] == {"last_event_id": str(first), "latest_event_id": latest, "reason": "events_pruned"}
        # Up to the last pruned id the client has everything: that resume still works.
        await socket.send_json_to({"type": "resume", "data": {"last_event_id": str(second)}})
        assert stored(await receive_until(socket, "resumed")) == [("budget_alert", 3)]
        await socket.send_json_to({"type": "resume", "data": {"last_event_id": "99999999"}})
        future = await socket.receive_json_from(timeout=5)
        assert (future["type"], future["data"]["reason"]) == ("resync_required", "unknown_event_id")
        await socket.disconnect()

    run(scenario)


def test_too_long_a_replay_answers_resync_required(settings):
    settings.EVENT_REPLAY_MAX = 2
    user = UserFactory()
    token = token_for(user)
    for number in range(3):
        alert(user, number)

    async def scenario():
        socket = await open_socket(token)
        await socket.send_json_to({"type": "resume", "data": {"last_event_id": "0"}})
        answer = await socket.receive_json_from(timeout=5)
        assert (answer["type"], answer["data"]["reason"]) == ("resync_required", "too_many_events")
        await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("bad", [None, "", "abc", "-1", -1, 1.5, True, "1" * 30])
def test_a_resume_without_a_valid_id_is_an_error(bad):
    token = token_for(UserFactory())

    async def scenario():
        socket = await open_socket(token)
        await socket.send_json_to({"type": "resume", "data": {"last_event_id": bad}})
        answer = await socket.receive_json_from(timeout=5)
        assert (answer["type"], answer["data"]["code"]) == ("error", "invalid")
        await socket.disconnect()

    run(scenario)


def test_two_tabs_resume_independently_and_another_users_events_never_replay():
    alice, bob = UserFactory(), UserFactory()
    alice_token = token_for(alice)
    for number in (1, 2, 3):
        alert(bob, 100 + number)  # bob's ids overlap alice's numerically
    start = alert(alice, 1)
    alert(alice, 2)

    async def scenario():
        tabs = [await open_socket(alice_token) for _ in range(2)]
        for tab in tabs:
            await tab.send_json_to({"type": "resume", "data": {"last_event_id": str(start - 1)}})
            assert stored(await receive_until(tab, "resumed")) == [("budget_alert", 1), ("budget_alert", 2)]
        await sync_to_async(alert)(alice, 3)
        for tab in tabs:
            assert stored([await tab.receive_json_from(timeout=5)]) == [("budget_alert", 3)]
            await tab.disconnect()

    run(scenario)


def test_the_subscription_filter_applies_to_the_replay():
    user = UserFactory()
    token = token_for(user)
    publish(user.id, "upload_completed", {"upload_id": "u1"})
    alert(user, 1)

    async def scenario():
        socket = await open_socket(token)
        await socket.send_json_to({"type": "subscribe", "data": {"types": ["upload_completed"]}})
        await socket.receive_json_from()
        await socket.send_json_to({"type": "resume", "data": {"last_event_id": "0"}})
        replay = await receive_until(socket, "resumed")
        assert [(message["type"], message["data"]) for message in replay[:-1]] == [("upload_completed", {"upload_id": "u1"})]
        await socket.disconnect()

    run(scenario)


def test_a_rolled_back_publish_stores_and_sends_nothing():
    user = UserFactory()
    token = token_for(user)

    async def scenario():
        socket = await open_socket(token)

        def publish_then_fail():
            from django.db import transaction

            with pytest.raises(RuntimeError), transaction.atomic():
                alert(user, 1)
                raise RuntimeError("the service failed")

        await sync_to_async(publish_then_fail)()
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()

    run(scenario)
    assert not Event.objects.filter(user=user).exists()


def test_throttled_progress_still_delivers_the_final_state(settings):
    settings.UPLOAD_PROGRESS_MIN_INTERVAL_SECONDS = 3600
    user = UserFactory()
    token = token_for(user)

    async def scenario():
        socket = await open_socket(token)

        def import_rows():
            for processed in range(0, 1000, 10):
                publish_progress(user.id, "upload-1", processed=processed, total=1000, stage="importing")
            publish_progress(user.id, "upload-1", processed=1000, total=1000, stage="completed", final=True)

        await sync_to_async(import_rows)()
        first = await socket.receive_json_from(timeout=5)
        last = await socket.receive_json_from(timeout=5)
        assert first["data"] == {"upload_id": "upload-1", "processed": 0, "total": 1000, "percent": 0.0, "stage": "importing"}
        assert last["data"] == {"upload_id": "upload-1", "processed": 1000, "total": 1000, "percent": 100.0, "stage": "completed"}
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    run(scenario)
    assert list(Event.objects.filter(user=user).values_list("type", "data__stage")) == [("upload_progress", "completed")]
