from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from analytics.receivers import transactions_changed_received
        from ledger.signals import transactions_changed

        transactions_changed.connect(transactions_changed_received, dispatch_uid="analytics.transactions_changed")
