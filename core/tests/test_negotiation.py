"""The JSON-only shortcut picks what DRF's own negotiation picks, and leaves the rest to it."""

import pytest
from django.test import RequestFactory
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request

from core.negotiation import JsonApiNegotiation

ACCEPTS = [None, "", "*/*", "application/*", "application/json", "application/json; indent=4", "text/html,*/*;q=0.8",
           "application/json, text/plain", " */* "]


def _request(accept, query=""):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return Request(RequestFactory().get("/api/v1/transactions/" + query, **headers))


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("query", ["", "?format=json"])
def test_the_shortcut_answers_like_drf(accept, query):
    def outcome(negotiation):
        try:
            renderer, media_type = negotiation.select_renderer(_request(accept, query), [JSONRenderer()])
        except NotAcceptable:
            return "406"
        return type(renderer), media_type

    assert outcome(JsonApiNegotiation()) == outcome(DefaultContentNegotiation())


def test_an_unacceptable_type_is_still_406():
    with pytest.raises(NotAcceptable):
        JsonApiNegotiation().select_renderer(_request("text/html"), [JSONRenderer()])


def test_several_renderers_go_through_drf():
    request = _request("text/html")
    renderer, media_type = JsonApiNegotiation().select_renderer(request, [JSONRenderer(), BrowsableAPIRenderer()])
    assert isinstance(renderer, BrowsableAPIRenderer) and media_type == "text/html"


@pytest.mark.django_db
def test_the_api_answers_406_for_html_only_clients(auth_client):
    response = auth_client.get("/api/v1/transactions/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert response.json()["code"] == "not_acceptable"
