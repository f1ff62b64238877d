"""Serializer fields for money and currencies, shared by every app's API inputs."""

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
