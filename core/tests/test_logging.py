import logging

from core.logging import RedactSecretsFilter, RequestIdFilter, redact


def test_redact_hides_tokens_tickets_and_passwords_in_any_form():
    line = (
        'GET /ws/?token=eyJhbGciOi.abc.def&ticket=T0pS3cret HTTP/1.1 '
        '{"password": "hunter22", "refresh_token": "eyJx.y.z"} Authorization: Bearer eyJa.b.c'
    )
    cleaned = redact(line)
    for secret in ("eyJhbGciOi.abc.def", "T0pS3cret", "hunter22", "eyJx.y.z", "eyJa.b.c"):
        assert secret not in cleaned
    assert "token=[redacted]" in cleaned and "ticket=[redacted]" in cleaned


def test_the_filter_rewrites_records_with_arguments():
    record = logging.LogRecord("daphne", logging.INFO, __file__, 1, "connect %s", ("/ws/?token=abc.def.ghi",), None)
    RedactSecretsFilter().filter(record)
    RequestIdFilter().filter(record)
    assert record.getMessage() == "connect /ws/?token=[redacted]"
    assert record.request_id == "-"


def test_settings_attach_both_filters_to_every_handler(settings):
    for handler in settings.LOGGING["handlers"].values():
        assert {"redact", "request_id"} <= set(handler["filters"])
