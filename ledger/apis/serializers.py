"""Input shapes (validated here, 400 on bad shape) and output shapes (documentation of what
the selectors' dicts contain; hot lists serialise from `.values()` rows directly)."""

from rest_framework import serializers

from ledger.apis.fields import CurrencyField, MoneyField, UuidListField
from ledger.export import FORMATS
from ledger.models import AccountKind, TransactionSource


class TransactionCreateInput(serializers.Serializer):
    account = serializers.UUIDField(required=False, allow_null=True)
    date = serializers.DateField()
    amount = MoneyField()
    currency = CurrencyField(required=False)
    merchant_raw = serializers.CharField(max_length=255, allow_blank=True, trim_whitespace=True)
    category = serializers.SlugField(max_length=50, required=False, allow_blank=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TransactionUpdateInput(serializers.Serializer):
    account = serializers.UUIDField(required=False, allow_null=True)
    date = serializers.DateField(required=False)
    amount = MoneyField(required=False)
    currency = CurrencyField(required=False)
    merchant_raw = serializers.CharField(max_length=255, required=False, allow_blank=True)
    category = serializers.SlugField(max_length=50, required=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class TransactionMerchantOutput(serializers.Serializer):
    id = serializers.UUIDField()
    canonical_name = serializers.CharField()
    category = serializers.CharField()


class TransactionConfidenceOutput(serializers.Serializer):
    category = serializers.FloatField(min_value=0, max_value=1)
    merchant = serializers.FloatField(min_value=0, max_value=1)
    method = serializers.CharField()


class TransactionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    account = serializers.UUIDField(allow_null=True)
    date = serializers.DateField()
    amount = serializers.CharField(help_text="Signed decimal string; negative = money out.")
    currency = serializers.CharField()
    merchant_raw = serializers.CharField()
    merchant = TransactionMerchantOutput(allow_null=True)
    category = serializers.CharField(help_text="Category slug.")
    confidence = TransactionConfidenceOutput()
    source = serializers.ChoiceField(choices=TransactionSource.choices)
    note = serializers.CharField()
    anomaly_score = serializers.FloatField(allow_null=True)
    is_deleted = serializers.BooleanField()
    import_batch = serializers.UUIDField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


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


class BulkFilterInput(serializers.Serializer):
    """The list filters; validated again (and fully) by the filter set."""

    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)
    category = serializers.CharField(required=False)
    source = serializers.ChoiceField(choices=TransactionSource.choices, required=False)
    account = serializers.UUIDField(required=False)
    merchant = serializers.CharField(required=False)
    min_amount = MoneyField(required=False)
    max_amount = MoneyField(required=False)
    q = serializers.CharField(required=False)


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
