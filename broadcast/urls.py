from django.urls import path

from . import views

urlpatterns = [
    path("races/<str:race_id>/overlays/<slug:kind>/", views.overlay, name="broadcast_overlay"),
    path("races/<str:race_id>/broadcast-mode/", views.broadcast_mode, name="broadcast_mode"),
    path("races/<str:race_id>/commentator/", views.commentator, name="broadcast_commentator"),
    path("races/<str:race_id>/broadcast/", views.broadcast_page, name="broadcast_page"),
    path("races/<str:race_id>/broadcast/overlay-key/reset/", views.reset_overlay_key, name="broadcast_reset_key"),
    path("races/<str:race_id>/broadcast/obs/", views.obs_command, name="broadcast_obs_command"),
]
