"""The Celery app. Configuration lives in settings (CELERY_*); queues and routes too."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ledgerline", task_cls="core.tasks:LedgerlineTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("high_priority", "default", "low_priority", "scheduled")]
app.autodiscover_tasks()
