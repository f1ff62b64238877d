from urllib import parse

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from core.renderers import PreEncodedRows


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """limit (default 50, max 500) + offset; body {count, next, previous, results}.

    A limit or offset that is not a whole number is a 400, not a silent default. The next and
    previous links are DRF's, byte for byte, built from one parse of the request URL (DRF
    parses and re-encodes it up to four times per page)."""

    default_limit = 50
    max_limit = 500

    def paginate_queryset(self, queryset, request, view=None):
        # DRF makes a plain list of the slice; rows that are JSON texts keep saying so.
        page = super().paginate_queryset(queryset, request, view)
        return PreEncodedRows(page) if getattr(queryset, "pre_encoded", False) and page is not None else page

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

    def get_next_link(self):
        if self.offset + self.limit >= self.count:
            return None
        return self._link(self.offset + self.limit)

    def get_previous_link(self):
        if self.offset <= 0:
            return None
        return self._link(self.offset - self.limit if self.offset - self.limit > 0 else None)

    def _link(self, offset: int | None) -> str:
        parts = getattr(self, "_url_parts", None)
        if parts is None:
            scheme, netloc, path, query, fragment = parse.urlsplit(self.request.build_absolute_uri())
            parts = self._url_parts = (scheme, netloc, path, parse.parse_qs(query, keep_blank_values=True), fragment)
        scheme, netloc, path, query, fragment = parts
        params = {**query, self.limit_query_param: [str(self.limit)]}
        if offset is None:
            params.pop(self.offset_query_param, None)
        else:
            params[self.offset_query_param] = [str(offset)]
        return parse.urlunsplit((scheme, netloc, path, parse.urlencode(sorted(params.items()), doseq=True), fragment))
