"""Broadcast pages: the overlays OBS browser sources show, broadcast mode, the commentator's
view, and the organizer's Broadcast page (overlay links and key, scenes, OBS connection)."""

from __future__ import annotations

import time

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from races import access, protocol
from races.access import race_view
from races.models import Race
from races.run_models import Lap, Run
from timing import roles
from timing.models import Desk
from timing.turn import Turn

from .forms import BroadcastSettingsForm
from .models import BroadcastSettings
from .overlays import KINDS, BadOverlayOption, options, overlay_url
from .runtime import events_cross_processes

SIM_SECTORS = 3  # livesim's sectors
# "Commentator" is the role (the commentator's view); the cameras' holes in a layout are cut-outs
LAYOUTS = {"1up": "Race + one camera cut-out", "2up": "Race + two camera cut-outs",
           "intro": "Intro", "ending": "Ending leaderboard"}


def racers_of(race: Race) -> dict[str, dict]:
    """{user id: {alias, country}} of the race's racers, for the overlays' flags."""
    rows = race.participants.select_related("user__racer")
    racers = {}
    for participant in rows:
        profile = getattr(participant.user, "racer", None)
        if profile is not None:
            racers[str(participant.user_id)] = {"alias": profile.alias, "country": str(profile.country or "")}
    return racers


def race_info(race: Race) -> dict:
    return {"name": race.name, "track": race.track.name if race.track_id else "", "format": race.get_format_display(),
            "race_type": race.get_race_type_display(), "start_at": race.start_at.isoformat(),
            "end_at": race.closes_at.isoformat() if race.closes_at else None,
            "time_zone": race.time_zone, "time_per_racer": race.time_per_racer}


def page_context(request, race: Race, top: int = 10, notes: dict | None = None,
                 laps: dict | None = None) -> dict:
    """What an overlay page's script starts from (the `overlay-config` JSON)."""
    key = request.GET.get("key", "")
    key = key if race.overlay_key_is_valid(key) else ""
    info = race_info(race)
    return {"race": race, "info": info, "config": {
        "race_id": str(race.pk), "key": key, "racers": racers_of(race), "info": info, "top": top,
        "notes": notes or {}, "laps": laps or {}, "in_person": race.is_in_person,
        "desk": desk_of(race) if race.is_in_person else None, "sectors": sector_count(race)}}


def sector_count(race: Race) -> int:
    """How many sectors the race's laps have, so the map and the lower third show as many before
    a new lap says: a simulator's three; in person the timing's (its sector gates plus one), as
    the race's last timed lap carried them (a timer without sector gates: one)."""
    if not race.is_in_person:
        return SIM_SECTORS
    last = (Lap.objects.filter(run__race=race).order_by("-run__created_at", "-number")
            .values_list("sector_times_ms", flat=True).first())
    if last is None:
        return SIM_SECTORS  # nothing timed yet: the first lap tells
    return max(1, len(last))


def desk_of(race: Race) -> dict | None:
    """The timekeeper's desk of an in-person race as its `timekeeper.state` carries it (version
    and turn), so an overlay opened mid-turn shows the racer on the track at once; None if the
    desk was never used. Read from its table: broadcast only consumes."""
    desk = Desk.objects.filter(race=race).first()
    if desk is None:
        return None
    return {"version": desk.version, "turn": Turn.from_dict(desk.turn).view(time.time() * 1000) if desk.turn else None}


def season_table(race: Race, top: int) -> dict | None:
    """The standings (league points) of a season the race counts in, top N, as it is now: a
    public season, or one of the race's own organizer (the overlay is theirs to show)."""
    from leaderboard import importer, seasons
    from leaderboard.season_models import Season

    season = (Season.objects.filter(races=race).filter(Q(public=True) | Q(organizer_id=race.organizer_id))
              .order_by("-created_at").first())
    if season is None:
        return None
    _, table = importer.season_standings(season, seasons.POINTS)
    return {"name": season.name, "rows": [
        {"rank": s.rank, "racer": s.racer, "country": s.country, "points": s.points, "races": s.races}
        for s in table[:top]]}


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # a reset key must not live on in a cache
    response["Referrer-Policy"] = "no-referrer"  # nor leak in a Referer
    return response


@race_view(role="overlay")
def overlay(request, race: Race, kind: str):
    """One transparent 1920x1080 overlay, alone on its page, updated from the race's events."""
    if kind not in KINDS:
        raise Http404("No such overlay.")
    try:
        opts = options(request.GET)
    except BadOverlayOption as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    context = {**page_context(request, race, opts["top"]), "kind": kind, "parts": [kind], "opts": opts}
    if kind == "season":
        context["season"] = season_table(race, opts["top"])
    return _no_store(render(request, "broadcast/overlay.html", context))


@race_view(role="overlay")
def broadcast_mode(request, race: Race):
    """The race laid out for a stream: overlays around camera cut-outs."""
    layout = request.GET.get("layout", "1up")
    if layout not in LAYOUTS:
        return HttpResponseBadRequest(f"layout must be one of {', '.join(LAYOUTS)}", content_type="text/plain")
    try:
        opts = options(request.GET)
    except BadOverlayOption as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    context = {**page_context(request, race, opts["top"]), "layout": layout, "opts": opts}
    return _no_store(render(request, "broadcast/mode.html", context))


@race_view()
def commentator(request, race: Race):
    """The commentator's view (organizer or the race's commentators: race staff, timing.roles)."""
    if not (access.is_organizer(request.user, race) or roles.is_commentator(request.user, race)):
        raise PermissionDenied("Only the race's commentators and organizer see this view.")
    settings = BroadcastSettings.of(race)
    run = race.runs.filter(state__in=Run.ACTIVE_STATES).first()
    laps = {str(run.pk): [lap.as_event() for lap in run.laps.all()]} if run else {}  # a view opened mid-turn
    context = page_context(request, race, notes={str(k): v for k, v in settings.racer_notes.items()}, laps=laps)
    return render(request, "broadcast/commentator.html", context)


@race_view(role="organizer")
def broadcast_page(request, race: Race):
    settings = BroadcastSettings.of(race)
    form = BroadcastSettingsForm(request.POST or None, instance=settings, race=race)
    if request.method == "POST" and form.is_valid():
        form.save()
        protocol.send_obs_command(race.pk, protocol.obs_command("reload"))
        messages.success(request, "Broadcast settings saved.")
        return redirect("broadcast_page", race_id=race.pk)
    base = request.build_absolute_uri("/")
    links = [(kind, label, overlay_url(race, kind, base)) for kind, label in KINDS.items()]
    modes = [(layout, label, overlay_url(race, "x", base).replace("/overlays/x/", "/broadcast-mode/")
              + f"&layout={layout}") for layout, label in LAYOUTS.items()]
    return render(request, "broadcast/settings.html", {
        "race": race, "settings": settings, "form": form, "links": links, "modes": modes,
        "obs_command": f"python3 manage.py obs_control --race {race.pk} --obs ws://127.0.0.1:4455 "
                       f"--password YOUR_OBS_PASSWORD --site {base.rstrip('/')}",
        "events_cross_processes": events_cross_processes(),
    })


@require_POST
@race_view(role="organizer")
def reset_overlay_key(request, race: Race):
    race.reset_overlay_token()
    access.announce_change(race.pk, "overlay key reset")  # open overlays on the old key close now
    protocol.send_obs_command(race.pk, protocol.obs_command("reload"))  # obs_control: sources get the new key
    messages.success(request, "New overlay links: the old ones stopped working. A running obs_control gives its "
                              "browser sources the new links; update any you added by hand.")
    return redirect("broadcast_page", race_id=race.pk)


# OBS answers after the click (a stream takes a moment to connect): the page shows its answer
OBS_BUTTONS = {"start_stream": "OBS is asked to start streaming: reload to see how it went.",
               "stop_stream": "OBS is asked to stop streaming.",
               "refresh_sources": "Browser sources refreshed."}


@require_POST
@race_view(role="organizer")
def obs_command(request, race: Race):
    """The producer's buttons: stream on/off, refresh sources, manual control on/off."""
    action = request.POST.get("action", "")
    settings = BroadcastSettings.of(race)
    if action in ("pause", "resume"):
        settings.automation_paused = action == "pause"
        settings.save(update_fields=["automation_paused", "updated_at"])
        protocol.send_obs_command(race.pk, protocol.obs_command("reload"))
        messages.success(request, "Manual control: race events switch no scenes." if settings.automation_paused
                         else "Automation on: race events switch the scenes.")
    elif action in OBS_BUTTONS:
        if settings.obs_state != BroadcastSettings.Connection.CONNECTED:
            messages.error(request, "OBS is not connected: start obs_control (command below) and OBS first.")
        else:
            protocol.send_obs_command(race.pk, protocol.obs_command(action))
            messages.success(request, OBS_BUTTONS[action])
    else:
        return HttpResponseBadRequest(f"unknown action {action[:30]!r}", content_type="text/plain")
    return redirect("broadcast_page", race_id=race.pk)
