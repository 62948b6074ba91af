"""/api/seasons/, /api/seasons/{id}/standings/, /api/leaderboards/import/ and the leaderboard
export: who sees what, and the figures."""

from __future__ import annotations

import csv
import io

import pytest
import yaml

from leaderboard.season_models import ImportedResult, Season, SeasonRace
from races.models import Race

BOARD = (
    "Rank,Alias,SubmissionTime,LapCount,AvgLapTime,BestLapTime,TotalLapTime,AvgResets,"
    "CollisionCount,OffTrackCount,ResetCount,SubmissionCount,RankingScore,RacerId,Country\n"
    "1,ann,1690000000000,3,20000,19000,60000,0.0,0,0,0,4,60000,id-ann,DE\n"
    "2,bea,1690000000001,3,21000,20000,63000,0.0,0,1,1,2,63000,id-bea,FR\n"
    "3,cy,1690000000002,0,,,,0.0,0,0,0,1,,id-cy,DE\n"
)
SECOND = BOARD.replace("60000,0.0,0,0,0,4,60000", "66000,0.0,0,0,0,4,66000").replace(
    "1,ann", "2,ann").replace("2,bea", "1,bea").replace(",169000000000", ",169200000000")  # a month on


def upload(api, text: str, **fields):
    body = {"file": io.BytesIO(text.encode()), "race_type": "TIME_TRIAL",
            "timing_method": "TOTAL_TIME", "min_laps": 3, **fields}
    body["file"].name = "board.csv"
    return api.post("/api/leaderboards/import/", body, format="multipart")


@pytest.fixture
def season(api_alice):
    for name, text in (("June", BOARD), ("July", SECOND)):
        assert upload(api_alice, text, name=name, season="Summer").status_code == 201
    return Season.objects.get(name="Summer")


def test_an_upload_becomes_a_closed_race_of_its_uploader(api_alice, alice):
    response = upload(api_alice, BOARD, name="Old Cup")
    assert response.status_code == 201
    race = Race.objects.get(pk=response.data["race"])
    assert (race.organizer, race.status, response.data["rows"]) == (alice, "closed", 3)


def test_a_bad_upload_names_the_line_and_saves_nothing(api_alice):
    response = upload(api_alice, BOARD.replace("63000,0.0", "soon,0.0"), season="Summer")
    assert response.status_code == 400
    assert response.data["file"] == ["line 3: TotalLapTime 'soon' is not a number"]
    assert not Race.objects.exists() and not ImportedResult.objects.exists()
    assert not Season.objects.exists()


def test_a_stranger_cannot_upload_without_logging_in(client, db):
    response = client.post("/api/leaderboards/import/", {})
    assert response.status_code in (401, 403)


def test_standings_by_points_with_each_racers_races(api_alice, season):
    response = api_alice.get(f"/api/seasons/{season.pk}/standings/?rule=points")
    assert response.status_code == 200
    # June: ann 1st (10), bea 2nd (9), cy did not finish; July: bea 1st (10), ann 2nd (9)
    # ann 19 with places [1, 2], bea 19 with [1, 2]: the name decides
    table = [(r["rank"], r["racer"], r["points"], r["races"]) for r in response.data["standings"]]
    assert table == [(1, "ann", 19, 2), (2, "bea", 19, 2)]
    assert [r["name"] for r in response.data["races"]] == ["June", "July"]
    assert [res["position"] for res in response.data["standings"][0]["results"]] == [1, 2]


def test_standings_by_the_community_rule_in_one_region(api_alice, season):
    response = api_alice.get(f"/api/seasons/{season.pk}/standings/?rule=community&region=fr")
    assert response.status_code == 200
    # only bea is French, 63000 ms in both races: -(63000 + 63000)
    assert [(r["racer"], r["points"]) for r in response.data["standings"]] == [("bea", -126000.0)]
    assert response.data["region"] == "FR"


def test_an_unknown_rule_is_a_clear_400(api_alice, season):
    response = api_alice.get(f"/api/seasons/{season.pk}/standings/?rule=fastest")
    assert response.status_code == 400 and "Unknown rule" in response.data["rule"][0]


def test_a_private_season_is_404_to_others_and_listed_only_to_its_organizer(
        api_alice, api_bob, client, season):
    assert api_bob.get(f"/api/seasons/{season.pk}/standings/").status_code == 404
    assert client.get(f"/api/seasons/{season.pk}/").status_code == 404
    assert api_bob.get("/api/seasons/").data["results"] == []
    assert [s["name"] for s in api_alice.get("/api/seasons/").data["results"]] == ["Summer"]


def test_a_public_season_is_open_to_everyone(client, season):
    Season.objects.filter(pk=season.pk).update(public=True)
    response = client.get(f"/api/seasons/{season.pk}/standings/?rule=points")
    assert response.status_code == 200 and len(response.data["standings"]) == 2


def test_only_the_organizer_adds_races_and_only_their_own(api_alice, api_bob, season, race, bob):
    Season.objects.filter(pk=season.pk).update(public=True)
    assert api_bob.post(f"/api/seasons/{season.pk}/races/", {"race": str(race.pk)}).status_code == 403
    assert api_alice.post(f"/api/seasons/{season.pk}/races/", {"race": str(race.pk)}).status_code == 201
    assert SeasonRace.objects.filter(season=season, race=race).exists()
    bobs = Race.objects.create(organizer=bob, name="Bob Cup", track=race.track,
                               start_at=race.start_at, end_at=race.end_at)
    response = api_alice.post(f"/api/seasons/{season.pk}/races/", {"race": str(bobs.pk)})
    assert response.status_code == 400


def test_creating_a_season(api_bob):
    response = api_bob.post("/api/seasons/", {"name": "Winter", "public": True})
    assert response.status_code == 201 and response.data["organizer"] == "bob"
    assert api_bob.post("/api/seasons/", {"name": "Winter"}).status_code == 400


def test_the_export_gives_the_published_layout_to_viewers_only(api_alice, api_bob, season):
    race = season.races.get(name="June")
    response = api_alice.get(f"/api/races/{race.pk}/leaderboard.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0][:3] == ["Rank", "Alias", "SubmissionTime"] and lines[0][-1] == "RankingScore"
    assert lines[1] == ["1", "ann", "1690000000000", "3", "20000", "19000", "60000", "0.0", "0",
                        "0", "0", "4", "60000"]
    assert lines[3][:2] == ["3", "cy"] and lines[3][-1] == ""
    assert api_bob.get(f"/api/races/{race.pk}/leaderboard.csv").status_code == 404


def test_the_schema_describes_seasons_and_standings(client, db):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path in ("/api/seasons/", "/api/seasons/{season_id}/", "/api/seasons/{season_id}/standings/",
                 "/api/seasons/{season_id}/races/", "/api/leaderboards/import/",
                 "/api/races/{race_id}/leaderboard.csv"):
        assert path in schema["paths"], path
    params = {p["name"] for p in schema["paths"]["/api/seasons/{season_id}/standings/"]["get"]["parameters"]}
    assert {"rule", "region"} <= params


def test_standings_come_in_slices_with_the_full_count(api_alice, season):
    response = api_alice.get(f"/api/seasons/{season.pk}/standings/?rule=points&offset=1&limit=5")
    assert response.data["count"] == 2
    assert [r["racer"] for r in response.data["standings"]] == ["bea"]
    assert api_alice.get(f"/api/seasons/{season.pk}/standings/?limit=-1").status_code == 400


def test_only_the_organizer_makes_a_season_public(api_alice, api_bob, season):
    assert api_bob.patch(f"/api/seasons/{season.pk}/", {"public": True}).status_code == 404
    response = api_alice.patch(f"/api/seasons/{season.pk}/", {"public": True})
    assert response.status_code == 200 and response.data["public"] is True
    assert api_bob.patch(f"/api/seasons/{season.pk}/", {"name": "Mine"}).status_code == 403
    assert Season.objects.get(pk=season.pk).name == "Summer"
