from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User

DEMO_EMAIL = "demo@ledgerline.local"
DEMO_PASSWORD = "demo-ledger-2024"


class Command(BaseCommand):
    help = "Create the demo user (idempotent) and print its credentials. For the embedded default only."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stdout.write("seed_demo: DEBUG is off; no demo user in production.")
            return
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(DEMO_EMAIL, DEMO_PASSWORD, full_name="Demo User", is_verified=True)
        elif not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        self.stdout.write(self.style.SUCCESS(f"Demo user: {DEMO_EMAIL} / {DEMO_PASSWORD}"))
