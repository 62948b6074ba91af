"""The timekeeper page: a view of the server's desk; its buttons call the REST API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from . import roles


@login_required
@ensure_csrf_cookie
def timekeeper_page(request, race_id):
    race = roles.staffed_race(request, race_id, roles.READ)
    if not race.is_in_person:
        raise Http404("Only in-person races have a timekeeper.")
    return render(request, "timing/timekeeper.html", {
        "race": race, "can_control": roles.may(request.user, race, roles.CONTROL),
    })
