"""Property tests of the published-leaderboard parser: whatever the bytes, a clear refusal or a
correct import, never a crash and never a partial import."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaderboard import importer, published
from leaderboard.season_models import ImportedResult
from races.models import Race

FIGURES = ("SubmissionTime", "LapCount", "AvgLapTime", "BestLapTime", "TotalLapTime",
           "AvgResets", "CollisionCount", "OffTrackCount", "ResetCount", "SubmissionCount")


def parse_or_refuse(data: bytes, method: str = published.TOTAL_TIME):
    try:
        return published.parse(data, method)
    except published.LeaderboardFileError as exc:
        assert str(exc)  # a message that names the problem
        return None


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_parsed_or_refused(data):
    parse_or_refuse(data)


@given(st.text(alphabet=st.sampled_from(list(",\"\n\r0123456789.e-+ AliasRankngScoeTtlp")), max_size=400))
def test_arbitrary_csv_like_text_is_parsed_or_refused(text):
    parse_or_refuse(("Alias,TotalLapTime,RankingScore\n" + text).encode())


racer = st.fixed_dictionaries({
    "SubmissionTime": st.integers(1_500_000_000_000, 1_800_000_000_000),
    "LapCount": st.integers(0, 20),
    "AvgLapTime": st.integers(1, 10**6),
    "BestLapTime": st.integers(1, 10**6),
    "TotalLapTime": st.integers(1, 10**7),
    "AvgResets": st.floats(0, 100, allow_nan=False),
    "CollisionCount": st.integers(0, 500),
    "OffTrackCount": st.integers(0, 500),
    "ResetCount": st.integers(0, 500),
    "SubmissionCount": st.integers(0, 5000),
    "finished": st.booleans(),
    "float_times": st.booleans(),
})


def leaderboard(racers: list[dict], columns: list[str]) -> bytes:
    """A file of `racers` (ranked by TotalLapTime) with only `columns`, in that order."""
    racers = sorted(racers, key=lambda r: (not r["finished"], r["TotalLapTime"]))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for rank, r in enumerate(racers, start=1):
        cells = dict(r, Rank=rank, Alias=f"racer-{rank:04d}", RacerId=f"id-{rank:04d}",
                     RankingScore=r["TotalLapTime"] if r["finished"] else 9223372036854775756)
        if not r["finished"]:
            cells.update(AvgLapTime="", BestLapTime="", TotalLapTime="", LapCount=0)
        elif r["float_times"]:
            cells.update({k: f"{r[k]}.0" for k in ("AvgLapTime", "BestLapTime", "TotalLapTime")})
        writer.writerow([cells[c] for c in columns])
    return out.getvalue().encode()


ALL_COLUMNS = ["Rank", "Alias", *FIGURES, "RankingScore", "RacerId"]


@given(st.lists(racer, min_size=1, max_size=15), st.permutations(ALL_COLUMNS),
       st.sets(st.sampled_from(ALL_COLUMNS)))
def test_shuffled_and_missing_columns_import_correctly_or_are_refused(racers, order, dropped):
    columns = [c for c in order if c not in dropped]
    rows = parse_or_refuse(leaderboard(racers, columns))
    if "Alias" not in columns or ("TotalLapTime" not in columns and "RankingScore" not in columns):
        assert rows is None
        return
    assert rows is not None and len(rows) == len(racers)
    ordered = sorted(racers, key=lambda r: (not r["finished"], r["TotalLapTime"]))
    for row, source in zip(rows, ordered, strict=True):
        assert row.finished == source["finished"]
        if row.finished:
            assert row.ranking_score == source["TotalLapTime"]
        for column in set(FIGURES) & set(columns):
            value = getattr(row, _field(column))
            if column in ("AvgLapTime", "BestLapTime", "TotalLapTime") and not source["finished"]:
                assert value is None
            elif column == "LapCount" and not source["finished"]:
                assert value == 0
            else:
                assert value == source[column], column
        if "RacerId" in columns:
            assert row.racer_key == f"id-{row.alias[-4:]}"
        else:
            assert row.racer_key == row.alias


def _field(column: str) -> str:
    return {"SubmissionTime": "submission_time", "LapCount": "lap_count", "AvgLapTime": "avg_lap_ms",
            "BestLapTime": "best_lap_ms", "TotalLapTime": "total_lap_ms", "AvgResets": "avg_resets",
            "CollisionCount": "collision_count", "OffTrackCount": "off_track_count",
            "ResetCount": "reset_count", "SubmissionCount": "submission_count"}[column]


huge = st.one_of(st.integers(0, 10**40).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.sampled_from(["1e999999999", "-1", "9223372036854775808", "NaN", "1_000", "0x10"]))


@given(huge, st.sampled_from(["TotalLapTime", "LapCount", "SubmissionTime", "AvgResets", "Rank"]))
def test_huge_numbers_are_read_exactly_or_refused_by_name(value, column):
    cells = {"Rank": "1", "Alias": "racer-1", "TotalLapTime": "60000", "RankingScore": "60000",
             "LapCount": "3", "SubmissionTime": "1690000000000", "AvgResets": "0.0"}
    cells[column] = value
    if column == "TotalLapTime":
        cells["RankingScore"] = value
    data = (",".join(cells) + "\n" + ",".join(cells.values()) + "\n").encode()
    try:
        rows = published.parse(data, published.TOTAL_TIME)
    except published.LeaderboardFileError as exc:
        assert exc.line in (1, 2) and (column in str(exc) or "RankingScore" in str(exc))
        return
    (row,) = rows
    if column == "TotalLapTime" and row.finished:
        assert row.total_lap_ms <= published.MAX_MS
        assert row.ranking_score == row.total_lap_ms


# -- the import: all or nothing --------------------------------------------------------------

counter = itertools.count()


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=600),
    st.lists(racer, min_size=1, max_size=8).map(lambda rs: leaderboard(rs, ALL_COLUMNS)),
    # good rows, then one with text in a time: the good rows must not be kept either
    st.lists(racer, min_size=1, max_size=8).map(
        lambda rs: leaderboard(rs, ALL_COLUMNS)
        + b"99,racer-late,1690000000000,3,1:02.5,20000,60000,0.0,0,0,0,1,60000,id-late\n"),
))
def test_an_import_saves_every_row_or_nothing(alice, data):
    races, rows = Race.objects.count(), ImportedResult.objects.count()
    meta = importer.RaceMeta("TIME_TRIAL", published.TOTAL_TIME, 3, name=f"Import {next(counter)}")
    try:
        race = importer.import_leaderboard(data, meta, alice)
    except importer.ImportRefused as exc:
        assert str(exc)
        assert (Race.objects.count(), ImportedResult.objects.count()) == (races, rows)
        return
    assert race.imported_results.count() == len(published.parse(data, published.TOTAL_TIME))
    assert ImportedResult.objects.count() == rows + race.imported_results.count()


@given(st.lists(racer, min_size=1, max_size=15), st.permutations(ALL_COLUMNS))
def test_writing_what_was_read_gives_the_same_rows_back(racers, order):
    rows = published.parse(leaderboard(racers, list(order)), published.TOTAL_TIME)
    written = published.write(
        published.ExportRow(rank, r.alias, r.submission_time, r.lap_count, r.avg_lap_ms,
                            r.best_lap_ms, r.total_lap_ms, r.avg_resets, r.collision_count,
                            r.off_track_count, r.reset_count, r.submission_count, r.ranking_score)
        for rank, r in published.rank_rows(rows))
    again = published.parse(written.encode(), published.TOTAL_TIME)
    figures = ("alias", "submission_time", "lap_count", "avg_lap_ms", "best_lap_ms", "total_lap_ms",
               "avg_resets", "collision_count", "off_track_count", "reset_count",
               "submission_count", "ranking_score")
    ranked = [r for _, r in published.rank_rows(rows)]
    assert [[getattr(r, f) for f in figures] for r in again] == [
        [getattr(r, f) for f in figures] for r in ranked]
    assert [r.rank for r in again] == list(range(1, len(rows) + 1))
