"""The API's JSON renderer: DRF's, plus JSON that is already encoded.

A top-level value of the response data that is a `PreEncodedRows` (a list of JSON texts, each
one complete value, e.g. rows PostgreSQL built) is written as a JSON array of those texts
verbatim: they are never decoded and encoded again. Everything else renders as DRF renders it."""

import uuid

from rest_framework import renderers


class PreEncodedRows(list):
    """JSON texts, each one complete JSON value, to be written as an array as they are."""


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if not isinstance(data, dict) or not any(isinstance(value, PreEncodedRows) for value in data.values()):
            return super().render(data, accepted_media_type, renderer_context)
        # Each pre-encoded value is rendered as a unique placeholder string, then swapped in.
        arrays = {}
        plain = {}
        for key, value in data.items():
            if isinstance(value, PreEncodedRows):
                marker = f"pre-encoded-{uuid.uuid4().hex}"
                arrays[f'"{marker}"'.encode()] = ("[" + ",".join(value) + "]").encode()
                value = marker
            plain[key] = value
        body = super().render(plain, accepted_media_type, renderer_context)
        for marker, array in arrays.items():
            body = body.replace(marker, array, 1)
        return body
