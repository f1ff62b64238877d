"""Benchmark: GET /api/v1/merchants/search/ at 100,000 merchants on PostgreSQL.

Target: p95 round trip < 20 ms. Generates the merchants (plus an alias each: realistic
multi-locale business names from Faker; `--worst-case` uses a 30-syllable corpus where every
trigram is shared by thousands of names) in a scratch test database, then times the full
Django/DRF request (JWT auth, validation, the in-process search index, the aliases of the hits,
serialisation) in-process, the index's scoring alone, and the SQL statement (pg_trgm) for the
same queries; prints p50/p95, the index's build time and memory. `--sql` times the API on the
SQL statement instead (settings.MERCHANT_SEARCH_SQL). Self-contained: the scratch database is
dropped afterwards unless --keepdb.
"""

import os
import random
import re
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
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "en_IN", "es_ES", "it_IT", "nl_NL", "en_AU", "pt_BR"]
TOTAL = 100_000
ROUNDS = 400


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def realistic_name(fake, rng: random.Random) -> str:
    """Business names as statements show them: company names, '<surname> <trade>',
    "<first name>'s <trade>", '<town> <trade>', across ten locales (a realistic trigram spread)."""
    shape = rng.random()
    if shape < 0.45:
        return fake.company()
    if shape < 0.70:
        return f"{fake.last_name()} {rng.choice(SUFFIXES)}"
    if shape < 0.85:
        return f"{fake.first_name()}'s {rng.choice(SUFFIXES)}"
    return f"{fake.city()} {rng.choice(SUFFIXES)}"


def syllable_name(rng: random.Random) -> str:
    """The worst case: 30 syllables and 12 trades, so every trigram is shared by thousands."""
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
    return f"{word} {rng.choice(SUFFIXES)}"


def generate(rng: random.Random, corpus: str) -> list[str]:
    from faker import Faker

    from merchants.index import bump_index_version
    from merchants.models import Merchant, MerchantAlias
    from merchants.normalisation import normalise_descriptor

    tag = f"bench-{corpus}"
    existing = list(Merchant.objects.filter(tags__contains=[tag]).order_by("canonical_name").values_list("canonical_name", flat=True))
    if len(existing) >= TOTAL - 1000:  # kept from an earlier --keepdb run
        return existing
    for other in ("bench", "bench-syllables", "bench-realistic"):  # another corpus kept from an earlier run
        if other != tag:
            Merchant.objects.filter(tags__contains=[other]).delete()
    names = {n.lower() for n in Merchant.objects.values_list("canonical_name", flat=True)}
    taken = set(MerchantAlias.objects.values_list("normalised", flat=True))
    fake = Faker(LOCALES)
    fake.seed_instance(7)
    batch_merchants, batch_aliases, created = [], [], []
    while len(created) < TOTAL:
        name = realistic_name(fake, rng) if corpus == "realistic" else syllable_name(rng)
        alias = f"{name.upper()} {rng.randint(1, 99)}X"
        key = normalise_descriptor(alias)
        if name.lower() in names or key in taken:
            continue
        names.add(name.lower())
        taken.add(key)
        merchant = Merchant(canonical_name=name[:200], category="shopping", country="US", tags=[tag])
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
    return sorted(created)


def queries(names: list[str], rng: random.Random) -> list[str]:
    picked = []
    for index in range(ROUNDS):
        name = rng.choice(names)
        first_word = name.split()[0].strip(",.'")
        kind = index % 5
        if kind == 2 and len(first_word) < 4:
            kind = 0
        if kind == 0:
            picked.append(name)  # exact
        elif kind == 1:
            picked.append(first_word[: rng.randint(2, 5)])  # prefix as typed
        elif kind == 2:
            position = rng.randrange(1, len(first_word) - 1)
            picked.append(first_word[:position] + first_word[position + 1 :])  # typo
        elif kind == 3:
            picked.append(rng.choice(["starbucks", "amzn mktp", "woolworths", "swiggy", "tesco"]))  # seeded
        else:
            picked.append(first_word.lower())  # one word
    return picked


def main() -> None:
    # --keepdb keeps the scratch database (and its 100,000 merchants) for the next run.
    keepdb = "--keepdb" in sys.argv
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keepdb)
    try:
        if connection.vendor != "postgresql":
            print("merchant search benchmark needs PostgreSQL (DATABASE_URL=postgres://...); skipped")
            return
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=keepdb)


def run() -> None:
    import tracemalloc

    from django.conf import settings
    from django.test import Client

    from accounts.services import session_open
    from accounts.tests.factories import UserFactory
    from merchants import selectors
    from merchants.index import index_version
    from merchants.search_index import SearchIndex, get_search_index

    if "--sql" in sys.argv:
        settings.MERCHANT_SEARCH_SQL = True
    rng = random.Random(7)
    started = time.perf_counter()
    corpus = "syllables" if "--worst-case" in sys.argv else "realistic"
    names = generate(rng, corpus)
    print(f"{corpus} corpus: {len(names):,} merchants ready in {time.perf_counter() - started:.1f} s")
    terms = queries(names, random.Random(11))

    builds = []
    for _ in range(3):
        started = time.perf_counter()
        SearchIndex.build(index_version())
        builds.append(time.perf_counter() - started)
    tracemalloc.start()
    index = SearchIndex.build(index_version())
    held = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"search index: {len(index.names):,} names, {len(index.sorted_aliases):,} aliases, "
          f"{len(index.vocabulary):,} trigrams, {len(index.name_postings.strings) + len(index.alias_postings.strings):,} postings; "
          f"build {min(builds):.2f} s (runs {', '.join(f'{b:.2f}' for b in builds)}); "
          f"memory held {held[0] / 2**20:.0f} MB (arrays {index.nbytes / 2**20:.0f} MB), build peak {held[1] / 2**20:.0f} MB")
    del index

    user = UserFactory(email=f"bench-{os.getpid()}@example.com")  # a kept database has earlier users
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

    index = get_search_index()
    score_ms = []
    for term in terms:
        raw = " ".join(term.split())
        params = selectors.search_params(raw, None, selectors.SEARCH_LIMIT)
        started = time.perf_counter()
        index.search(raw, params["norm"], category=None, limit=selectors.SEARCH_LIMIT, threshold=selectors.FUZZY_THRESHOLD,
                     tiers=(selectors.EXACT_SCORE, selectors.ALIAS_SCORE, selectors.PREFIX_SCORE), fuzzy=params["fuzzy"])
        score_ms.append((time.perf_counter() - started) * 1000)

    sql_ms, same = [], 0
    with connection.cursor() as cursor:
        for term in terms:
            raw = " ".join(term.split())
            params = selectors.search_params(raw, None, selectors.SEARCH_LIMIT)
            started = time.perf_counter()
            cursor.execute(selectors._SEARCH_SQL, params)
            rows = cursor.fetchall()
            sql_ms.append((time.perf_counter() - started) * 1000)
            ours = [(hit.id, hit.score) for hit in selectors._search_in_process(raw, None, selectors.SEARCH_LIMIT)]
            same += ours == [(row[0], round(float(row[3]), 4)) for row in rows]
    if "--explain" in sys.argv:
        explain(terms)

    api50, api95 = statistics.median(api_ms), percentile(api_ms, 0.95)
    sql50, sql95 = statistics.median(sql_ms), percentile(sql_ms, 0.95)
    print(f"queries: {len(terms)} (exact, prefix, typo, seeded alias, one word), with results: {hits}")
    path = "SQL statement" if getattr(settings, "MERCHANT_SEARCH_SQL", False) else "in-process index"
    print(f"search API round trip ({path}): p50 {api50:.1f} ms, p95 {api95:.1f} ms  (target p95 < 20 ms)  {'OK' if api95 < 20 else 'SLOW'}")
    print(f"in-process scoring:    p50 {statistics.median(score_ms):.2f} ms, p95 {percentile(score_ms, 0.95):.2f} ms, "
          f"max {max(score_ms):.2f} ms")
    print(f"raw SQL statement:     p50 {sql50:.1f} ms, p95 {sql95:.1f} ms; same 20 hits and scores as the index: "
          f"{same}/{len(terms)} queries (the SQL keeps the first 20 rows per prefix branch, the index every prefix hit)")
    print(f"API / raw SQL: p50 {api50 / sql50:.2f}x, p95 {api95 / sql95:.2f}x")
    print(f"load average (1, 5, 15 min): {' '.join(f'{load:.2f}' for load in os.getloadavg())} on {os.cpu_count()} CPUs")


def explain(terms: list[str]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement for one query of each kind and two common
    words: execution time, rows the trigram GIN indexes handed over, rows rechecked away."""
    from merchants import selectors

    kinds = ["exact", "prefix", "typo", "seeded", "one word"]
    for kind, term in [(kinds[i % 5], terms[i]) for i in range(5)] + [("common", "store"), ("common", "the")]:
        params = selectors.search_params(term, None, selectors.SEARCH_LIMIT)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + selectors._SEARCH_SQL, params)
            plan = [row[0] for row in cursor.fetchall()]
        candidates = sum(int(m) for line in plan if "Bitmap Index Scan on merchant_" in line and "trgm" in line
                         for m in re.findall(r"actual time=\S+ rows=(\d+)", line))
        removed = sum(int(m) for line in plan for m in re.findall(r"Rows Removed by Index Recheck: (\d+)", line))
        buffers = sum(int(m) for line in plan[:3] for m in re.findall(r"shared hit=(\d+)", line))
        execution = next(line for line in plan if line.startswith("Execution Time"))
        print(f"  {kind:8} {term!r:24} trigram candidates {candidates:6}, rechecked away {removed:6}, "
              f"buffers hit {buffers:5}, {execution}")


if __name__ == "__main__":
    main()
