import re
import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.on_commit import enqueue_on_commit
from core.openapi import error_responses
from core.pagination import LimitOffsetPagination
from realtime import selectors, tasks
from realtime.services import event_envelope


class EchoSerializer(serializers.Serializer):
    nonce = serializers.CharField()


class EchoInputSerializer(serializers.Serializer):
    store = serializers.BooleanField(
        required=False, default=False, help_text="Store the echo too, so resume and GET /api/v1/events/ can be checked."
    )


class EchoApi(APIView):
    @extend_schema(
        tags=["realtime"],
        request=EchoInputSerializer,
        responses={202: EchoSerializer, **error_responses(400, 401)},
        summary="Diagnostic: a worker sends an `echo` event with this nonce to my sockets",
    )
    def post(self, request):
        body = EchoInputSerializer(data=request.data if isinstance(request.data, dict) else {})
        body.is_valid(raise_exception=True)
        nonce = uuid.uuid4().hex
        enqueue_on_commit(tasks.echo, str(request.user.id), nonce, store=body.validated_data["store"])
        return Response({"nonce": nonce}, status=status.HTTP_202_ACCEPTED)


EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class EventTypesField(serializers.CharField):
    """`type=a,b` or `type=a&type=b`: event type names."""

    def to_internal_value(self, data) -> list[str]:
        names = [name.strip() for name in super().to_internal_value(data).split(",") if name.strip()]
        if not names or not all(EVENT_TYPE.match(name) for name in names):
            raise serializers.ValidationError("Event types are lowercase names such as budget_alert.")
        return names


class EventFilterSerializer(serializers.Serializer):
    since_id = serializers.IntegerField(required=False, min_value=0, max_value=2**62)
    type = EventTypesField(required=False)


class EventSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The envelope id: per user, increasing. Use it as since_id or last_event_id.")
    type = serializers.CharField()
    data = serializers.DictField()
    timestamp = serializers.DateTimeField()


class EventPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EventSerializer(many=True)


class EventPage:
    """The paginator's slice of stored events, turned into envelopes in one query."""

    def __init__(self, queryset):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, item: slice) -> list[dict]:
        return [event_envelope(event) for event in self.queryset[item]]


class EventListApi(APIView):
    @extend_schema(
        tags=["realtime"],
        parameters=[
            OpenApiParameter("since_id", OpenApiTypes.INT, description="Only events with a higher id (the last id you have)."),
            OpenApiParameter(
                "type", OpenApiTypes.STR, description="Event type; comma-separated or repeated for several (budget_alert,upload_completed)."
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Page size, default 50, max 500."),
            OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
        ],
        responses={200: EventPageSerializer, **error_responses(400, 401)},
        examples=[
            OpenApiExample(
                "one budget alert",
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": "42",
                            "type": "budget_alert",
                            "data": {"budget_id": "0b7e9c2a-1d4f-4e8b-9a6c-3f2e1d0c9b8a", "level": "warning"},
                            "timestamp": "2024-03-15T09:30:00Z",
                        }
                    ],
                },
                response_only=True,
            )
        ],
        summary="My stored events (alerts, reminders, upload results), oldest first",
        description=(
            "What a client that missed events (or has no socket) reads: the same envelopes the "
            "socket sent. Stored events are kept EVENT_RETENTION_DAYS (7); transient ones (pong, "
            "intermediate upload_progress, transaction_update) are never listed."
        ),
    )
    def get(self, request):
        params = {key: ",".join(request.query_params.getlist(key)) for key in ("since_id", "type") if key in request.query_params}
        filters = EventFilterSerializer(data=params)
        filters.is_valid(raise_exception=True)
        events = selectors.event_list(
            user_id=request.user.id,
            since_id=filters.validated_data.get("since_id"),
            types=filters.validated_data.get("type"),
        )
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(EventPage(events), request, view=self)
        return paginator.get_paginated_response(page)
