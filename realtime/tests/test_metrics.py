"""The socket metrics Prometheus scrapes from daphne's /metrics."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from prometheus_client import REGISTRY

from accounts.tests.factories import UserFactory
from realtime.services import publish
from realtime.tests.test_resume import open_socket, receive_until, token_for

pytestmark = pytest.mark.django_db(transaction=True)


def sample(name: str, labels: dict | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_sockets_messages_latency_and_resumes_are_counted(client):
    user = UserFactory()
    token = token_for(user)
    first = publish(user.id, "budget_alert", {"n": 1})
    before = {
        "open": sample("ledgerline_realtime_open_sockets"),
        "alerts": sample("ledgerline_realtime_messages_sent_total", {"type": "budget_alert"}),
        "latency": sample("ledgerline_realtime_publish_to_send_seconds_count"),
        "resumes": sample("ledgerline_realtime_resumes_total", {"outcome": "replayed", "trigger": "client"}),
        "replayed": sample("ledgerline_realtime_events_replayed_total"),
    }

    async def scenario():
        socket = await open_socket(token, f"&last_event_id={int(first['id']) - 1}")
        await receive_until(socket, "resumed")
        assert sample("ledgerline_realtime_open_sockets") == before["open"] + 1
        await sync_to_async(publish)(user.id, "budget_alert", {"n": 2})
        await receive_until(socket, "budget_alert")
        await socket.disconnect()

    async_to_sync(scenario)()
    assert sample("ledgerline_realtime_open_sockets") == before["open"]
    assert sample("ledgerline_realtime_messages_sent_total", {"type": "budget_alert"}) == before["alerts"] + 2
    assert sample("ledgerline_realtime_publish_to_send_seconds_count") == before["latency"] + 1
    assert sample("ledgerline_realtime_resumes_total", {"outcome": "replayed", "trigger": "client"}) == before["resumes"] + 1
    assert sample("ledgerline_realtime_events_replayed_total") == before["replayed"] + 1
    body = client.get("/metrics").content.decode()
    assert "ledgerline_realtime_open_sockets" in body and "ledgerline_realtime_messages_sent_total" in body
