"""Benchmark: realtime delivery through one daphne process on the Redis channel layer.

Targets (issue 13): publish-to-receive p95 < 100 ms with 1,000 authenticated sockets open;
2,000 idle sockets in one daphne process < 400 MB RSS.

What runs: daphne (production settings, DEBUG=0) on a free port with REDIS_URL; this process
opens the sockets (asyncio, `websockets`) and reads them; the events are published by separate
processes running `realtime.services.publish` exactly as a Celery worker does (a stored
`budget_alert`: one UPDATE ... RETURNING and one INSERT on PostgreSQL, then group_send).
Latency is from just before publish() in the publisher to the frame parsed in the client (both
on this machine's clock): the database write, Redis, daphne and the client's own scheduling.

Phases: (1) one event per user with REALTIME_BENCH_SOCKETS sockets (default 1,000);
(2) a burst of REALTIME_BENCH_BURST events (default 10,000) spread over those users, from
REALTIME_BENCH_PUBLISHERS processes (default 2); (3) REALTIME_BENCH_IDLE_SOCKETS idle sockets
(default 2,000): daphne's RSS and RSS per socket; (4) REALTIME_BENCH_MAX_SOCKETS (default: the
idle figure) opened in batches until one fails: the most one process held.

Floor: one PostgreSQL round trip (the publish's write) plus two Redis round trips (the push and
the blocked pop's wake-up), measured here; the ratio says how far the whole path is from it.

Run alone: BENCH_DATABASE_URL=postgres://... TEST_REDIS_URL=redis://... python bench/bench_realtime.py
(also reads DATABASE_URL / REDIS_URL as `make bench` sets them). The machine is shared: the
load average is printed beside the figures.
"""

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if os.environ.get("BENCH_DATABASE_URL") and not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
if os.environ.get("TEST_REDIS_URL") and not os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
os.environ.setdefault("TASK_EXECUTION", "inline")
# daphne runs with DEBUG=0, which needs a real key; tokens minted here must verify there.
os.environ.setdefault("SECRET_KEY", "bench-realtime-" + uuid.uuid4().hex + uuid.uuid4().hex)

SOCKETS = int(os.environ.get("REALTIME_BENCH_SOCKETS", "1000"))
BURST = int(os.environ.get("REALTIME_BENCH_BURST", "10000"))
PUBLISHERS = int(os.environ.get("REALTIME_BENCH_PUBLISHERS", "2"))
IDLE_SOCKETS = int(os.environ.get("REALTIME_BENCH_IDLE_SOCKETS", "2000"))
MAX_SOCKETS = int(os.environ.get("REALTIME_BENCH_MAX_SOCKETS", str(IDLE_SOCKETS)))
CONNECT_BATCH = 100
TARGET_P95_MS = 100
TARGET_IDLE_MB = 400
EMAIL_DOMAIN = "realtime-bench.invalid"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- the publisher process ----------------------------------------------------------------------
def publisher_main(users_file: str, phase: str, per_user: int, run_id: str) -> None:
    import django

    django.setup()
    from realtime.services import publish

    user_ids = json.loads(Path(users_file).read_text())
    started = time.perf_counter()
    count = 0
    for round_number in range(per_user):
        for user_id in user_ids:
            publish(user_id, "budget_alert", {"run": run_id, "phase": phase, "sent_at": time.time(), "n": round_number})
            count += 1
    print(json.dumps({"published": count, "seconds": time.perf_counter() - started}))


def start_publishers(user_ids: list[str], phase: str, per_user: int, processes: int, run_id: str, workdir: Path):
    slices = [user_ids[index::processes] for index in range(processes)]
    started = []
    for index, chunk in enumerate(slices):
        users_file = workdir / f"users-{phase}-{index}.json"
        users_file.write_text(json.dumps(chunk))
        started.append(
            subprocess.Popen(
                [sys.executable, __file__, "--publish", str(users_file), phase, str(per_user), run_id],
                cwd=ROOT, stdout=subprocess.PIPE, text=True,
            )
        )
    return started


# --- setup in this process ----------------------------------------------------------------------
def prepare_database() -> None:
    import django
    from django.conf import settings

    django.setup()
    import psycopg

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("bench_realtime needs PostgreSQL (BENCH_DATABASE_URL)")
    if not settings.REDIS_URL:
        sys.exit("bench_realtime needs Redis (TEST_REDIS_URL or REDIS_URL)")
    maintenance = f"host={database['HOST']} port={database['PORT']} user={database['USER']} dbname=postgres"
    with psycopg.connect(maintenance, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]).fetchone():
            admin.execute(f'CREATE DATABASE "{database["NAME"]}"')
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def prepare_users(count: int) -> list[tuple[str, str]]:
    """(user id, access token) for `count` bench users; their old sessions and events go."""
    from accounts.models import DeviceSession, User
    from accounts.services import session_open
    from realtime.models import Event

    existing = {user.email: user for user in User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")}
    missing = [f"user{index}@{EMAIL_DOMAIN}" for index in range(count) if f"user{index}@{EMAIL_DOMAIN}" not in existing]
    new_users = [User(email=email, full_name="Bench") for email in missing]
    for user in new_users:
        user.set_unusable_password()
    User.objects.bulk_create(new_users, batch_size=1000)
    users = list(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").order_by("email")[:count])
    Event.objects.filter(user__in=users).delete()
    DeviceSession.objects.filter(user__in=users).delete()
    return [(str(user.id), session_open(user=user, ip_address="127.0.0.1", user_agent="bench").access_token) for user in users]


def measure_floor_ms() -> float:
    import redis
    from django.conf import settings
    from django.db import connection

    client = redis.Redis.from_url(settings.REDIS_URL)
    pg, rd = [], []
    with connection.cursor() as cursor:
        for _ in range(200):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            pg.append(time.perf_counter() - started)
            started = time.perf_counter()
            client.ping()
            rd.append(time.perf_counter() - started)
    return (statistics.median(pg) + 2 * statistics.median(rd)) * 1000


def start_daphne(port: int, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "WS_IDLE_TIMEOUT_SECONDS": "3600",  # the bench's sockets never ping
        "LOG_LEVEL": "WARNING",
        "TASK_EXECUTION": "inline",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT, preexec_fn=raise_fd_limit,
    )


# --- the client side ----------------------------------------------------------------------------
class Clients:
    def __init__(self, port: int, run_id: str):
        self.port, self.run_id = port, run_id
        self.sockets: list = []
        self.readers: list[asyncio.Task] = []
        self.latencies: dict[str, list[float]] = {"single": [], "burst": []}
        self.received: dict[str, int] = {"single": 0, "burst": 0}

    async def open(self, accounts: list[tuple[str, str]], *, read: bool) -> int:
        """Open one socket per account, CONNECT_BATCH at a time; returns how many opened."""
        from websockets.asyncio.client import connect

        opened = 0
        for start in range(0, len(accounts), CONNECT_BATCH):
            batch = accounts[start : start + CONNECT_BATCH]
            results = await asyncio.gather(
                *(self._open_one(connect, token) for _, token in batch), return_exceptions=True
            )
            for result in results:
                if isinstance(result, BaseException):
                    print(f"  socket failed to open: {result!r}")
                    return opened
                self.sockets.append(result)
                if read:
                    self.readers.append(asyncio.create_task(self._read(result)))
                opened += 1
        return opened

    async def _open_one(self, connect, token: str):
        websocket = await connect(f"ws://127.0.0.1:{self.port}/ws/?token={token}", open_timeout=60, max_queue=None)
        connected = json.loads(await asyncio.wait_for(websocket.recv(), timeout=60))
        assert connected["type"] == "connected", connected
        return websocket

    async def _read(self, websocket) -> None:
        async for frame in websocket:
            received_at = time.time()
            message = json.loads(frame)
            data = message.get("data") or {}
            if message["type"] == "budget_alert" and data.get("run") == self.run_id:
                self.latencies[data["phase"]].append(received_at - data["sent_at"])
                self.received[data["phase"]] += 1

    async def wait_for(self, phase: str, expected: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.received[phase] < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.2)

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*(websocket.close() for websocket in self.sockets), return_exceptions=True)


def send_histogram(port: int) -> dict[float, float]:
    """daphne's publish-to-send histogram (after commit -> socket send): cumulative bucket counts."""
    import httpx

    buckets = {}
    for line in httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text.splitlines():
        if line.startswith("ledgerline_realtime_publish_to_send_seconds_bucket"):
            bound = line.split('le="')[1].split('"')[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = float(line.rsplit(" ", 1)[1])
    return buckets


def histogram_quantile(before: dict, after: dict, fraction: float) -> float:
    """The upper bound (ms) of the bucket holding the quantile, Prometheus-style but without interpolation."""
    deltas = sorted((bound, after[bound] - before.get(bound, 0)) for bound in after)
    total = deltas[-1][1] if deltas else 0
    for bound, count in deltas:
        if total and count >= fraction * total:
            return bound * 1000
    return float("nan")


async def run_phase(clients: Clients, user_ids, phase: str, per_user: int, processes: int, workdir: Path) -> dict:
    expected = len(user_ids) * per_user
    histogram_before = await asyncio.to_thread(send_histogram, clients.port)
    started = time.perf_counter()
    publishers = start_publishers(user_ids, phase, per_user, processes, clients.run_id, workdir)
    while any(process.poll() is None for process in publishers):
        await asyncio.sleep(0.1)
    publish_seconds = max(json.loads(process.stdout.read())["seconds"] for process in publishers)
    await clients.wait_for(phase, expected, timeout=120)
    latencies = [value * 1000 for value in clients.latencies[phase]]
    histogram_after = await asyncio.to_thread(send_histogram, clients.port)
    return {
        "send_p50": histogram_quantile(histogram_before, histogram_after, 0.50),
        "send_p95": histogram_quantile(histogram_before, histogram_after, 0.95),
        "expected": expected,
        "received": clients.received[phase],
        "publish_rate": expected / publish_seconds,
        "wall_seconds": time.perf_counter() - started,
        "p50": percentile(latencies, 0.50) if latencies else float("nan"),
        "p95": percentile(latencies, 0.95) if latencies else float("nan"),
        "p99": percentile(latencies, 0.99) if latencies else float("nan"),
        "max": max(latencies) if latencies else float("nan"),
    }


async def client_main(port: int, daphne_pid: int, accounts, workdir: Path) -> dict:
    run_id = uuid.uuid4().hex
    clients = Clients(port, run_id)
    figures: dict = {}
    # Warm daphne (imports, the thread pool, the layer's connections) before the baseline.
    warm = Clients(port, run_id)
    assert await warm.open(accounts[:5], read=False) == 5, "daphne refused the warm-up sockets"
    await warm.close()
    await asyncio.sleep(2)
    figures["rss_baseline"] = rss_mb(daphne_pid)

    active = accounts[:SOCKETS]
    started = time.perf_counter()
    figures["opened_active"] = await clients.open(active, read=True)
    figures["connect_seconds"] = time.perf_counter() - started
    await asyncio.sleep(2)
    figures["rss_active"] = rss_mb(daphne_pid)
    user_ids = [user_id for user_id, _ in active]
    figures["single"] = await run_phase(clients, user_ids, "single", 1, 1, workdir)
    per_user = max(1, BURST // len(user_ids))
    figures["burst"] = await run_phase(clients, user_ids, "burst", per_user, PUBLISHERS, workdir)

    idle_extra = accounts[SOCKETS:IDLE_SOCKETS]
    figures["opened_idle"] = len(clients.sockets) + await clients.open(idle_extra, read=False)
    await asyncio.sleep(3)
    figures["rss_idle"] = rss_mb(daphne_pid)
    more = accounts[IDLE_SOCKETS:MAX_SOCKETS]
    figures["most_held"] = figures["opened_idle"] + (await clients.open(more, read=False) if more else 0)
    await clients.close()
    return figures


def report(figures: dict, floor_ms: float, loads: tuple) -> None:
    print(f"machine: {os.cpu_count()} cores shared with other work; load average {loads[0]:.2f} before, {loads[1]:.2f} after")
    print(f"floor (1 PostgreSQL + 2 Redis round trips): {floor_ms:.2f} ms")
    print(f"opened {figures['opened_active']} authenticated sockets in {figures['connect_seconds']:.1f} s")
    for phase, title in (("single", "one event per user"), ("burst", f"burst of {figures['burst']['expected']:,} events")):
        figure = figures[phase]
        print(
            f"{title}: received {figure['received']:,}/{figure['expected']:,}; published at {figure['publish_rate']:,.0f}/s; "
            f"p50 {figure['p50']:.1f} ms, p95 {figure['p95']:.1f} ms, p99 {figure['p99']:.1f} ms, max {figure['max']:.1f} ms "
            f"(target p95 < {TARGET_P95_MS} ms: {figure['p95'] / TARGET_P95_MS:.2f}x of it; p50 {figure['p50'] / floor_ms:.1f}x the floor)"
        )
        print(
            f"  of which after commit -> socket send inside daphne (its histogram, bucket bounds): "
            f"p50 <= {figure['send_p50']:g} ms, p95 <= {figure['send_p95']:g} ms"
        )
    per_socket_kb = (figures["rss_active"] - figures["rss_baseline"]) * 1024 / max(1, figures["opened_active"])
    idle_per_socket_kb = (figures["rss_idle"] - figures["rss_baseline"]) * 1024 / max(1, figures["opened_idle"])
    print(f"daphne RSS: {figures['rss_baseline']:.0f} MB with no socket, {figures['rss_active']:.0f} MB with {figures['opened_active']} "
          f"({per_socket_kb:.0f} KB a socket)")
    print(f"{figures['opened_idle']:,} idle sockets: {figures['rss_idle']:.0f} MB RSS ({idle_per_socket_kb:.0f} KB a socket) "
          f"(target < {TARGET_IDLE_MB} MB: {figures['rss_idle'] / TARGET_IDLE_MB:.2f}x of it)")
    print(f"most sockets one daphne process held in this run: {figures['most_held']:,} (tried {max(MAX_SOCKETS, IDLE_SOCKETS):,})")


def main() -> None:
    raise_fd_limit()
    prepare_database()
    from tests.live import free_port

    accounts = prepare_users(max(SOCKETS, IDLE_SOCKETS, MAX_SOCKETS))
    floor_ms = measure_floor_ms()
    load_before = os.getloadavg()[0]
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        daphne = start_daphne(port, workdir / "daphne.log")
        try:
            import httpx

            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or daphne.poll() is not None:
                    sys.exit("daphne did not start:\n" + (workdir / "daphne.log").read_text())
                time.sleep(0.3)
            figures = asyncio.run(client_main(port, daphne.pid, accounts, workdir))
        finally:
            daphne.terminate()
            daphne.wait(timeout=30)
        errors = [line for line in (workdir / "daphne.log").read_text().splitlines() if "Error" in line]
    report(figures, floor_ms, (load_before, os.getloadavg()[0]))
    if errors:
        print(f"daphne logged {len(errors)} error lines, first: {errors[0]}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--publish":
        publisher_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        main()
