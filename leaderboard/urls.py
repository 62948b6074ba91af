from django.urls import path

from . import board_views, views

urlpatterns = [
    path("races/<str:race_id>/leaderboard.json", board_views.leaderboard_json, name="leaderboard_json"),
    path("races/<str:race_id>/calendar.ics", board_views.race_ics, name="race_ics"),
    path("seasons/", views.season_list, name="season_list"),
    path("seasons/<str:season_id>/", views.season_detail, name="season_detail"),
    path("seasons/<str:season_id>/manage/", views.season_manage, name="season_manage"),
    path("seasons/<str:season_id>/print/", views.season_print, name="season_print"),
    path("races/<str:race_id>/results/", views.race_print, name="race_print"),
    path("races/<str:race_id>/leaderboard.csv", views.race_export, name="race_leaderboard_csv"),
    path("leaderboards/import/", views.import_page, name="leaderboard_import"),
]
