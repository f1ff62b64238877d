"""Celery adapters. They take ids, never tokens: task arguments are stored in the results table."""

from celery import shared_task


@shared_task(name="accounts.tasks.send_verification_email")
def send_verification_email(user_id: str) -> None:
    from accounts.services import email_verification_send  # services enqueue these tasks: import late

    email_verification_send(user_id=user_id)


@shared_task(name="accounts.tasks.send_password_reset_email")
def send_password_reset_email(user_id: str) -> None:
    from accounts.services import password_reset_email_send

    password_reset_email_send(user_id=user_id)


@shared_task(name="accounts.tasks.scheduled_purge_expired_tokens")
def scheduled_purge_expired_tokens() -> int:
    from accounts.services import expired_tokens_purge

    return expired_tokens_purge()
