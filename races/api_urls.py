from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("races", api.RaceViewSet, basename="race")
router.register(r"races/(?P<race_id>[^/.]+)/participants", api.ParticipantViewSet, basename="participant")
router.register("tracks", api.TrackViewSet, basename="track")

urlpatterns = [
    path("join/", api.JoinView.as_view(), name="api-join"),
    path("profile/", api.ProfileView.as_view(), name="api-profile"),
    *router.urls,
]
