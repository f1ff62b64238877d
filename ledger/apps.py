from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The one place imports sit inside a function: receivers import models, which Django
        # loads only after every app's config (AppConfig.ready is where they are connected).
        from ledger.receivers import forget_counts, merged_merchant_rows_changed
        from ledger.signals import transactions_changed
        from merchants.signals import merchant_merging

        transactions_changed.connect(forget_counts, dispatch_uid="ledger.forget_counts")
        merchant_merging.connect(merged_merchant_rows_changed, dispatch_uid="ledger.merged_merchant_rows_changed")
        # issue 15: embeddings for new rows, whoever wrote them (imports included).
        from ledger.categoriser.receivers import embed_changed_rows

        transactions_changed.connect(embed_changed_rows, dispatch_uid="ledger.categoriser.embed_changed_rows")
