"""Logging filters: the request id on every record, and secrets never written."""

import logging
import re
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# token=..., ticket=..., "password": "...", Authorization: Bearer ..., in any message.
_SECRET_PATTERNS = (
    re.compile(r"(?i)\b((?:access_|refresh_)?token|ticket|password|new_password|secret)=([^&\s\"']+)"),
    re.compile(r"(?i)(\"(?:(?:access_|refresh_)?token|ticket|password|new_password|old_password|secret)\"\s*:\s*)\"[^\"]*\""),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
)


def redact(text: str) -> str:
    text = _SECRET_PATTERNS[0].sub(r"\1=[redacted]", text)
    text = _SECRET_PATTERNS[1].sub(r'\1"[redacted]"', text)
    return _SECRET_PATTERNS[2].sub(r"\1[redacted]", text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as it is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
