import io
import json
import logging
import logging.config

from core.logging import RedactSecretsFilter, RequestIdFilter, redact, request_id_var


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


def test_production_logs_are_json_with_the_request_id(settings):
    config = {**settings.LOGGING, "handlers": {"console": {**settings.LOGGING["handlers"]["console"], "formatter": "json"}}}
    stream = io.StringIO()
    logging.config.dictConfig(config)
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)
    token = request_id_var.set("req-42")
    try:
        logging.getLogger("ledgerline.test").warning("refresh with token=abc.def.ghi failed")
    finally:
        request_id_var.reset(token)
        logging.config.dictConfig(settings.LOGGING)
    record = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert record["request_id"] == "req-42"
    assert record["level"] == "WARNING"
    assert record["message"] == "refresh with token=[redacted] failed"
