"""The production processes for real: daphne, a Celery worker, PostgreSQL and Redis.

A request to daphne enqueues a task on Redis; the worker runs it and publishes through the
Redis channel layer; the event arrives on the user's WebSocket served by daphne."""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from websockets.sync.client import connect as ws_connect

from accounts.services import session_open
from accounts.tests.factories import UserFactory
from config.celery import app as celery_app

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, what: str, timeout: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.3)
    raise AssertionError(f"{what} did not come up within {timeout} s")


@pytest.fixture
def live_stack(tmp_path: Path):
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "TASK_EXECUTION": "broker",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "1",
    }
    port = free_port()
    worker_name = f"e2e-{uuid.uuid4().hex[:8]}@%h"
    commands = {
        "daphne": [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        "worker": [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "-P", "solo", "-n", worker_name,
            "-Q", "high_priority,default", "--without-gossip", "--without-mingle",
        ],
    }
    processes, logs = {}, {}
    for name, command in commands.items():
        logs[name] = tmp_path / f"{name}.log"
        processes[name] = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=logs[name].open("w"), stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base_url}/health", timeout=1).status_code == 200, "daphne")
        wait_until(lambda: bool(celery_app.control.ping(timeout=0.5)), "celery worker")
        yield {"http": base_url, "ws": f"ws://127.0.0.1:{port}", "logs": logs}
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def receive_until(websocket, event_type: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {event_type} event within {timeout} s"
        message = json.loads(websocket.recv(timeout=remaining))
        if message["type"] == event_type:
            return message


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
