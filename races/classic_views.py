"""Pages of Classic races for racers: entering (the rule *Your models* lists races by), the
submissions' live status, a submission's results with its replay (*Watch*) and its evaluation
logs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import access, evaluation, garage, sponsorship
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


def classic_context(request, race: Race, participant) -> dict:
    """What a Classic race page shows its racer: the enter form and their submissions."""
    if race.is_live or not request.user.is_authenticated:
        return {}
    runs = list(Run.objects.filter(race=race, racer=request.user, source=Run.Source.EVALUATION)
                .select_related("racer__racer", "evaluation").order_by("-created_at")[:MY_SUBMISSIONS_SHOWN])
    return {
        "classic_refusal": entry_refusal(race, request.user) if participant else None,
        "classic_models": RacerModel.objects.filter(owner=request.user, status=RacerModel.Status.READY)
        .order_by("name") if participant else [],
        "my_submissions": [evaluation.submission_event(run, getattr(run, "evaluation", None)) for run in runs],
    }


def entry_refusal(race: Race, user) -> str | None:
    """Why `user` cannot enter a model in `race` now (None when they can): the rule of the race
    page's own panel, a LIVE race's entry (garage) or a Classic submission (evaluation, with
    the sponsor's quota). *Your models* lists races by it, so the two never disagree."""
    if race.is_live:
        return garage.entry_refusal(race, user)
    return evaluation.classic_refusal(race, user) or sponsorship.quota_refusal(user)


def enterable_races(user) -> list[Race]:
    """The races `user` may enter a model in now (for *Your models*): open Classic races, and
    LIVE races whose entries are open, before their start too."""
    # Only narrows what is read (closed races, physical tracks); the rule decides.
    candidates = (Race.objects.filter(participants__user=user, participants__removed_at__isnull=True,
                                      closed_at__isnull=True)
                  .exclude(format=Race.Format.IN_PERSON).exclude(end_at__lte=timezone.now())
                  .order_by("start_at", "name"))
    return [race for race in candidates if entry_refusal(race, user) is None]


@require_GET
@race_view()
def my_submissions(request, race: Race):
    """The viewer's submissions as the page's websocket carries them (the page reads this once
    its socket (re)connects: events it missed meanwhile are not replayed)."""
    return JsonResponse({"submissions": classic_context(request, race, None).get("my_submissions", [])})


def _submission(race: Race, run_id: int, sources=(Run.Source.EVALUATION,)) -> Run:
    run = (Run.objects.filter(pk=run_id, race=race, source__in=sources)
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
    # A LIVE race's board links its runs here too: the run's laps and its replay, no evaluation.
    run = _submission(race, run_id, sources=(Run.Source.EVALUATION, Run.Source.SIM))
    ev = getattr(run, "evaluation", None)
    return render(request, "races/submission.html", {
        "race": race, "run": run, "evaluation": ev, "submission": evaluation.submission_event(run, ev),
        "live_laps": list(run.laps.order_by("number")) if run.source == Run.Source.SIM else None,
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
