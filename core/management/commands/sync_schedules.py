import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask


class Command(BaseCommand):
    help = "Create or update the project's periodic tasks (settings.BEAT_SCHEDULES) for celery beat. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        for name, spec in settings.BEAT_SCHEDULES.items():
            crontab = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
            crontab.update(spec["crontab"])
            schedule, _ = CrontabSchedule.objects.get_or_create(**crontab, timezone="UTC")
            _, created = PeriodicTask.objects.update_or_create(
                name=name,
                defaults={
                    "task": spec["task"],
                    "crontab": schedule,
                    "interval": None,
                    "kwargs": json.dumps(spec.get("kwargs", {})),
                    "enabled": True,
                },
            )
            self.stdout.write(f"{'created' if created else 'updated'}: {name}")
