#!/usr/bin/env python
"""Budgets API benchmark against PostgreSQL, through gunicorn (issue 16).

A user with BENCH_BUDGETS (50) budgets and BENCH_ROWS (1,000,000) transactions over three
years (`manage.py seed_bulk`, COPY; seeded only when missing). The user is BENCH_EMAIL, by
default the ledger benchmark's, whose rows it only reads; its budgets are replaced: one
monthly budget for the current month on each system category, the parents (dining,
transport, ...) included, and the rest for last month. Then
gunicorn (docker/gunicorn.conf.py) on a free loopback port, throttles out of the way, and
BENCH_CONCURRENCY clients (1, then 8) for BENCH_SECONDS on:
- GET /api/v1/budgets/ and GET /api/v1/budgets/status/ as served: the figures kept between
  the user's writes (budgets.cache; every request after the first is a hit);
- the same with BUDGETS_SPENDING_CACHE_SECONDS=0: every request runs the aggregate statement.
Printed beside the issue's target (p95 < 30 ms) and the ratio to the floor, the raw SQL: the
one aggregate statement (`budgets.spending`, median of 7 direct runs with JIT and parallel
workers off, as the API runs it) and, for reference, the same totals with the suggestion's 90-day window left out.

Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ledgerline_bench), REDIS_URL, BENCH_EMAIL,
BENCH_ROWS (1000000), BENCH_BUDGETS (50), BENCH_SECONDS (10), BENCH_CONCURRENCY ("1,8": levels),
GUNICORN_WORKERS / GUNICORN_THREADS. Load generator: wrk when installed, else Python threads."""

import datetime
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The ledger benchmark's user by default: `make bench` then seeds one million rows, not two.
EMAIL = os.environ.get("BENCH_EMAIL", "bench@ledgerline.local")
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
BUDGETS = int(os.environ.get("BENCH_BUDGETS", "50"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
# Clients at once, one scenario per level: 1 shows a request's own latency, 8 the host's queueing.
CONCURRENCY_LEVELS = [int(level) for level in os.environ.get("BENCH_CONCURRENCY", "1,8").split(",")]
TARGET_P95_MS = 30.0
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ledgerline_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
PATHS = [("GET /budgets/", "/api/v1/budgets/"), ("GET /budgets/status/", "/api/v1/budgets/status/")]
WRK_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH p50=%f p95=%f requests=%d errors=%d seconds=%f\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6))
end
"""


def ensure_database() -> None:
    import psycopg

    url = urllib.parse.urlparse(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/")
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def prepare() -> str:
    ensure_database()
    manage("migrate", "--noinput", "-v", "0")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from accounts.models import User
    from ledger.models import Transaction

    user = User.objects.filter(email=EMAIL).first()
    have = Transaction.objects.filter(user=user, is_deleted=False).count() if user else 0
    if have < ROWS:
        print(f"seeding {ROWS - have} transactions for {EMAIL} (have {have})")
        manage("seed_bulk", "--user", EMAIL, "--transactions", str(ROWS - have), "--seed", str(have))
        user = User.objects.get(email=EMAIL)
    make_budgets(user)
    from accounts.services import session_open

    return session_open(user=user, ip_address="127.0.0.1", user_agent="bench").access_token


def make_budgets(user) -> None:
    """BUDGETS budgets: the current month on every system category (spending or not), then
    last month on the categories with the most rows, each at roughly a month's spending."""
    from django.db.models import Count

    from budgets.models import Budget
    from budgets.periods import add_months
    from ledger.models import Category, Transaction

    Budget.objects.filter(user=user).delete()
    today = datetime.date.today()
    month = today.replace(day=1)
    last_month = add_months(month, -1)
    categories = list(Category.objects.filter(user__isnull=True).order_by("slug"))
    busiest = [
        row["category_id"] for row in
        Transaction.objects.filter(user=user).values("category_id").annotate(rows=Count("id")).order_by("-rows", "category_id")
    ]
    specs = [(category.pk, month) for category in categories][:BUDGETS]
    specs += [(category_id, last_month) for category_id in busiest][: BUDGETS - len(specs)]
    Budget.objects.bulk_create([
        Budget(
            user=user, category_id=category_id, amount=Decimal("1500.00"), period="monthly", start_date=start,
            end_date=add_months(start, 1) - datetime.timedelta(days=1), auto_renew=True,
        )
        for category_id, start in specs
    ])
    print(f"{len(specs)} budgets for {EMAIL}: {sum(start == month for _, start in specs)} this month, the rest last month")


def raw_sql_ms(*, with_recent: bool) -> float:
    """Median of 7 direct runs of the aggregate statement (the list's miss path)."""
    from accounts.models import User
    from budgets.spending import budget_spending

    user = User.objects.get(email=EMAIL)
    budget_spending(user_id=user.pk, today=datetime.date.today(), with_recent=with_recent)  # warm
    samples = []
    for _ in range(7):
        started = time.perf_counter()
        rows = budget_spending(user_id=user.pk, today=datetime.date.today(), with_recent=with_recent)
        samples.append((time.perf_counter() - started) * 1000)
    assert rows, "no budgets to measure"
    return statistics.median(samples)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, **extra_env: str) -> subprocess.Popen:
    env = {
        **os.environ, "THROTTLE_USER": "100000000/min", "THROTTLE_ANON": "100000000/min", "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost", "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING", "GUNICORN_BIND": f"127.0.0.1:{port}", "DB_CONN_MAX_AGE": "3600", **extra_env,
    }
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    config = ROOT / "docker" / "gunicorn.conf.py"
    command = [gunicorn, "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["-c", str(config)] if config.exists() else ["-w", "2", "-k", "gthread", "--threads", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/health")
            if probe.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not become healthy: " + process.stderr.read().decode()[-2000:])


def run_wrk(port: int, token: str, path: str, clients: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_LUA)
    output = subprocess.run(
        ["wrk", f"-t{min(4, clients)}", f"-c{clients}", f"-d{int(SECONDS)}s", "--timeout", "10s", "-s", script.name,
         "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(script.name)
    values = dict(item.split("=") for item in next(line for line in output.splitlines() if line.startswith("BENCH ")).split()[1:])
    return {"p50": float(values["p50"]), "p95": float(values["p95"]), "errors": int(values["errors"]),
            "rps": int(values["requests"]) / float(values["seconds"])}


def run_python_clients(port: int, token: str, path: str, clients: int) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + SECONDS

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            response.read()
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                errors[0] += response.status >= 400

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    return {"p50": statistics.median(ordered), "p95": ordered[int(len(ordered) * 0.95)], "errors": errors[0],
            "rps": len(ordered) / (time.perf_counter() - started)}


def measure(token: str, label: str, levels: list[int], **extra_env: str) -> dict[tuple, dict]:
    port = free_port()
    server = start_gunicorn(port, **extra_env)
    results = {}
    try:
        for name, path in PATHS:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200, body[:500]
            for clients in levels:
                run = run_wrk if shutil.which("wrk") else run_python_clients
                figures = results[name, clients] = run(port, token, path, clients)
                print(f"  {label:<18} {name:<22} {clients:>2} clients  p50 {figures['p50']:7.1f} ms  "
                      f"p95 {figures['p95']:7.1f} ms  {figures['rps']:6.0f} req/s  errors {figures['errors']}")
    finally:
        server.terminate()
        server.wait(timeout=60)
    return results


def main() -> None:
    token = prepare()
    print(f"load generator: {'wrk' if shutil.which('wrk') else 'Python http.client threads'}; {SECONDS:.0f} s per "
          f"scenario; {ROWS:,} rows, {BUDGETS} budgets; load average before: " + load_average())
    floor_ms = raw_sql_ms(with_recent=True)
    floor_spent_ms = raw_sql_ms(with_recent=False)
    print(f"raw SQL (the floor): the aggregate statement {floor_ms:.1f} ms (median of 7); "
          f"without the 90-day suggestion window {floor_spent_ms:.1f} ms")
    cached = measure(token, "as served (cache)", CONCURRENCY_LEVELS)
    # Without the cache every request runs the statement: one client is enough to show it.
    uncached = measure(token, "cache off", CONCURRENCY_LEVELS[:1], BUDGETS_SPENDING_CACHE_SECONDS="0")
    print(f"target: p95 < {TARGET_P95_MS:.0f} ms")
    for (name, clients), figures in [*cached.items(), *uncached.items()]:
        label = "cache off" if (name, clients) in uncached and figures is uncached[name, clients] else "as served"
        verdict = "meets" if figures["p95"] < TARGET_P95_MS else "misses"
        print(f"  {name:<22} {label:<10} {clients:>2} clients  p95 {figures['p95']:7.1f} ms ({verdict} the target); "
              f"p50 / raw SQL = {figures['p50'] / floor_ms:.2f}")
    print(f"load average after: {load_average()} (2 cores shared with other work: figures are upper bounds for an idle host)")


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
