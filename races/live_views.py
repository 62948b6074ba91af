"""The organizer's LIVE control actions: each a POST that answers with a redirect to the race
page (forms) or JSON (`Accept: application/json`), and 400 with the reason when refused."""

from __future__ import annotations

import json
from functools import wraps
from typing import NamedTuple

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from . import lineup, live_control
from .access import race_view
from .live_control import LiveActionError
from .models import racer_alias
from .run_models import RunTrace


class Done(NamedTuple):
    """What an action says when done, with extra message tags for the page (base.html puts
    them on the message as classes)."""

    text: str
    extra_tags: str = ""


# live.js removes a message with this tag once the launched run is under way or over: the
# countdown is on the track map, and the message must not stay up for the whole run.
UNTIL_RUN = "until-run"


def live_action(view=None, *, in_person: bool = False):
    """POST only, organizer only, LIVE races only (and in-person ones with `in_person=True`);
    turns LiveActionError into a message. The view returns its message (a str or a Done)."""
    if view is None:
        return lambda view: live_action(view, in_person=in_person)

    @require_POST
    @race_view(role="organizer")
    @wraps(view)
    def wrapper(request, race, *args, **kwargs):
        if not (race.is_live or (in_person and race.is_in_person)):
            raise Http404("Not a LIVE race.")
        wants_json = "application/json" in request.headers.get("Accept", "")
        try:
            done = view(request, race, *args, **kwargs) or "Done."
        except LiveActionError as exc:
            if wants_json:
                return JsonResponse({"error": str(exc)}, status=400)
            messages.error(request, str(exc))
        else:
            done = Done(done) if isinstance(done, str) else done
            if wants_json:
                return JsonResponse({"ok": True, "message": done.text})
            messages.success(request, done.text, extra_tags=done.extra_tags)
        return redirect("race_detail", race_id=race.pk)

    return wrapper


@live_action
def launch_simulator(request, race):
    live_control.launch_simulator(race)
    return "Simulator launching: Ready… Set… Go!"


@live_action
def reset_simulator(request, race):
    live_control.reset_simulator(race)
    return "Simulator reset."


@live_action
def entries(request, race):
    is_open = request.POST.get("open") == "1"
    live_control.set_entries_open(race, is_open)
    return "Model entries are open." if is_open else "Model entries are closed: the queue is set."


@live_action(in_person=True)  # the one queue editor of both kinds of race with turns
def save_queue(request, race):
    """The editor's order (`order`, with the racers it showed in `shown`), or one racer out of an
    in-person queue put back at its end (`put_back`)."""
    def ids(name: str) -> list[str]:
        return [part for part in request.POST.get(name, "").split(",") if part.strip()]

    if "put_back" in request.POST:
        order = [row["user_id"] for row in lineup.queue(race)]
        live_control.save_queue(race, [*order, *ids("put_back")])
        return "Back in the queue."
    live_control.save_queue(race, ids("order"), shown=ids("shown") if "shown" in request.POST else None)
    return "Queue saved."


@live_action
def launch_racer(request, race, user_id: int):
    run = live_control.launch_racer(race, user_id)
    return Done(f"Launching {racer_alias(run.racer)} ({run.model_name}).", UNTIL_RUN)


@live_action
def stop_run(request, race):
    live_control.stop_run(race)
    return "Run stopped."


@live_action
def clear_leaderboard(request, race):
    live_control.clear_leaderboard(race)
    return "Leaderboard ranking cleared."


@live_action
def declare_winner(request, race):
    alias = live_control.declare_winner(race)
    return f"{alias} wins!"


@require_GET
@race_view()
def run_trace(request, race, run_id: int):
    """A finished run's frames for its replay: anyone who may watch the race may replay it."""
    trace = RunTrace.objects.filter(run_id=run_id, run__race=race).first()
    if trace is None:
        raise Http404("No replay for this run.")
    # the stored frames are JSON already: wrap them rather than parse and encode them again
    head = json.dumps({"run_id": trace.run_id, "hz": trace.hz})[:-1].encode()
    response = HttpResponse(head + b', "frames": ' + trace.frames_json() + b"}",
                            content_type="application/json")
    response["Cache-Control"] = "private, max-age=3600"  # a saved trace never changes
    return response
