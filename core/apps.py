from django.apps import AppConfig
from django.core.signals import request_finished, request_started

from core import sql
from core.logging import request_id_var


def _clear_request_id(**kwargs) -> None:
    request_id_var.set("-")


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        request_finished.connect(_clear_request_id, dispatch_uid="core.clear_request_id")
        # After django.db's close_old_connections (connected when django.db is imported).
        request_started.connect(sql.skip_recent_health_check, dispatch_uid="core.skip_recent_health_check")
        request_finished.connect(sql.note_clean_finish, dispatch_uid="core.note_clean_finish")
