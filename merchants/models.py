import uuid

from django.db import models
from django.db.models.functions import Lower


class Merchant(models.Model):
    """A merchant people recognise, curated by admins. Category is a system category slug
    (validated against fixtures/categories.json; merchants sits below ledger)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    canonical_name = models.CharField(max_length=200)
    category = models.CharField(max_length=50, db_index=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2, blank when global.")
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["canonical_name"]
        constraints = [models.UniqueConstraint(Lower("canonical_name"), name="merchant_canonical_name_ci_unique")]

    def __str__(self) -> str:
        return self.canonical_name


class MerchantAlias(models.Model):
    """How a merchant appears on statements. `normalised` is the key exact lookups hit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=200)
    normalised = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["alias"]

    def __str__(self) -> str:
        return self.alias


class MerchantMerge(models.Model):
    """Audit record of a merge: the merged merchant is gone, so its identity is kept here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source_merchant_id = models.UUIDField(db_index=True)
    source_name = models.CharField(max_length=200)
    source_snapshot = models.JSONField(default=dict, help_text="The merged merchant as it was: category, country, tags, aliases.")
    into = models.ForeignKey(Merchant, null=True, on_delete=models.SET_NULL, related_name="merges_received")
    into_name = models.CharField(max_length=200)
    merged_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    aliases_moved = models.PositiveIntegerField(default=0)
    repointed = models.JSONField(default=dict, help_text="Rows re-pointed per relation, e.g. {'ledger.Transaction.merchant': 12}.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source_name} -> {self.into_name}"


class UnmatchedDescriptor(models.Model):
    """A normalised descriptor no merchant matched, counted across users for curators.

    Anonymised: it holds the normalised text only (card numbers, references and dates are
    stripped by normalisation) and a count; who saw it lives in `sightings` as keyed hashes."""

    normalised = models.CharField(max_length=255, unique=True)
    occurrences = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurrences"]

    def __str__(self) -> str:
        return self.normalised


class UnmatchedDescriptorSighting(models.Model):
    """One (descriptor, user) pair, the user as an HMAC: distinct-user counts without user ids."""

    descriptor = models.ForeignKey(
        UnmatchedDescriptor, to_field="normalised", on_delete=models.CASCADE, related_name="sightings", db_constraint=False
    )
    user_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["descriptor", "user_hash"], name="unmatched_sighting_unique")]

    def __str__(self) -> str:
        return f"{self.descriptor_id} ({self.user_hash[:8]})"
