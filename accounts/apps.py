from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # As every AppConfig.ready: imports that need the app registry loaded (ledger/apps.py).
        from accounts import schema  # noqa: F401  registers the OpenAPI security scheme
