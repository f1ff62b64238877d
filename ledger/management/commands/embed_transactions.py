"""manage.py embed_transactions [--user EMAIL]

Backfill transaction embeddings (384 dimensions, the current global model) for every user, or
one: rows without a vector or with an older model's. Idempotent; batches of 2,000 rows."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ledger.categoriser.embeddings import embeddings_backfill
from ledger.models import Transaction


class Command(BaseCommand):
    help = "Write missing transaction embeddings."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Only this user (email).")

    def handle(self, *args, **options):
        if options["user"]:
            user = get_user_model().objects.filter(email=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
            user_ids = [user.pk]
        else:
            user_ids = list(Transaction.objects.order_by().values_list("user_id", flat=True).distinct())
        total = sum(embeddings_backfill(user_id=user_id) for user_id in user_ids)
        self.stdout.write(f"embedded {total} transactions for {len(user_ids)} users")
