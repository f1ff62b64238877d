"""PLACEHOLDER contract, replaced by the merchant-master work (issue 3). Signatures are fixed:

normalise_descriptor(text) -> str
match_many(descriptors, *, user_id=None) -> list[tuple[Merchant | None, float]]
"""

from collections.abc import Sequence

from merchants.models import Merchant, MerchantAlias


def normalise_descriptor(text: str) -> str:
    return " ".join((text or "").upper().split())


def match_many(descriptors: Sequence[str], *, user_id=None) -> list[tuple[Merchant | None, float]]:
    keys = [normalise_descriptor(text) for text in descriptors]
    aliases = MerchantAlias.objects.filter(normalised__in=set(keys)).select_related("merchant")
    by_key = {alias.normalised: alias.merchant for alias in aliases}
    return [(by_key.get(key), 1.0 if key in by_key else 0.0) for key in keys]
