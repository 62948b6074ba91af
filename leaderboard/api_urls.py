from django.urls import path
from rest_framework.routers import DefaultRouter

from . import api, board_api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("seasons", api.SeasonViewSet, basename="season")

urlpatterns = [
    path("races/<str:race_id>/leaderboard/", board_api.LeaderboardView.as_view(), name="api-race-leaderboard"),
    path("races/<str:race_id>/submissions/", board_api.SubmissionsView.as_view(), name="api-race-submissions"),
    path("leaderboards/import/", api.ImportView.as_view(), name="api-leaderboard-import"),
    path("races/<str:race_id>/leaderboard.csv", api.ExportView.as_view(), name="api-leaderboard-csv"),
    *router.urls,
]
