"""The production processes for real: daphne, a Celery worker, PostgreSQL and Redis.

A request to daphne enqueues a task on Redis; the worker runs it and publishes through the
Redis channel layer; the event arrives on the user's WebSocket served by daphne."""

import json

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from accounts.services import session_open
from accounts.tests.factories import UserFactory
from tests.live import receive_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_task_run_by_the_worker_reaches_the_users_websocket(live_stack):
    user = UserFactory()
    tokens = session_open(user=user, ip_address="127.0.0.1", user_agent="e2e")
    headers = {"Authorization": f"Bearer {tokens.access_token}"}

    ready = httpx.get(f"{live_stack['http']}/ready", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "celery": "ok", "disk": "ok"}

    ticket = httpx.post(f"{live_stack['http']}/api/v1/auth/ws-ticket/", headers=headers, timeout=10).json()["ticket"]
    with ws_connect(f"{live_stack['ws']}/ws/?ticket={ticket}", open_timeout=10) as websocket:
        connected = json.loads(websocket.recv(timeout=10))
        assert connected["type"] == "connected"
        assert connected["data"]["user_id"] == str(user.id)

        accepted = httpx.post(f"{live_stack['http']}/api/v1/realtime/echo/", headers=headers, timeout=10)
        assert accepted.status_code == 202
        echo = receive_until(websocket, "echo")
        assert echo["data"]["nonce"] == accepted.json()["nonce"]
        assert int(echo["id"]) > int(connected["id"])

    # Neither credential is ever written to the servers' logs.
    for log in live_stack["logs"].values():
        text = log.read_text()
        assert tokens.access_token not in text
        assert ticket not in text
    assert "realtime.tasks.echo" in live_stack["logs"]["worker"].read_text()
