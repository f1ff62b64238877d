from django.urls import path

from accounts import apis

urlpatterns = [
    path("register/", apis.RegisterApi.as_view(), name="auth-register"),
    path("login/", apis.LoginApi.as_view(), name="auth-login"),
    path("refresh/", apis.RefreshApi.as_view(), name="auth-refresh"),
    path("logout/", apis.LogoutApi.as_view(), name="auth-logout"),
    path("me/", apis.MeApi.as_view(), name="auth-me"),
    path("password/change/", apis.PasswordChangeApi.as_view(), name="auth-password-change"),
    path("password/reset/", apis.PasswordResetApi.as_view(), name="auth-password-reset"),
    path("password/reset/confirm/", apis.PasswordResetConfirmApi.as_view(), name="auth-password-reset-confirm"),
    path("email/verify/", apis.EmailVerifyApi.as_view(), name="auth-email-verify"),
    path("email/verify/resend/", apis.EmailVerifyResendApi.as_view(), name="auth-email-verify-resend"),
    path("sessions/", apis.SessionListApi.as_view(), name="auth-sessions"),
    path("sessions/<uuid:session_id>/", apis.SessionDetailApi.as_view(), name="auth-session-detail"),
    path("ws-ticket/", apis.WsTicketApi.as_view(), name="auth-ws-ticket"),
]
