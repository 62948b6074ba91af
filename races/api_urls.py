from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api, garage_api

router = DefaultRouter()
router.register("races", api.RaceViewSet, basename="race")
router.register(r"races/(?P<race_id>[^/.]+)/participants", api.ParticipantViewSet, basename="participant")
router.register("tracks", api.TrackViewSet, basename="track")
router.register("models", garage_api.RacerModelViewSet, basename="racer-model")

urlpatterns = [
    path("join/", api.JoinView.as_view(), name="api-join"),
    path("profile/", api.ProfileView.as_view(), name="api-profile"),
    path("races/<str:race_id>/entry/", garage_api.EntryView.as_view(), name="api-race-entry"),
    *router.urls,
]
