"""The whole board as CSV and JSON, for those who may see the race."""

from __future__ import annotations

import csv
import io

from tests.leaderboard.helpers import drive


def test_csv_has_every_ranked_row_in_the_published_layout(race, joined, bob, charlie, as_bob):
    drive(race, bob, 10000, 11000)
    drive(race, charlie, 9500)
    response = as_bob.get(f"/races/{race.pk}/leaderboard.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["Rank"], r["Alias"], r["RankingScore"], r["BestLapTime"]) for r in rows] == [
        ("1", "CharlieC", "9500", "9500"), ("2", "BobTheRacer", "10000", "10000")]


def test_json_has_the_rules_and_every_row(race, joined, bob, as_bob):
    drive(race, bob, 10000)
    response = as_bob.get(f"/races/{race.pk}/leaderboard.json")
    body = response.json()
    assert body["ranking_method"] == "best_lap" and body["min_laps"] == 1 and body["winner"] is None
    assert [(r["rank"], r["racer"], r["time_ms"]) for r in body["results"]] == [(1, "BobTheRacer", 10000)]


def test_strangers_get_404(race, bob, as_mallory, client):
    drive(race, bob, 10000)
    for suffix in ("csv", "json"):  # the CSV is the published layout (views.race_export)
        assert as_mallory.get(f"/races/{race.pk}/leaderboard.{suffix}").status_code == 404
        assert client.get(f"/races/{race.pk}/leaderboard.{suffix}").status_code == 404
