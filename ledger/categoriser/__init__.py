"""The categoriser: one vectorised call the rest of the code uses.

    categorise(user, rows) -> [Suggestion(category, confidence, method, alternatives)]
    suggest(user, row) -> [(Category, confidence)] best first

Layers (engine.py): the user's rules, fresh corrections, the merchant master, the global text
model blended with the user's personal model, income defaults, abstention below a threshold."""

from ledger.categoriser.engine import Suggestion, categorise, suggest
from ledger.categoriser.rules import (
    INCOME_KEYWORDS,
    RowEvidence,
    descriptor_key,
    gather_evidence,
    income_slug,
    merchant_key,
)

__all__ = [
    "INCOME_KEYWORDS",
    "RowEvidence",
    "Suggestion",
    "categorise",
    "descriptor_key",
    "gather_evidence",
    "income_slug",
    "merchant_key",
    "suggest",
]
