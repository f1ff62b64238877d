import time

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.utils import OperationalError


class Command(BaseCommand):
    help = "Wait until the database (and Redis, when REDIS_URL is set) answer; fail clearly if they never do."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60, help="Seconds to keep trying (default 60).")

    def handle(self, *args, timeout: float, **options):
        deadline = time.monotonic() + timeout
        for name, probe in (("database", self._database), ("redis", self._redis)):
            while True:
                error = probe()
                if error is None:
                    break
                if time.monotonic() >= deadline:
                    raise CommandError(f"{name} is not reachable: {error}")
                time.sleep(1)
            self.stdout.write(f"{name}: ok")

    def _database(self) -> str | None:
        try:
            connection.ensure_connection()
        except OperationalError as error:
            connection.close()
            return f"{settings.DATABASES['default'].get('HOST') or settings.DATABASES['default']['NAME']}: {error}".strip()
        return None

    def _redis(self) -> str | None:
        if not settings.REDIS_URL:
            return None
        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        except redis.RedisError as error:
            return f"{settings.REDIS_URL}: {error}"
        return None
