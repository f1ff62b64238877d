import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.on_commit import enqueue_on_commit
from core.openapi import error_responses
from realtime import tasks


class EchoSerializer(serializers.Serializer):
    nonce = serializers.CharField()


class EchoApi(APIView):
    @extend_schema(
        tags=["realtime"],
        request=None,
        responses={202: EchoSerializer, **error_responses(401)},
        summary="Diagnostic: a worker sends an `echo` event with this nonce to my sockets",
    )
    def post(self, request):
        nonce = uuid.uuid4().hex
        enqueue_on_commit(tasks.echo, str(request.user.id), nonce)
        return Response({"nonce": nonce}, status=status.HTTP_202_ACCEPTED)
