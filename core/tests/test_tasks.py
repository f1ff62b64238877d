"""Retries for transient errors only, and dead letters for what fails for good."""

import pytest
from celery import shared_task
from django.core.management import call_command
from django.db import transaction

from core.metrics import TASKS_DEAD_LETTERED
from core.models import DeadLetter
from core.on_commit import enqueue_on_commit

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS: dict[str, int] = {}


@shared_task(bind=True, name="core.tests.flaky")
def flaky(self, key: str, failures: int) -> str:
    ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
    if ATTEMPTS[key] <= failures:
        raise ConnectionError("broker hiccup")
    return f"done after {ATTEMPTS[key]}"


@shared_task(name="core.tests.bad_data")
def bad_data(value: str) -> None:
    ATTEMPTS[value] = ATTEMPTS.get(value, 0) + 1
    raise ValueError(f"cannot parse {value!r}")


@pytest.fixture(autouse=True)
def _reset_attempts(settings):
    settings.TASK_RETRY_MAX = 3
    ATTEMPTS.clear()


def test_transient_errors_are_retried_until_the_task_succeeds():
    result = flaky.apply(args=["a", 2])
    assert result.get() == "done after 3"
    assert ATTEMPTS["a"] == 3
    assert not DeadLetter.objects.exists()


def test_bad_data_is_not_retried_and_becomes_a_dead_letter():
    result = bad_data.apply(args=["row 7"])
    assert result.failed()
    assert ATTEMPTS["row 7"] == 1
    dead = DeadLetter.objects.get()
    assert (dead.task_name, dead.args, dead.exception_type) == ("core.tests.bad_data", ["row 7"], "ValueError")
    assert "cannot parse 'row 7'" in dead.exception_message
    assert "Traceback" in dead.traceback


def test_a_task_that_exhausts_its_retries_is_dead_lettered_once():
    counted_before = TASKS_DEAD_LETTERED.labels("core.tests.flaky")._value.get()
    result = flaky.apply(args=["b", 99])
    assert TASKS_DEAD_LETTERED.labels("core.tests.flaky")._value.get() == counted_before + 1
    assert result.failed()
    assert ATTEMPTS["b"] == 4  # the first run and 3 retries
    dead = DeadLetter.objects.get()
    assert dead.exception_type == "ConnectionError"
    assert dead.retries == 3


def test_retry_dead_letters_reruns_each_once(settings):
    flaky.apply(args=["c", 4])  # 4 attempts, all failing: dead-lettered
    assert ATTEMPTS["c"] == 4
    call_command("retry_dead_letters")  # the 5th attempt succeeds
    assert ATTEMPTS["c"] == 5
    dead = DeadLetter.objects.get()
    assert dead.retried_at is not None and dead.retry_task_id
    call_command("retry_dead_letters")
    assert ATTEMPTS["c"] == 5


def test_enqueue_on_commit_runs_after_commit_and_never_after_a_rollback():
    with transaction.atomic():
        enqueue_on_commit(flaky, "committed", 0)
        assert "committed" not in ATTEMPTS
    assert ATTEMPTS["committed"] == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(flaky, "rolled back", 0)
        raise RuntimeError("the write failed")
    assert "rolled back" not in ATTEMPTS
