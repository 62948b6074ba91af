from django.urls import path

from . import views

urlpatterns = [
    path("races/<str:race_id>/timekeeper/", views.timekeeper_page, name="timekeeper"),
    path("races/<str:race_id>/trackside/", views.trackside_page, name="trackside"),
]
