from django.urls import path

from . import garage_views, live_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.signup, name="signup"),
    path("profile/", views.profile, name="profile"),
    path("tracks/", views.track_list, name="track_list"),
    path("races/manage/", views.manage, name="manage"),
    path("races/new/", views.race_create, name="race_create"),
    path("races/new/<int:step>/", views.race_create, name="race_create_step"),
    path("races/<str:race_id>/", views.race_detail, name="race_detail"),
    path("races/<str:race_id>/edit/", views.race_edit, name="race_edit"),
    path("races/<str:race_id>/close/", views.race_close, name="race_close"),
    path("races/<str:race_id>/delete/", views.race_delete, name="race_delete"),
    path("races/<str:race_id>/invitation/", views.race_invitation, name="race_invitation"),
    path("races/<str:race_id>/invitation/reset/", views.race_reset_link, name="race_reset_link"),
    path("races/<str:race_id>/racers/", views.race_racers, name="race_racers"),
    path("races/<str:race_id>/racers/remove/", views.race_remove_racers, name="race_remove_racers"),
    path("races/<str:race_id>/racers.csv", views.race_racers_csv, name="race_racers_csv"),
    path("races/<str:race_id>/entry/", garage_views.race_enter, name="race_enter"),
    path("models/", garage_views.model_list, name="model_list"),
    path("models/<int:model_id>/delete/", garage_views.model_delete, name="model_delete"),
    path("join/<str:token>/", views.join, name="join"),
    path("races/<str:race_id>/live/simulator/launch/", live_views.launch_simulator, name="live_launch_simulator"),
    path("races/<str:race_id>/live/simulator/reset/", live_views.reset_simulator, name="live_reset_simulator"),
    path("races/<str:race_id>/live/entries/", live_views.entries, name="live_entries"),
    path("races/<str:race_id>/live/queue/", live_views.save_queue, name="live_save_queue"),
    path("races/<str:race_id>/live/launch/<int:user_id>/", live_views.launch_racer, name="live_launch_racer"),
    path("races/<str:race_id>/live/stop/", live_views.stop_run, name="live_stop_run"),
    path("races/<str:race_id>/live/clear-leaderboard/", live_views.clear_leaderboard, name="live_clear_leaderboard"),
    path("races/<str:race_id>/live/declare-winner/", live_views.declare_winner, name="live_declare_winner"),
]
