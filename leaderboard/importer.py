"""Taking a published leaderboard in as a race, giving any race's leaderboard back out, and
reading a season's races for the standings.

An imported race keeps the file's rows (ImportedResult) and a LeaderboardImport mark; its
leaderboard is those rows, never laps. `import_leaderboard` saves the race, its rows and its
season membership in one transaction, after the whole file has been read: a refused file leaves
nothing behind.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from races.models import Race, RacerProfile, Track, race_date_range

from . import published, seasons
from .board import race_leaderboard
from .imported import imported_leaderboard, is_imported  # noqa: F401 - the importer's API too
from .season_models import ImportedResult, LeaderboardImport, Season, SeasonRace
from .seasons import RaceResult, without_gc

RACE_TYPES = {
    "TIME_TRIAL": Race.RaceType.TIME_TRIAL,
    "OBJECT_AVOIDANCE": Race.RaceType.OBJECT_AVOIDANCE,
    "HEAD_TO_HEAD_RACING": Race.RaceType.HEAD_TO_BOT,
}
RANKING = {
    published.TOTAL_TIME: Race.Ranking.TOTAL_TIME,
    published.BEST_LAP_TIME: Race.Ranking.BEST_LAP,
    published.AVG_LAP_TIME: Race.Ranking.AVERAGE_LAP,
}
TIMING_OF_RANKING = {v: k for k, v in RANKING.items()}
MAX_MIN_LAPS = 100
IMPORTED_NOTE = "Imported from a published leaderboard"


class ImportRefused(ValueError):
    """The import is refused; the message names the problem (and the file's line)."""


@dataclass(frozen=True)
class RaceMeta:
    race_type: str  # TIME_TRIAL | OBJECT_AVOIDANCE | HEAD_TO_HEAD_RACING
    timing_method: str  # TOTAL_TIME | BEST_LAP_TIME | AVG_LAP_TIME
    min_laps: int
    name: str = ""  # default: the file's name without its extension
    track: str = ""  # a catalog slug, or none
    season: str = ""  # adds the race to this season (created the first time)
    closed_at_ms: int | None = None  # default: the last submission in the file, else now


def _check_meta(meta: RaceMeta, organizer, file_name: str) -> tuple[str, Track | None]:
    if meta.race_type not in RACE_TYPES:
        raise ImportRefused(f"unknown race type {meta.race_type!r} (use {', '.join(RACE_TYPES)})")
    if meta.timing_method not in RANKING:
        raise ImportRefused(f"unknown timing method {meta.timing_method!r} "
                            f"(use {', '.join(published.TIMING_METHODS)})")
    if not 1 <= meta.min_laps <= MAX_MIN_LAPS:
        raise ImportRefused(f"minimum laps must be 1 to {MAX_MIN_LAPS}")
    name = (meta.name or PurePath(file_name).stem).strip()
    if not name or len(name) > 64:
        raise ImportRefused("the race name must be 1 to 64 characters (give --name)")
    if Race.objects.filter(organizer=organizer, name__iexact=name).exists():
        raise ImportRefused(f"you already have a race named {name!r}: give another name")
    if len(meta.season) > 64:
        raise ImportRefused("the season name is longer than 64 characters")
    season = Season.objects.filter(name=meta.season).first() if meta.season else None
    if season is not None and season.organizer_id != organizer.pk:
        raise ImportRefused(f"the season {meta.season!r} is another organizer's")
    track = None
    if meta.track:
        track = Track.objects.filter(slug=meta.track).first()
        if track is None:
            raise ImportRefused(f"no track {meta.track!r} in the catalog")
    return name, track


def _moment(ms: int, what: str) -> datetime:
    first, last = race_date_range()
    try:
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        moment = None
    if moment is None or not first <= moment <= last:
        raise ImportRefused(f"{what} {ms} is not a date between {first:%Y} and {last:%Y}")
    return moment


def import_leaderboard(data: bytes, meta: RaceMeta, organizer, file_name: str = "leaderboard.csv") -> Race:
    """A new closed race holding the file's results; ImportRefused (nothing saved) otherwise."""
    name, track = _check_meta(meta, organizer, file_name)
    try:
        rows = published.parse(data, meta.timing_method)
    except published.LeaderboardFileError as exc:
        raise ImportRefused(str(exc)) from None
    first, last = race_date_range()
    times = [r.submission_time for r in rows if r.submission_time is not None
             and first.timestamp() * 1000 <= r.submission_time <= last.timestamp() * 1000]
    if meta.closed_at_ms is not None:
        closed = _moment(meta.closed_at_ms, "--closed-at")
    else:
        closed = _moment(max(times), "the last submission") if times else timezone.now()
    start = min(_moment(min(times), "the first submission"), closed) if times else closed
    try:
        return _save(rows, meta, organizer, file_name, name, track, start, closed)
    except IntegrityError:  # a race of that name or the season was made meanwhile
        raise ImportRefused(f"you already have a race named {name!r}: give another name") from None


def _save(rows, meta: RaceMeta, organizer, file_name: str, name: str, track, start, closed) -> Race:
    with transaction.atomic():
        race = Race.objects.create(
            organizer=organizer, name=name, description=IMPORTED_NOTE, track=track,
            race_type=RACE_TYPES[meta.race_type], ranking_method=RANKING[meta.timing_method],
            min_laps=meta.min_laps, start_at=start, end_at=closed, closed_at=closed,
            entries_open=False,
        )
        LeaderboardImport.objects.create(
            race=race, file_name=PurePath(file_name).name[:255], timing_method=meta.timing_method,
            row_count=len(rows), imported_by=organizer,
        )
        ImportedResult.objects.bulk_create(
            [ImportedResult(
                race=race, rank=rank, published_rank=row.rank, alias=row.alias,
                racer_key=row.racer_key, country=row.country,
                submission_time=row.submission_time, lap_count=row.lap_count,
                avg_lap_ms=row.avg_lap_ms, best_lap_ms=row.best_lap_ms,
                total_lap_ms=row.total_lap_ms, avg_resets=row.avg_resets,
                collision_count=row.collision_count, off_track_count=row.off_track_count,
                reset_count=row.reset_count, submission_count=row.submission_count,
                ranking_score=row.ranking_score,
            ) for rank, row in published.rank_rows(rows)],
            batch_size=2000,
        )
        if meta.season:
            season, _ = Season.objects.get_or_create(name=meta.season,
                                                     defaults={"organizer": organizer})
            SeasonRace.objects.create(season=season, race=race)
    return race


def export_rows(race: Race) -> list[published.ExportRow]:
    """The race's leaderboard in the published layout: an imported race's file figures, else
    what the laps' leaderboard knows (the ranking value in its method's column)."""
    if is_imported(race):
        return [
            published.ExportRow(
                rank=r.rank, alias=r.alias, submission_time=r.submission_time,
                lap_count=r.lap_count, avg_lap_ms=r.avg_lap_ms, best_lap_ms=r.best_lap_ms,
                total_lap_ms=r.total_lap_ms, avg_resets=r.avg_resets,
                collision_count=r.collision_count, off_track_count=r.off_track_count,
                reset_count=r.reset_count, submission_count=r.submission_count,
                ranking_score=r.ranking_score,
            )
            for r in ImportedResult.objects.filter(race=race).order_by("rank")
        ]
    column = {Race.Ranking.TOTAL_TIME: "total_lap_ms", Race.Ranking.BEST_LAP: "best_lap_ms",
              Race.Ranking.AVERAGE_LAP: "avg_lap_ms"}[
        Race.Ranking.BEST_LAP if race.is_live else race.ranking_method]
    return [
        published.ExportRow(
            rank=row["rank"], alias=row["racer"], ranking_score=row["time_ms"],
            off_track_count=row["off_track_count"], collision_count=row["crash_count"],
            reset_count=row["reset_count"], submission_count=row["submissions"],
            **{column: row["time_ms"]},
        )
        for row in race_leaderboard(race)
    ]


def export_csv(race: Race) -> str:
    return published.write(export_rows(race))


# -- seasons -------------------------------------------------------------------------------

def season_races(season: Season) -> list[Race]:
    """The season's races in date order (the standings' per-race columns)."""
    return list(season.races.order_by("start_at", "name", "pk"))


def race_results(races: Iterable[Race]) -> list[list[RaceResult]]:
    """Each race's results for the standings: an imported race's rows (identity: the file's id,
    country: its column) or a race's laps leaderboard (identity: the user, country: profile)."""
    races = list(races)
    imported = set(LeaderboardImport.objects.filter(race__in=races).values_list("race_id", flat=True))
    by_race = {race.pk: _imported_results(race.pk) for race in races if race.pk in imported}
    out = []
    for race in races:
        if race.pk in by_race:
            out.append(by_race[race.pk])
            continue
        rows = race_leaderboard(race)
        countries = dict(RacerProfile.objects.filter(
            user_id__in=[r["user_id"] for r in rows]).values_list("user_id", "country"))
        out.append([
            RaceResult(f"user:{r['user_id']}", r["racer"],
                               str(countries.get(r["user_id"], "")), r["time_ms"], r["rank"])
            for r in rows
        ])
    return out


class _Recent:
    """A small per-process map that forgets the least recently used entries. Only for values
    that never change: an imported race's rows are written once, in its import, and never
    edited (a race deleted takes its id with it)."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, make):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = make()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


_IMPORTED_ROWS = _Recent(64)  # race id -> its results for the standings
_IMPORTED_STANDINGS = _Recent(32)  # (race ids, rule, region) of all-imported seasons -> standings


def _imported_results(race_id) -> list[RaceResult]:
    """An imported race's rows for the standings (held per process: they never change)."""
    return _IMPORTED_ROWS.get(race_id, lambda: _read_imported_results(race_id))


def _read_imported_results(race_id) -> list[RaceResult]:
    """The ORM writes the query; its rows are read with the database cursor, skipping the ORM's
    per-row work (a season reads 24,000 rows)."""
    rows = ImportedResult.objects.filter(race_id=race_id).values_list(
        "racer_key", "alias", "country", "ranking_score", "rank")
    sql, params = rows.query.sql_with_params()
    with without_gc(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(map(RaceResult._make, cursor.fetchall()))


def season_countries(season: Season) -> list[str]:
    """The countries of the season's racers (the region filter's choices)."""
    races = season.races.all()
    imported = ImportedResult.objects.filter(race__in=races).exclude(country="")
    raced = RacerProfile.objects.filter(user__runs__race__in=races).exclude(country="")
    return sorted(set(imported.values_list("country", flat=True).distinct())
                  | {str(c) for c in raced.values_list("country", flat=True).distinct()})


def season_standings(season: Season, rule: str, region: str | None = None):
    """(races, standings) of the season. A season of imported races only never changes while
    its races stay: its standings are kept per process (the lists must not be changed)."""
    races = season_races(season)
    imported = set(LeaderboardImport.objects.filter(race__in=races).values_list("race_id", flat=True))
    if races and len(imported) == len(races):
        key = (tuple(r.pk for r in races), rule, (region or "").upper())
        return races, _IMPORTED_STANDINGS.get(
            key, lambda: seasons.standings(race_results(races), rule, region))
    return races, seasons.standings(race_results(races), rule, region)
