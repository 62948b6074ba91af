from django.urls import path

from . import views

urlpatterns = [
    path("races/<str:race_id>/leaderboard.csv", views.leaderboard_csv, name="leaderboard_csv"),
    path("races/<str:race_id>/leaderboard.json", views.leaderboard_json, name="leaderboard_json"),
    path("races/<str:race_id>/calendar.ics", views.race_ics, name="race_ics"),
]
