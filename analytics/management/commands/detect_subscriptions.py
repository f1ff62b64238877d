"""`manage.py detect_subscriptions [--user EMAIL] [--as-of YYYY-MM-DD] [--no-reminders]`:
the nightly detection (and reminders) now, for everyone or one user."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from analytics import services


class Command(BaseCommand):
    help = "Detect recurring charges (subscriptions) now and send due reminders."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Only this user's (email).")
        parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None, help="Pretend today is this date.")
        parser.add_argument("--no-reminders", action="store_true", help="Detect only.")

    def handle(self, *args, user=None, as_of=None, no_reminders=False, **options):
        user_ids = None
        if user:
            found = User.objects.filter(email__iexact=user).values_list("pk", flat=True).first()
            if found is None:
                raise CommandError(f"No user with email {user!r}.")
            user_ids = [found]
        report = services.recurrences_detect_all(as_of=as_of, user_ids=user_ids)
        reminders = 0 if no_reminders else services.subscription_reminders_send(as_of=as_of, user_ids=user_ids)
        self.stdout.write(
            f"users={report.users} detected={report.detected} created={report.created} updated={report.updated} "
            f"removed={report.removed} price_changes={report.price_changes} reminders={reminders}"
        )
