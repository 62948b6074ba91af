"""The season page, the printable standings and results, the import page and the CSV download."""

from __future__ import annotations

import io

import pytest

from leaderboard.season_models import Season
from races.models import Race

from .test_season_api import BOARD, SECOND


@pytest.fixture
def season(as_alice):
    for name, text in (("June", BOARD), ("July", SECOND)):
        upload = io.BytesIO(text.encode())
        upload.name = f"{name}.csv"
        response = as_alice.post("/leaderboards/import/", {
            "file": upload, "race_type": "TIME_TRIAL", "timing_method": "TOTAL_TIME",
            "min_laps": 3, "name": name, "season": "Summer"})
        assert response.status_code == 302
    return Season.objects.get(name="Summer")


def test_the_import_page_refuses_a_bad_file_with_its_line(as_alice):
    upload = io.BytesIO(BOARD.replace("63000,0.0", "soon,0.0").encode())
    upload.name = "bad.csv"
    response = as_alice.post("/leaderboards/import/", {
        "file": upload, "race_type": "TIME_TRIAL", "timing_method": "TOTAL_TIME", "min_laps": 3})
    assert response.status_code == 200
    assert "line 3: TotalLapTime &#x27;soon&#x27; is not a number" in response.content.decode()
    assert not Race.objects.exists()


def test_the_season_page_shows_standings_with_a_column_per_race(as_alice, season):
    page = as_alice.get(f"/seasons/{season.pk}/?rule=points").content.decode()
    assert 'title="June"' in page and 'title="July"' in page
    assert page.index('data-racer="ann"') < page.index('data-racer="bea"')
    assert "Ties:" in page


def test_the_season_page_searches_and_sorts(as_alice, season):
    page = as_alice.get(f"/seasons/{season.pk}/?rule=points&q=BE").content.decode()
    assert 'data-racer="bea"' in page and 'data-racer="ann"' not in page
    page = as_alice.get(f"/seasons/{season.pk}/?rule=points&sort=race-1").content.decode()
    assert page.index('data-racer="bea"') < page.index('data-racer="ann"')  # July's winner first


def test_a_private_season_page_is_404_to_others(as_bob, client, season):
    assert as_bob.get(f"/seasons/{season.pk}/").status_code == 404
    assert client.get(f"/seasons/{season.pk}/print/").status_code == 404
    assert as_bob.get("/seasons/nope/").status_code == 404


def test_the_printable_standings_show_the_podium(as_alice, season):
    page = as_alice.get(f"/seasons/{season.pk}/print/?rule=community").content.decode()
    assert 'id="podium"' in page and "@media print" in page
    # community: ann -(60000 + 66000) = -126000, bea -(63000 + 63000) = -126000; equal totals,
    # both ranked twice: the name decides
    assert page.index("ann") < page.index("bea") and "-126000" in page


def test_the_race_results_are_marked_imported_and_downloadable(as_alice, as_bob, season):
    race = season.races.get(name="June")
    page = as_alice.get(f"/races/{race.pk}/results/").content.decode()
    assert 'id="imported-mark"' in page and "DNF" in page
    csv_text = as_alice.get(f"/races/{race.pk}/leaderboard.csv").content.decode()
    assert csv_text.splitlines()[1].startswith("1,ann,1690000000000,3,20000,19000,60000")
    assert as_bob.get(f"/races/{race.pk}/results/").status_code == 404
    assert as_bob.get(f"/races/{race.pk}/leaderboard.csv").status_code == 404


def test_a_native_race_prints_its_laps_leaderboard(as_alice, race):
    page = as_alice.get(f"/races/{race.pk}/results/").content.decode()
    assert "No results yet" in page and 'id="imported-mark"' not in page


def test_starting_a_season_and_adding_a_race(as_alice, alice, race):
    response = as_alice.post("/seasons/", {"name": "Autumn", "public": "on"})
    season = Season.objects.get(name="Autumn")
    assert response.status_code == 302 and season.organizer == alice and season.public
    assert as_alice.post("/seasons/", {"name": "autumn"}).status_code == 200  # name taken
    as_alice.post(f"/seasons/{season.pk}/manage/", {"race": str(race.pk)})
    assert list(season.races.all()) == [race]
    as_alice.post(f"/seasons/{season.pk}/manage/", {"public": "0"})
    season.refresh_from_db()
    assert not season.public


def test_only_the_organizer_manages_a_season(as_bob, as_alice, season, race):
    Season.objects.filter(pk=season.pk).update(public=True)
    assert as_bob.post(f"/seasons/{season.pk}/manage/", {"public": "0"}).status_code == 403
    assert Season.objects.get(pk=season.pk).public
    as_alice.post(f"/seasons/{season.pk}/manage/", {"race": "not-a-uuid"})
    assert season.races.count() == 2


def test_a_stranger_is_sent_to_log_in_to_start_a_season(client, db):
    response = client.post("/seasons/", {"name": "Mine"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Season.objects.exists()
