"""Celery adapters. They take ids, never tokens: task arguments are stored in the results table."""

from celery import shared_task

from accounts.emails import email_verification_send, password_reset_email_send
from accounts.housekeeping import expired_tokens_purge


@shared_task(name="accounts.tasks.send_verification_email")
def send_verification_email(user_id: str) -> None:
    email_verification_send(user_id=user_id)


@shared_task(name="accounts.tasks.send_password_reset_email")
def send_password_reset_email(user_id: str) -> None:
    password_reset_email_send(user_id=user_id)


@shared_task(name="accounts.tasks.scheduled_purge_expired_tokens")
def scheduled_purge_expired_tokens() -> int:
    return expired_tokens_purge()
