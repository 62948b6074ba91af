"""Pages: seasons and their standings, printable results of a race and a season, the
leaderboard import (with a preview of the file) and export."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from races.access import race_view
from races.models import Race, Track

from . import importer, published, seasons
from .api import csv_response, import_upload, season_or_404, standings_payload, visible_seasons
from .board import race_leaderboard

PAGE_SIZE = 100
SORTS = {"rank": lambda r: r["rank"], "racer": lambda r: r["racer"].casefold(),
         "points": lambda r: -r["points"], "races": lambda r: -r["races"]}


@require_GET
def season_list(request):
    return render(request, "leaderboard/seasons.html",
                  {"seasons": visible_seasons(request.user).order_by("-created_at", "name")})


def _choices(request) -> tuple[str, str]:
    rule = request.GET.get("rule", seasons.POINTS)
    rule = rule if rule in seasons.RULES else seasons.POINTS
    region = request.GET.get("region", "").strip().upper()
    return rule, region if len(region) == 2 and region.isalpha() else ""


@require_GET
def season_detail(request, season_id):
    """The standings: rule, region, search and sort are query parameters, so every view of the
    table is a link (and the same for 17,000 racers as for 10: one page of 100 rows at a time)."""
    season = season_or_404(request, season_id)
    rule, region = _choices(request)
    payload = standings_payload(season, rule, region or None)
    regions = sorted({r["country"] for r in standings_payload(season, rule, None)["standings"]
                      if r["country"]}) if not region else [region]
    rows = payload["standings"]
    query = request.GET.get("q", "").strip()
    if query:
        rows = [r for r in rows if query.casefold() in r["racer"].casefold()]
    sort = request.GET.get("sort", "rank")
    if sort.startswith("race-") and sort[5:].isdigit() and int(sort[5:]) < len(payload["races"]):
        race_id = payload["races"][int(sort[5:])]["id"]
        rows = sorted(rows, key=lambda r: _position(r, race_id))  # unranked last
    elif sort in SORTS:
        rows = sorted(rows, key=SORTS[sort])
    else:
        sort = "rank"
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for index, race in enumerate(payload["races"]):
        race["sort"] = f"race-{index}"  # the column's sort link
    for row in page:  # one cell per race column, in the races' order
        by_race = {res["race"]: res for res in row["results"]}
        row["cells"] = [{"name": race["name"], "position": None, "points": None,
                         **by_race.get(race["id"], {})} for race in payload["races"]]
    return render(request, "leaderboard/season_detail.html", {
        "season": season, "payload": payload, "page": page, "rule": rule, "region": region,
        "regions": regions, "query": query, "sort": sort, "rules": seasons.RULES,
        "is_organizer": season.organizer_id == request.user.pk,
    })


def _position(row: dict, race_id: str) -> tuple:
    """Sort key of a racer by their position in one race (no ranked result: last)."""
    for result in row["results"]:
        if result["race"] == race_id and result["position"] is not None:
            return (False, result["position"])
    return (True, 0)


@require_GET
def season_print(request, season_id):
    """Final standings that print cleanly: the podium, then the top of the table."""
    season = season_or_404(request, season_id)
    rule, region = _choices(request)
    payload = standings_payload(season, rule, region or None)
    return render(request, "leaderboard/season_print.html", {
        "season": season, "payload": payload, "rule": rule, "region": region,
        "podium": payload["standings"][:3], "rows": payload["standings"][:PAGE_SIZE],
    })


def race_results_rows(race: Race) -> list[dict]:
    """A race's final standings: the imported rows, else the laps' leaderboard."""
    imported = importer.imported_leaderboard(race)
    return imported if imported is not None else race_leaderboard(race)


@race_view()
def race_print(request, race: Race):
    rows = race_results_rows(race)
    return render(request, "leaderboard/race_print.html", {
        "race": race, "rows": rows, "podium": [r for r in rows if r.get("time_ms") is not None][:3],
        "imported": importer.is_imported(race),
    })


@race_view()
def race_export(request, race: Race):
    return csv_response(race)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A published leaderboard CSV (columns in any order).")
    race_type = forms.ChoiceField(choices=[(k, k.replace("_", " ").capitalize())
                                           for k in importer.RACE_TYPES])
    timing_method = forms.ChoiceField(choices=[(k, k.replace("_", " ").capitalize())
                                               for k in published.TIMING_METHODS])
    min_laps = forms.IntegerField(min_value=1, max_value=importer.MAX_MIN_LAPS, initial=3)
    name = forms.CharField(required=False, max_length=64, help_text="Default: the file's name.")
    track = forms.ChoiceField(required=False, help_text="Optional: history needs no simulator track.")
    season = forms.CharField(required=False, max_length=64,
                             help_text="Adds the race to this season (created the first time).")
    closed_at = forms.IntegerField(required=False, min_value=0, help_text="Epoch ms; default: the last submission.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["track"].choices = [("", "No track")] + list(
            Track.objects.order_by("name").values_list("slug", "name"))


@login_required
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            race = import_upload(form.cleaned_data, request.user)
        except importer.ImportRefused as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"Imported {race.imported_results.count()} results as {race.name}.")
            return redirect("race_print", race_id=race.pk)
    return render(request, "leaderboard/import.html", {
        "form": form, "known_columns": sorted(published.KNOWN_COLUMNS),
        "score_columns": published.SCORE_COLUMN,
    })
