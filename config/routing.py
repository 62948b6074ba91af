"""Websocket routes of every app, in one list."""

from django.urls import path

from races.consumers import RaceConsumer

websocket_urlpatterns = [
    path("ws/races/<str:race_id>/", RaceConsumer.as_asgi()),
]
