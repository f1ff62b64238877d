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
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache

from core.on_commit import run_on_commit
from merchants.models import Merchant, MerchantAlias
from merchants.normalisation import normalise_descriptor

INDEX_VERSION_KEY = "merchants:index-version"
# Exact keys longer than this many words are never looked up as descriptor prefixes.
MAX_PREFIX_WORDS = 6
# Keys shorter than this never match fuzzily: one letter off "SHELL" is another business.
FUZZY_MIN_KEY_LENGTH = 6

_lock = threading.Lock()
_current: "MerchantIndex | None" = None


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


def get_index() -> "MerchantIndex":
    """The current index, rebuilt when the master changed since this process last built it."""
    global _current
    version = index_version()
    current = _current
    if current is not None and current.version == version:
        return current
    with _lock:
        if _current is None or _current.version != version:
            _current = MerchantIndex.build(version)
        return _current


def pg_trigrams(text: str) -> frozenset[str]:
    """pg_trgm's trigrams: per alphanumeric word, lower case, padded with two spaces in front
    and one behind. The SQLite search path scores with this so both databases agree."""
    grams: set[str] = set()
    for word in _words(text.lower()):
        padded = f"  {word} "
        grams.update(padded[index : index + 3] for index in range(len(padded) - 2))
    return frozenset(grams)


def _words(text: str) -> list[str]:
    words, current = [], []
    for char in text:
        if char.isalnum():
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def trigram_similarity(left: str, right: str) -> float:
    a, b = pg_trigrams(left), pg_trigrams(right)
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


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
    _search: "SearchStructures | None" = field(default=None, repr=False)

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

    @property
    def search(self) -> "SearchStructures":
        if self._search is None:
            self._search = SearchStructures.build(self)
        return self._search


@dataclass
class SearchStructures:
    """What the SQLite search path needs: lower-case names for the exact and prefix tiers, and a
    trigram inverted index (pg_trgm semantics) over names and aliases for the fuzzy tier."""

    lower_names: dict[str, int]
    sorted_names: list[tuple[str, int]]
    sorted_aliases: list[tuple[str, int]]
    strings: list[tuple[int, int]]  # (owner, trigram count) per indexed string
    postings: dict[str, list[int]]

    @classmethod
    def build(cls, index: MerchantIndex) -> "SearchStructures":
        lower_names = {name.lower(): position for position, name in enumerate(index.names)}
        strings: list[tuple[int, int]] = []
        postings: dict[str, list[int]] = defaultdict(list)
        texts = [(name, position) for position, name in enumerate(index.names)]
        texts += [(alias, owner) for alias, owner in index.alias_keys.items()]
        for text, owner in texts:
            grams = pg_trigrams(text)
            for gram in grams:
                postings[gram].append(len(strings))
            strings.append((owner, len(grams)))
        return cls(
            lower_names=lower_names,
            sorted_names=sorted(lower_names.items()),
            sorted_aliases=sorted(index.alias_keys.items()),
            strings=strings,
            postings=dict(postings),
        )

    def prefixed(self, prefix: str, *, aliases: bool) -> list[int]:
        entries = self.sorted_aliases if aliases else self.sorted_names
        start = bisect.bisect_left(entries, (prefix,))
        owners = []
        for text, owner in entries[start:]:
            if not text.startswith(prefix):
                break
            owners.append(owner)
        return owners

    def similar(self, text: str, threshold: float) -> dict[int, float]:
        """owner -> best trigram similarity over its name and aliases, at least `threshold`."""
        grams = pg_trigrams(text)
        if not grams:
            return {}
        shared = Counter(string for gram in grams for string in self.postings.get(gram, ()))
        best: dict[int, float] = {}
        for string, count in shared.items():
            owner, size = self.strings[string]
            score = count / (len(grams) + size - count)
            if score >= threshold and score > best.get(owner, 0.0):
                best[owner] = score
        return best
