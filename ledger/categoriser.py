"""The first categoriser: one vectorised call the rest of the code uses.

    categorise(user, rows) -> [Suggestion(category, confidence, method)]

Order of evidence, strongest first:
1. the user's own rules, learned at once from corrections (descriptor, then merchant);
2. the merchant master's category for the matched merchant;
3. for money in (positive amounts) without either: income keywords, else `income`;
4. `uncategorized`.
A learned model (its own issue) slots in behind this same function. At most three queries
per call whatever the number of rows: merchant match, rules, categories."""

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Q

from core.categories import UNCATEGORIZED
from ledger.models import Category, CategoryRule
from merchants.services import match_many, normalise_descriptor

RULE_CONFIDENCE = 0.97
MERCHANT_RULE_CONFIDENCE = 0.93
MERCHANT_CONFIDENCE_WEIGHT = 0.9
INCOME_KEYWORD_CONFIDENCE = 0.8
INCOME_DEFAULT_CONFIDENCE = 0.5

# Words that make a credit look like a specific kind of income. Checked on the normalised
# (upper-case) descriptor; first match wins.
INCOME_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("SALARY", "salary"),
    ("PAYROLL", "salary"),
    ("WAGES", "salary"),
    ("INTEREST", "interest"),
    ("REFUND", "refunds"),
    ("REVERSAL", "refunds"),
    ("CASHBACK", "refunds"),
    ("TRANSFER", "transfer"),
)


class Suggestion(NamedTuple):
    category: Category
    confidence: float
    method: str  # "rule" | "merchant" | "income" | "default"


class RowEvidence(NamedTuple):
    descriptor: str
    merchant_id: Any
    merchant_category: str | None
    merchant_score: float
    amount: Decimal


def descriptor_key(descriptor: str) -> str:
    return f"d:{descriptor}"


def merchant_key(merchant_id) -> str:
    return f"m:{merchant_id}"


def _field(row: Any, name: str, default=None):
    if isinstance(row, Mapping):
        return row.get(name, default)
    return getattr(row, name, default)


def gather_evidence(rows: Sequence[Any], *, user_id=None) -> list[RowEvidence]:
    """Normalise descriptors and match merchants for rows that do not name one yet."""
    descriptors = [normalise_descriptor(_field(row, "merchant_raw") or "") for row in rows]
    unmatched = [index for index, row in enumerate(rows) if _field(row, "merchant") is None]
    matches = dict(zip(unmatched, match_many([descriptors[i] for i in unmatched], user_id=user_id), strict=True)) if unmatched else {}
    evidence = []
    for index, row in enumerate(rows):
        merchant, score = (_field(row, "merchant"), 1.0) if index not in matches else matches[index]
        evidence.append(
            RowEvidence(
                descriptor=descriptors[index],
                merchant_id=merchant.pk if merchant is not None else None,
                merchant_category=merchant.category if merchant is not None else None,
                merchant_score=float(score) if merchant is not None else 0.0,
                amount=Decimal(str(_field(row, "amount") or 0)),
            )
        )
    return evidence


def _rules_for(user, evidence: Iterable[RowEvidence]) -> dict[str, Any]:
    keys = set()
    for item in evidence:
        if item.descriptor:
            keys.add(descriptor_key(item.descriptor))
        if item.merchant_id is not None:
            keys.add(merchant_key(item.merchant_id))
    if not keys:
        return {}
    return dict(CategoryRule.objects.filter(user=user, key__in=keys).values_list("key", "category_id"))


def _income_slug(descriptor: str) -> str:
    for word, slug in INCOME_KEYWORDS:
        if word in descriptor:
            return slug
    return "income"


def candidates(item: RowEvidence, rules: Mapping[str, Any]) -> list[tuple[Any, float, str]]:
    """Every category the evidence supports, strongest first: (category id or slug, confidence, method).
    Ids come from rules (they may be the user's own categories); slugs are system categories."""
    found: list[tuple[Any, float, str]] = []
    rule = rules.get(descriptor_key(item.descriptor)) if item.descriptor else None
    if rule is not None:
        found.append((rule, RULE_CONFIDENCE, "rule"))
    if item.merchant_id is not None and merchant_key(item.merchant_id) in rules:
        found.append((rules[merchant_key(item.merchant_id)], MERCHANT_RULE_CONFIDENCE, "rule"))
    if item.merchant_category:
        found.append((item.merchant_category, round(item.merchant_score * MERCHANT_CONFIDENCE_WEIGHT, 4), "merchant"))
    if item.amount > 0:
        slug = _income_slug(item.descriptor)
        confidence = INCOME_KEYWORD_CONFIDENCE if slug != "income" else INCOME_DEFAULT_CONFIDENCE
        found.append((slug, confidence, "income"))
    found.append((UNCATEGORIZED, 0.0, "default"))
    return found


def _resolve(user, references: set) -> dict[Any, Category]:
    """Category ids and system slugs -> Category rows, in one query."""
    ids = {reference for reference in references if not isinstance(reference, str)}
    slugs = {reference for reference in references if isinstance(reference, str)}
    resolved: dict[Any, Category] = {}
    for category in Category.objects.filter(Q(pk__in=ids) | Q(user__isnull=True, slug__in=slugs)):
        resolved[category.pk] = category
        if category.user_id is None:
            resolved[category.slug] = category
    return resolved


def categorise(user, rows: Sequence[Any], *, evidence: list[RowEvidence] | None = None) -> list[Suggestion]:
    """Best category for each row. Rows are mappings or objects with `merchant_raw`, `amount`
    and optionally `merchant` (a Merchant already matched; otherwise it is matched here)."""
    if not rows:
        return []
    evidence = evidence if evidence is not None else gather_evidence(rows, user_id=user.pk)
    rules = _rules_for(user, evidence)
    per_row = [candidates(item, rules) for item in evidence]
    resolved = _resolve(user, {reference for options in per_row for reference, _, _ in options})
    results = []
    for options in per_row:
        # A merchant whose category slug is not (or no longer) in the taxonomy falls through.
        category, confidence, method = next((resolved[ref], conf, how) for ref, conf, how in options if ref in resolved)
        results.append(Suggestion(category, confidence, method))
    return results


def suggest(user, row: Any) -> list[tuple[Category, float]]:
    """Every candidate category for one row, best first, one entry per category."""
    evidence = gather_evidence([row], user_id=user.pk)
    options = candidates(evidence[0], _rules_for(user, evidence))
    resolved = _resolve(user, {reference for reference, _, _ in options})
    seen: dict[Any, tuple[Category, float]] = {}
    for reference, confidence, _ in options:
        category = resolved.get(reference)
        if category is not None and category.pk not in seen:
            seen[category.pk] = (category, confidence)
    return sorted(seen.values(), key=lambda pair: pair[1], reverse=True)
