#!/usr/bin/env python
"""Reports benchmark against PostgreSQL, in process (no HTTP: the figures are the report's own).

1. JSON report grouped by month and category over BENCH_ROWS (1,000,000) transactions of one
   user: the selector's GROUP BY query plus serialisation to JSON, BENCH_REPEATS (20) times;
   p50/p95 beside the target (p95 < 500 ms) and the floor: the same SQL run on a bare cursor.
2. XLSX of BENCH_XLSX_ROWS (100,000) transactions, rendered in a child process so its peak
   RSS is the report's alone (with Django loaded); target < 15 s and < 300 MB. Floor: fetching
   the same rows from the database without writing a workbook.
   The JSON report is measured again with REPORTS_PG_PLAIN_DATE_TRUNC off (Django's Trunc).
3. The monthly PDF for a month of BENCH_PDF_ROWS (10,000) transactions (a second user seeded
   with 12 months of that many a month): target < 3 s. Floor: the month's queries alone.

Self-contained: creates the database if missing, migrates, seeds with `seed_bulk` (COPY)
unless the rows are there. Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
ledgerline_bench), BENCH_ROWS, BENCH_REPEATS, BENCH_XLSX_ROWS, BENCH_PDF_ROWS."""

import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
EMAIL = "bench@ledgerline.local"
PDF_EMAIL = "bench-monthly@ledgerline.local"
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
REPEATS = max(int(os.environ.get("BENCH_REPEATS", "20")), 2)
XLSX_ROWS = int(os.environ.get("BENCH_XLSX_ROWS", "100000"))
PDF_ROWS = int(os.environ.get("BENCH_PDF_ROWS", "10000"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ledgerline_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")


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


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(email: str, rows: int, years: int, seed_offset: int) -> None:
    """seed_bulk derives row ids from its --seed: each user gets its own range of seeds."""
    from accounts.models import User
    from ledger.models import Transaction

    user = User.objects.filter(email=email).first()
    have = Transaction.objects.filter(user=user, is_deleted=False).count() if user else 0
    if have < rows:
        print(f"seeding {rows - have} transactions for {email} (have {have})")
        manage("seed_bulk", "--user", email, "--transactions", str(rows - have), "--seed", str(seed_offset + have), "--years", str(years))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def bench_json(label: str = "") -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from reports.apis.serializers import table_json
    from reports.selectors import report_table
    from reports.spec import spec_clean

    user = User.objects.get(email=EMAIL)
    spec = spec_clean({"group_by": ["month", "category"], "metrics": ["sum", "count", "income", "expenses", "net"]})
    timings, body = [], b""
    for _ in range(REPEATS):
        started = time.perf_counter()
        table = report_table(user=user, spec=spec)
        body = json.dumps(table_json(table), default=str).encode()
        timings.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        report_table(user=user, spec=spec)
    grouped_sql = next(query["sql"] for query in queries.captured_queries if "GROUP BY" in query["sql"])
    floors = []
    with connection.cursor() as cursor:
        for _ in range(max(REPEATS // 2, 2)):
            started = time.perf_counter()
            cursor.execute(grouped_sql)
            cursor.fetchall()
            floors.append(time.perf_counter() - started)
    p50, p95, floor = statistics.median(timings), percentile(timings, 0.95), statistics.median(floors)
    print(f"JSON month x category{label} over {ROWS:,} rows ({len(table.rows)} groups, {len(body):,} bytes): "
          f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms (target p95 < 500 ms); "
          f"floor (same SQL, bare cursor) p50 {floor * 1000:.0f} ms, ratio {p50 / floor:.2f}x")


def xlsx_filters() -> dict[str, str]:
    """The most recent dates holding about XLSX_ROWS of the bench user's transactions."""
    from accounts.models import User
    from ledger.models import Transaction

    user = User.objects.get(email=EMAIL)
    dates = Transaction.objects.filter(user=user, is_deleted=False).order_by("-date").values_list("date", flat=True)
    since = dates[XLSX_ROWS - 1]
    return {"since": since.isoformat()}


def bench_xlsx() -> None:
    filters = xlsx_filters()
    child = subprocess.run(
        [PYTHON, __file__, "--xlsx-child", json.dumps(filters)], cwd=ROOT, check=True, capture_output=True, text=True
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"XLSX of {result['rows']:,} transactions ({result['bytes'] / 1e6:.1f} MB): {result['seconds']:.1f} s "
          f"(target < 15 s), peak RSS {peak_mb:.0f} MB (target < 300 MB; {result['baseline_mb']:.0f} MB before rendering); "
          f"floor (fetching the rows) {result['floor']:.1f} s, ratio {result['seconds'] / result['floor']:.1f}x")


def xlsx_child(filters: dict[str, str]) -> None:
    setup_django()
    from accounts.models import User
    from reports.renderers import xlsx
    from reports.selectors import report_table
    from reports.spec import spec_clean

    user = User.objects.get(email=EMAIL)
    spec = spec_clean({"filters": filters, "group_by": ["month", "category"], "metrics": ["income", "expenses", "count"]})
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    table = report_table(user=user, spec=spec)
    rows = sum(1 for _ in table.transactions())
    floor = time.perf_counter() - started
    started = time.perf_counter()
    content = xlsx.render(report_table(user=user, spec=spec))
    seconds = time.perf_counter() - started
    print(json.dumps({"rows": rows, "bytes": len(content), "seconds": seconds, "floor": floor, "baseline_mb": baseline}))


def bench_pdf() -> None:
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from accounts.models import User
    from ledger.models import Transaction
    from reports.models import ReportSchedule
    from reports.renderers import pdf
    from reports.schedule_times import Period
    from reports.selectors import report_table
    from reports.services import schedule_spec

    user = User.objects.get(email=PDF_EMAIL)
    months = (
        Transaction.objects.filter(user=user, is_deleted=False).annotate(month=TruncMonth("date"))
        .values("month").annotate(rows=Count("id")).order_by("-rows")
    )
    busiest = months[0]
    start = busiest["month"]
    end = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    spec = schedule_spec(ReportSchedule(user=user, kind="monthly_report", cadence="monthly", format="pdf"),
                         Period(start=start, end=end, key=f"monthly:{start:%Y-%m}"))
    timings, floors, size = [], [], 0
    for _ in range(3):
        started = time.perf_counter()
        size = len(pdf.render(report_table(user=user, spec=spec)))
        timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        table = report_table(user=user, spec=spec)
        table.kpis, table.spending_by_category, table.net_series  # noqa: B018 (evaluated for the floor)
        sum(1 for _ in table.transactions())
        floors.append(time.perf_counter() - started)
    seconds, floor = statistics.median(timings), statistics.median(floors)
    print(f"Monthly PDF, {start:%B %Y} with {busiest['rows']:,} transactions ({size / 1e6:.1f} MB): median of 3 "
          f"{seconds:.2f} s (target < 3 s); floor (the month's queries) {floor:.2f} s, ratio {seconds / floor:.1f}x")


def main() -> None:
    ensure_database()
    manage("migrate", "--noinput", "-v", "0")
    setup_django()
    seed(EMAIL, ROWS, 3, seed_offset=0)  # the same seeds as bench_ledger_api.py: one shared ledger
    seed(PDF_EMAIL, PDF_ROWS * 12, 1, seed_offset=1_000_000_007)
    print(f"CPU: {os.cpu_count()} cores, shared with other work while measuring (note it beside the figures).")
    bench_json()
    from django.conf import settings

    settings.REPORTS_PG_PLAIN_DATE_TRUNC = False
    bench_json(" (REPORTS_PG_PLAIN_DATE_TRUNC off)")
    settings.REPORTS_PG_PLAIN_DATE_TRUNC = True
    bench_xlsx()
    bench_pdf()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--xlsx-child":
        xlsx_child(json.loads(sys.argv[2]))
    else:
        main()
