"""The timekeeper page: a view of the server's desk; its buttons call the REST API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie

from leaderboard.ranking import format_ms
from races import access
from races.access import race_view
from races.models import racer_alias
from races.run_models import Run

from . import roles
from .models import RaceStaff, TimerToken


@login_required
@ensure_csrf_cookie
def timekeeper_page(request, race_id):
    race = roles.staffed_race(request, race_id, roles.READ)
    if not race.is_in_person:
        raise Http404("Only in-person races have a timekeeper.")
    return render(request, "timing/timekeeper.html", {
        "race": race, "can_control": roles.may(request.user, race, roles.CONTROL),
        "is_organizer": access.is_organizer(request.user, race),
    })


@login_required
@race_view(role="organizer")
def trackside_page(request, race):
    """The organizer's trackside setup: staff (invite, remove) and lap timer tokens (make, revoke).
    A new token is shown once, with the readtimer command that uses it."""
    if not race.is_in_person:
        raise Http404("Only in-person races have trackside timing.")
    new_token = None
    if request.method == "POST":
        what = request.POST.get("what")
        if what == "invite":
            name = request.POST.get("user", "").strip()
            role = request.POST.get("role")
            user = get_user_model().objects.filter(Q(username=name) | Q(racer__alias__iexact=name)).first() if name else None
            if role not in RaceStaff.Role.values:
                messages.error(request, "Choose timekeeper or commentator.")
            elif user is None:
                messages.error(request, f"Nobody is called “{name}”." if name else "Give a username or racer alias.")
            else:
                RaceStaff.objects.get_or_create(race=race, user=user, role=role)
                messages.success(request, f"{name} is a {role} of this race.")
        elif what == "remove":
            roles.remove_staff(race, RaceStaff.objects.filter(pk=request.POST.get("staff")))
        elif what == "token":
            name = request.POST.get("name", "").strip()[:60]
            if not name:
                messages.error(request, "Name the timer, e.g. “finish line Pi”.")
            else:
                _, new_token = TimerToken.issue(race, name)
        elif what == "revoke":
            TimerToken.objects.filter(race=race, pk=request.POST.get("token"), revoked_at__isnull=True).update(
                revoked_at=timezone.now())
        if new_token is None:
            return redirect("trackside", race_id=race.pk)
    return render(request, "timing/trackside.html", {
        "race": race, "staff": race.staff.select_related("user__racer").order_by("role", "pk"),
        "tokens": race.timer_tokens.order_by("-pk"), "new_token": new_token,
        "server": request.build_absolute_uri("/").rstrip("/"),
        "timekeeper_url": request.build_absolute_uri(f"/races/{race.pk}/timekeeper/"),
    })


# The sources of an in-person race's runs: a turn timed by a lap timer or by hand.
TURN_SOURCES = (Run.Source.TIMER, Run.Source.MANUAL)


@race_view()
def turn_page(request, race, run_id: int):
    """One timed turn of an in-person race, lap by lap (what the board's link opens: an
    in-person run has no replay). Anyone who may see the race may read it, as the board."""
    run = (Run.objects.filter(pk=run_id, race=race, source__in=TURN_SOURCES)
           .select_related("racer__racer").first())
    if run is None:
        raise Http404("No such turn.")
    laps = list(run.laps.order_by("number"))
    valid = [lap.time_ms for lap in laps if lap.valid]
    return render(request, "timing/turn.html", {
        "race": race, "run": run, "racer": racer_alias(run.racer),
        "dnf": run.state == Run.State.FAILED,
        "best": format_ms(min(valid)) if valid else None,
        "laps": [{"number": lap.number, "time": format_ms(lap.time_ms), "valid": lap.valid,
                  "reason": lap.invalid_reason, "resets": lap.reset_count,
                  "sectors": " / ".join(format_ms(ms) for ms in lap.sector_times_ms or [])} for lap in laps],
    })
