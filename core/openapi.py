"""OpenAPI helpers: the one error shape, declared once for every endpoint."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

_DESCRIPTIONS = {
    400: "Invalid input; field errors listed in `errors`.",
    401: "No, invalid or expired token.",
    403: "Authenticated but not allowed.",
    404: "Missing, or not yours.",
    409: "Conflict.",
    413: "File too large.",
    415: "Unsupported file type.",
    422: "Understood but could not be processed.",
    429: "Throttled; see Retry-After.",
}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


def error_responses(*status_codes: int) -> dict[int, OpenApiResponse]:
    return {
        status: OpenApiResponse(
            ErrorSerializer,
            description=_DESCRIPTIONS.get(status, ""),
            examples=[
                OpenApiExample(
                    f"error {status}",
                    value={"detail": _DESCRIPTIONS.get(status, ""), "code": "invalid" if status == 400 else "error"},
                    status_codes=[str(status)],
                )
            ],
        )
        for status in status_codes
    }
