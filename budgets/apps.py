from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from budgets.receivers import transactions_changed_handler
        from ledger.signals import transactions_changed

        transactions_changed.connect(transactions_changed_handler, dispatch_uid="budgets.transactions_changed")
