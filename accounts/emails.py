"""The emails accounts sends (their Celery tasks call these; services enqueue the tasks)."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User

EMAIL_VERIFICATION_SALT = "ledgerline.email-verification"


def email_verification_token(*, user: User) -> str:
    return signing.dumps({"user_id": str(user.id), "email": user.email}, salt=EMAIL_VERIFICATION_SALT)


def email_verification_send(*, user_id: str) -> None:
    user = User.objects.filter(id=user_id, is_active=True).first()
    if user is None or user.is_verified:
        return
    context = {"user": user, "token": email_verification_token(user=user), "frontend_url": settings.FRONTEND_URL}
    send_mail(
        "Confirm your email for Ledgerline",
        render_to_string("emails/verify_email.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
    )


def password_reset_email_send(*, user_id: str) -> None:
    user = User.objects.filter(id=user_id, is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    context = {"user": user, "uid": uid, "token": token, "frontend_url": settings.FRONTEND_URL}
    send_mail(
        "Reset your Ledgerline password",
        render_to_string("emails/password_reset.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
    )
