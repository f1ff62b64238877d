"""Reads: tiered merchant search, per-user usage stats, the unmatched descriptors list."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Sum

from merchants.models import Merchant, MerchantAlias, UnmatchedDescriptor
from merchants.normalisation import normalise_descriptor
from merchants.search_index import get_search_index, pg_lower

SEARCH_LIMIT = 20
EXACT_SCORE = 1.0
ALIAS_SCORE = 0.9
PREFIX_SCORE = 0.7
FUZZY_THRESHOLD = 0.3  # pg_trgm's default similarity_threshold, which the % operator uses
# Two characters make three padded trigrams: nothing but a two- or three-letter name reaches 0.3,
# and the prefix tier already finds those, while the GIN scan would touch most of the table.
FUZZY_MIN_QUERY_LENGTH = 3
# The alias branch of the fuzzy tier keeps limit * this many rows: several aliases of one
# merchant may be among the most similar, and the page needs `limit` distinct merchants.
FUZZY_ALIAS_ROWS_PER_MERCHANT = 3

# One round trip: candidates from each tier (each an index scan), best score per merchant,
# aliases aggregated in the same statement.
_SEARCH_SQL = """
WITH candidates AS (
    SELECT id AS merchant_id, 1.0::float AS tier, NULL::float AS fuzzy FROM merchants_merchant
     WHERE lower(canonical_name) = lower(%(raw)s)
    UNION ALL
    SELECT merchant_id, 0.9, NULL FROM merchants_merchantalias WHERE normalised = %(norm)s
    UNION ALL
    -- Prefix hits all score 0.7 and tie-break by name: the first 20 in index order suffice.
    -- COLLATE "C" on both sides so the C-collation btree (migration 0004) serves range and order.
    (SELECT id, 0.7, NULL FROM merchants_merchant WHERE lower(canonical_name) COLLATE "C" LIKE %(name_prefix)s
      ORDER BY lower(canonical_name) COLLATE "C" LIMIT %(limit)s)
    UNION ALL
    (SELECT merchant_id, 0.7, NULL FROM merchants_merchantalias WHERE normalised COLLATE "C" LIKE %(alias_prefix)s
      ORDER BY normalised COLLATE "C" LIMIT %(limit)s)
    UNION ALL
    -- Fuzzy: each branch keeps only its best rows, so a common word ("store": thousands of
    -- names pass the threshold) is not joined, grouped and sorted row by row. The category
    -- filter sits inside the branches for that reason. Aliases keep more rows (a merchant
    -- may have several among the best).
    (SELECT id, NULL, similarity(canonical_name, %(raw)s) AS similarity FROM merchants_merchant
      WHERE %(fuzzy)s AND canonical_name %% %(raw)s
        AND (%(category)s::varchar IS NULL OR category = %(category)s::varchar)
      ORDER BY similarity DESC, canonical_name LIMIT %(limit)s)
    UNION ALL
    (SELECT merchant_id, NULL, similarity(normalised, %(norm)s) AS similarity FROM merchants_merchantalias a
      WHERE %(fuzzy)s AND normalised %% %(norm)s
        AND (%(category)s::varchar IS NULL
             OR EXISTS (SELECT 1 FROM merchants_merchant c WHERE c.id = a.merchant_id AND c.category = %(category)s::varchar))
      ORDER BY similarity DESC, normalised LIMIT %(alias_limit)s)
), best AS (
    -- A merchant scores its highest tier; trigram similarity only when no tier above matched.
    SELECT merchant_id, coalesce(max(tier), max(fuzzy)) AS score FROM candidates GROUP BY merchant_id
)
SELECT m.id, m.canonical_name, m.category, best.score,
       ARRAY(SELECT a.alias FROM merchants_merchantalias a WHERE a.merchant_id = m.id ORDER BY a.alias) AS aliases
  FROM best JOIN merchants_merchant m ON m.id = best.merchant_id
 WHERE (%(category)s::varchar IS NULL OR m.category = %(category)s::varchar)
 ORDER BY best.score DESC, m.canonical_name
 LIMIT %(limit)s
"""


@dataclass(frozen=True)
class SearchHit:
    id: object
    canonical_name: str
    category: str
    aliases: list[str]
    score: float


def merchant_search(*, query: str, category: str | None = None, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
    """Merchants for a search box, best first: exact name 1.0, exact alias 0.9, name or alias
    prefix 0.7, fuzzy = trigram similarity (at least 0.3; queries of 3+ characters). A merchant
    scores its highest tier, and its trigram similarity only when no tier above matched.
    Both databases answer from the in-process search index (`merchants.search_index`), which
    scores trigram similarity exactly as pg_trgm's similarity() does: pg_trgm's GIN scan alone
    is slower than the 20 ms target at 100,000 merchants. `settings.MERCHANT_SEARCH_SQL = True`
    answers on PostgreSQL with the one SQL statement below instead (pg_trgm and its GIN indexes)."""
    raw = " ".join(query.split())
    if connection.vendor == "postgresql" and getattr(settings, "MERCHANT_SEARCH_SQL", False):
        return _search_postgres(raw, category, limit)
    return _search_in_process(raw, category, limit)


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_params(raw: str, category: str | None, limit: int) -> dict:
    """The parameters of `_SEARCH_SQL` for a query (the benchmark times the bare statement too)."""
    norm = normalise_descriptor(raw) or raw.upper()
    return {
        "raw": raw,
        "norm": norm,
        "name_prefix": _like_prefix(pg_lower(raw)),  # lower(canonical_name) is PostgreSQL's
        "alias_prefix": _like_prefix(norm),
        "category": category or None,
        "limit": limit,
        "alias_limit": limit * FUZZY_ALIAS_ROWS_PER_MERCHANT,
        "fuzzy": len(raw) >= FUZZY_MIN_QUERY_LENGTH,
    }


def _search_postgres(raw: str, category: str | None, limit: int) -> list[SearchHit]:
    with connection.cursor() as cursor:
        cursor.execute(_SEARCH_SQL, search_params(raw, category, limit))
        rows = cursor.fetchall()
    return [SearchHit(row[0], row[1], row[2], list(row[4]), round(float(row[3]), 4)) for row in rows]


def _search_in_process(raw: str, category: str | None, limit: int) -> list[SearchHit]:
    index = get_search_index()
    norm = normalise_descriptor(raw) or raw.upper()
    best = index.search(
        raw,
        norm,
        category=category,
        limit=limit,
        tiers=(EXACT_SCORE, ALIAS_SCORE, PREFIX_SCORE),
        threshold=FUZZY_THRESHOLD,
        fuzzy=len(raw) >= FUZZY_MIN_QUERY_LENGTH,
    )
    ids = [index.merchant_id(owner) for owner, _ in best]
    aliases: dict = {merchant_id: [] for merchant_id in ids}
    for merchant_id, alias in MerchantAlias.objects.filter(merchant_id__in=ids).order_by("alias").values_list("merchant_id", "alias"):
        aliases[merchant_id].append(alias)
    categories = {code: slug for slug, code in index.category_codes.items()}
    return [
        SearchHit(merchant_id, index.names[owner], categories[int(index.categories[owner])], aliases[merchant_id], round(score, 4))
        for merchant_id, (owner, score) in zip(ids, best, strict=True)
    ]


def merchant_usage_stats(*, user, limit: int = 10) -> list[dict]:
    """The user's most used merchants: [{merchant, count, total, last_date}] by count.

    Aggregated through the reverse relation `transactions` (ledger points at merchants; this
    app never imports ledger). Totals are signed sums per currency, never mixed."""
    if "transactions" not in {relation.related_name for relation in Merchant._meta.related_objects}:
        return []
    rows = (
        Merchant.objects.filter(transactions__user=user, transactions__is_deleted=False)
        .values("id", "canonical_name", "category", "transactions__currency")
        .annotate(count=Count("transactions"), total=Sum("transactions__amount"), last_date=Max("transactions__date"))
    )
    by_merchant: dict = {}
    for row in rows:
        entry = by_merchant.setdefault(
            row["id"],
            {
                "merchant": {"id": row["id"], "canonical_name": row["canonical_name"], "category": row["category"]},
                "count": 0,
                "totals": [],
                "last_date": row["last_date"],
            },
        )
        entry["count"] += row["count"]
        entry["totals"].append({"currency": row["transactions__currency"], "amount": row["total"] or Decimal("0")})
        entry["last_date"] = max(entry["last_date"], row["last_date"])
    ranked = sorted(by_merchant.values(), key=lambda entry: (-entry["count"], entry["merchant"]["canonical_name"]))
    for entry in ranked:
        entry["totals"].sort(key=lambda total: total["currency"])
    return ranked[:limit]


def unmatched_descriptor_list():
    """Curators' view: unmatched descriptors with their distinct-user counts, most seen first.

    Only descriptors at least settings.UNMATCHED_MIN_USERS people have: one person's
    descriptor may be personal text, and showing it would not be anonymous."""
    return (
        UnmatchedDescriptor.objects.annotate(user_count=Count("sightings"))
        .filter(user_count__gte=settings.UNMATCHED_MIN_USERS)
        .order_by("-user_count", "-occurrences")
    )
