"""Our limit/offset links are DRF's, byte for byte, for every shape of query string."""

import pytest
from django.test import RequestFactory
from rest_framework import pagination as drf_pagination
from rest_framework.request import Request

from core.pagination import LimitOffsetPagination

QUERIES = [
    "", "limit=10", "limit=10&offset=20", "offset=5&limit=3&q=caf%C3%A9&category=a,b&empty=", "offset=7&limit=7",
    "offset=100&limit=50&since=2024-01-01", "limit=2&offset=1&limit=9", "q=a+b&offset=3", "limit=900&offset=1000",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("count", [0, 5, 20, 1000, 5000])
def test_next_and_previous_links_match_drf(query, count):
    request = Request(RequestFactory().get("/api/v1/transactions/?" + query, HTTP_HOST="localhost"))
    ours, theirs = LimitOffsetPagination(), drf_pagination.LimitOffsetPagination()
    theirs.default_limit, theirs.max_limit = ours.default_limit, ours.max_limit
    for paginator in (ours, theirs):
        paginator.request, paginator.count = request, count
        paginator.limit, paginator.offset = paginator.get_limit(request), paginator.get_offset(request)
    assert (ours.get_next_link(), ours.get_previous_link()) == (theirs.get_next_link(), theirs.get_previous_link())


def test_links_keep_the_filters_and_move_the_offset():
    request = Request(RequestFactory().get("/api/v1/transactions/?category=groceries&limit=10&offset=10", HTTP_HOST="localhost"))
    paginator = LimitOffsetPagination()
    paginator.request, paginator.count = request, 25
    paginator.limit, paginator.offset = paginator.get_limit(request), paginator.get_offset(request)
    assert paginator.get_next_link() == "http://localhost/api/v1/transactions/?category=groceries&limit=10&offset=20"
    assert paginator.get_previous_link() == "http://localhost/api/v1/transactions/?category=groceries&limit=10"
