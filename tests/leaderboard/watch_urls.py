"""The project's URLs plus a stand-in for the Classic results page (`submission_detail`)."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project

urlpatterns = [
    *project,
    path("races/<str:race_id>/submissions/<int:run_id>/", lambda request, race_id, run_id: HttpResponse(),
         name="submission_detail"),
]
