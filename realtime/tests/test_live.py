"""Real daphne + a real Celery worker over real Redis (the production transport)."""

import json
import time

import httpx
import pytest
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from websockets.sync.client import connect as ws_connect

from accounts.services import session_open
from accounts.tests.factories import UserFactory
from tests.live import receive_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_idle_socket_outlives_the_layers_blocking_read_and_still_gets_pong_and_events(live_stack):
    """Regression: redis-py 8 reads with a 5 s socket timeout, the layer blocks 5 s in BZPOPMIN,
    and an idle socket was closed with 1011 after ~5 s. Idle past both, then ping and publish."""
    user = UserFactory()
    tokens = session_open(user=user, ip_address="127.0.0.1", user_agent="e2e")
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    idle_seconds = RedisChannelLayer.brpop_timeout + 3

    with ws_connect(f"{live_stack['ws']}/ws/?token={tokens.access_token}", open_timeout=10) as websocket:
        assert json.loads(websocket.recv(timeout=10))["type"] == "connected"
        time.sleep(idle_seconds)
        websocket.send(json.dumps({"type": "ping"}))
        assert receive_until(websocket, "pong", timeout=10)["type"] == "pong"

        accepted = httpx.post(f"{live_stack['http']}/api/v1/realtime/echo/", headers=headers, timeout=10)
        assert accepted.status_code == 202
        assert receive_until(websocket, "echo")["data"]["nonce"] == accepted.json()["nonce"]
    assert "TimeoutError" not in live_stack["logs"]["daphne"].read_text()


def test_the_layers_read_timeout_exceeds_its_blocking_timeout():
    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout
