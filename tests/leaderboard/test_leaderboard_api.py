"""GET /api/races/{id}/leaderboard/ and /api/races/{id}/submissions/: read-only, for those who
may see the race; a private race is 404 to strangers (races/access.py). The board of a race
anyone may watch needs no account; your submissions always need credentials."""

from __future__ import annotations

from datetime import timedelta

import yaml
from django.utils import timezone

from races.models import Race
from tests.leaderboard.helpers import drive
from tests.scenes import make_user


def url(race, what="leaderboard"):
    return f"/api/races/{race.pk}/{what}/"


def test_racers_see_the_ranked_board_and_their_own_standing(race, joined, bob, charlie, api_bob):
    drive(race, charlie, 10000)
    drive(race, bob, 12000)
    drive(race, bob, 11000)
    body = api_bob.get(url(race)).json()
    assert [(r["rank"], r["racer"], r["time_ms"], r["gap_ms"], r["submissions"]) for r in body["results"]] == [
        (1, "CharlieC", 10000, 0, 1), (2, "BobTheRacer", 11000, 1000, 2)]
    assert body["me"]["rank"] == 2 and body["me"]["gap_ms"] == 1000 and body["me"]["gap"] == "+00:01.000"
    assert body["ranked"] == 2 and body["winner"] is None and body["ranking_method"] == "best_lap"


def test_strangers_get_404(race, joined, bob, api_mallory):
    drive(race, bob, 10000)
    for what in ("leaderboard", "submissions"):
        response = api_mallory.get(url(race, what))
        assert response.status_code == 404 and response.json() == {"detail": "No such race."}
    assert api_mallory.get("/api/races/not-a-race/leaderboard/").status_code == 404


def test_anonymous_callers_get_a_private_race_board_404_like_an_unknown_id(race, joined, bob, client):
    drive(race, bob, 10000)
    unknown = "/api/races/00000000-0000-4000-8000-000000000000/"
    for what in ("leaderboard/", "leaderboard.csv"):
        private, missing = client.get(f"/api/races/{race.pk}/{what}"), client.get(unknown + what)
        assert private.status_code == missing.status_code == 404
        assert private.content == missing.content == b'{"detail":"No such race."}'


def test_anonymous_callers_read_the_board_of_a_public_race(live_race, bob, charlie, client):
    Race.objects.filter(pk=live_race.pk).update(broadcast=Race.Broadcast.PUBLIC)
    drive(live_race, bob, 12000)
    drive(live_race, charlie, 11000)
    body = client.get(url(live_race)).json()
    assert [(r["rank"], r["racer"], r["time_ms"]) for r in body["results"]] == [
        (1, "CharlieC", 11000), (2, "BobTheRacer", 12000)]
    assert body["ranked"] == 2 and body["me"] is None
    response = client.get(f"/api/races/{live_race.pk}/leaderboard.csv")
    assert response.status_code == 200 and "CharlieC" in response.content.decode()
    assert client.post(url(live_race), {}).status_code in (401, 403, 405)  # read-only either way


def test_a_stranger_reads_a_public_race_board_and_has_no_submissions(live_race, bob, api_mallory):
    Race.objects.filter(pk=live_race.pk).update(broadcast=Race.Broadcast.PUBLIC)
    drive(live_race, bob, 12000)
    assert api_mallory.get(url(live_race)).json()["results"][0]["racer"] == "BobTheRacer"
    assert api_mallory.get(url(live_race, "submissions")).json()["count"] == 0


def test_submissions_need_credentials_whatever_the_race(race, live_race, client):
    Race.objects.filter(pk=live_race.pk).update(broadcast=Race.Broadcast.PUBLIC)
    for race_id in (race.pk, live_race.pk, "00000000-0000-4000-8000-000000000000"):
        response = client.get(f"/api/races/{race_id}/submissions/")
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_the_schema_says_the_board_needs_no_account_and_submissions_do(client, db):
    paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]
    board = paths["/api/races/{race_id}/leaderboard/"]["get"]
    mine = paths["/api/races/{race_id}/submissions/"]["get"]
    assert {} in board["security"] and {} not in mine["security"]
    assert "401" in mine["responses"] and "404" in board["responses"]


def test_the_organizer_and_link_holders_see_it(race, joined, bob, api_alice, link_holder):
    drive(race, bob, 10000)
    assert api_alice.get(url(race)).json()["results"][0]["racer"] == "BobTheRacer"
    assert link_holder.get(url(race)).json()["results"][0]["racer"] == "BobTheRacer"


def test_removed_racers_get_404(race, removed, api_bob):
    assert api_bob.get(url(race)).status_code == 404


def test_it_is_read_only(race, joined, api_bob):
    assert api_bob.post(url(race), {}).status_code == 405
    assert api_bob.delete(url(race)).status_code == 405


def test_search_sort_and_pages_keep_the_race_ranks(race, joined, api_bob):
    for i, time_ms in enumerate([13000, 11000, 12000, 10000, 14000]):
        drive(race, make_user(f"u{i}", f"Zed{i}" if i % 2 else f"Amy{i}"), time_ms, *([time_ms] * i))
    body = api_bob.get(url(race), {"q": "zed"}).json()
    assert [(r["rank"], r["racer"]) for r in body["results"]] == [(1, "Zed3"), (2, "Zed1")]
    assert body["count"] == 2 and body["ranked"] == 5
    # Zed3 10 s, Zed1 11 s, Amy2 12 s, Amy0 13 s, Amy4 14 s; Amy4 submits twice.
    from django.contrib.auth import get_user_model

    drive(race, get_user_model().objects.get(username="u4"), 15000)
    body = api_bob.get(url(race), {"sort": "-submissions", "size": 2}).json()
    assert [(r["rank"], r["racer"], r["submissions"]) for r in body["results"]] == [
        (5, "Amy4", 2), (1, "Zed3", 1)]
    body = api_bob.get(url(race), {"sort": "-submissions", "size": 2, "page": 2}).json()
    assert [(r["rank"], r["racer"]) for r in body["results"]] == [(2, "Zed1"), (3, "Amy2")]
    assert body["pages"] == 3
    body = api_bob.get(url(race), {"sort": "-rank", "size": 2}).json()
    assert [r["rank"] for r in body["results"]] == [5, 4]


def test_bad_queries_are_refused_with_the_reason(race, joined, api_bob):
    response = api_bob.get(url(race), {"sort": "fastest"})
    assert response.status_code == 400 and "Unknown sort “fastest”" in response.json()["detail"]
    response = api_bob.get(url(race), {"page": "two"})
    assert response.status_code == 400 and "page must be a whole number" in response.json()["detail"]
    assert api_bob.get(url(race), {"size": 1000}).status_code == 400


def test_a_closed_race_shows_its_winner(race, joined, bob, charlie, api_bob):
    drive(race, bob, 10000)
    drive(race, charlie, 9000)
    race.end_at = timezone.now() - timedelta(minutes=1)
    race.save()
    body = api_bob.get(url(race)).json()
    assert body["status"] == "closed" and body["winner"]["racer"] == "CharlieC"


def test_submissions_are_the_callers_own_with_laps_and_result(race, joined, bob, charlie, api_bob):
    race.min_laps = 2
    race.save()
    drive(race, charlie, 9000, 9000)
    first = drive(race, bob, 12000, 12000)
    second = drive(race, bob, 8000, 9000, invalid={1})
    body = api_bob.get(url(race, "submissions")).json()
    assert body["count"] == 2
    newest, oldest = body["results"]
    assert (newest["id"], newest["qualifying"], newest["value_ms"], newest["counts"]) == (second.pk, False, None, False)
    assert [lap["valid"] for lap in newest["laps"]] == [True, False]
    assert newest["laps"][1]["invalid_reason"] == "cut the track"
    assert (oldest["id"], oldest["qualifying"], oldest["value_ms"], oldest["counts"]) == (first.pk, True, 12000, True)


def test_both_are_in_the_openapi_schema(api_bob):
    schema = api_bob.get("/api/schema/", {"format": "json"}).json()
    board = schema["paths"]["/api/races/{race_id}/leaderboard/"]["get"]
    assert {p["name"] for p in board["parameters"]} >= {"race_id", "page", "size", "sort", "q"}
    assert "404" in board["responses"] and "/api/races/{race_id}/submissions/" in schema["paths"]
    row = schema["components"]["schemas"]["LeaderboardRow"]["properties"]
    assert {"rank", "racer", "time_ms", "gap_ms", "off_track_count", "crash_count", "reset_count",
            "submissions", "watch_url"} <= set(row)


def test_rows_link_to_the_watch_page_once_it_exists(race, joined, bob, api_bob, settings):
    from leaderboard import board

    run = drive(race, bob, 10000)
    board._watch_pattern.cache_clear()
    settings.ROOT_URLCONF = "tests.leaderboard.watch_urls"
    try:
        (row,) = api_bob.get(url(race)).json()["results"]
        assert row["watch_url"] == f"/races/{race.pk}/submissions/{run.pk}/"
    finally:
        board._watch_pattern.cache_clear()
