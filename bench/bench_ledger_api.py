#!/usr/bin/env python
"""Ledger API benchmark against PostgreSQL, through gunicorn, as `make bench` runs it.

Self-contained: creates the database if missing, migrates, seeds BENCH_ROWS transactions
for bench@ledgerline.local with `seed_bulk` (COPY) unless they are there (and drops the
corrections earlier runs wrote, so each run starts from the seeded ledger), starts gunicorn
(docker/gunicorn.conf.py when present, else -w 4 -k gthread --threads 4) on a free loopback
port with throttles out of the way, drives 16 concurrent clients for BENCH_SECONDS per
scenario (BENCH_REPEATS times) and prints p50/p95/requests-per-second, plus the ratio to the raw SQL time of the
same queries (the floor). Then stops gunicorn.

Load generator: wrk (with a Lua script for p95) when installed, else a Python thread pool
(http.client). Bulk-categorize always uses the Python client: each client posts its own
10,000 ids, alternating the category so every request really changes 10,000 rows; one
client runs for at least 20 s after a warm-up request, then three requests each follow a CHECKPOINT (the
first change to a page after one writes the page whole to the WAL), then CONCURRENCY clients for
BENCH_SECONDS.

The floor: the list's page query is the SQL the PostgreSQL path sends (ledger.json_pages,
the database builds the JSON); its count is cached, so a request's floor is the page query
(the count is printed too). Bulk-categorize's floor is its scope SELECT and UPDATE, run in a
transaction that is rolled back. Also measured: COPY into ledger_transaction with and without
the full-text GIN index (rolled back), the figure behind ARCHITECTURE.md's "GIN cuts COPY ~8x".

Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ledgerline_bench), REDIS_URL,
BENCH_ROWS (1000000), BENCH_SECONDS (10) and BENCH_REPEATS (3: each list scenario runs that
many times and the run with the median p95 is printed, with the spread), BENCH_CONCURRENCY (16), BENCH_BULK (1; 0 skips
bulk-categorize), BENCH_COPY_ROWS (100000; 0 skips the COPY measurement), and gunicorn's
GUNICORN_WORKERS / GUNICORN_THREADS (docker/gunicorn.conf.py reads them)."""

import datetime
import http.client
import json
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
EMAIL = "bench@ledgerline.local"
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
REPEATS = max(int(os.environ.get("BENCH_REPEATS", "3")), 1)
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
RUN_BULK = os.environ.get("BENCH_BULK", "1") != "0"
COPY_ROWS = int(os.environ.get("BENCH_COPY_ROWS", "100000"))
BULK_SIZE = 10_000
CHECKPOINTED_REQUESTS = 3
BULK_PATH = "/api/v1/transactions/bulk-categorize/"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ledgerline_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Tokens are minted in this process and checked by gunicorn: both must sign with one key.
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
LIST_SCENARIOS = [
    ("list page of 50", {"limit": "50"}),
    ("list date range + category", {"since": "2024-01-01", "until": "2024-06-30", "category": "groceries", "limit": "50"}),
    ("list q search", {"q": "starbucks", "limit": "50"}),
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
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, check=True)


def prepare() -> tuple[str, list[list[str]]]:
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
    forget_earlier_runs_corrections(user)
    vacuum_if_dead_rows(seeded=have < ROWS)
    from accounts.services import session_open

    token = session_open(user=user, ip_address="127.0.0.1", user_agent="bench").access_token
    ids = [str(pk) for pk in Transaction.objects.filter(user=user, is_deleted=False).order_by("?").values_list("id", flat=True)[: BULK_SIZE * CONCURRENCY]]
    return token, [ids[i : i + BULK_SIZE] for i in range(0, len(ids), BULK_SIZE)]


def forget_earlier_runs_corrections(user) -> None:
    """Start from the seeded ledger, which has no corrections. Each run's bulk-categorize
    requests write ~400,000; kept, they grow the corrections' indexes run after run and every
    later run's figures drift (its INSERT lands on ever more random leaf pages)."""
    from django.db import connection

    from ledger.models import UserCorrection

    if user is None:
        return
    # Fresh statistics first: the last run's VACUUM FULL left the table looking empty to the
    # planner, which then joined ~400,000 corrections to the transactions row by row.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE ledger_usercorrection")
    dropped, _ = UserCorrection.objects.filter(transaction__user=user).delete()
    if dropped:
        print(f"dropped {dropped:,} corrections left by earlier runs; VACUUM FULL ledger_usercorrection")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM FULL ledger_usercorrection")


def vacuum_if_dead_rows(*, seeded: bool = False) -> None:
    """Start from a vacuumed table. Every bulk-categorize request leaves 10,000 dead row
    versions; with autovacuum off (as on the shared bench server) a few runs leave more dead
    rows than live ones, and every list page and UPDATE wades through them. A table just
    seeded is vacuumed too, as autovacuum does within a minute of a large load: until then no
    page is marked all-visible, and a `q` page's index-only walk reads the table after all."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT n_live_tup, n_dead_tup FROM pg_stat_user_tables WHERE relname = 'ledger_transaction'")
        live, dead = cursor.fetchone() or (0, 0)
        if seeded:
            print("VACUUM (ANALYZE) ledger_transaction after seeding")
            cursor.execute("VACUUM (ANALYZE) ledger_transaction")
        elif dead > max(live, 1) * 0.05:
            print(f"VACUUM (ANALYZE) ledger_transaction: {dead:,} dead row versions for {live:,} live ones")
            cursor.execute("VACUUM (ANALYZE) ledger_transaction")


def raw_sql_ms(params: dict) -> tuple[float, float]:
    """Median execution time of the list's count query and page query, run directly: the
    page query is the one the PostgreSQL path sends (the database builds the rows' JSON)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from ledger import selectors
    from ledger.json_pages import transaction_page_json

    user = User.objects.get(email=EMAIL)
    with CaptureQueriesContext(connection) as captured:
        total = selectors.transaction_list(user=user, filters=params).count()
        # As a request with its count cached sends it (a full-text page may read the window first).
        transaction_page_json(
            user_id=user.pk, cleaned=selectors.transaction_filters(filters=params), offset=0, limit=50, match_count=total
        )
    count_ms, *page_ms = (median_ms(query["sql"]) for query in captured.captured_queries)
    return count_ms, sum(page_ms)


def median_ms(sql: str, params=None, runs: int = 7, rollback: bool = False) -> float:
    from django.db import connection, transaction

    samples = []
    for _ in range(runs):
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(rollback)
    return statistics.median(samples)


def bulk_sql_ms(ids: list[str]) -> float:
    """The bulk-categorize statements alone (ledger.services.bulk: the scope, then the UPDATE),
    rolled back: its floor. Median of 3."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from core.sql import array_literal
    from ledger import services
    from ledger.models import Category

    user = User.objects.get(email=EMAIL)
    category = Category.objects.get(user__isnull=True, slug="travel")
    samples = []
    for _ in range(3):
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(services.BULK_SCOPE_SQL + "t.id = ANY(%s::uuid[])", [user.pk, array_literal(ids)])
            moving = [services.ScopeRow(*row) for row in cursor.fetchall() if row[2] != str(category.pk)]
            cursor.execute(
                services.BULK_UPDATE_SQL,
                services.bulk_update_params(user=user, target=category, moving=moving, now=timezone.now()),
            )
            cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    return statistics.median(samples)


def copy_rates(rows: int) -> tuple[float, float]:
    """Rows/s of seed_bulk's COPY into ledger_transaction with the GIN full-text index and
    with it dropped (both in transactions that are rolled back; the schema is untouched)."""
    import random

    from django.db import connection, transaction

    from accounts.models import User
    from ledger.db import SEARCH_INDEX_NAME
    from ledger.management.commands import seed_bulk
    from ledger.models import Category

    command = seed_bulk.Command()
    user = User.objects.get(email=EMAIL)
    accounts, merchants = command._accounts(user), command._merchants()
    categories = dict(Category.objects.filter(user__isnull=True).values_list("slug", "id"))
    rates = []
    for drop_index in (False, True):
        with transaction.atomic():
            if drop_index:
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP INDEX {SEARCH_INDEX_NAME}")
            first_day = datetime.date.today() - datetime.timedelta(days=3 * 365)
            batches = command._statements(user, accounts[:2], first_day)
            generated = list(command._rows(random.Random(7), user, accounts, merchants, categories, rows, first_day, batches))
            started = time.perf_counter()
            command._copy(iter(generated))
            rates.append(rows / (time.perf_counter() - started))
            transaction.set_rollback(True)
    return rates[0], rates[1]


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU time (user + system) so far of the gunicorn process tree and of each PostgreSQL
    backend serving this database (Linux /proc; empty elsewhere). Per request, it is what the
    machine spends whatever else runs on it: 2 cores / that = the ceiling in req/s."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    database = urllib.parse.urlparse(os.environ["DATABASE_URL"]).path.lstrip("/")
    seconds: dict[str, float] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        if int(entry.name) == server_pid:  # plus the workers it has reaped (max_requests restarts)
            seconds["app"] = used + (int(fields[13]) + int(fields[14])) / tick
        elif int(fields[1]) == server_pid:
            seconds[f"app:{entry.name}"] = used
        elif command.startswith("postgres: ") and f" {database} " in command:
            seconds[f"db:{entry.name}"] = used
    return seconds


def cpu_ms_per_request(before: dict[str, float], after: dict[str, float], requests: float) -> tuple[float, float]:
    """A process that started meanwhile (a new worker, a backend for a new connection) counts
    from zero; one that ended meanwhile (CONN_MAX_AGE) takes its CPU time with it, so the
    figures are lower bounds. (Backends that started meanwhile used to be left out, and a run
    whose connections were all replaced printed 0.00 for the database.)"""
    totals = {"app": 0.0, "db": 0.0}
    for key, value in after.items():
        totals[key.split(":")[0]] += value - before.get(key, 0.0)
    return totals["app"] * 1000 / requests, totals["db"] * 1000 / requests


def server_settings() -> str:
    """The PostgreSQL settings the figures depend on; docker-compose.yml runs shared_buffers=512MB,
    max_wal_size=4GB and checkpoint_timeout=15min
    with autovacuum on (the 128MB default keeps only part of a million rows' table and indexes
    in memory, and bulk-categorize then reads and writes through the OS)."""
    from django.db import connection

    with connection.cursor() as cursor:
        values = []
        for name in ("server_version", "shared_buffers", "autovacuum", "max_wal_size", "checkpoint_timeout"):
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
    return " ".join(values)


def host_speed() -> str:
    """Fixed CPU work timed in this process and in PostgreSQL (best of 5), so figures from two
    machines can be compared: the API is CPU-bound, and one 2-core host has run the same
    build at 2.4x the CPU time per request of another."""
    from django.db import connection

    python_ms = min(_timed(lambda: sum(range(1_000_000))) for _ in range(5))
    with connection.cursor() as cursor:
        database_ms = min(
            _timed(lambda: cursor.execute("SELECT sum(i) FROM generate_series(1, 1000000) AS i")) for _ in range(5)
        )
    return f"Python sum(range(1e6)) {python_ms:.1f} ms; PostgreSQL sum over generate_series(1e6) {database_ms:.1f} ms"


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ, "THROTTLE_USER": "100000000/min", "THROTTLE_ANON": "100000000/min", "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost", "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING", "GUNICORN_BIND": f"127.0.0.1:{port}",
        # Connections live the whole run (60 s by default): a backend that closes mid-run takes
        # its CPU time with it, and the CPU column printed ~0 for the scenario it happened in.
        "DB_CONN_MAX_AGE": "3600",
    }
    config = ROOT / "docker" / "gunicorn.conf.py"
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    if config.exists():
        command = [gunicorn, "config.wsgi:application", "-c", str(config), "--bind", f"127.0.0.1:{port}"]
    else:
        command = [gunicorn, "config.wsgi:application", "-w", "4", "-k", "gthread", "--threads", "4", "--bind", f"127.0.0.1:{port}"]
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


def run_wrk(port: int, token: str, path: str) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_LUA)
    threads = min(4, CONCURRENCY)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{CONCURRENCY}", f"-d{int(SECONDS)}s", "--timeout", "10s", "-s", script.name,
         "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    values = dict(item.split("=") for item in line.split()[1:])
    return {
        "p50": float(values["p50"]), "p95": float(values["p95"]), "errors": int(values["errors"]),
        "rps": int(values["requests"]) / float(values["seconds"]),
    }


def run_python_clients(port: int, token: str, make_request, seconds: float, clients: int) -> dict:
    """`make_request(client_index, round)` -> (method, path, body or None). Each client keeps
    one keep-alive connection and records the round-trip of every request."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        round_number = 0
        while time.perf_counter() < stop_at:
            method, path, body = make_request(index, round_number)
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += response.status >= 400
            round_number += 1

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    duration = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "p50": statistics.median(ordered), "p95": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))],
        "rps": len(ordered) / duration, "errors": errors[0], "requests": len(ordered),
    }


def main() -> None:
    token, id_sets = prepare()
    use_wrk = shutil.which("wrk") is not None
    print(f"load generator: {'wrk (Lua p95 script)' if use_wrk else 'Python http.client threads'}; "
          f"{CONCURRENCY} concurrent clients, {SECONDS:.0f}s x {REPEATS} runs per scenario; {ROWS:,} rows; "
          f"gunicorn workers={os.environ.get('GUNICORN_WORKERS', 'default')} threads={os.environ.get('GUNICORN_THREADS', 'default')}; "
          f"load average {load_average()}")
    print(f"PostgreSQL: {server_settings()}")
    print(f"host speed: {host_speed()}")
    floors = {name: raw_sql_ms(params) for name, params in LIST_SCENARIOS}
    port = free_port()
    server = start_gunicorn(port)
    try:
        print(f"{'scenario':34} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'errors':>6} {'page SQL ms':>11} {'count SQL ms':>12} "
              f"{'p50/SQL':>8} {'CPU ms/req app+db':>18}")
        for name, params in LIST_SCENARIOS:
            path = "/api/v1/transactions/?" + urllib.parse.urlencode(params)
            if use_wrk and SECONDS >= 2:
                run_wrk(port, token, path)  # warm-up: caches, connections
            runs = []
            for _ in range(REPEATS):
                cpu_before = cpu_seconds(server.pid)
                if use_wrk:
                    result = run_wrk(port, token, path)
                else:
                    result = run_python_clients(port, token, lambda i, r, p=path: ("GET", p, None), SECONDS, CONCURRENCY)
                result["cpu"] = cpu_ms_per_request(cpu_before, cpu_seconds(server.pid), result["rps"] * SECONDS)
                runs.append(result)
            # The run with the median p95 is reported; the spread of all runs follows it.
            result = sorted(runs, key=lambda run: run["p95"])[len(runs) // 2]
            app_cpu, database_cpu = result["cpu"]
            count_ms, page_ms = floors[name]
            spread = (f"  [{len(runs)} runs: p95 {min(r['p95'] for r in runs):.0f}-{max(r['p95'] for r in runs):.0f} ms, "
                      f"{min(r['rps'] for r in runs):.0f}-{max(r['rps'] for r in runs):.0f} req/s]") if len(runs) > 1 else ""
            # The count is cached (ledger.selectors.transaction_count): a request's floor is the page query.
            print(f"{name:34} {result['p50']:8.1f} {result['p95']:8.1f} {result['rps']:8.0f} {result['errors']:6d} "
                  f"{page_ms:11.2f} {f'{count_ms:.1f} (cached)':>12} {result['p50'] / page_ms:8.1f} "
                  f"{f'{app_cpu:.2f}+{database_cpu:.2f}':>18}{spread}")
        if RUN_BULK:
            run_bulk(port, token, id_sets)
        print("targets: list p95 < 50 ms and >= 400 req/s; bulk-categorize 10,000 rows < 1 s")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    if COPY_ROWS:
        with_index, without_index = copy_rates(COPY_ROWS)
        print(f"COPY {COPY_ROWS:,} rows into ledger_transaction: {with_index:,.0f} rows/s with the GIN full-text index, "
              f"{without_index:,.0f} rows/s without it ({without_index / with_index:.1f}x)")
    print(f"load average at the end {load_average()}")


def run_bulk(port: int, token: str, id_sets: list[list[str]]) -> None:
    bodies = [[json.dumps({"ids": ids, "category": category}) for category in ("dining", "shopping")] for ids in id_sets]

    def bulk_request(index: int, round_number: int):
        return "POST", BULK_PATH, bodies[index % len(bodies)][round_number % 2]

    floor = bulk_sql_ms(id_sets[0])
    # Warm-up, as the list scenarios have: the worker's connection and its descriptor cache.
    run_python_clients(port, token, bulk_request, 0.1, 1)
    # At least 20 requests, so that p95 is not simply the slowest of ten.
    single = run_python_clients(port, token, bulk_request, max(SECONDS, 20), 1)
    print(f"{'bulk-categorize 10k, 1 client':34} {single['p50']:8.1f} {single['p95']:8.1f} {single['rps']:8.1f} {single['errors']:6d} "
          f"{floor:11.1f} {'':>12} {single['p50'] / floor:8.1f}")
    # A one-off re-categorisation usually comes long after the last one: the first change to
    # each page since the last checkpoint writes the whole page to the WAL. Requests right
    # after a CHECKPOINT, each on rows no earlier request touched, show that case (three: one
    # request is one sample).
    cold = [checkpointed_bulk_ms(port, token, body[0]) for body in bodies[1:][-CHECKPOINTED_REQUESTS:]]
    if cold and None not in cold:
        print(f"{'bulk-categorize 10k after CHECKPOINT':34} {statistics.median(cold):8.1f}  "
              f"[{len(cold)} requests, each after its own CHECKPOINT: {', '.join(f'{ms:.0f}' for ms in cold)} ms]")
    clients = min(CONCURRENCY, len(bodies))
    concurrent = run_python_clients(port, token, bulk_request, SECONDS, clients)
    print(f"{f'bulk-categorize 10k, {clients} clients':34} {concurrent['p50']:8.1f} "
          f"{concurrent['p95']:8.1f} {concurrent['rps']:8.1f} {concurrent['errors']:6d}")


def checkpointed_bulk_ms(port: int, token: str, body: str) -> float | None:
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as error:  # needs superuser or pg_checkpoint
        print(f"CHECKPOINT refused ({error}); no after-checkpoint figure")
        return None
    return run_python_clients(port, token, lambda index, round_number: ("POST", BULK_PATH, body), 0.1, 1)["p50"]


if __name__ == "__main__":
    main()
