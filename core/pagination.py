from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """limit (default 50, max 500) + offset; body {count, next, previous, results}.

    A limit or offset that is not a whole number is a 400, not a silent default."""

    default_limit = 50
    max_limit = 500

    def get_limit(self, request):
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({"limit": ["Must be a whole number of at least 1."]})
        return min(int(raw), self.max_limit)

    def get_offset(self, request):
        raw = request.query_params.get(self.offset_query_param)
        if raw is None:
            return 0
        if not raw.isdigit():
            raise ValidationError({"offset": ["Must be a whole number of at least 0."]})
        return int(raw)
