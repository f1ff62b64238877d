from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ledger.receivers import forget_counts
        from ledger.signals import transactions_changed

        transactions_changed.connect(forget_counts, dispatch_uid="ledger.forget_counts")
