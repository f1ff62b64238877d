import re
import uuid

from rest_framework import serializers

from core.api_fields import MAX_AMOUNT, CurrencyField, MoneyField

__all__ = ["MAX_AMOUNT", "CurrencyField", "MoneyField", "UuidListField"]

CANONICAL_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class UuidListField(serializers.ListField):
    """A list of UUIDs as canonical text (lower case, hyphenated), read as
    ListField(child=UUIDField()) reads it, errors by index included, without a serializer
    field run per element (bulk requests carry 10,000 ids; decision 0005). The usual
    spelling is checked by one regular expression and lower-cased; any other spelling
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
