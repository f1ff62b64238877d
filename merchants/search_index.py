"""The in-process merchant search index: every tier of the search API answered from memory.

pg_trgm's GIN scan alone is slower than the search target at 100,000 merchants when a query
shares its words with thousands of names ("Dale's Bakery": every "X's Bakery" is >= 0.3
similar), so both databases answer from this index instead. Trigrams are extracted exactly as
pg_trgm does (lower case, words of alphanumerics, each padded with two spaces in front and one
behind, a set), and a query's similarity to every indexed string is counted in one vectorised
pass over the posting lists of its trigrams (`np.bincount`), so it costs O(postings of the
query's trigrams) in C. Scores equal PostgreSQL's `similarity()` (tested to 4 decimals).

Owners (merchant positions) are ordered by canonical name, so a tie on score is broken by the
position itself. The index is rebuilt when the master's version token changes (the same token
as the matching index in `merchants.index`).
"""

import bisect
import re
import uuid
from array import array
from dataclasses import dataclass

import numpy as np
from django.db import connection

from merchants.index import VersionedIndex

_WORD_RE = re.compile(r"[^\W_]+")  # runs of str.isalnum() characters
_TOKEN_RE = re.compile(r"[^\W_]+|\n")
# Python lower-cases with context and special casing ("ΟΔΟΣ" -> "οδος", "İ" -> "i̇");
# PostgreSQL lower-cases character by character (towlower): map those first.
_SIMPLE_LOWER = str.maketrans({"Σ": "σ", "İ": "i"})
# Below this many postings, sorting them (np.unique) beats a dense count over every string.
_SPARSE_POSTINGS = 20_000
_BUILD_CHUNK = 10_000



def pg_lower(text: str) -> str:
    """lower() as PostgreSQL computes it: character by character, no final sigma."""
    if "Σ" in text or "İ" in text:
        text = text.translate(_SIMPLE_LOWER)
    return text.lower()


def trigram_words(text: str) -> list[str]:
    """pg_trgm's words: maximal runs of alphanumeric characters, lower case."""
    return _WORD_RE.findall(pg_lower(text))


def word_trigrams(word: str) -> set[str]:
    padded = f"  {word} "
    return {padded[index : index + 3] for index in range(len(padded) - 2)}


def pg_trigram_set(text: str) -> set[str]:
    """The set pg_trgm's show_trgm() gives for `text` (as strings)."""
    grams: set[str] = set()
    for word in trigram_words(text):
        grams |= word_trigrams(word)
    return grams


def pg_similarity(left: str, right: str) -> float:
    """PostgreSQL's similarity(left, right): shared trigrams / trigrams in either."""
    a, b = pg_trigram_set(left), pg_trigram_set(right)
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def get_search_index() -> "SearchIndex":
    """The current search index, rebuilt when the master changed since this process built it."""
    return _search_index.get()


def _trigram_pairs(texts: list[str]) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
    """(trigram -> id, then every distinct (trigram id, text) pair sorted by trigram and text,
    and each text's trigram count). Python works per distinct word (names share words:
    "Bakery", "GmbH"); per text there are only C-level calls (one lower() and one findall for
    all texts, separated by newlines, and numpy for the expansion and de-duplication)."""
    count = len(texts)
    vocabulary: dict[str, int] = {}
    word_index = {"\n": -1}
    word_grams = array("i")
    word_offsets = array("q", [0])
    token_chunks = [np.empty(0, dtype=np.int32)]
    # In chunks, so the token strings of one chunk at a time are alive (memory stays flat).
    for start in range(0, count, _BUILD_CHUNK):
        chunk = texts[start : start + _BUILD_CHUNK]
        joined = "\n".join(chunk) + "\n"  # a newline ends each text
        if joined.count("\n") != len(chunk):  # a newline inside a text: as a word separator, a space
            joined = "".join(text.replace("\n", " ") + "\n" for text in chunk)
        tokens = _TOKEN_RE.findall(pg_lower(joined))
        for word in set(tokens).difference(word_index):
            word_index[word] = len(word_offsets) - 1
            word_grams.extend(vocabulary.setdefault(gram, len(vocabulary)) for gram in word_trigrams(word))
            word_offsets.append(len(word_grams))
        token_chunks.append(np.fromiter(map(word_index.__getitem__, tokens), dtype=np.int32, count=len(tokens)))
    token_ids = np.concatenate(token_chunks)
    del token_chunks
    separators = token_ids < 0
    text_of_word = np.cumsum(separators, dtype=np.int32)[~separators]  # newlines before a word: its text
    words = token_ids[~separators]
    del token_ids, separators
    offsets = np.frombuffer(word_offsets, dtype=np.int64)
    starts, lengths = offsets[words], (offsets[words + 1] - offsets[words]).astype(np.int32)
    ends = np.cumsum(lengths, dtype=np.int64)
    # The trigram ids of every word of every text, one after another (duplicates within a text kept).
    positions = np.arange(ends[-1] if len(ends) else 0, dtype=np.int64)
    positions += np.repeat(starts - (ends - lengths), lengths)
    grams = np.frombuffer(word_grams, dtype=np.int32)[positions]
    del positions
    key_type = np.uint32 if len(vocabulary) * count < 2**32 else np.uint64  # uint32: half the bytes to sort
    keys = grams.astype(key_type)
    del grams
    keys *= key_type(count)
    keys += np.repeat(text_of_word, lengths).astype(key_type)
    keys.sort()
    distinct_pairs = np.ones(len(keys), dtype=bool)
    distinct_pairs[1:] = keys[1:] != keys[:-1]
    keys = keys[distinct_pairs]  # a set per text, sorted by trigram then text
    strings = (keys % max(count, 1)).astype(np.int32)
    return vocabulary, (keys // max(count, 1)).astype(np.int32), strings, np.bincount(strings, minlength=count).astype(np.int32)


@dataclass(frozen=True, eq=False)
class Postings:
    """Compressed posting lists: the strings holding trigram g are strings[offsets[g]:offsets[g + 1]]."""

    offsets: np.ndarray
    strings: np.ndarray

    @classmethod
    def build(cls, grams: np.ndarray, strings: np.ndarray, vocabulary_size: int) -> "Postings":
        """From (trigram, string) pairs sorted by trigram."""
        offsets = np.zeros(vocabulary_size + 1, dtype=np.int64)
        np.cumsum(np.bincount(grams, minlength=vocabulary_size), out=offsets[1:])
        return cls(offsets=offsets, strings=strings)

    def lists(self, gram_ids: list[int]) -> list[np.ndarray]:
        offsets, strings = self.offsets, self.strings
        return [strings[offsets[gram] : offsets[gram + 1]] for gram in gram_ids if gram < len(offsets) - 1]

    @property
    def nbytes(self) -> int:
        return self.offsets.nbytes + self.strings.nbytes


@dataclass(frozen=True, eq=False)
class SearchIndex:
    version: str
    # owner -> merchant (owners ordered by canonical name: a position breaks score ties)
    merchant_ids: list
    names: list[str]
    categories: np.ndarray  # owner -> category code
    category_codes: dict[str, int]
    lower_names: dict[str, int]  # exact tier
    alias_keys: dict[str, int]  # alias tier: normalised alias -> owner
    sorted_lower: list[str]  # name prefix tier
    sorted_lower_owners: np.ndarray
    sorted_aliases: list[str]  # alias prefix tier
    sorted_alias_owners: np.ndarray
    # Trigram index: strings 0..len(names)-1 are the names, then the aliases' normalised keys.
    vocabulary: dict[str, int]
    name_postings: Postings
    alias_postings: Postings
    string_owners: np.ndarray
    string_sizes: np.ndarray  # trigrams per string

    @classmethod
    def build(cls, version: str) -> "SearchIndex":
        # Raw reads, ids as text: building UUID objects for 100,000 rows would double the build.
        with connection.cursor() as cursor:
            cursor.execute("SELECT canonical_name, CAST(id AS TEXT), category FROM merchants_merchant")
            rows = sorted(cursor.fetchall())
            cursor.execute("SELECT CAST(merchant_id AS TEXT), normalised FROM merchants_merchantalias")
            alias_rows = cursor.fetchall()
        position = {merchant_id: owner for owner, (_, merchant_id, _) in enumerate(rows)}
        aliases: list[tuple[str, int]] = []
        for merchant_id, key in alias_rows:
            owner = position.get(merchant_id)  # None: a merchant created between the two reads
            if key and owner is not None:
                aliases.append((key, owner))
        aliases.sort()
        names = [row[0] for row in rows]
        category_codes: dict[str, int] = {}
        categories = np.fromiter((category_codes.setdefault(row[2], len(category_codes)) for row in rows), dtype=np.int32, count=len(rows))
        lower_names = {pg_lower(name): owner for owner, name in enumerate(names)}
        sorted_lower = sorted(lower_names)
        vocabulary, grams, strings, string_sizes = _trigram_pairs(names + [key for key, _ in aliases])
        is_name = strings < len(names)
        alias_owners = np.fromiter((owner for _, owner in aliases), dtype=np.int32, count=len(aliases))
        return cls(
            version=version,
            merchant_ids=[row[1] for row in rows],  # as text: `merchant_id(owner)` for a UUID
            names=names,
            categories=categories,
            category_codes=category_codes,
            lower_names=lower_names,
            alias_keys=dict(aliases),
            sorted_lower=sorted_lower,
            sorted_lower_owners=np.fromiter((lower_names[key] for key in sorted_lower), dtype=np.int32, count=len(sorted_lower)),
            sorted_aliases=[key for key, _ in aliases],
            sorted_alias_owners=alias_owners,
            vocabulary=vocabulary,
            name_postings=Postings.build(grams[is_name], strings[is_name], len(vocabulary)),
            alias_postings=Postings.build(grams[~is_name], strings[~is_name], len(vocabulary)),
            string_owners=np.concatenate([np.arange(len(names), dtype=np.int32), alias_owners]),
            string_sizes=string_sizes,
        )

    def merchant_id(self, owner: int) -> uuid.UUID:
        return uuid.UUID(self.merchant_ids[owner])

    @property
    def nbytes(self) -> int:
        """The arrays' size (the Python lists and dicts come on top)."""
        arrays = (self.categories, self.sorted_lower_owners, self.sorted_alias_owners, self.string_owners, self.string_sizes)
        return sum(item.nbytes for item in arrays) + self.name_postings.nbytes + self.alias_postings.nbytes

    def _prefixed(self, keys: list[str], owners: np.ndarray, prefix: str) -> np.ndarray:
        start = bisect.bisect_left(keys, prefix)
        end = bisect.bisect_left(keys, prefix + "\U0010ffff", start)
        return owners[start:end]

    def similar(self, name_query: str, alias_query: str) -> tuple[np.ndarray, np.ndarray]:
        """(strings, similarity) for every name sharing a trigram with `name_query` and every
        alias sharing one with `alias_query`: pg_trgm's similarity(), counted in one pass."""
        vocabulary = self.vocabulary
        query_sizes = []
        lists: list[np.ndarray] = []
        for postings, text in ((self.name_postings, name_query), (self.alias_postings, alias_query)):
            grams = pg_trigram_set(text)
            query_sizes.append(len(grams))
            lists += postings.lists([vocabulary[gram] for gram in grams if gram in vocabulary])
        empty = np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float64)
        if not lists:
            return empty
        hits = np.concatenate(lists)
        if len(hits) < _SPARSE_POSTINGS:
            strings, shared = np.unique(hits, return_counts=True)
        else:
            counts = np.bincount(hits, minlength=len(self.string_sizes))
            strings = np.flatnonzero(counts)
            shared = counts[strings]
        query_size = np.where(strings < len(self.names), query_sizes[0], query_sizes[1])
        # In float4 as pg_trgm computes it, then widened as PostgreSQL compares it with the
        # threshold and with the tiers' float8 scores (0.7 from 7/10 trigrams ranks below a prefix hit).
        shared = shared.astype(np.float32)
        union = (query_size + self.string_sizes[strings]).astype(np.float32) - shared
        return strings, (shared / union).astype(np.float64)

    def search(
        self, raw: str, norm: str, *, category: str | None, limit: int, tiers: tuple[float, float, float], threshold: float, fuzzy: bool
    ) -> list[tuple[int, float]]:
        """[(owner, score)] best first, ties by name: a merchant scores its highest tier (exact
        name, exact alias, name or alias prefix), its best trigram similarity (names against
        `raw`, aliases against `norm`, at least `threshold`) only when no tier matched."""
        exact_score, alias_score, prefix_score = tiers
        best = np.full(len(self.names), -1.0)
        if fuzzy:
            strings, similarity = self.similar(raw, norm)
            passing = similarity >= threshold
            np.maximum.at(best, self.string_owners[strings[passing]], similarity[passing])
        # Tiers in ascending order, so each overwrites the one below, and any similarity.
        lower = pg_lower(raw)
        best[self._prefixed(self.sorted_lower, self.sorted_lower_owners, lower)] = prefix_score
        best[self._prefixed(self.sorted_aliases, self.sorted_alias_owners, norm)] = prefix_score
        owner = self.alias_keys.get(norm)
        if owner is not None:
            best[owner] = alias_score
        owner = self.lower_names.get(lower)
        if owner is not None:
            best[owner] = exact_score
        if category:
            code = self.category_codes.get(category)
            if code is None:
                return []
            best[self.categories != code] = -1.0
        owners = np.flatnonzero(best >= 0)
        scores = best[owners]
        if len(owners) > limit:
            # The limit-th best score; owners come in ascending order, so ties keep the first names.
            cutoff = np.partition(scores, len(scores) - limit)[len(scores) - limit]
            above = scores > cutoff
            tied = np.flatnonzero(scores == cutoff)[: limit - int(above.sum())]
            keep = np.concatenate([np.flatnonzero(above), tied])
            owners, scores = owners[keep], scores[keep]
        ranked = sorted(zip((-scores).tolist(), owners.tolist(), strict=True))
        return [(owner, -key) for key, owner in ranked]


_search_index: VersionedIndex[SearchIndex] = VersionedIndex(SearchIndex.build)
