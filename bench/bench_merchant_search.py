"""Benchmark: GET /api/v1/merchants/search/ at 100,000 merchants on PostgreSQL.

Target: p95 round trip < 20 ms. Generates the merchants (plus an alias each) in a scratch test
database, then times the full Django/DRF request (JWT auth, validation, the one SQL statement,
serialisation) in-process, and the bare SQL statement for the same queries; prints p50/p95
and the ratio. Self-contained: the scratch database is dropped afterwards.
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

SYLLABLES = ["bra", "vel", "kor", "min", "tas", "lo", "rex", "qui", "zan", "dor", "pel", "fi", "gar", "nu", "sol",
             "tri", "mak", "ven", "hol", "cre", "bal", "tor", "lin", "sha", "pro", "mer", "kal", "dun", "ora", "vix"]
SUFFIXES = ["Cafe", "Market", "Foods", "Store", "Deli", "Bakery", "Motors", "Pharmacy", "Books", "Grill", "Salon", "Bar"]
TOTAL = 100_000
ROUNDS = 400


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def generate(rng: random.Random) -> list[str]:
    from merchants.index import bump_index_version
    from merchants.models import Merchant, MerchantAlias
    from merchants.normalisation import normalise_descriptor

    names = {n.lower() for n in Merchant.objects.values_list("canonical_name", flat=True)}
    taken = set(MerchantAlias.objects.values_list("normalised", flat=True))
    batch_merchants, batch_aliases, created = [], [], []
    while len(names) < TOTAL:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        name = f"{word} {rng.choice(SUFFIXES)}"
        alias = f"{name.upper()} {rng.randint(1, 99)}X"
        key = normalise_descriptor(alias)
        if name.lower() in names or key in taken:
            continue
        names.add(name.lower())
        taken.add(key)
        merchant = Merchant(canonical_name=name, category="shopping", country="US")
        batch_merchants.append(merchant)
        batch_aliases.append(MerchantAlias(merchant=merchant, alias=alias, normalised=key))
        created.append(name)
        if len(batch_merchants) == 5000:
            Merchant.objects.bulk_create(batch_merchants)
            MerchantAlias.objects.bulk_create(batch_aliases)
            batch_merchants, batch_aliases = [], []
    Merchant.objects.bulk_create(batch_merchants)
    MerchantAlias.objects.bulk_create(batch_aliases)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE merchants_merchant")
        cursor.execute("ANALYZE merchants_merchantalias")
    bump_index_version()
    return created


def queries(names: list[str], rng: random.Random) -> list[str]:
    picked = []
    for index in range(ROUNDS):
        name = rng.choice(names)
        kind = index % 5
        if kind == 0:
            picked.append(name)  # exact
        elif kind == 1:
            picked.append(name.split()[0][: rng.randint(2, 5)])  # prefix as typed
        elif kind == 2:
            word = name.split()[0]
            position = rng.randrange(1, len(word) - 1)
            picked.append(word[:position] + word[position + 1 :])  # typo
        elif kind == 3:
            picked.append(rng.choice(["starbucks", "amzn mktp", "woolworths", "swiggy", "tesco"]))  # seeded
        else:
            picked.append(name.split()[0].lower())  # one word
    return picked


def main() -> None:
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        if connection.vendor != "postgresql":
            print("merchant search benchmark needs PostgreSQL (DATABASE_URL=postgres://...); skipped")
            return
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    from django.test import Client

    from accounts.services import session_open
    from accounts.tests.factories import UserFactory
    from merchants import selectors
    from merchants.normalisation import normalise_descriptor

    rng = random.Random(7)
    started = time.perf_counter()
    names = generate(rng)
    print(f"generated {len(names):,} merchants in {time.perf_counter() - started:.1f} s")
    terms = queries(names, rng)

    user = UserFactory()
    token = session_open(user=user, ip_address="127.0.0.1", user_agent="bench").access_token
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    for term in terms[:20]:  # warm connections, caches, plans
        client.get("/api/v1/merchants/search/", {"q": term})

    api_ms, hits = [], 0
    for term in terms:
        started = time.perf_counter()
        response = client.get("/api/v1/merchants/search/", {"q": term})
        api_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
        hits += bool(response.json())

    sql_ms = []
    with connection.cursor() as cursor:
        for term in terms:
            norm = normalise_descriptor(term) or term.upper()
            params = {"raw": term, "norm": norm, "name_prefix": selectors._like_prefix(term.lower()),
                      "alias_prefix": selectors._like_prefix(norm), "category": None, "limit": 20,
                      "fuzzy": len(term) >= selectors.FUZZY_MIN_QUERY_LENGTH}
            started = time.perf_counter()
            cursor.execute(selectors._SEARCH_SQL, params)
            cursor.fetchall()
            sql_ms.append((time.perf_counter() - started) * 1000)

    api50, api95 = statistics.median(api_ms), percentile(api_ms, 0.95)
    sql50, sql95 = statistics.median(sql_ms), percentile(sql_ms, 0.95)
    print(f"queries: {len(terms)} (exact, prefix, typo, seeded alias, one word), with results: {hits}")
    print(f"search API round trip: p50 {api50:.1f} ms, p95 {api95:.1f} ms  (target p95 < 20 ms)  {'OK' if api95 < 20 else 'SLOW'}")
    print(f"raw SQL statement:     p50 {sql50:.1f} ms, p95 {sql95:.1f} ms")
    print(f"API / raw SQL: p50 {api50 / sql50:.2f}x, p95 {api95 / sql95:.2f}x")


if __name__ == "__main__":
    main()
