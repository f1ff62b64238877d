from django.urls import path

from realtime import apis

urlpatterns = [
    path("realtime/echo/", apis.EchoApi.as_view(), name="realtime-echo"),
    path("events/", apis.EventListApi.as_view(), name="event-list"),
]
