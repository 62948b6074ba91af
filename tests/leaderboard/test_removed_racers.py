"""A racer the organizer removes from the race leaves its leaderboard everywhere (page, API, CSV
and JSON exports, rank counts, the winner) and the board is announced; their runs and laps stay,
and re-admitting them brings their standing back as it was."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.utils import timezone

from leaderboard import standings
from leaderboard.board import race_leaderboard
from leaderboard.models import Standing
from races import protocol
from races.models import Lap, Participant, Run
from tests.leaderboard.helpers import drive


def remove(as_alice, race, *participants):
    response = as_alice.post(f"/races/{race.pk}/racers/remove/",
                             {"participant": [p.pk for p in participants]})
    assert response.status_code == 302


def racers(rows):
    return [(r["rank"], r["racer"]) for r in rows]


def test_removed_racers_leave_the_board_page_and_the_counts(race, joined, bob, charlie, as_alice):
    Participant.objects.create(race=race, user=charlie)
    drive(race, bob, 9000)  # bob leads
    drive(race, charlie, 10000)
    remove(as_alice, race, joined)
    response = as_alice.get(f"/races/{race.pk}/")
    found = response.context["board"]
    assert racers(found.rows) == [(1, "CharlieC")]
    assert found.ranked_total == 1 and found.rows[0]["gap"] == "--"
    assert "BobTheRacer" not in response.context["board_rows_html"]
    # A search for him finds nothing either.
    assert as_alice.get(f"/races/{race.pk}/", {"q": "Bob"}).context["board"].rows == []


def test_removed_racers_leave_the_api(race, joined, bob, charlie, api_alice, api_charlie):
    Participant.objects.create(race=race, user=charlie)
    drive(race, bob, 9000)
    drive(race, charlie, 10000)
    assert api_alice.delete(f"/api/races/{race.pk}/participants/{joined.pk}/").status_code == 204
    body = api_charlie.get(f"/api/races/{race.pk}/leaderboard/").json()
    assert racers(body["results"]) == [(1, "CharlieC")]
    assert body["ranked"] == 1 and body["count"] == 1
    assert body["me"]["rank"] == 1 and body["me"]["ranked_total"] == 1
    for sort in ("racer", "-rank", "submissions"):  # the re-sorted pages rank without him too
        rows = api_charlie.get(f"/api/races/{race.pk}/leaderboard/", {"sort": sort}).json()["results"]
        assert racers(rows) == [(1, "CharlieC")]


def test_removed_racers_leave_the_csv_and_json_exports(race, joined, bob, charlie, as_alice):
    drive(race, bob, 9000)
    drive(race, charlie, 10000)
    remove(as_alice, race, joined)
    rows = list(csv.DictReader(io.StringIO(as_alice.get(f"/races/{race.pk}/leaderboard.csv").content.decode())))
    assert [(r["Rank"], r["Alias"]) for r in rows] == [("1", "CharlieC")]
    body = as_alice.get(f"/races/{race.pk}/leaderboard.json").json()
    assert racers(body["results"]) == [(1, "CharlieC")]


def test_a_removed_leader_does_not_win_the_closed_race(race, joined, bob, charlie, as_alice):
    drive(race, bob, 9000)
    drive(race, charlie, 10000)
    remove(as_alice, race, joined)
    race.end_at = timezone.now() - timedelta(minutes=1)
    race.save()
    assert as_alice.get(f"/races/{race.pk}/").context["board_winner"]["racer"] == "CharlieC"


def test_removing_a_racer_announces_the_board_once_after_the_commit(
        race, joined, bob, charlie, as_alice, django_capture_on_commit_callbacks, monkeypatch):
    other = Participant.objects.create(race=race, user=charlie)
    drive(race, bob, 9000)
    drive(race, charlie, 10000)
    sent = []
    monkeypatch.setattr(protocol, "send", lambda race_id, message: sent.append((race_id, message)))
    with django_capture_on_commit_callbacks(execute=True):
        remove(as_alice, race, joined, other)
    boards = [m for _, m in sent if m["type"] == "leaderboard.changed"]
    assert len(boards) == 1  # two racers removed, one announcement
    assert boards[0]["leaderboard"] == [] and boards[0]["total"] == 0


def test_removing_a_racer_keeps_their_runs_and_laps(race, joined, bob, as_alice):
    run = drive(race, bob, 9000, 9500)
    remove(as_alice, race, joined)
    assert Run.objects.filter(pk=run.pk).exists() and Lap.objects.filter(run=run).count() == 2
    assert Standing.objects.get(race=race, racer=bob).value_ms == 9000  # kept, not shown
    assert race_leaderboard(race) == []


def test_a_lap_recorded_after_the_removal_stays_off_the_board(race, joined, bob, as_alice):
    # An evaluation that was already running when the organizer removed him still records.
    remove(as_alice, race, joined)
    drive(race, bob, 9000)
    assert race_leaderboard(race) == []


def test_a_re_admitted_racer_gets_their_standing_back(race, joined, bob, charlie, as_alice):
    drive(race, bob, 12000)
    best = drive(race, bob, 9000)
    drive(race, charlie, 10000)
    remove(as_alice, race, joined)
    drive(race, bob, 8000, invalid={0})  # recorded while removed: counts as a submission
    joined.refresh_from_db()
    joined.removed_at = None  # re-admitted (by the site's staff: the pages have no such button)
    joined.save(update_fields=["removed_at"])
    rows = race_leaderboard(race)
    assert racers(rows) == [(1, "BobTheRacer"), (2, "CharlieC")]
    assert (rows[0]["time_ms"], rows[0]["run_id"], rows[0]["submissions"]) == (9000, best.pk, 3)


def test_a_rebuild_keeps_removed_racers_off_the_board(race, joined, bob, charlie, as_alice):
    drive(race, bob, 9000)
    drive(race, charlie, 10000)
    remove(as_alice, race, joined)
    standings.rebuild(race)
    assert racers(race_leaderboard(race)) == [(1, "CharlieC")]
    joined.refresh_from_db()
    joined.removed_at = None
    joined.save(update_fields=["removed_at"])
    assert racers(race_leaderboard(race)) == [(1, "BobTheRacer"), (2, "CharlieC")]
