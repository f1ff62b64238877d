"""Descriptor -> merchant matching for imports, against the in-process index.

Tiers, first hit wins (a wrong merchant is worse than none, so every tier errs on "no match"):
1. exact: the normalised descriptor is a merchant's alias or canonical name      -> 1.0
2. prefix: its leading whole words are an alias or canonical name ("SHELL OIL")  -> 0.95
3. fuzzy: rapidfuzz Indel ratio of its leading words against keys sharing its
   first character, at least 0.90, on keys of six characters or more, and only
   when no other merchant scores the same                                       -> 0.95 x ratio
"""

import copy
import hashlib
import hmac
from collections import Counter
from collections.abc import Sequence

from django.conf import settings
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from rapidfuzz import fuzz, process

from merchants.index import FUZZY_MIN_KEY_LENGTH, MerchantIndex, get_index
from merchants.models import Merchant, UnmatchedDescriptor, UnmatchedDescriptorSighting
from merchants.normalisation import normalise_descriptor

PREFIX_SCORE = 0.95
FUZZY_WEIGHT = 0.95
FUZZY_CUTOFF = 90.0
FUZZY_QUERY_WORDS = 4
UNMATCHED_BATCH = 500

Match = tuple[int | None, float]


def match_many(descriptors: Sequence[str], *, user_id=None) -> list[tuple[Merchant | None, float]]:
    """Match raw bank descriptors to merchants, in order: [(merchant or None, score 0..1)].

    Vectorised: one cache read for the index version and no query (the merchants come from the
    index, loaded with their light fields: id, canonical_name, category, country); when
    `user_id` is given, a constant number of writes record the unmatched descriptors
    (anonymised) for curators."""
    index = get_index()
    keys = [normalise_descriptor(text or "") for text in descriptors]
    matches = match_keys(index, set(keys))
    # Copies of the index's instances: no query per call, and callers cannot alter the cache.
    merchants = {owner: _clone(index.merchants[owner]) for owner, _ in matches.values() if owner is not None}
    results: list[tuple[Merchant | None, float]] = []
    for key in keys:
        owner, score = matches[key]
        results.append((merchants[owner], score) if owner is not None else (None, 0.0))
    if user_id is not None:
        unmatched = Counter(key for key, (merchant, _) in zip(keys, results, strict=True) if key and merchant is None)
        record_unmatched(unmatched, user_id=user_id)
    return results


def _clone(merchant: Merchant) -> Merchant:
    # copy.copy goes through Model.__reduce__ (tens of microseconds); this is a dict copy.
    clone = Merchant.__new__(Merchant)
    clone.__dict__ = {**merchant.__dict__, "_state": copy.copy(merchant._state)}
    return clone


def match_keys(index: MerchantIndex, keys: set[str]) -> dict[str, Match]:
    """Normalised keys -> (merchant position in the index or None, score)."""
    matches: dict[str, Match] = {"": (None, 0.0)}
    residual = []
    for key in keys:
        if not key:
            continue
        owner = index.exact.get(key)
        if owner is not None:
            matches[key] = (owner, 1.0)
            continue
        owner = index.lookup_prefix(key)
        if owner is not None:
            matches[key] = (owner, PREFIX_SCORE)
            continue
        residual.append(key)
    for key in residual:
        matches[key] = _fuzzy_match(index, key)
    return matches


def _fuzzy_match(index: MerchantIndex, key: str) -> Match:
    bucket = index.buckets.get(key[0])
    if bucket is None:
        return None, 0.0
    words = key.split(" ")
    best_owner, best_score, ambiguous = None, 0.0, False
    # Leading words only: statements append places and branch names after the brand.
    for size in range(min(len(words), FUZZY_QUERY_WORDS), 0, -1):
        query = " ".join(words[:size])
        if len(query) < FUZZY_MIN_KEY_LENGTH:
            break
        start, stop = bucket.window(len(query), FUZZY_CUTOFF / 100)
        start = max(start, bucket.first_fuzzy_index)
        if start >= stop:
            continue
        for _, score, offset in process.extract(
            query, bucket.choices[start:stop], scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=2
        ):
            owner = bucket.owners[start + offset]
            if score > best_score:
                best_owner, best_score, ambiguous = owner, score, False
            elif score == best_score and owner != best_owner:
                ambiguous = True
    if best_owner is None or ambiguous:
        return None, 0.0
    return best_owner, round(FUZZY_WEIGHT * best_score / 100, 4)


def user_hash(user_id) -> str:
    """A keyed hash of the user id: counts distinct users without storing who they are."""
    return hmac.new(settings.SECRET_KEY.encode(), f"unmatched:{user_id}".encode(), hashlib.sha256).hexdigest()


def record_unmatched(counts: Counter, *, user_id) -> None:
    """Add unmatched descriptors to the curators' list: occurrences plus a distinct-user sighting.

    Three statements per 500 distinct descriptors whatever the row count: insert the new ones,
    bump every count in one UPDATE ... CASE, insert the sightings (duplicates ignored)."""
    items = [(key[:255], count) for key, count in counts.items() if key]
    hashed = user_hash(user_id)
    for start in range(0, len(items), UNMATCHED_BATCH):
        batch = dict(items[start : start + UNMATCHED_BATCH])
        UnmatchedDescriptor.objects.bulk_create(
            [UnmatchedDescriptor(normalised=key) for key in batch], ignore_conflicts=True
        )
        UnmatchedDescriptor.objects.filter(normalised__in=batch).update(
            occurrences=F("occurrences")
            + Case(*[When(normalised=key, then=Value(count)) for key, count in batch.items()], default=Value(0), output_field=IntegerField()),
            last_seen=timezone.now(),
        )
        UnmatchedDescriptorSighting.objects.bulk_create(
            [UnmatchedDescriptorSighting(descriptor_id=key, user_hash=hashed) for key in batch], ignore_conflicts=True
        )
