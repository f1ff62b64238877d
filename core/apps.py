from django.apps import AppConfig
from django.core.signals import request_finished


def _clear_request_id(**kwargs) -> None:
    from core.logging import request_id_var

    request_id_var.set("-")


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        request_finished.connect(_clear_request_id, dispatch_uid="core.clear_request_id")
