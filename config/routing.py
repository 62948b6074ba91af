"""Websocket routes of every app, in one list."""

from django.urls import path

from races.consumers import RaceConsumer
from timing.consumers import TimekeeperConsumer

websocket_urlpatterns = [
    path("ws/races/<str:race_id>/timekeeper/", TimekeeperConsumer.as_asgi()),
    path("ws/races/<str:race_id>/", RaceConsumer.as_asgi()),
]
