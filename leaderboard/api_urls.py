from django.urls import path

from . import api

urlpatterns = [
    path("races/<str:race_id>/leaderboard/", api.LeaderboardView.as_view(), name="api-race-leaderboard"),
    path("races/<str:race_id>/submissions/", api.SubmissionsView.as_view(), name="api-race-submissions"),
]
