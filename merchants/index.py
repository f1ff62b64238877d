"""The in-process merchant index: every merchant's normalised name and aliases in memory.

Imports match thousands of descriptors per chunk; one query per row (or even per chunk
against a 5,000-row table) would dominate the pipeline, so the master is loaded once per
process and rebuilt only when it changes. Every write to the master bumps a version token in
the shared cache (`bump_index_version`); each process compares its copy's token with the
cache on use (one cache GET) and rebuilds when they differ. A missing token (cache flushed,
first start) counts as a change, so a stale index is never kept.
"""

import bisect
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.cache import cache

from core.on_commit import run_on_commit
from merchants.models import Merchant, MerchantAlias
from merchants.normalisation import normalise_descriptor

INDEX_VERSION_KEY = "merchants:index-version"
# Exact keys longer than this many words are never looked up as descriptor prefixes.
MAX_PREFIX_WORDS = 6
# Keys shorter than this never match fuzzily: one letter off "SHELL" is another business.
FUZZY_MIN_KEY_LENGTH = 6



def index_version() -> str:
    version = cache.get(INDEX_VERSION_KEY)
    if version is None:
        cache.add(INDEX_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(INDEX_VERSION_KEY) or "unversioned"
    return version


def bump_index_version() -> None:
    """Mark the master as changed: now (this transaction's own readers) and again after commit
    (other processes, which must not rebuild from the pre-commit state and keep it)."""
    _bump()
    run_on_commit(_bump)


def _bump() -> None:
    cache.set(INDEX_VERSION_KEY, uuid.uuid4().hex, timeout=None)


T = TypeVar("T")


class VersionedIndex(Generic[T]):
    """One per-process index, rebuilt when the master's version token differs from the one it
    was built for. The lock makes concurrent threads wait for one rebuild, not race to many."""

    def __init__(self, build: Callable[[str], T]) -> None:
        self._build = build
        self._current: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        version = index_version()
        current = self._current
        if current is not None and current.version == version:
            return current
        with self._lock:
            if self._current is None or self._current.version != version:
                self._current = self._build(version)
            return self._current


def get_index() -> "MerchantIndex":
    """The current matching index, rebuilt when the master changed since this process built it."""
    return _matching_index.get()


@dataclass
class Bucket:
    """Keys sharing a first character, sorted by length: a ratio cutoff bounds the length of
    any key that can reach it, so a query only scans a slice (bisect on `lengths`)."""

    choices: list[str]
    owners: list[int]
    lengths: list[int]

    @property
    def first_fuzzy_index(self) -> int:
        return bisect.bisect_left(self.lengths, FUZZY_MIN_KEY_LENGTH)

    def window(self, length: int, cutoff: float) -> tuple[int, int]:
        # Indel ratio <= 2 * min / (a + b): keys shorter or longer than these bounds cannot pass.
        shortest = int(length * cutoff / (2 - cutoff))
        longest = int(length * (2 - cutoff) / cutoff) + 1
        return bisect.bisect_left(self.lengths, shortest), bisect.bisect_right(self.lengths, longest)


@dataclass
class MerchantIndex:
    version: str
    merchants: list[Merchant]
    merchant_ids: list[uuid.UUID]
    names: list[str]
    categories: list[str]
    # normalised key (alias or canonical name) -> merchant position
    exact: dict[str, int]
    alias_keys: dict[str, int]
    # first character -> (choices, owner positions); fuzzy matching compares within a bucket
    buckets: dict[str, tuple[list[str], list[int]]]

    @classmethod
    def build(cls, version: str) -> "MerchantIndex":
        # The light fields only (the rest load on access): match_many hands out copies of these
        # instead of querying the matched merchants on every call.
        merchants = list(Merchant.objects.order_by("canonical_name").only("id", "canonical_name", "category", "country"))
        rows = [(merchant.id, merchant.canonical_name, merchant.category) for merchant in merchants]
        position = {merchant_id: index for index, (merchant_id, _, _) in enumerate(rows)}
        exact: dict[str, int] = {}
        alias_keys: dict[str, int] = {}
        for merchant_id, key in MerchantAlias.objects.values_list("merchant_id", "normalised").iterator(chunk_size=5000):
            owner = position.get(merchant_id)  # None: a merchant created between the two reads
            if key and owner is not None:
                alias_keys[key] = owner
        exact.update(alias_keys)
        # A canonical name wins over another merchant's alias with the same key.
        for index, (_, name, _) in enumerate(rows):
            key = normalise_descriptor(name)
            if key:
                exact[key] = index
        grouped: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
        for key, owner in exact.items():
            grouped[key[0]].append((len(key), key, owner))
        buckets = {}
        for first, entries in grouped.items():
            entries.sort()
            buckets[first] = Bucket([entry[1] for entry in entries], [entry[2] for entry in entries], [entry[0] for entry in entries])
        return cls(
            version=version,
            merchants=merchants,
            merchant_ids=[row[0] for row in rows],
            names=[row[1] for row in rows],
            categories=[row[2] for row in rows],
            exact=exact,
            alias_keys=alias_keys,
            buckets=buckets,
        )

    def lookup_prefix(self, key: str) -> int | None:
        """The merchant whose exact key is the longest whole-word prefix of `key`."""
        words = key.split(" ")
        for size in range(min(len(words) - 1, MAX_PREFIX_WORDS), 0, -1):
            owner = self.exact.get(" ".join(words[:size]))
            if owner is not None:
                return owner
        return None


_matching_index: VersionedIndex[MerchantIndex] = VersionedIndex(MerchantIndex.build)
