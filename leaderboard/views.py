"""Pages: seasons and their standings, printable results of a race and a season, the
leaderboard import (with a preview of the file) and export."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from races.access import race_view
from races.models import Race, Track

from . import importer, published, seasons
from .api import (
    csv_response,
    import_upload,
    season_or_404,
    standing_row,
    standings_payload,
    visible_seasons,
)
from .board import race_leaderboard
from .season_models import Season, SeasonRace

PAGE_SIZE = 100
SORTS = {"rank": lambda s: s.rank, "racer": lambda s: (s.racer.casefold(), s.rank),
         "points": lambda s: (-s.points, s.rank), "races": lambda s: (-s.races, s.rank)}


def season_list(request):
    """The seasons one may see; a logged-in user starts a season here."""
    form = SeasonForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            season = Season.objects.create(organizer=request.user, **form.cleaned_data)
            return redirect("season_detail", season_id=season.pk)
    return render(request, "leaderboard/seasons.html", {
        "seasons": visible_seasons(request.user).order_by("-created_at", "name"), "form": form})


class SeasonForm(forms.Form):
    name = forms.CharField(max_length=64)
    public = forms.BooleanField(required=False, help_text="Everyone may see its standings.")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Season.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("A season with this name exists.")
        return name


@require_POST
@login_required
def season_manage(request, season_id):
    """The organizer adds one of their races to the season, or makes it public or private."""
    season = season_or_404(request, season_id)
    if season.organizer_id != request.user.pk:
        raise PermissionDenied("Only the season's organizer can change it.")
    if "public" in request.POST:
        season.public = request.POST["public"] == "1"
        season.save(update_fields=["public"])
    race_id = request.POST.get("race", "")
    if race_id:
        race = Race.objects.filter(organizer=request.user, pk__in=_uuids([race_id])).first()
        if race is None:
            messages.error(request, "Add a race you organize.")
        else:
            SeasonRace.objects.get_or_create(season=season, race=race)
            messages.success(request, f"{race.name} is in the season.")
    return redirect("season_detail", season_id=season.pk)


def _uuids(values: list[str]) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue
    return out


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
    races, table = importer.season_standings(season, rule, region or None)
    query = request.GET.get("q", "").strip()
    if query:
        table = [s for s in table if query.casefold() in s.racer.casefold()]
    sort = request.GET.get("sort", "rank")
    if sort.startswith("race-") and sort[5:].isdigit() and int(sort[5:]) < len(races):
        column = int(sort[5:])
        table = sorted(table, key=lambda s: _position(s, column))  # unranked last
    elif sort in SORTS:
        table = sorted(table, key=SORTS[sort])
    else:
        sort = "rank"
    page = Paginator(table, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for standing in page:  # one cell per race column, in the races' order
        row = standing_row(standing, races)
        row["cells"] = [{"name": race.name, **result} for race, result in zip(races, row["results"], strict=True)]
        rows.append(row)
    return render(request, "leaderboard/season_detail.html", {
        "season": season, "races": [{"name": r.name, "sort": f"race-{i}"} for i, r in enumerate(races)],
        "page": page, "rows": rows, "rule": rule, "region": region, "tie_rule": seasons.TIE_RULE,
        "regions": importer.season_countries(season) or ([region] if region else []),
        "query": query, "sort": sort, "rules": seasons.RULES,
        "is_organizer": season.organizer_id == request.user.pk,
        "addable": Race.objects.filter(organizer=request.user).exclude(seasons=season).order_by(
            "-start_at") if season.organizer_id == request.user.pk else [],
    })


def _position(standing: seasons.Standing, column: int) -> tuple:
    """Sort key of a racer by their position in one race (no ranked result: last)."""
    position = standing.position_in(column)
    return (position is None, position or 0)


@require_GET
def season_print(request, season_id):
    """Final standings that print cleanly: the podium, then the top of the table."""
    season = season_or_404(request, season_id)
    rule, region = _choices(request)
    payload = standings_payload(season, rule, region or None, limit=PAGE_SIZE)
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
