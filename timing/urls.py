from django.urls import path

from . import views

urlpatterns = [
    path("races/<str:race_id>/timekeeper/", views.timekeeper_page, name="timekeeper"),
    path("races/<str:race_id>/trackside/", views.trackside_page, name="trackside"),
    path("races/<str:race_id>/turns/<int:run_id>/", views.turn_page, name="turn_detail"),
]
