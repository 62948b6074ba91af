"""A race imported without a track keeps the race pages and API working, and the board branch's
hook (`imported_leaderboard`) gives its rows marked imported."""

from __future__ import annotations

import pytest

from leaderboard import importer
from races.models import Race

from .test_season_api import BOARD


@pytest.fixture
def imported(alice):
    meta = importer.RaceMeta("TIME_TRIAL", "TOTAL_TIME", 3, name="Old Cup")
    return importer.import_leaderboard(BOARD.encode(), meta, alice)


@pytest.mark.parametrize("path", ["/", "/races/manage/", "/races/{id}/", "/races/{id}/racers/",
                                  "/races/{id}/edit/", "/races/{id}/invitation/"])
def test_the_race_pages_open_for_a_race_without_a_track(as_alice, imported, path):
    assert as_alice.get(path.format(id=imported.pk)).status_code == 200


def test_the_race_api_shows_no_track(api_alice, imported):
    response = api_alice.get(f"/api/races/{imported.pk}/")
    assert response.status_code == 200 and response.data["track"] is None
    assert response.data["status"] == Race.Status.CLOSED


def test_imported_rows_come_marked_in_the_boards_row_shape(imported, race):
    rows = importer.imported_leaderboard(imported)
    assert [(r["rank"], r["racer"], r["time_ms"], r["gap"], r["imported"]) for r in rows] == [
        (1, "ann", 60000, "--", True), (2, "bea", 63000, "+00:03.000", True),
        (3, "cy", None, "DNF", True)]
    assert importer.imported_leaderboard(race) is None  # a raced race: its laps' board
