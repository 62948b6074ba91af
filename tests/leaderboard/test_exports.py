"""The whole board as CSV and JSON, for those who may see the race."""

from __future__ import annotations

import csv
import io

from tests.leaderboard.helpers import drive


def test_csv_has_every_ranked_row(race, joined, bob, charlie, as_bob):
    drive(race, bob, 10000, 11000)
    drive(race, charlie, 9500)
    response = as_bob.get(f"/races/{race.pk}/leaderboard.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'filename="leaderboard-{race.pk}.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["rank"], r["racer"], r["time"], r["time_ms"], r["gap_ms"], r["laps"]) for r in rows] == [
        ("1", "CharlieC", "00:09.500", "9500", "0", "1"), ("2", "BobTheRacer", "00:10.000", "10000", "500", "2")]


def test_json_has_the_rules_and_every_row(race, joined, bob, as_bob):
    drive(race, bob, 10000)
    response = as_bob.get(f"/races/{race.pk}/leaderboard.json")
    body = response.json()
    assert body["ranking_method"] == "best_lap" and body["min_laps"] == 1 and body["winner"] is None
    assert [(r["rank"], r["racer"], r["time_ms"]) for r in body["results"]] == [(1, "BobTheRacer", 10000)]


def test_strangers_get_404(race, bob, as_mallory, client):
    drive(race, bob, 10000)
    for suffix in ("csv", "json"):
        assert as_mallory.get(f"/races/{race.pk}/leaderboard.{suffix}").status_code == 404
        assert client.get(f"/races/{race.pk}/leaderboard.{suffix}").status_code == 404
