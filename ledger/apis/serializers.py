"""Input shapes (validated here, 400 on bad shape) and output shapes (documentation of what
the selectors' dicts contain; hot lists serialise from `.values()` rows directly)."""

from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from ledger.apis.fields import CurrencyField, MoneyField, UuidListField
from ledger.export import FORMATS
from ledger.filters import LIST_FILTERS
from ledger.models import AccountKind
from ledger.transaction_fields import input_serializer, output_serializer

# The transaction's shapes derive from ledger.transaction_fields (one declaration per field).
TransactionCreateInput = input_serializer("TransactionCreateInput", partial=False)
TransactionUpdateInput = input_serializer("TransactionUpdateInput", partial=True)
TransactionOutput = output_serializer("TransactionOutput")


class TransactionPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TransactionOutput(many=True)


class CorrectInput(serializers.Serializer):
    transaction_id = serializers.UUIDField()
    new_category = serializers.SlugField(max_length=50)
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class CorrectOutput(serializers.Serializer):
    message = serializers.CharField()
    old_category = serializers.CharField()
    new_category = serializers.CharField()


_BULK_FILTER_FIELDS = {
    OpenApiTypes.DATE: lambda item: serializers.DateField(required=False),
    OpenApiTypes.UUID: lambda item: serializers.UUIDField(required=False),
    OpenApiTypes.DECIMAL: lambda item: MoneyField(required=False),
    OpenApiTypes.STR: lambda item: (
        serializers.ChoiceField(choices=item.enum, required=False) if item.enum else serializers.CharField(required=False)
    ),
}


def _bulk_filter_field(item) -> serializers.Field:
    return item.bulk_input() if item.bulk_input else _BULK_FILTER_FIELDS[item.openapi_type](item)


BulkFilterInput = type(
    "BulkFilterInput",
    (serializers.Serializer,),
    {
        "__doc__": "The list filters (ledger.filters.LIST_FILTERS); validated again, fully, by the filter set.",
        **{item.name: _bulk_filter_field(item) for item in LIST_FILTERS},
    },
)


class BulkCategorizeInput(serializers.Serializer):
    ids = UuidListField(required=False, allow_empty=False, max_length=10_000)
    filter = BulkFilterInput(required=False)
    category = serializers.SlugField(max_length=50)

    def validate(self, attrs):
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError("Give exactly one of ids or filter.")
        return attrs


class BulkCategorizeOutput(serializers.Serializer):
    updated = serializers.IntegerField()


class SuggestionOutput(serializers.Serializer):
    category = serializers.CharField()
    confidence = serializers.FloatField()


class DuplicateGroupOutput(serializers.Serializer):
    reason = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    similarity = serializers.FloatField()
    transactions = TransactionOutput(many=True)


class DuplicatePageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DuplicateGroupOutput(many=True)


class ExportQueryInput(serializers.Serializer):
    format = serializers.ChoiceField(choices=sorted(FORMATS), required=False, default="csv")


# --- reference data -------------------------------------------------------------------
class CategoryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    slug = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.SerializerMethodField()
    is_system = serializers.BooleanField()

    def get_parent(self, category) -> str | None:
        # parent is select_related by the selector: no query per row.
        return category.parent.slug if category.parent_id else None


class CategoryCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=50, required=False, allow_blank=True, default="")
    parent = serializers.SlugField(max_length=50, required=False, allow_null=True, default=None)


class CategoryUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    parent = serializers.SlugField(max_length=50, required=False, allow_blank=True, allow_null=True)


class AccountOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=AccountKind.choices)
    currency = serializers.CharField()
    institution = serializers.CharField()
    last4 = serializers.CharField()


class AccountCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=AccountKind.choices, default=AccountKind.CHECKING)
    currency = CurrencyField(required=False)
    institution = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last4 = serializers.RegexField(r"^[0-9]{4}$", required=False, allow_blank=True, default="")


class AccountUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    kind = serializers.ChoiceField(choices=AccountKind.choices, required=False)
    currency = CurrencyField(required=False)
    institution = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last4 = serializers.RegexField(r"^[0-9]{4}$", required=False, allow_blank=True)
