from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.serializers import (
    AuthResponseSerializer,
    DetailSerializer,
    EmailVerifySerializer,
    LoginSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    RefreshTokenSerializer,
    RegisterSerializer,
    SessionSerializer,
    TokenSerializer,
    UserSerializer,
    UserUpdateSerializer,
    WsTicketSerializer,
)
from core.http import client_ip
from core.openapi import error_responses

AUTH_TAG = ["auth"]


def _token_body(pair: services.TokenPair) -> dict:
    return {
        "access_token": pair.access_token,
        "refresh_token": pair.refresh_token,
        "token_type": pair.token_type,
        "expires_in": pair.expires_in,
    }


def _current_session_id(request) -> str | None:
    return request.auth.get("sid") if request.auth is not None else None


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=AUTH_TAG,
        request=RegisterSerializer,
        responses={201: AuthResponseSerializer, **error_responses(400, 429)},
        summary="Create an account and log in",
    )
    def post(self, request):
        data = RegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        pair = services.session_open(
            user=user, ip_address=client_ip(request), user_agent=request.headers.get("User-Agent", "")
        )
        return Response({**_token_body(pair), "user": UserSerializer(user).data}, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=AUTH_TAG,
        request=LoginSerializer,
        responses={200: AuthResponseSerializer, **error_responses(400, 401, 429)},
        summary="Log in with email and password",
        description="5 failed attempts per IP+email in 15 minutes answer 429 with Retry-After.",
    )
    def post(self, request):
        data = LoginSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, pair = services.auth_login(
            email=data.validated_data["email"],
            password=data.validated_data["password"],
            ip_address=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response({**_token_body(pair), "user": UserSerializer(user).data})


class RefreshApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=AUTH_TAG,
        request=RefreshTokenSerializer,
        responses={200: TokenSerializer, **error_responses(400, 401)},
        summary="Rotate a refresh token",
        description="The old refresh token is revoked; using it again answers 401 and ends its session.",
    )
    def post(self, request):
        data = RefreshTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.auth_refresh(refresh_token=data.validated_data["refresh_token"])
        return Response(_token_body(pair))


class LogoutApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=AUTH_TAG,
        request=RefreshTokenSerializer,
        responses={204: None, **error_responses(400, 401)},
        summary="Log out: revoke this refresh token and its session",
    )
    def post(self, request):
        data = RefreshTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.auth_logout(refresh_token=data.validated_data["refresh_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(tags=AUTH_TAG, responses={200: UserSerializer, **error_responses(401)}, summary="Who am I")
    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        tags=AUTH_TAG,
        request=UserUpdateSerializer,
        responses={200: UserSerializer, **error_responses(400, 401)},
        summary="Update my profile and preferences",
        description="Preferences merge key by key. is_admin, is_verified and email cannot be set here.",
    )
    def patch(self, request):
        data = UserUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, data=data.validated_data)
        return Response(UserSerializer(user).data)


class PasswordChangeApi(APIView):
    @extend_schema(
        tags=AUTH_TAG,
        request=PasswordChangeSerializer,
        responses={200: DetailSerializer, **error_responses(400, 401)},
        summary="Change my password (other devices are logged out)",
    )
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_change(
            user=request.user, current_session_id=_current_session_id(request), **data.validated_data
        )
        return Response({"detail": "Password changed."})


class PasswordResetApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=AUTH_TAG,
        request=PasswordResetSerializer,
        responses={202: DetailSerializer, **error_responses(400, 429)},
        summary="Email a password reset link",
        description="Always 202, whether or not the email has an account.",
    )
    def post(self, request):
        data = PasswordResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_request(email=data.validated_data["email"])
        return Response(
            {"detail": "If that email has an account, a reset link is on its way."}, status=status.HTTP_202_ACCEPTED
        )


class PasswordResetConfirmApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=AUTH_TAG,
        request=PasswordResetConfirmSerializer,
        responses={200: DetailSerializer, **error_responses(400, 429)},
        summary="Set a new password with the emailed uid and token (single use)",
    )
    def post(self, request):
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response({"detail": "Password has been reset. Log in with the new password."})


class EmailVerifyApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=AUTH_TAG,
        request=EmailVerifySerializer,
        responses={200: DetailSerializer, **error_responses(400)},
        summary="Confirm an email address with the emailed token",
    )
    def post(self, request):
        data = EmailVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.email_verify(token=data.validated_data["token"])
        return Response({"detail": "Email verified."})


class EmailVerifyResendApi(APIView):
    @extend_schema(
        tags=AUTH_TAG, request=None, responses={202: DetailSerializer, **error_responses(401)},
        summary="Send the verification email again",
    )
    def post(self, request):
        services.email_verification_resend(user=request.user)
        return Response({"detail": "Verification email sent if not yet verified."}, status=status.HTTP_202_ACCEPTED)


class SessionListApi(APIView):
    @extend_schema(
        tags=AUTH_TAG, responses={200: SessionSerializer(many=True), **error_responses(401)},
        summary="My devices holding refresh tokens",
    )
    def get(self, request):
        current = _current_session_id(request)
        sessions = [
            {
                "id": session.id,
                "user_agent": session.user_agent,
                "ip_address": session.ip_address,
                "created_at": session.created_at,
                "last_used_at": session.last_used_at,
                "expires_at": session.expires_at,
                "current": str(session.id) == current,
            }
            for session in selectors.session_list(user=request.user)
        ]
        return Response(SessionSerializer(sessions, many=True).data)


class SessionDetailApi(APIView):
    @extend_schema(
        tags=AUTH_TAG, responses={204: None, **error_responses(401, 404)},
        summary="Revoke a device session",
    )
    def delete(self, request, session_id):
        services.session_revoke(user=request.user, session_id=session_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WsTicketApi(APIView):
    @extend_schema(
        tags=AUTH_TAG, request=None, responses={201: WsTicketSerializer, **error_responses(401)},
        summary="A single-use, 60-second ticket for opening the WebSocket",
    )
    def post(self, request):
        ticket = services.ws_ticket_create(
            user=request.user,
            token_expires_at=request.auth.get("exp") if request.auth is not None else None,
            session_id=_current_session_id(request),
        )
        return Response(
            {"ticket": ticket, "expires_in": settings.WS_TICKET_LIFETIME_SECONDS}, status=status.HTTP_201_CREATED
        )
