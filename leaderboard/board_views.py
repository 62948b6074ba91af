"""The race leaderboard's pages: the board on the race page (`board_context`), its JSON export
(the CSV, in the published layout, is views.race_export), and a race's calendar file. Every one answers only those who may see the race
(races/access.py `race_view`: anyone else gets the race 404)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from races.access import race_view
from races.models import Race

from . import board, standings


def board_context(request, race: Race) -> dict:
    """What the race page's leaderboard panel renders (a bad ?page=/?sort= shows the first page
    in rank order, with the reason)."""
    problem = None
    try:
        found = board.page(race, **board.query_of(request.GET))
    except board.BadQuery as exc:
        problem = str(exc)
        found = board.page(race)
    method, min_laps = standings.rules_of(race)
    return {
        "board": found, "board_problem": problem,
        "board_rows_html": rows_html(found.rows, getattr(request.user, "pk", None),
                                     collisions=race.race_type != Race.RaceType.TIME_TRIAL,
                                     off_tracks=not race.is_in_person,
                                     watch_label=watch_label(race)), "board_method": method,
        "board_min_laps": min_laps, "board_me": board.my_card(race, request.user, found),
        "board_winner": board.winner(race),
        "board_sorts": [("racer", "Racer"), ("rank", "Time"), ("off_track", "Off-track"),
                        ("collisions", "Collisions"), ("resets", "Resets"),
                        ("submissions", "Turns" if race.is_in_person else "Submissions")],
    }


def watch_label(race: Race) -> str:
    """What a row's link says: a Classic or LIVE run is watched (its replay); an in-person turn
    has no replay, its link shows the laps."""
    return "Laps" if race.is_in_person else "Watch"


@require_GET
@race_view()
def leaderboard_json(request, race: Race):
    method, min_laps = standings.rules_of(race)
    payload = {"race": str(race.pk), "name": race.name, "ranking_method": method,
               "min_laps": min_laps, "status": race.status, "winner": board.winner(race),
               "results": board.imported_leaderboard(race) or board.race_leaderboard(race)}
    response = HttpResponse(json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False),
                            content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="leaderboard-{race.pk}.json"'
    return response


ME = mark_safe(' class="me"')  # noqa: S308 - a constant


def rows_html(rows: list[dict], me: int | None, collisions: bool, watch_label: str = "Watch",
              off_tracks: bool = True) -> str:
    """The board's rows as HTML, escaped by format_html: a page of 50 rows is the race page's
    largest part, and the template engine takes several times as long per cell.

    Without `off_tracks` (an in-person race) the column is left out: a physical track's timers and
    timekeeper count resets, never off-tracks, so it would read 0 for everyone."""
    def cells(r: dict) -> tuple:
        watch = format_html('<a href="{}">{}</a>', r["watch_url"], watch_label) if r.get("watch_url") else ""
        off = format_html("<td>{}</td>", r["off_track_count"]) if off_tracks else ""
        crash = format_html("<td>{}</td>", r["crash_count"]) if collisions else ""
        return (ME if me is not None and r.get("user_id") == me else "", r["rank"],
                r["racer"], r["time"], r["gap"], off, crash, r["reset_count"],
                r["submissions"], watch)

    return format_html_join(
        "\n", "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}{}<td>{}</td><td>{}</td>"
        "<td>{}</td></tr>", (cells(r) for r in rows))


def race_calendar(request, race: Race) -> bytes:
    """The race as an RFC 5545 calendar with one event from its start to its end."""
    calendar = Calendar()
    calendar.add("prodid", "-//DeepRacer event server//races//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"{race.pk}@{request.get_host().split(':')[0]}")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", race.start_at.astimezone(UTC))
    event.add("dtend", (race.closes_at or race.start_at).astimezone(UTC))
    event.add("summary", f"{race.name} ({race.get_format_display()} race)")
    event.add("description", f"{race.get_race_type_display()} on {race.track.name}. "
                             f"{race.description}".strip())
    event.add("url", request.build_absolute_uri(reverse("race_detail", args=[race.pk])))
    calendar.add_component(event)
    return calendar.to_ical()


@require_GET
@race_view()
def race_ics(request, race: Race):
    response = HttpResponse(race_calendar(request, race), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="race-{race.pk}.ics"'
    return response
