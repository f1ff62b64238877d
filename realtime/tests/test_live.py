"""Real daphne + a real Celery worker over real Redis (the production transport)."""

import json
import subprocess
import sys
import time

import httpx
import pytest
import redis
from channels_redis.core import RedisChannelLayer
from websockets.sync.client import connect as ws_connect

from accounts.services import session_open
from accounts.tests.factories import UserFactory
from realtime.models import Event
from realtime.services import publish
from tests.live import free_port, live_env, receive_until, wait_until

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


def collect(websocket, *, until_type: str, quiet_seconds: float = 1.0, timeout: float = 30) -> list[dict]:
    """Messages up to `until_type`, then whatever else arrives before `quiet_seconds` of silence."""
    messages = []
    deadline = time.monotonic() + timeout
    while not messages or messages[-1]["type"] != until_type:
        assert time.monotonic() < deadline, f"no {until_type} within {timeout} s: {messages}"
        messages.append(json.loads(websocket.recv(timeout=deadline - time.monotonic())))
    while True:
        try:
            messages.append(json.loads(websocket.recv(timeout=quiet_seconds)))
        except TimeoutError:
            return messages


def stored_ids(messages: list[dict]) -> list[int]:
    return [int(message["id"]) for message in messages if message["type"] in {"budget_alert", "echo"}]


def test_a_client_that_reconnects_gets_every_event_from_web_and_worker_exactly_once(live_stack):
    user = UserFactory()
    tokens = session_open(user=user, ip_address="127.0.0.1", user_agent="e2e")
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    socket_url = f"{live_stack['ws']}/ws/?token={tokens.access_token}"

    with ws_connect(socket_url, open_timeout=10) as websocket:
        assert json.loads(websocket.recv(timeout=10))["type"] == "connected"
        seen = publish(user.id, "budget_alert", {"n": 1})
        assert receive_until(websocket, "budget_alert")["id"] == seen["id"]

    # Offline: the web process and a worker both publish.
    missed = [publish(user.id, "budget_alert", {"n": 2})]
    accepted = httpx.post(f"{live_stack['http']}/api/v1/realtime/echo/", json={"store": True}, headers=headers, timeout=10)
    assert accepted.status_code == 202
    wait_until(lambda: Event.objects.filter(user=user, type="echo").exists(), "the worker's stored echo", timeout=30)
    missed.append(Event.objects.get(user=user, type="echo"))
    missed.append(publish(user.id, "budget_alert", {"n": 3}))
    expected = [int(missed[0]["id"]), missed[1].sequence, int(missed[2]["id"])]

    with ws_connect(f"{socket_url}&last_event_id={seen['id']}", open_timeout=10) as websocket:
        assert json.loads(websocket.recv(timeout=10))["type"] == "connected"
        replay = collect(websocket, until_type="resumed")
        assert stored_ids(replay) == expected
        assert replay[stored_ids(replay).index(missed[1].sequence)]["data"]["nonce"] == accepted.json()["nonce"]
        live = publish(user.id, "budget_alert", {"n": 4})
        assert stored_ids(collect(websocket, until_type="budget_alert")) == [int(live["id"])]


@pytest.fixture
def own_redis(tmp_path):
    """A private redis-server on a free port (never the shared one), restartable by the test."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", str(tmp_path)]
    server = {"process": None, "url": f"redis://127.0.0.1:{port}/0"}

    def start():
        server["process"] = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: redis.Redis.from_url(server["url"], socket_timeout=1).ping(), "private redis", timeout=15)

    def stop():
        server["process"].terminate()
        server["process"].wait(timeout=15)

    server["start"], server["stop"] = start, stop
    start()
    yield server
    stop()


def test_sockets_recover_after_a_redis_restart_and_get_what_was_published_meanwhile(own_redis, tmp_path, settings):
    settings.CHANNEL_LAYERS = {
        "default": {**settings.CHANNEL_LAYERS["default"], "CONFIG": {
            **settings.CHANNEL_LAYERS["default"]["CONFIG"],
            "hosts": [{**settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0], "address": own_redis["url"]}],
        }}
    }
    user = UserFactory()
    tokens = session_open(user=user, ip_address="127.0.0.1", user_agent="e2e")
    port = free_port()
    env = live_env(REDIS_URL=own_redis["url"], CELERY_BROKER_URL=own_redis["url"])
    log = tmp_path / "daphne.log"
    daphne = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=settings.BASE_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200, "daphne")
        with ws_connect(f"ws://127.0.0.1:{port}/ws/?token={tokens.access_token}", open_timeout=10) as websocket:
            assert json.loads(websocket.recv(timeout=10))["type"] == "connected"
            before = publish(user.id, "budget_alert", {"n": 1})
            assert receive_until(websocket, "budget_alert")["id"] == before["id"]

            own_redis["stop"]()
            during = publish(user.id, "budget_alert", {"n": 2})  # stored; the layer refuses it
            own_redis["start"]()

            recovered = collect(websocket, until_type="resumed", timeout=60)
            assert stored_ids(recovered) == [int(during["id"])]
            assert recovered[-1]["data"]["trigger"] == "recovery"
            after = publish(user.id, "budget_alert", {"n": 3})
            assert stored_ids(collect(websocket, until_type="budget_alert")) == [int(after["id"])]
            websocket.send(json.dumps({"type": "ping"}))
            assert receive_until(websocket, "pong", timeout=10)["type"] == "pong"
    finally:
        daphne.terminate()
        daphne.wait(timeout=15)
    assert "Channel layer receive failed" in log.read_text()
