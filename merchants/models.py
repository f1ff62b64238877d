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
