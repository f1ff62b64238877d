import re
import uuid
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import is_currency, to_money

MAX_AMOUNT = Decimal("999999999999.99")


@extend_schema_field({"type": "string", "pattern": r"^[+-]?\d{1,12}(\.\d{1,2})?$", "example": "-12.50"})
class MoneyField(serializers.Field):
    """A signed decimal string with at most two places ("-12.50"). Floats are refused:
    they have already lost cents by the time JSON hands them over."""

    default_error_messages = {
        "invalid": 'A decimal amount as a string, such as "-12.50", is required.',
        "places": "At most two decimal places.",
        "range": "Amount is too large.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        try:
            exact = Decimal(str(data).strip())
            amount = to_money(data)
        except (ValueError, ArithmeticError):
            self.fail("invalid")
        if not exact.is_finite():
            self.fail("invalid")
        if exact != amount:
            self.fail("places")
        if abs(amount) > MAX_AMOUNT:
            self.fail("range")
        return amount

    def to_representation(self, value):
        return f"{value:.2f}"


class CurrencyField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).upper()
        if not is_currency(value):
            raise serializers.ValidationError("Not an ISO 4217 currency code.")
        return value


CANONICAL_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class UuidListField(serializers.ListField):
    """A list of UUIDs as canonical text (lower case, hyphenated), read as
    ListField(child=UUIDField()) reads it, errors by index included, without a serializer
    field run per element: bulk requests carry 10,000 ids (~30 ms that way). The usual
    spelling is checked by one regular expression and lower-cased (~3 ms for 10,000; parsing
    each into a UUID and printing it again for the SQL array cost ~20 ms); any other spelling
    UUIDField accepts (braces, no hyphens, urn:uuid:) goes through uuid.UUID. One spelling per
    id, so the same id written twice is one id."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.UUIDField(), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str | dict) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        data = list(data)
        if not self.allow_empty and not data:
            self.fail("empty")
        values, errors = [], {}
        for index, item in enumerate(data):
            try:
                if isinstance(item, str):
                    values.append(item.lower() if CANONICAL_UUID_RE.fullmatch(item) else str(uuid.UUID(item)))
                else:
                    values.append(str(self.child.run_validation(item)))
            except ValueError:
                errors[index] = [self.child.error_messages["invalid"].format(value=item)]
            except serializers.ValidationError as error:
                errors[index] = error.detail
        if errors:
            raise serializers.ValidationError(errors)
        self.run_validators(values)
        return values
