from django.urls import path

from . import api

urlpatterns = [
    path("races/<str:race_id>/timekeeper/", api.TimekeeperView.as_view(), name="api-timekeeper"),
    path("races/<str:race_id>/queue/", api.QueueView.as_view(), name="api-race-queue"),
    path("races/<str:race_id>/runs/", api.RunsView.as_view(), name="api-race-runs"),
    path("races/<str:race_id>/timer/crossings/", api.CrossingsView.as_view(), name="api-timer-crossings"),
    path("races/<str:race_id>/timer/status/", api.TimerStatusView.as_view(), name="api-timer-status"),
    path("races/<str:race_id>/staff/", api.StaffView.as_view(), name="api-race-staff"),
    path("races/<str:race_id>/staff/<int:staff_id>/", api.StaffMemberView.as_view(), name="api-race-staff-member"),
    path("races/<str:race_id>/timers/", api.TimerTokensView.as_view(), name="api-race-timers"),
    path("races/<str:race_id>/timers/<int:token_id>/revoke/", api.RevokeTimerTokenView.as_view(),
         name="api-race-timer-revoke"),
]
