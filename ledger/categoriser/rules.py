"""Evidence gathering and the user's learnt rules: the categoriser's first and cheapest layer.

A correction writes CategoryRule rows at once (ledger.services._learn): "d:<normalised
descriptor>" and "m:<merchant id>" keys, the latest correction winning. They are read here in
one query per call whatever the number of rows."""

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from ledger.models import CategoryRule
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


class RowEvidence(NamedTuple):
    descriptor: str
    merchant_id: Any
    merchant_category: str | None
    merchant_score: float
    amount: Decimal
    raw: str = ""


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
    raws = [_field(row, "merchant_raw") or "" for row in rows]
    descriptors = [normalise_descriptor(raw) for raw in raws]
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
                raw=raws[index],
            )
        )
    return evidence


def rules_for(user, evidence: Iterable[RowEvidence]) -> dict[str, Any]:
    """The user's rules for these rows' descriptors and merchants: key -> category id."""
    keys = set()
    for item in evidence:
        if item.descriptor:
            keys.add(descriptor_key(item.descriptor))
        if item.merchant_id is not None:
            keys.add(merchant_key(item.merchant_id))
    if not keys:
        return {}
    return dict(CategoryRule.objects.filter(user=user, key__in=keys).values_list("key", "category_id"))


def rule_candidates(item: RowEvidence, rules: Mapping[str, Any]) -> list[tuple[Any, float, str]]:
    """The user's own rules for a row, strongest first: (category id, confidence, "rule")."""
    found = []
    rule = rules.get(descriptor_key(item.descriptor)) if item.descriptor else None
    if rule is not None:
        found.append((rule, RULE_CONFIDENCE, "rule"))
    if item.merchant_id is not None and merchant_key(item.merchant_id) in rules:
        found.append((rules[merchant_key(item.merchant_id)], MERCHANT_RULE_CONFIDENCE, "rule"))
    return found


def merchant_candidates(item: RowEvidence) -> list[tuple[Any, float, str]]:
    if not item.merchant_category:
        return []
    return [(item.merchant_category, round(item.merchant_score * MERCHANT_CONFIDENCE_WEIGHT, 4), "merchant")]


def income_candidates(item: RowEvidence) -> list[tuple[Any, float, str]]:
    if item.amount <= 0:
        return []
    slug = income_slug(item.descriptor)
    confidence = INCOME_KEYWORD_CONFIDENCE if slug != "income" else INCOME_DEFAULT_CONFIDENCE
    return [(slug, confidence, "income")]


def income_slug(descriptor: str) -> str:
    for word, slug in INCOME_KEYWORDS:
        if word in descriptor:
            return slug
    return "income"
