"""Pages of Classic races for racers: entering from the race page or from *Your models*, the
submissions' live status, a submission's results with its replay (*Watch*) and its evaluation
logs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import access, evaluation, sponsorship
from .access import race_view
from .evaluation_models import Evaluation
from .garage_models import RacerModel
from .models import Race
from .run_models import Run, RunTrace

MY_SUBMISSIONS_SHOWN = 20


def enter(request, race: Race, model_id: str):
    """Submit one of the user's models to a Classic race; a message says what happened."""
    if not model_id.isdigit():
        messages.error(request, "Choose one of your models.")
        return False
    model = get_object_or_404(RacerModel, pk=int(model_id), owner=request.user)  # others': 404
    try:
        run = evaluation.enter_or_explain(race, request.user, model)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, f"{model.name} is entered in {race.name}: its evaluation is queued "
                              f"({race.trials} trial{'s' if race.trials != 1 else ''}).",
                     extra_tags=f"submission-{run.pk}")
    return True


@require_POST
@login_required
def model_enter(request, model_id: int):
    """*Your models* → Enter race: the race is chosen in the form."""
    race_id = request.POST.get("race", "")
    race = Race.objects.filter(pk=race_id).first() if _is_uuid(race_id) else None
    if race is None or not (access.is_organizer(request.user, race)
                            or race.participants.filter(user=request.user).exists()):
        messages.error(request, "Choose one of your Classic races.")
        return redirect("model_list")
    if enter(request, race, str(model_id)):
        return redirect("race_detail", race_id=race.pk)
    return redirect("model_list")


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def classic_context(request, race: Race, participant) -> dict:
    """What a Classic race page shows its racer: the enter form and their submissions."""
    if race.is_live or not request.user.is_authenticated:
        return {}
    runs = list(Run.objects.filter(race=race, racer=request.user, source=Run.Source.EVALUATION)
                .select_related("racer__racer", "evaluation").order_by("-created_at")[:MY_SUBMISSIONS_SHOWN])
    return {
        "classic_refusal": (evaluation.classic_refusal(race, request.user)
                            or sponsorship.quota_refusal(request.user)) if participant else None,
        "classic_models": RacerModel.objects.filter(owner=request.user, status=RacerModel.Status.READY)
        .order_by("name") if participant else [],
        "my_submissions": [evaluation.submission_event(run, getattr(run, "evaluation", None)) for run in runs],
    }


def open_classic_races(user):
    """The Classic races `user` may enter now (for *Your models*)."""
    races = (Race.objects.filter(format=Race.Format.CLASSIC, participants__user=user,
                                 participants__removed_at__isnull=True)
             .in_status(Race.Status.OPEN).order_by("end_at"))
    return list(races)


@require_GET
@race_view()
def my_submissions(request, race: Race):
    """The viewer's submissions as the page's websocket carries them (the page reads this once
    its socket (re)connects: events it missed meanwhile are not replayed)."""
    return JsonResponse({"submissions": classic_context(request, race, None).get("my_submissions", [])})


def _submission(race: Race, run_id: int) -> Run:
    run = (Run.objects.filter(pk=run_id, race=race, source=Run.Source.EVALUATION)
           .select_related("racer__racer", "evaluation").first())
    if run is None:
        raise Http404("No such submission.")
    return run


def _may_read_logs(user, race: Race, run: Run) -> bool:
    return run.racer_id == user.pk or access.is_organizer(user, race)


@require_GET
@race_view()
def submission_detail(request, race: Race, run_id: int):
    """A submission's results per trial, its replay and (for its racer and the organizer) its
    evaluation logs. Anyone who may view the race may watch it, as on the leaderboard.
    An in-person race has no submissions: its board's runs are turns, shown lap by lap by the
    timing app's turn page."""
    if race.is_in_person:
        return redirect("turn_detail", race_id=race.pk, run_id=run_id)
    run = _submission(race, run_id)
    ev = getattr(run, "evaluation", None)
    return render(request, "races/submission.html", {
        "race": race, "run": run, "evaluation": ev, "submission": evaluation.submission_event(run, ev),
        "has_trace": RunTrace.objects.filter(run=run).exists(),
        "may_read_logs": _may_read_logs(request.user, race, run) and ev is not None and ev.has_logs,
        "track_geometry": race.track.geometry,
    })


def _log_file(request, race: Race, run_id: int, kind: str) -> HttpResponse:
    run = _submission(race, run_id)
    if not _may_read_logs(request.user, race, run):
        raise PermissionDenied("Only the racer and the organizer can download evaluation logs.")
    ev: Evaluation | None = getattr(run, "evaluation", None)
    if ev is None or not ev.has_logs:
        raise Http404("This submission has no evaluation logs yet.")
    if kind == "metrics":
        body, content_type, name = ev.metrics_json(), "application/json", f"metrics-{run.pk}.json"
    else:
        body, content_type, name = ev.sim_trace_csv(), "text/csv", f"sim-trace-{run.pk}.csv"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@race_view()
def submission_metrics(request, race: Race, run_id: int):
    return _log_file(request, race, run_id, "metrics")


@require_GET
@race_view()
def submission_sim_trace(request, race: Race, run_id: int):
    return _log_file(request, race, run_id, "trace")
