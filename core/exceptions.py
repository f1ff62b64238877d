"""One application error type and the single DRF handler that maps every error to API.md's
shape: {"detail": str, "code": str, "errors"?: {field: [messages]}} plus any extra keys."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A domain rule said no. Services raise it; the API handler renders it."""

    status_code = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        if status_code is not None:
            self.status_code = status_code
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers or {}


class NotFoundError(ApplicationError):
    status_code = 404
    default_code = "not_found"


class ConflictError(ApplicationError):
    status_code = 409
    default_code = "conflict"


class AuthenticationError(ApplicationError):
    status_code = 401
    default_code = "authentication_failed"


class ThrottledError(ApplicationError):
    status_code = 429
    default_code = "throttled"


class UnprocessableError(ApplicationError):
    status_code = 422
    default_code = "unprocessable"


def error_body(detail: str, code: str, errors: dict | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def _flatten_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF error trees (nested dicts and lists) -> {"field.sub": ["message", ...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            if isinstance(item, dict | list):
                name = f"{prefix}.{index}" if prefix else str(index)
                for field, messages in _flatten_errors(item, name).items():
                    flat.setdefault(field, []).extend(messages)
            else:
                flat.setdefault(prefix or "non_field_errors", []).append(str(item))
    else:
        flat.setdefault(prefix or "non_field_errors", []).append(str(data))
    return flat


def _validation_body(data: Any) -> dict[str, Any]:
    errors = _flatten_errors(data)
    field, messages = next(iter(errors.items()))
    detail = messages[0] if field == "non_field_errors" else f"{field}: {messages[0]}"
    return error_body(detail, "invalid", errors)


def _code_of(exc: drf_exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict) and isinstance(codes.get("code"), str):
        return codes["code"]
    return exc.default_code


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(
            error_body(exc.message, exc.code, exc.errors, **exc.extra),
            status=exc.status_code,
            headers=exc.headers,
        )
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = _validation_body(response.data)
        return response
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        detail = str(data["detail"])
    else:
        detail = str(getattr(exc, "detail", exc))
    # simplejwt puts its own {"detail", "code"} in the exception's detail: keep its code.
    code = str(data["code"]) if isinstance(data, dict) and "code" in data else _code_of(exc)
    response.data = error_body(detail, code)
    return response
