import re
import zoneinfo

from rest_framework import serializers

from accounts.models import User
from core.money import is_currency

THEMES = ("light", "dark", "system")
NOTIFICATION_KEYS = ("email", "push", "budget_alerts", "weekly_report")
WALLET_ADDRESS = re.compile(r"^[A-Za-z0-9:_-]{8,128}$")
MAX_WALLET_ADDRESSES = 20


class NotificationsSerializer(serializers.Serializer):
    email = serializers.BooleanField(required=False)
    push = serializers.BooleanField(required=False)
    budget_alerts = serializers.BooleanField(required=False)
    weekly_report = serializers.BooleanField(required=False)


class PreferencesSerializer(serializers.Serializer):
    currency = serializers.CharField(required=False, max_length=3)
    timezone = serializers.CharField(required=False, max_length=64)
    theme = serializers.ChoiceField(choices=THEMES, required=False)
    notifications = NotificationsSerializer(required=False)
    subscription_reminder_days = serializers.IntegerField(required=False, min_value=0, max_value=30)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown preference."] for key in unknown})
        return super().to_internal_value(data)

    def validate_currency(self, value: str) -> str:
        value = value.upper()
        if not is_currency(value):
            raise serializers.ValidationError("Not an ISO 4217 currency code.")
        return value

    def validate_timezone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError("Not a known IANA time zone.")
        return value


class UserSerializer(serializers.ModelSerializer):
    is_admin = serializers.BooleanField(source="is_staff", read_only=True)
    preferences = PreferencesSerializer()

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "phone", "is_verified", "is_admin", "preferences", "wallet_addresses"]
        read_only_fields = fields


class UserUpdateSerializer(serializers.Serializer):
    """Only what a user owns. Unknown keys (is_admin, is_verified, email...) are refused, not ignored."""

    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    preferences = PreferencesSerializer(required=False)
    wallet_addresses = serializers.ListField(
        child=serializers.CharField(max_length=128), required=False, max_length=MAX_WALLET_ADDRESSES
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["This field cannot be changed here."] for key in unknown})
        return super().to_internal_value(data)

    def validate_wallet_addresses(self, value: list[str]) -> list[str]:
        bad = [address for address in value if not WALLET_ADDRESS.match(address)]
        if bad:
            raise serializers.ValidationError(f"Not a wallet address: {bad[0]!r}.")
        return list(dict.fromkeys(value))


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, trim_whitespace=False)
    full_name = serializers.CharField(max_length=150)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class LoginSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class RefreshTokenSerializer(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=2000)


class TokenSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


class AuthResponseSerializer(TokenSerializer):
    user = UserSerializer()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class EmailVerifySerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SessionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    user_agent = serializers.CharField()
    ip_address = serializers.IPAddressField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    current = serializers.BooleanField()


class WsTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField()
