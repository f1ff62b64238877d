"""Curators' writes: create a merchant (with near-duplicate detection) and merge two."""

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from rapidfuzz import fuzz, process

from core.categories import is_system_category
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from merchants.index import bump_index_version, get_index
from merchants.models import Merchant, MerchantAlias, MerchantMerge, UnmatchedDescriptor
from merchants.normalisation import normalise_descriptor
from merchants.signals import merchant_merging

MAX_ALIASES = 50
NEAR_DUPLICATE_SIMILARITY = 0.8
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_SPACE_RE = re.compile(r"\s+")
_SMALL_WORDS = {"THE", "AND", "OF", "FOR", "IN", "ON", "AT", "BY", "TO", "A", "AN", "OR", "DE", "LA", "LE", "DU", "Y", "E", "N"}


@dataclass(frozen=True)
class NearDuplicate:
    merchant: Merchant
    score: float
    matched: str


def clean_canonical_name(name: str) -> str:
    """Trim, collapse spaces and title-case, unless the name already carries brand casing
    ("eBay", "McDonald's", "iTunes"): mixed case is taken as deliberate and kept."""
    name = _SPACE_RE.sub(" ", (name or "").strip())
    if not name:
        raise ApplicationError("A canonical name is required.", errors={"canonical_name": ["This field may not be blank."]})
    if len(name) > 200:
        raise ApplicationError("The canonical name is too long.", errors={"canonical_name": ["At most 200 characters."]})
    if name != name.upper() and name != name.lower():
        return name
    return " ".join(_title_word(word) for word in name.split(" "))


def _title_word(word: str) -> str:
    # All-caps words without vowels, or of two letters, are acronyms: KFC, MTN, HMRC, BP.
    letters = [char for char in word if char.isalpha()]
    if word.upper() not in _SMALL_WORDS and (len(letters) <= 2 or not set(word.upper()) & set("AEIOUY")):
        return word.upper()
    # str.title() would give "Mcdonald'S"; capitalise the first letter of each hyphen part only.
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def clean_aliases(aliases: Iterable[str]) -> list[tuple[str, str]]:
    """[(alias, normalised)] trimmed, deduplicated by normalised form, sorted, at most 50."""
    by_key: dict[str, str] = {}
    for alias in aliases or ():
        alias = _SPACE_RE.sub(" ", (alias or "").strip())
        key = normalise_descriptor(alias)
        if len(key) < 2:
            raise ApplicationError(
                f"The alias {alias!r} has no merchant words left after normalisation.",
                errors={"aliases": [f"{alias!r} normalises to nothing usable."]},
            )
        if len(alias) > 200:
            raise ApplicationError("An alias is too long.", errors={"aliases": ["Each alias is at most 200 characters."]})
        by_key.setdefault(key, alias)
    if len(by_key) > MAX_ALIASES:
        raise ApplicationError(
            f"At most {MAX_ALIASES} aliases.", errors={"aliases": [f"At most {MAX_ALIASES} distinct aliases."]}
        )
    return sorted(((alias, key) for key, alias in by_key.items()), key=lambda pair: (pair[1], pair[0]))


def validate_category(category: str) -> str:
    if not is_system_category(category):
        raise ApplicationError(
            f"Unknown category {category!r}.", errors={"category": [f"{category!r} is not a system category slug."]}
        )
    return category


def validate_country(country: str) -> str:
    country = (country or "").strip().upper()
    if country and not _COUNTRY_RE.match(country):
        raise ApplicationError("Invalid country.", errors={"country": ["Use an ISO 3166-1 alpha-2 code such as GB."]})
    return country


def find_near_duplicate(name: str, alias_keys: Iterable[str] = ()) -> NearDuplicate | None:
    """The existing merchant most similar (> 0.8, rapidfuzz ratio on normalised forms) to the
    new name, comparing with every canonical name and alias; exact duplicates score 1.0."""
    index = get_index()
    best: tuple[float, int, str] | None = None
    for query in {normalise_descriptor(name) or name.upper(), *alias_keys}:
        choices = list(index.exact)
        found = process.extractOne(query, choices, scorer=fuzz.ratio, score_cutoff=NEAR_DUPLICATE_SIMILARITY * 100)
        if found and (best is None or found[1] > best[0]):
            best = (found[1], index.exact[found[0]], found[0])
    if best is None or best[0] <= NEAR_DUPLICATE_SIMILARITY * 100:
        return None
    merchant = Merchant.objects.filter(id=index.merchant_ids[best[1]]).first()
    return NearDuplicate(merchant, round(best[0] / 100, 4), best[2]) if merchant else None


@transaction.atomic
def merchant_create(
    *,
    canonical_name: str,
    category: str,
    country: str = "",
    aliases: Iterable[str] = (),
    tags: list | None = None,
    allow_near_duplicate: bool = False,
) -> Merchant:
    """Create a curated merchant. 409 `near_duplicate` (with the suggestion) when an existing
    name or alias is more than 0.8 similar, unless the curator insists; 409 `alias_taken` when
    an alias already belongs to another merchant."""
    name = clean_canonical_name(canonical_name)
    validate_category(category)
    country = validate_country(country)
    cleaned = clean_aliases(aliases)
    if Merchant.objects.filter(canonical_name__iexact=name).exists():
        _raise_near_duplicate(find_near_duplicate(name), name, exact=True)
    if not allow_near_duplicate:
        duplicate = find_near_duplicate(name, [key for _, key in cleaned])
        if duplicate is not None:
            _raise_near_duplicate(duplicate, name)
    taken = list(MerchantAlias.objects.filter(normalised__in=[key for _, key in cleaned]).values_list("alias", flat=True))
    if taken:
        raise ConflictError(
            "An alias already belongs to another merchant.", code="alias_taken", errors={"aliases": [f"{alias!r} is taken." for alias in taken]}
        )
    try:
        with transaction.atomic():
            merchant = Merchant.objects.create(canonical_name=name, category=category, country=country, tags=tags or [])
            MerchantAlias.objects.bulk_create(
                [MerchantAlias(merchant=merchant, alias=alias, normalised=key) for alias, key in cleaned]
            )
    except IntegrityError:
        # Lost a race with another curator on the unique name or alias.
        raise ConflictError("A merchant with this name or alias was just created.", code="duplicate")
    UnmatchedDescriptor.objects.filter(normalised__in=[normalise_descriptor(name), *(key for _, key in cleaned)]).delete()
    bump_index_version()
    return merchant


def _raise_near_duplicate(duplicate: NearDuplicate | None, name: str, *, exact: bool = False) -> None:
    suggestion = None
    if duplicate is not None:
        suggestion = {
            "id": str(duplicate.merchant.id),
            "canonical_name": duplicate.merchant.canonical_name,
            "category": duplicate.merchant.category,
            "aliases": sorted(duplicate.merchant.aliases.values_list("alias", flat=True)),
            "score": 1.0 if exact else duplicate.score,
            "matched": duplicate.matched,
        }
    detail = f"{name!r} already exists." if exact else f"{name!r} is very similar to an existing merchant."
    raise ConflictError(detail, code="near_duplicate", extra={"suggestion": suggestion})


@transaction.atomic
def merchant_merge(*, source_id, into_id, merged_by=None) -> MerchantMerge:
    """Merge `source` into `into` in one transaction: aliases move (the source's name becomes an
    alias), every row pointing at the source through any foreign key is re-pointed, the source
    is deleted and the merge is recorded for audit."""
    if str(source_id) == str(into_id):
        raise ApplicationError("A merchant cannot be merged into itself.", errors={"into": ["Must differ from the merged merchant."]})
    # Lock both rows, in id order so two opposite merges cannot deadlock.
    locked = {m.id: m for m in Merchant.objects.select_for_update().filter(id__in=sorted([source_id, into_id], key=str))}
    source, into = locked.get(_as_uuid(source_id)), locked.get(_as_uuid(into_id))
    if source is None or into is None:
        raise NotFoundError("Merchant not found.", errors={"into": ["No such merchant."]} if source else None)
    snapshot = {
        "category": source.category,
        "country": source.country,
        "tags": source.tags,
        "aliases": sorted(source.aliases.values_list("alias", flat=True)),
    }
    aliases_moved = MerchantAlias.objects.filter(merchant=source).update(merchant=into)
    name_key = normalise_descriptor(source.canonical_name)
    if name_key and not MerchantAlias.objects.filter(normalised=name_key).exists():
        MerchantAlias.objects.create(merchant=into, alias=source.canonical_name, normalised=name_key)
    merchant_merging.send(sender=Merchant, source_id=source.id, into_id=into.id)
    repointed = _repoint_relations(source, into)
    merge = MerchantMerge.objects.create(
        source_merchant_id=source.id,
        source_name=source.canonical_name,
        source_snapshot=snapshot,
        into=into,
        into_name=into.canonical_name,
        merged_by=merged_by,
        aliases_moved=aliases_moved,
        repointed=repointed,
    )
    source.delete()
    into.save(update_fields=["updated_at"])
    bump_index_version()
    return merge


def _repoint_relations(source: Merchant, into: Merchant) -> dict[str, int]:
    """Every foreign key to Merchant, found through the model's meta (merchants never imports
    the apps that point at it): one UPDATE per relation."""
    counts: dict[str, int] = {}
    for relation in Merchant._meta.related_objects:
        if relation.many_to_many or relation.related_model is MerchantAlias:
            continue
        model = relation.related_model
        field_name = relation.field.name
        updated = model._base_manager.filter(**{field_name: source}).update(**{field_name: into})
        counts[f"{model._meta.label}.{field_name}"] = updated
    return counts


def _as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
