import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from config.celery import app


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=environment,
        capture_output=True, text=True, timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", DEBUG="0", SECRET_KEY="x" * 20 + "-Q9r!vT2#pL8@zW5$kN0^bY7&hM3*jF6",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    result = run_manage("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert result.returncode == 0, result.stderr
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/auth/login/" in schema and "bearerAuth" in schema


def test_passwords_are_hashed_with_argon2():
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.django_db
def test_sync_schedules_is_idempotent():
    call_command("sync_schedules")
    call_command("sync_schedules")
    tasks = PeriodicTask.objects.filter(name__in=settings.BEAT_SCHEDULES)
    assert tasks.count() == len(settings.BEAT_SCHEDULES)
    purge = tasks.get(task="accounts.tasks.scheduled_purge_expired_tokens")
    assert (purge.crontab.minute, purge.crontab.hour) == ("17", "3")


def test_scheduled_tasks_go_to_the_scheduled_queue():
    route = app.amqp.router.route({}, "accounts.tasks.scheduled_purge_expired_tokens")
    assert route["queue"].name == "scheduled"
    assert app.amqp.router.route({}, "realtime.tasks.echo")["queue"].name == "high_priority"
    assert app.amqp.router.route({}, "ledger.tasks.anything")["queue"].name == "default"
