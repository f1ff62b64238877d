"""The merchants app's write side and the matching contract other apps call.

normalise_descriptor(text) -> str
match_many(descriptors, *, user_id=None) -> list[tuple[Merchant | None, float]]
"""

from merchants.normalisation import normalise_descriptor
from merchants.services.curation import merchant_create, merchant_merge
from merchants.services.imports import ImportReport, merchant_import_rows, read_merchant_csv
from merchants.services.matching import match_many

__all__ = [
    "ImportReport",
    "match_many",
    "merchant_create",
    "merchant_import_rows",
    "merchant_merge",
    "normalise_descriptor",
    "read_merchant_csv",
]
