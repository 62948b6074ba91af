"""A race raced on this server (its results are laps) exports in the published layout and counts
in a season next to imported races, the racer's country from their profile."""

from __future__ import annotations

import csv
import io

from leaderboard import importer
from leaderboard.season_models import Season, SeasonRace
from races.models import Run
from races.record import record_lap

from .history import run
from .test_season_api import BOARD


def test_a_raced_race_exports_its_ranking_value_in_its_methods_column(race, bob, charlie):
    for racer, time_ms in ((bob, 11800), (charlie, 12000)):
        record_lap(Run.objects.create(race=race, racer=racer), number=1, time_ms=time_ms,
                   off_track_count=1)
    lines = list(csv.reader(io.StringIO(run("export_leaderboard", str(race.pk)))))
    assert race.ranking_method == "best_lap"
    # Rank, Alias, SubmissionTime, LapCount, Avg, Best, Total, AvgResets, Collision, OffTrack,
    # Reset, SubmissionCount, RankingScore
    assert lines[1] == ["1", "BobTheRacer", "", "", "", "11800", "", "", "0", "1", "0", "1", "11800"]
    assert lines[2][:2] == ["2", "CharlieC"]


def test_a_season_mixes_imported_and_raced_races(alice, race, bob, charlie):
    record_lap(Run.objects.create(race=race, racer=bob), number=1, time_ms=11800)
    imported = importer.import_leaderboard(
        BOARD.encode(), importer.RaceMeta("TIME_TRIAL", "TOTAL_TIME", 3, name="June"), alice)
    season = Season.objects.create(name="Mixed", organizer=alice)
    for member in (imported, race):
        SeasonRace.objects.create(season=season, race=member)
    _, table = importer.season_standings(season, "points")
    # June: ann 10, bea 9; Alice Cup: bob (BobTheRacer, FR from his profile) 10
    assert [(s.racer, s.points, s.country) for s in table] == [
        ("ann", 10, "DE"), ("BobTheRacer", 10, "FR"), ("bea", 9, "FR")]
    _, french = importer.season_standings(season, "points", "FR")
    assert [(s.racer, s.points) for s in french] == [("bea", 10), ("BobTheRacer", 10)]
