"""DRF throttles whose rates are read from settings.THROTTLE_RATES on every request.

DRF's own classes copy the rates at import time, so neither tests nor a settings reload
could change them."""

from django.conf import settings
from rest_framework import throttling


class _SettingsRateMixin:
    def get_rate(self):
        return settings.THROTTLE_RATES.get(self.scope)


class AnonymousRateThrottle(_SettingsRateMixin, throttling.AnonRateThrottle):
    scope = "anon"


class UserRateThrottle(_SettingsRateMixin, throttling.UserRateThrottle):
    scope = "user"
