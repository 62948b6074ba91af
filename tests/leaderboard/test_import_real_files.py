"""Every real published leaderboard imports with its races.json metadata, ranks as published and
exports back to the same ranks and figures."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from leaderboard import published
from leaderboard.season_models import ImportedResult, LeaderboardImport
from races.models import Race

from .history import RESULTS, import_race, metadata, run

META = metadata()


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


def distinct_score_rows(rows):
    """Rows whose ranking score differs from both neighbours' in the published order (ties
    among equal scores are in no documented order, so only these ranks can be compared)."""
    ordered = sorted(rows, key=lambda r: r.rank)
    kept = []
    for i, row in enumerate(ordered):
        neighbours = ordered[max(i - 1, 0):i] + ordered[i + 1:i + 2]
        if all(n.ranking_score != row.ranking_score for n in neighbours):
            kept.append(row)
    return kept


def test_the_shared_data_holds_twelve_files():
    assert len(META) == 12
    assert all((RESULTS / m["file"]).is_file() for m in META)


@pytest.mark.slow
@pytest.mark.parametrize("meta", META, ids=[m["file"] for m in META])
def test_a_published_file_ranks_as_published_and_exports_back(root, meta):
    race_id = import_race(meta)
    race = Race.objects.get(pk=race_id)
    original = published.parse((RESULTS / meta["file"]).read_bytes(), meta["TimingMethod"])

    assert race.track is None and race.status == Race.Status.CLOSED
    assert race.closed_at.timestamp() * 1000 == int(meta["CloseTime"])
    assert race.min_laps == int(meta["MinimumLaps"])
    assert LeaderboardImport.objects.get(race=race).row_count == len(original) == meta["rows"]
    ours = {r.racer_key: r.rank for r in ImportedResult.objects.filter(race=race)}
    compared = distinct_score_rows(original)
    assert len(compared) > len(original) / 2
    for row in compared:
        assert ours[row.racer_key] == row.rank, f"line {row.line}: {row.alias}"

    exported = published.parse(run("export_leaderboard", race_id).encode(), meta["TimingMethod"])
    assert len(exported) == len(original)
    by_alias = {r.alias: r for r in exported}
    figures = ("submission_time", "lap_count", "avg_lap_ms", "best_lap_ms", "total_lap_ms",
               "avg_resets", "collision_count", "off_track_count", "reset_count",
               "submission_count", "ranking_score")
    for row in original:
        back = by_alias[row.alias]
        assert back.rank == ours[row.racer_key]
        assert [getattr(back, f) for f in figures] == [getattr(row, f) for f in figures], row.line
    for row in compared:
        assert by_alias[row.alias].rank == row.rank


def test_do_not_finish_rows_keep_their_place_after_the_finishers(root):
    meta = next(m for m in META if m["file"] == "knockout-oa-best-lap.csv")
    race = Race.objects.get(pk=import_race(meta))
    rows = list(ImportedResult.objects.filter(race=race).order_by("rank"))
    assert [r.finished for r in rows] == [True] * 8 + [False] * 2
    # the file's rows 9 and 10 (empty times; score the sentinel 9.22e18 and empty)
    assert [(r.rank, r.published_rank, r.ranking_score) for r in rows[8:]] == [(9, 9, None), (10, 10, None)]
    # and the export writes them with empty times, as published
    line = run("export_leaderboard", str(race.pk)).splitlines()[9]
    assert line.startswith("9,racer-fe905f3d3c,1606915509829,0,,,,0.0,0,0,0,0,")
