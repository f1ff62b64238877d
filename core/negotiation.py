"""Content negotiation for a JSON-only API."""

from rest_framework.negotiation import DefaultContentNegotiation

_ANY = ("*/*", "application/*")


class JsonApiNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with its common case decided without parsing the Accept header: one
    renderer, no ?format= and an Accept header that is absent, `*/*`, `application/*` or exactly the
    renderer's type. DRF answers those with the renderer and its media type too; anything
    else (several renderers, a format, parameters, another type: 406) goes through DRF."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1 and not format_suffix and self.settings.URL_FORMAT_OVERRIDE not in request.query_params:
            renderer = renderers[0]
            accept = request.META.get("HTTP_ACCEPT")
            if accept is None or accept.strip() in _ANY or accept.strip() == renderer.media_type:
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
