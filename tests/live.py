"""Real production processes for end-to-end tests: daphne and a Celery worker on the test
database and Redis. Any app's tests use them through the `live_stack` fixture (conftest.py)."""

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

STARTUP_SECONDS = 60
ALL_QUEUES = ",".join(settings.CELERY_TASK_QUEUES_NAMES)


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


def receive_until(websocket, event_type: str, timeout: float = 30) -> dict:
    """The next message of `event_type` on a websockets sync client, skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {event_type} event within {timeout} s"
        message = json.loads(websocket.recv(timeout=remaining))
        if message["type"] == event_type:
            return message


def live_env(**overrides: str) -> dict[str, str]:
    database = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "TASK_EXECUTION": "broker",
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "1",
        **overrides,
    }


@contextmanager
def running_stack(log_dir: Path, *, queues: str = ALL_QUEUES, env: dict[str, str] | None = None) -> Iterator[dict]:
    """daphne on a free port and one solo Celery worker consuming `queues`; stopped on exit."""
    env = env or live_env()
    port = free_port()
    worker_name = f"e2e-{uuid.uuid4().hex[:8]}@%h"
    commands = {
        "daphne": [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        "worker": [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "-P", "solo", "-n", worker_name,
            "-Q", queues, "--without-gossip", "--without-mingle",
        ],
    }
    processes, logs = {}, {}
    for name, command in commands.items():
        logs[name] = log_dir / f"{name}.log"
        processes[name] = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=logs[name].open("w"), stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base_url}/health", timeout=1).status_code == 200, "daphne")
        wait_until(lambda: bool(celery_app.control.ping(timeout=0.5)), "celery worker")
        yield {"http": base_url, "ws": f"ws://127.0.0.1:{port}", "logs": logs, "processes": processes}
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
