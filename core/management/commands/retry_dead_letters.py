from django.core.management.base import BaseCommand

from core.models import DeadLetter
from core.services import dead_letter_retry


class Command(BaseCommand):
    help = "Re-run tasks recorded as dead letters (not yet re-run) with their original arguments."

    def add_arguments(self, parser):
        parser.add_argument("--task", help="Only dead letters of this task name.")
        parser.add_argument("--limit", type=int, default=1000)
        parser.add_argument("--dry-run", action="store_true", help="List what would be re-run.")

    def handle(self, *args, task: str | None, limit: int, dry_run: bool, **options):
        pending = DeadLetter.objects.filter(retried_at__isnull=True).order_by("failed_at")
        if task:
            pending = pending.filter(task_name=task)
        sent = 0
        for dead_letter in pending[:limit]:
            if dry_run:
                self.stdout.write(f"would re-run {dead_letter.task_name} {dead_letter.task_id}")
                continue
            new_task_id = dead_letter_retry(dead_letter=dead_letter)
            if new_task_id:
                sent += 1
                self.stdout.write(f"re-ran {dead_letter.task_name} {dead_letter.task_id} as {new_task_id}")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(f"{sent} dead letter(s) re-run."))
