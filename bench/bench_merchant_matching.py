"""Benchmark: match_many on 10,000 bank descriptors against 5,000 merchants, one core.

Target < 1 s. Prints the time, and the ratio to raw rapidfuzz work: (a) the comparisons our
fuzzy stage actually makes, run bare, and (b) a brute-force extractOne of every distinct
descriptor against every merchant key (what matching without exact tiers and blocking would cost).
Self-contained: creates a scratch test database (migrated, seeded), removes it afterwards.
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

SYLLABLES = ["bra", "vel", "kor", "min", "tas", "lo", "rex", "qui", "zan", "dor", "pel", "fi", "gar", "nu", "sol",
             "tri", "mak", "ven", "hol", "cre", "bal", "tor", "lin", "sha", "pro", "mer", "kal", "dun", "ora", "vix"]
SUFFIXES = ["", "", "Cafe", "Market", "Foods", "Store", "Deli", "Bakery", "Motors", "Pharmacy", "Books", "Grill"]
WRAPPERS = ["POS PURCHASE {} {} * 12 OCT", "SQ *{} #4411 {} CA 04/12", "CHECKCARD 0412 {} 57444 {} TX",
            "{} {}", "VISA DEBIT PURCHASE CARD 1234 {} 3456 {} GB", "PAYPAL *{} {}"]
CITIES = ["OAKLAND", "LONDON", "SPRINGS", "BALLITO JU", "MUMBAI", "SYDNEY", "PARKHURST", "AUSTIN"]


def name(rng: random.Random) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    suffix = rng.choice(SUFFIXES)
    return f"{word} {suffix}".strip()


def typo(text: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(text) - 1)
    return text[:position] + text[position + 1 :]  # one dropped letter, as truncating terminals do


def build_master(rng: random.Random, total: int) -> list[str]:
    from merchants.index import bump_index_version
    from merchants.models import Merchant, MerchantAlias
    from merchants.normalisation import normalise_descriptor

    existing = {n.lower() for n in Merchant.objects.values_list("canonical_name", flat=True)}
    taken = set(MerchantAlias.objects.values_list("normalised", flat=True))
    merchants, aliases = [], []
    while len(existing) < total:
        candidate = name(rng)
        alias = f"{candidate.upper()} {rng.choice(['LTD', 'INC', 'CO', 'PTY'])}"
        if candidate.lower() in existing or normalise_descriptor(alias) in taken:
            continue
        existing.add(candidate.lower())
        taken.add(normalise_descriptor(alias))
        merchant = Merchant(canonical_name=candidate, category="shopping", country="US")
        merchants.append(merchant)
        aliases.append(MerchantAlias(merchant=merchant, alias=alias, normalised=normalise_descriptor(alias)))
    Merchant.objects.bulk_create(merchants, batch_size=2000)
    MerchantAlias.objects.bulk_create(aliases, batch_size=2000)
    bump_index_version()
    return list(Merchant.objects.values_list("canonical_name", flat=True))


def build_descriptors(names: list[str], rng: random.Random, count: int) -> list[str]:
    descriptors = []
    for index in range(count):
        wrapper, city = rng.choice(WRAPPERS), rng.choice(CITIES)
        kind = index % 10
        if kind < 6:  # known merchant wrapped in bank noise
            brand = rng.choice(names).upper()
        elif kind < 8:  # known merchant, mistyped or truncated
            brand = typo(rng.choice(names).upper(), rng)
        else:  # nobody we know
            brand = name(rng).upper() + " " + rng.choice(["TRADING", "HOLDINGS", "KIOSK"])
        descriptors.append(wrapper.format(brand, city))
    return descriptors


def main() -> None:
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run() -> None:
    from merchants.index import FUZZY_MIN_KEY_LENGTH, get_index
    from merchants.normalisation import normalise_descriptor
    from merchants.services import match_many
    from merchants.services.matching import FUZZY_CUTOFF, FUZZY_QUERY_WORDS

    rng = random.Random(20240412)
    names = build_master(rng, 5000)
    descriptors = build_descriptors(names, rng, 10_000)

    started = time.perf_counter()
    index = get_index()
    build_seconds = time.perf_counter() - started

    normalise_descriptor.cache_clear()
    started = time.perf_counter()
    results = match_many(descriptors)
    match_seconds = time.perf_counter() - started
    matched = sum(1 for merchant, _ in results if merchant is not None)

    # (a) the bare rapidfuzz calls our fuzzy stage makes, on the same keys and buckets
    keys = {normalise_descriptor(text) for text in descriptors}
    residual = [k for k in keys if k and k not in index.exact and index.lookup_prefix(k) is None]
    queries = []
    for key in residual:
        words = key.split(" ")
        for size in range(min(len(words), FUZZY_QUERY_WORDS), 0, -1):
            query = " ".join(words[:size])
            if len(query) < FUZZY_MIN_KEY_LENGTH:
                break
            bucket = index.buckets.get(key[0])
            if bucket is not None:
                start, stop = bucket.window(len(query), FUZZY_CUTOFF / 100)
                queries.append((query, bucket.choices[max(start, bucket.first_fuzzy_index) : stop]))
    started = time.perf_counter()
    pairs = 0
    for query, choices in queries:
        process.extract(query, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=2)
        pairs += len(choices)
    raw_fuzzy_seconds = time.perf_counter() - started

    # (b) brute force: every distinct descriptor key against every merchant key
    choices = list(index.exact)
    started = time.perf_counter()
    for key in keys:
        process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    brute_seconds = time.perf_counter() - started

    print(f"merchants: {len(index.merchant_ids)}, index keys: {len(index.exact)}, index build: {build_seconds * 1000:.0f} ms")
    print(f"descriptors: {len(descriptors)} ({len(keys)} distinct), matched: {matched} ({matched / len(descriptors):.0%})")
    print(f"match_many(10,000): {match_seconds * 1000:.0f} ms  (target < 1000 ms)  {'OK' if match_seconds < 1 else 'SLOW'}")
    print(f"  raw rapidfuzz on the fuzzy stage's own {pairs:,} pairs: {raw_fuzzy_seconds * 1000:.0f} ms  "
          f"-> match_many / raw = {match_seconds / raw_fuzzy_seconds:.2f}x")
    print(f"  raw brute-force extractOne, {len(keys):,} x {len(choices):,} = {len(keys) * len(choices):,} pairs: "
          f"{brute_seconds * 1000:.0f} ms  -> match_many / brute = {match_seconds / brute_seconds:.2f}x")


if __name__ == "__main__":
    main()
