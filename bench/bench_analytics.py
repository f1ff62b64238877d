#!/usr/bin/env python
"""Analytics benchmark against PostgreSQL, through gunicorn: the dashboard at a million rows
for one user, and the nightly subscription detection for many users.

Self-contained: creates the database if missing, migrates, seeds BENCH_ROWS transactions for
bench@ledgerline.local with `seed_bulk` (COPY; 3 years) unless they are there, starts gunicorn
(docker/gunicorn.conf.py) on a free loopback port and measures, per scenario:
- cold: BENCH_COLD_RUNS sequential requests, each after the user's cached answers were dropped
  (analytics.cache.user_cache_forget, what a ledger write does): p50/p95, and the floor, the
  median time of the scenario's aggregate SQL run directly (its ratio shows what Django, DRF,
  JSON and HTTP add);
- warm: BENCH_CONCURRENCY clients for BENCH_SECONDS with wrk (Python threads without wrk),
  answers cached: p50/p95 and req/s.
Then the nightly detection: DETECT_USERS users x DETECT_ROWS rows each (seeded with COPY once,
bench-detect-<n>@ledgerline.local: a few subscriptions among noise over 3 years), timed in
this process through analytics.services.recurrences_detect_all (what the 01:00 task runs),
twice: the first run creates the subscriptions, the second (idempotent) updates them.

Targets (issue #17): warm p95 < 20 ms; cold one-year summary < 300 ms; detection for
1,000 users x 2,000 rows < 60 s.

Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ledgerline_bench), REDIS_URL
(the cache; without it gunicorn's workers each keep a local one and "warm" is per worker),
BENCH_ROWS (1000000), BENCH_SECONDS (10), BENCH_CONCURRENCY (16), BENCH_COLD_RUNS (15),
DETECT_USERS (1000), DETECT_ROWS (2000; 0 users skips detection), BENCH_PARTS
(dashboard,detection), GUNICORN_WORKERS/THREADS."""

import datetime
import http.client
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
EMAIL = "bench@ledgerline.local"
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "15"))
DETECT_USERS = int(os.environ.get("DETECT_USERS", "1000"))
DETECT_ROWS = int(os.environ.get("DETECT_ROWS", "2000"))
PARTS = set(os.environ.get("BENCH_PARTS", "dashboard,detection").split(","))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ledgerline_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
TODAY = datetime.date.today()
YEAR_AGO = TODAY - datetime.timedelta(days=364)
THREE_YEARS_AGO = TODAY.replace(day=1) - datetime.timedelta(days=3 * 365)
SCENARIOS = [
    ("summary, one year", "summary/", {"since": YEAR_AGO, "until": TODAY}),
    ("timeseries month x category, 3 years", "timeseries/", {"since": THREE_YEARS_AGO, "until": TODAY, "interval": "month", "group_by": "category"}),
    ("cashflow month, 3 years", "cashflow/", {"since": THREE_YEARS_AGO, "until": TODAY, "interval": "month"}),
    ("categories tree, one year", "categories/", {"since": YEAR_AGO, "until": TODAY}),
]
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


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def prepare():
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
    from accounts.services import session_open

    return user, session_open(user=user, ip_address="127.0.0.1", user_agent="bench").access_token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ, "THROTTLE_USER": "100000000/min", "THROTTLE_ANON": "100000000/min", "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost", "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING", "GUNICORN_BIND": f"127.0.0.1:{port}", "DB_CONN_MAX_AGE": "3600",
    }
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    command = [gunicorn, "config.wsgi:application", "-c", str(ROOT / "docker" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not become healthy: " + process.stderr.read().decode()[-2000:])


def path_of(endpoint: str, params: dict) -> str:
    return f"/api/v1/analytics/{endpoint}?" + urllib.parse.urlencode({k: str(v) for k, v in params.items()})


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def cold(port: int, token: str, user, path: str) -> list[float]:
    from analytics.cache import user_cache_forget

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    timings = []
    for _ in range(COLD_RUNS):
        user_cache_forget(user_id=user.pk)
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        response.read()
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, response.status
    return timings


def warm_sequential(port: int, token: str, path: str, requests: int = 200) -> list[float]:
    """One client, one request at a time: the service time without queueing behind others."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        connection.getresponse().read()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def warm(port: int, token: str, path: str) -> dict:
    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_LUA)
        output = subprocess.run(
            ["wrk", f"-t{min(4, CONCURRENCY)}", f"-c{CONCURRENCY}", f"-d{int(SECONDS)}s", "--timeout", "10s", "-s", script.name,
             "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{port}{path}"],
            capture_output=True, text=True, check=True,
        ).stdout
        os.unlink(script.name)
        values = dict(item.split("=") for item in next(x for x in output.splitlines() if x.startswith("BENCH ")).split()[1:])
        return {"p50": float(values["p50"]), "p95": float(values["p95"]), "rps": int(values["requests"]) / float(values["seconds"]),
                "errors": int(values["errors"])}
    latencies, stop_at, lock = [], time.perf_counter() + SECONDS, threading.Lock()

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            connection.getresponse().read()
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return {"p50": statistics.median(latencies), "p95": percentile(latencies, 0.95), "rps": len(latencies) / SECONDS, "errors": 0}


def floor_ms(user, endpoint: str, params: dict) -> float:
    """Median of 5 runs of the scenario's aggregate SQL, sent directly (no Django around it)."""
    from django.db import connection

    from analytics import selectors

    scope = selectors.Scope(since=params["since"], until=params["until"])
    rows = selectors.scoped_rows(user=user, since=scope.since, until=scope.until)
    if endpoint == "summary/":
        previous = scope.since - datetime.timedelta(days=scope.days)
        rows = selectors.scoped_rows(user=user, since=previous, until=scope.until)
        from django.db.models import Count, Q, Sum

        inside = Q(date__gte=scope.since)
        query = rows.values("category_id", "merchant_id").annotate(
            current=Sum("amount", filter=inside), previous=Sum("amount", filter=~inside),
            current_count=Count("amount", filter=inside), previous_count=Count("amount", filter=~inside)).order_by()
    elif endpoint in ("timeseries/", "cashflow/"):
        from django.db.models import Sum
        from django.db.models.functions import TruncMonth

        query = rows.annotate(bucket=TruncMonth("date")).values("bucket", "category_id").annotate(total=Sum("amount")).order_by()
    else:
        from django.db.models import Sum

        query = rows.values("category_id").annotate(total=Sum("amount")).order_by()
    sql, sql_params = query.query.sql_with_params()
    timings = []
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")  # as the app runs them (ANALYTICS_JIT_OFF)
        for _ in range(5):
            started = time.perf_counter()
            cursor.execute(sql, sql_params)
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


# --- detection -----------------------------------------------------------------------------
SUBSCRIPTIONS = [("NETFLIX.COM", "15.49", 30), ("SPOTIFY", "10.99", 30), ("PURE GYM", "45.00", 30), ("NYTIMES", "4.00", 7),
                 ("STATE FARM", "210.00", 91), ("ICLOUD STORAGE", "2.99", 30), ("SPARKLE CLEANING", "80.00", 14)]
NOISE = [f"{name} {suffix}" for name in ("CORNER GROCER", "FRESH MART", "BISTRO ROMA", "SHELL OIL", "WEBSHOP", "BEAN COFFEE",
                                         "CITY PARKING", "PHARMACY PLUS", "BOOK NOOK", "HARDWARE HUT") for suffix in ("", "#2")]


def seed_detection_users() -> list:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from accounts.models import User
    from ledger.models import Category

    prefix = "bench-detect-"
    existing = list(User.objects.filter(email__startswith=prefix).order_by("email").values_list("pk", flat=True))
    if len(existing) >= DETECT_USERS:
        return existing[:DETECT_USERS]
    categories = dict(Category.objects.filter(user__isnull=True).values_list("slug", "id"))
    password = make_password(None)
    users = [User(email=f"{prefix}{n:05d}@ledgerline.local", full_name="Detect", password=password, is_verified=True)
             for n in range(len(existing), DETECT_USERS)]
    User.objects.bulk_create(users, batch_size=1000)
    started = time.perf_counter()
    now = datetime.datetime.now(datetime.UTC).isoformat()
    with transaction.atomic(), connection.cursor() as cursor:
        columns = "id, user_id, date, amount, currency, merchant_raw, category_id, source, confidence, blockchain_hash, ipfs_cid, note, external_id, fingerprint, is_deleted, created_at, updated_at"
        with cursor.copy(f"COPY ledger_transaction ({columns}) FROM STDIN") as copy:
            for index, user in enumerate(users):
                rng = random.Random(index)
                for day, amount, descriptor, slug in detection_rows(rng):
                    copy.write_row((uuid.uuid4(), user.pk, day, amount, "USD", descriptor, categories[slug], "csv", "{}", "", "", "", "", "",
                                    False, now, now))
    print(f"seeded {len(users)} users x {DETECT_ROWS} rows for detection in {time.perf_counter() - started:.0f} s")
    return list(User.objects.filter(email__startswith=prefix).order_by("email").values_list("pk", flat=True))[:DETECT_USERS]


def detection_rows(rng):
    first = TODAY - datetime.timedelta(days=3 * 365)
    planted = []
    for descriptor, amount, step in rng.sample(SUBSCRIPTIONS, rng.randrange(2, 6)):
        day = first + datetime.timedelta(days=rng.randrange(60))
        while day <= TODAY and len(planted) < DETECT_ROWS // 3:
            planted.append((day, -Decimal(amount), f"{descriptor} {rng.randrange(100000, 999999)}", "subscriptions"))
            day += datetime.timedelta(days=step) if step != 30 else datetime.timedelta(days=rng.choice([28, 30, 31, 31]))
    for _ in range(DETECT_ROWS - len(planted)):
        day = first + datetime.timedelta(days=rng.randrange(3 * 365))
        planted.append((day, -Decimal(f"{rng.uniform(3, 150):.2f}"), rng.choice(NOISE), "shopping"))
    return planted


def detection(user_ids: list) -> None:
    from analytics import services
    from analytics.models import Recurrence

    Recurrence.objects.filter(user_id__in=user_ids).delete()  # the first run really creates them

    for label in ("first run (creates)", "second run (idempotent)"):
        started = time.perf_counter()
        report = services.recurrences_detect_all(as_of=TODAY, user_ids=user_ids)
        elapsed = time.perf_counter() - started
        print(f"detection {label}: {len(user_ids)} users x {DETECT_ROWS} rows in {elapsed:.1f} s "
              f"({len(user_ids) * DETECT_ROWS / elapsed:,.0f} rows/s; {report.detected} subscriptions, "
              f"{report.created} created, {report.updated} updated)  target < 60 s at 1,000 x 2,000")


def main() -> None:
    user, token = prepare()
    if "dashboard" not in PARTS:
        detection(seed_detection_users())
        return
    print(f"{ROWS:,} rows for {EMAIL}; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          "(2 cores shared with other work: figures are contended)")
    floors = {name: floor_ms(user, endpoint, params) for name, endpoint, params in SCENARIOS}
    port = free_port()
    server = start_gunicorn(port)
    try:
        print(f"{'scenario':40} {'cold p50':>9} {'cold p95':>9} {'SQL ms':>7} {'cold/SQL':>8} {'warm1 p50':>9} {'warm1 p95':>9} "
              f"{f'warm{CONCURRENCY} p50':>10} {f'warm{CONCURRENCY} p95':>10} {'req/s':>7}")
        for name, endpoint, params in SCENARIOS:
            path = path_of(endpoint, params)
            cold_timings = cold(port, token, user, path)
            warm(port, token, path) if SECONDS >= 2 else None  # warm-up: connections
            single = warm_sequential(port, token, path)
            result = warm(port, token, path)
            cold_p50 = statistics.median(cold_timings)
            print(f"{name:40} {cold_p50:9.1f} {percentile(cold_timings, 0.95):9.1f} {floors[name]:7.1f} {cold_p50 / floors[name]:8.2f} "
                  f"{statistics.median(single):9.2f} {percentile(single, 0.95):9.2f} "
                  f"{result['p50']:10.2f} {result['p95']:10.2f} {result['rps']:7.0f}" + (f"  errors={result['errors']}" if result["errors"] else ""))
        print(f"targets: warm p95 < 20 ms (warm1: one client; warm{CONCURRENCY}: {CONCURRENCY} concurrent clients, "
              "queueing on 2 cores included); cold summary (one year) < 300 ms")
    finally:
        server.terminate()
        server.wait(timeout=30)
    if "detection" in PARTS and DETECT_USERS and DETECT_ROWS:
        detection(seed_detection_users())
    print(f"load average at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
