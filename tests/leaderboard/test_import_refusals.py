"""Bad files and bad options are refused by the import command with the line and the reason,
and nothing of them is saved."""

from __future__ import annotations

import pytest
from django.core.management import CommandError

from leaderboard.season_models import ImportedResult, Season
from races.models import Race

from .history import run

GOOD = (
    "Rank,Alias,SubmissionTime,LapCount,AvgLapTime,BestLapTime,TotalLapTime,AvgResets,"
    "CollisionCount,OffTrackCount,ResetCount,SubmissionCount,RankingScore,RacerId\n"
    "1,ann,1690000000000,3,20000,19000,60000,0.0,0,0,0,4,60000,id-ann\n"
    "2,bea,1690000000001,3,21000,20000,63000,0.0,0,1,1,2,63000,id-bea\n"
)


def refused(tmp_path, text: str, *args: str) -> str:
    path = tmp_path / "board.csv"
    path.write_text(text)
    with pytest.raises(CommandError) as caught:
        run("import_leaderboard", str(path), "--race-type", "TIME_TRIAL",
            "--timing-method", "TOTAL_TIME", "--min-laps", "3", "--organizer", "alice", *args)
    assert Race.objects.count() == 0 and ImportedResult.objects.count() == 0
    assert Season.objects.count() == 0
    return str(caught.value)


def test_text_in_a_time_is_refused_with_its_line(alice, tmp_path):
    message = refused(tmp_path, GOOD.replace("63000,0.0", "1:03.000,0.0"), "--season", "S")
    assert message == "board.csv: line 3: TotalLapTime '1:03.000' is not a number"


def test_a_ranking_column_that_disagrees_with_the_timing_method_is_refused(alice, tmp_path):
    message = refused(tmp_path, GOOD.replace("60000,0.0,0,0,0,4,60000", "60000,0.0,0,0,0,4,19000"))
    assert "line 2: RankingScore 19000 disagrees with TotalLapTime (60000)" in message


def test_ranks_that_do_not_follow_the_times_are_refused(alice, tmp_path):
    swapped = GOOD.replace("\n1,ann", "\n9,ann").replace("\n2,bea", "\n1,bea")
    assert "the ranks do not follow TOTAL_TIME" in refused(tmp_path, swapped)


def test_unknown_columns_are_refused(alice, tmp_path):
    message = refused(tmp_path, GOOD.replace("TotalLapTime", "TotalLapTme"))
    assert "line 1: unknown column 'TotalLapTme'" in message


def test_a_file_without_the_ranking_column_is_refused(alice, tmp_path):
    text = "\n".join(",".join(line.split(",")[:6]) for line in GOOD.splitlines())
    assert "no TotalLapTime or RankingScore column" in refused(tmp_path, text)


def test_a_racer_twice_is_refused(alice, tmp_path):
    assert "racer id-ann appears twice" in refused(tmp_path, GOOD.replace("id-bea", "id-ann"))


def test_an_unknown_track_is_refused(alice, tmp_path, tracks):
    assert "no track 'nowhere'" in refused(tmp_path, GOOD, "--track", "nowhere")


def test_a_good_file_prints_the_race_id_last(alice, tmp_path, tracks):
    path = tmp_path / "board.csv"
    path.write_text(GOOD)
    slug = tracks.first().slug
    out = run("import_leaderboard", str(path), "--race-type", "OBJECT_AVOIDANCE",
              "--timing-method", "TOTAL_TIME", "--min-laps", "3", "--organizer", "alice",
              "--name", "Old Cup", "--track", slug, "--season", "Old days")
    race = Race.objects.get(pk=out.splitlines()[-1])
    assert (race.name, race.track.slug, race.race_type, race.organizer.username) == (
        "Old Cup", slug, "oa", "alice")
    assert list(Season.objects.get(name="Old days").races.all()) == [race]


def test_season_standings_names_an_unknown_season(db):
    with pytest.raises(CommandError, match="no season 'Nope'"):
        run("season_standings", "Nope", "--rule", "points")


def test_export_names_an_unknown_race(db):
    with pytest.raises(CommandError, match="no race 'nope'"):
        run("export_leaderboard", "nope")


def test_season_standings_prints_a_table_without_json(alice, tmp_path):
    path = tmp_path / "board.csv"
    path.write_text(GOOD)
    run("import_leaderboard", str(path), "--race-type", "TIME_TRIAL", "--timing-method",
        "TOTAL_TIME", "--min-laps", "3", "--organizer", "alice", "--season", "S")
    lines = run("season_standings", "S", "--rule", "points").splitlines()
    assert lines[0].split() == ["1", "ann", "10", "1"] and lines[1].split() == ["2", "bea", "9", "1"]


def test_no_organizer_is_a_clear_refusal(db, tmp_path):
    path = tmp_path / "board.csv"
    path.write_text(GOOD)
    with pytest.raises(CommandError, match="pass --organizer USERNAME or create a superuser"):
        run("import_leaderboard", str(path), "--race-type", "TIME_TRIAL", "--timing-method",
            "TOTAL_TIME", "--min-laps", "3")
