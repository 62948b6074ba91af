"""The race leaderboard's read-only API: the board (`/api/races/{id}/leaderboard/`) for everyone
who may see the race, and your own submissions (`/api/races/{id}/submissions/`). A race you may
not see is 404, like everywhere (races/access.py).

The board needs no account: a race anyone may watch (a public broadcast) answers anonymous
callers too, like its page, and a private race is the same 404 to them as an unknown id. Your
own submissions need you: without credentials they are 401, as everything else in the API,
whatever the id (so the answer says nothing about which races exist)."""

from __future__ import annotations

import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from races import access
from races.run_models import Run

from . import board, standings
from .serializers import LeaderboardPageSerializer, SubmissionPageSerializer
from .standing_models import RunResult, Standing

RACE_ID = OpenApiParameter("race_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
PAGE = OpenApiParameter("page", OpenApiTypes.INT, description="From 1.")
SIZE = OpenApiParameter("size", OpenApiTypes.INT,
                        description=f"Rows per page, 1–{board.MAX_PAGE_SIZE} (default {board.PAGE_SIZE}).")
SORT = OpenApiParameter("sort", OpenApiTypes.STR, enum=[*board.SORTS, *("-" + k for k in board.SORTS)],
                        description="Order of the rows (ranks stay the race's); - first reverses.")
SEARCH = OpenApiParameter("q", OpenApiTypes.STR, description="Part of a racer alias.")
NOT_FOUND = OpenApiResponse(description="No such race (or one you may not see).")
NO_CREDENTIALS = OpenApiResponse(description="No credentials (whatever the race).")


def leaderboard_payload(request, race) -> dict:
    try:
        found = board.page(race, **board.query_of(request.GET))
    except board.BadQuery as exc:
        raise ValidationError({"detail": str(exc)}) from None
    return {
        "race": race.pk, "ranking_method": standings.rules_of(race)[0],
        "min_laps": standings.rules_of(race)[1], "status": race.status,
        "count": found.total, "ranked": found.ranked_total, "page": found.number,
        "pages": found.pages, "size": found.size, "sort": found.sort, "q": found.q,
        "winner": board.winner(race), "me": board.my_card(race, request.user, found),
        "results": found.rows,
    }


class LeaderboardView(APIView):
    """The race's leaderboard: racers ranked by their best qualifying submission. No account
    needed for a race anyone may watch (a public broadcast); any other race is 404 to those who
    may not see it."""

    permission_classes = [AllowAny]  # the race's own access rule decides (access.visible_race)

    @extend_schema(parameters=[RACE_ID, PAGE, SIZE, SORT, SEARCH],
                   responses={200: LeaderboardPageSerializer, 400: OpenApiResponse(description="A bad page, size or sort."),
                              404: NOT_FOUND})
    def get(self, request, race_id):
        return Response(leaderboard_payload(request, access.visible_race(request, race_id)))


class SubmissionsView(APIView):
    """Your own submissions to the race, newest first, each with its laps and result (needs
    credentials: 401 without)."""

    @extend_schema(parameters=[RACE_ID, PAGE], responses={200: SubmissionPageSerializer, 404: NOT_FOUND,
                                                          401: NO_CREDENTIALS})
    def get(self, request, race_id):
        race = access.visible_race(request, race_id)
        try:
            number = int(request.GET.get("page") or 1)
        except ValueError:
            raise ValidationError({"page": "The page must be a whole number."}) from None
        runs = Run.objects.filter(race=race, racer=request.user).order_by("-created_at", "-pk")
        total = runs.count()
        pages = max(1, math.ceil(total / board.PAGE_SIZE))
        number = min(max(1, number), pages)
        chosen = list(runs[(number - 1) * board.PAGE_SIZE: number * board.PAGE_SIZE].prefetch_related("laps"))
        results = {r.run_id: r for r in RunResult.objects.filter(run__in=chosen)}
        counting = Standing.objects.filter(race=race, racer=request.user).values_list(
            "best_run_id", flat=True).first()
        return Response({"count": total, "page": number, "pages": pages, "results": [
            {
                "id": run.pk, "state": run.state, "failure": run.failure, "model_name": run.model_name,
                "created_at": run.created_at, "ended_at": run.ended_at,
                "qualifying": results.get(run.pk) is not None and results[run.pk].value_ms is not None,
                "value_ms": results[run.pk].value_ms if run.pk in results else None,
                "counts": run.pk == counting,
                "watch_url": board.watch_url(race.pk, run.pk),
                "laps": [{"number": lap.number, "time_ms": lap.time_ms,
                          "off_track_count": lap.off_track_count, "crash_count": lap.crash_count,
                          "reset_count": lap.reset_count, "valid": lap.valid,
                          "invalid_reason": lap.invalid_reason}
                         for lap in sorted(run.laps.all(), key=lambda lap: lap.number)],
            }
            for run in chosen
        ]})
