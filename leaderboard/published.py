"""The published leaderboard file (the DeepRacer console's CSV): read it, rank it, write it.

Pure functions, no Django: `parse()` turns the file's bytes into rows or refuses the whole file
with the line and the reason (`LeaderboardFileError`); `rank_rows()` ranks rows by the race's
timing method; `write()` gives the published layout back.

Every layout of ../shared/race-results/ is read: columns in any order, times as integers or
floats (`24933.0`), files without `Rank`, lap counts or best/total columns, do-not-finish rows
with empty times (their `RankingScore` is empty or the console's "no score" sentinel, 2**63 - 51
or 9.223372036854776e+18). The racer's identity across races is `UserId` (or `RacerId` in the
pseudonymised files) where the file has one, else the alias.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# The layout `write()` produces (times in ms), the export header.
HEADER = (
    "Rank", "Alias", "SubmissionTime", "LapCount", "AvgLapTime", "BestLapTime", "TotalLapTime",
    "AvgResets", "CollisionCount", "OffTrackCount", "ResetCount", "SubmissionCount",
    "RankingScore",
)
# Columns read but not written back: identity, country, and two the console adds.
EXTRA_COLUMNS = ("RacerId", "UserId", "Country", "CountryCode", "LeaderboardSubmissionStatusType",
                 "RacingDivision")
KNOWN_COLUMNS = frozenset(HEADER) | frozenset(EXTRA_COLUMNS)

TOTAL_TIME, BEST_LAP_TIME, AVG_LAP_TIME = "TOTAL_TIME", "BEST_LAP_TIME", "AVG_LAP_TIME"
# The column each timing method ranks by (DOMAIN.md section 3).
SCORE_COLUMN = {TOTAL_TIME: "TotalLapTime", BEST_LAP_TIME: "BestLapTime", AVG_LAP_TIME: "AvgLapTime"}
TIMING_METHODS = tuple(SCORE_COLUMN)

MAX_FILE_BYTES = 10 * 1024 * 1024  # the largest real file (6,652 racers) is under 1 MB
MAX_ROWS = 100_000
MAX_ALIAS = 100
MAX_MS = 10**10  # about 115 days: any longer "time" is a broken file, not a lap
MAX_EPOCH_MS = 10**14  # the year 5138
MAX_COUNT = 10**9
NO_SCORE = Decimal(2) ** 62  # scores at or above this are the console's do-not-finish sentinel


class LeaderboardFileError(ValueError):
    """The file is refused; `line` is the file's line number (1 = header), None for the file."""

    def __init__(self, reason: str, line: int | None = None):
        self.reason, self.line = reason, line
        super().__init__(f"line {line}: {reason}" if line else reason)


@dataclass(frozen=True)
class PublishedRow:
    line: int  # where the row was in the file (its header is line 1)
    rank: int | None  # the published Rank, when the file has one
    alias: str
    racer_key: str  # UserId / RacerId, else the alias
    country: str  # ISO 3166 alpha-2 code, "" when the file has none
    submission_time: int | None  # epoch ms
    lap_count: int | None
    avg_lap_ms: int | None
    best_lap_ms: int | None
    total_lap_ms: int | None
    avg_resets: float | None
    collision_count: int | None
    off_track_count: int | None
    reset_count: int | None
    submission_count: int | None
    ranking_score: int | None  # ms by the timing method; None: did not finish

    @property
    def finished(self) -> bool:
        return self.ranking_score is not None


def _decimal(text: str, column: str, line: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise LeaderboardFileError(f"{column} {text[:40]!r} is not a number", line) from None
    if not value.is_finite():
        raise LeaderboardFileError(f"{column} {text[:40]!r} is not a number", line)
    if value < 0:
        raise LeaderboardFileError(f"{column} {text[:40]!r} is negative", line)
    return value


def _number(text: str, column: str, line: int, limit: int, whole: bool) -> int | None:
    """An integer cell; floats are accepted for times (rounded to the ms) and for whole numbers
    written as `3.0`. Empty: None."""
    if text == "":
        return None
    value = _decimal(text, column, line)
    if value > limit:
        raise LeaderboardFileError(f"{column} {text[:40]} is too large (at most {limit})", line)
    if whole and value != value.to_integral_value():
        raise LeaderboardFileError(f"{column} {text[:40]} is not a whole number", line)
    return int(value.to_integral_value())


def _float(text: str, column: str, line: int) -> float | None:
    if text == "":
        return None
    value = _decimal(text, column, line)
    if value > MAX_COUNT:
        raise LeaderboardFileError(f"{column} {text[:40]} is too large (at most {MAX_COUNT})", line)
    return float(text)


def _header(names: list[str], timing_method: str) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, raw in enumerate(names):
        name = raw.strip()
        if name not in KNOWN_COLUMNS:
            raise LeaderboardFileError(
                f"unknown column {name[:40]!r} (a published leaderboard has "
                f"{', '.join(sorted(KNOWN_COLUMNS))})", 1)
        if name in columns:
            raise LeaderboardFileError(f"column {name} appears twice", 1)
        columns[name] = index
    if "Alias" not in columns:
        raise LeaderboardFileError("no Alias column: this is not a published leaderboard", 1)
    if SCORE_COLUMN[timing_method] not in columns and "RankingScore" not in columns:
        raise LeaderboardFileError(
            f"no {SCORE_COLUMN[timing_method]} or RankingScore column to rank by "
            f"{timing_method}", 1)
    return columns


def _row(cells: list[str], columns: dict[str, int], timing_method: str, line: int) -> PublishedRow:
    if len(cells) != len(columns):
        raise LeaderboardFileError(f"{len(cells)} fields where the header has {len(columns)}", line)

    def cell(name: str) -> str:
        return cells[columns[name]].strip() if name in columns else ""

    alias = cell("Alias")
    if not alias:
        raise LeaderboardFileError("empty Alias", line)
    if len(alias) > MAX_ALIAS or not alias.isprintable():
        raise LeaderboardFileError(f"Alias {alias[:40]!r} is not a racer name", line)
    key = cell("UserId") or cell("RacerId") or alias
    if len(key) > MAX_ALIAS or not key.isprintable():
        raise LeaderboardFileError(f"racer id {key[:40]!r} is not an id", line)
    country = (cell("Country") or cell("CountryCode")).upper()
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise LeaderboardFileError(f"country {country[:40]!r} is not a two-letter code", line)

    def ms(name: str) -> int | None:
        return _number(cell(name), name, line, MAX_MS, whole=False)

    def count(name: str) -> int | None:
        return _number(cell(name), name, line, MAX_COUNT, whole=True)

    times = {name: ms(name) for name in ("AvgLapTime", "BestLapTime", "TotalLapTime")}
    score_column = SCORE_COLUMN[timing_method]
    score = _ranking_score(cell("RankingScore"), times[score_column], score_column,
                           score_column in columns, timing_method, line)
    rank = _number(cell("Rank"), "Rank", line, MAX_ROWS, whole=True)
    if "Rank" in columns and (rank is None or rank < 1):
        raise LeaderboardFileError("Rank must be a whole number from 1", line)
    return PublishedRow(
        line=line, rank=rank, alias=alias, racer_key=key, country=country,
        submission_time=_number(cell("SubmissionTime"), "SubmissionTime", line, MAX_EPOCH_MS, True),
        lap_count=count("LapCount"), avg_lap_ms=times["AvgLapTime"],
        best_lap_ms=times["BestLapTime"], total_lap_ms=times["TotalLapTime"],
        avg_resets=_float(cell("AvgResets"), "AvgResets", line),
        collision_count=count("CollisionCount"), off_track_count=count("OffTrackCount"),
        reset_count=count("ResetCount"), submission_count=count("SubmissionCount"),
        ranking_score=score,
    )


def _ranking_score(text: str, timed: int | None, column: str, has_column: bool,
                   timing_method: str, line: int) -> int | None:
    """The row's score: the timing method's column, which RankingScore (where the file has it)
    must agree with. None when the row did not finish."""
    if text == "":
        published = None
    else:
        value = _decimal(text, "RankingScore", line)
        if value >= NO_SCORE:  # the console's do-not-finish sentinel
            published = None
        elif value > MAX_MS:
            raise LeaderboardFileError(f"RankingScore {text[:40]} is too large (at most {MAX_MS})",
                                       line)
        else:
            published = int(value.to_integral_value())
    if not has_column:
        return published
    if text != "" and published != timed:
        shown = "no time" if timed is None else timed
        raise LeaderboardFileError(
            f"RankingScore {text[:40]} disagrees with {column} ({shown}), the column "
            f"{timing_method} ranks by", line)
    return timed


def parse(data: bytes, timing_method: str) -> list[PublishedRow]:
    """Every row of a published leaderboard, or LeaderboardFileError for the first problem."""
    if timing_method not in SCORE_COLUMN:
        raise LeaderboardFileError(
            f"unknown timing method {timing_method!r} (use {', '.join(TIMING_METHODS)})")
    if len(data) > MAX_FILE_BYTES:
        raise LeaderboardFileError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LeaderboardFileError("not UTF-8 text", line) from None
    if "\x00" in text:
        raise LeaderboardFileError("the file holds NUL characters: not a CSV text file",
                                   text[: text.index("\x00")].count("\n") + 1)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[PublishedRow] = []
    try:
        names = next(reader, None)
        if not names or names == [""]:
            raise LeaderboardFileError("the file is empty: no header line")
        columns = _header(names, timing_method)
        for cells in reader:
            if not cells:
                continue  # a blank line (the last one, mostly)
            if len(rows) >= MAX_ROWS:
                raise LeaderboardFileError(f"more than {MAX_ROWS} rows", reader.line_num)
            rows.append(_row(cells, columns, timing_method, reader.line_num))
    except csv.Error as exc:
        raise LeaderboardFileError(f"not a CSV row ({exc})", reader.line_num) from None
    if not rows:
        raise LeaderboardFileError("the file has a header but no rows")
    _check_identities(rows)
    _check_ranks(rows, timing_method)
    return rows


def _check_identities(rows: Sequence[PublishedRow]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        if row.racer_key in seen:
            raise LeaderboardFileError(
                f"racer {row.racer_key} appears twice (also on line {seen[row.racer_key]})",
                row.line)
        seen[row.racer_key] = row.line


def _check_ranks(rows: Sequence[PublishedRow], timing_method: str) -> None:
    """A published Rank must ascend with the score: a slower finisher never ranks ahead of a
    faster one, and no do-not-finish row ranks ahead of a finisher."""
    if rows[0].rank is None:
        return
    finished = sorted((r for r in rows if r.finished), key=lambda r: r.ranking_score)
    ahead: PublishedRow | None = None  # the worst-ranked row of all strictly faster scores
    group_worst: PublishedRow | None = None
    previous_score = None
    for row in finished:
        if row.ranking_score != previous_score:
            if group_worst and (ahead is None or group_worst.rank > ahead.rank):
                ahead = group_worst
            group_worst, previous_score = None, row.ranking_score
        if ahead is not None and row.rank <= ahead.rank:
            raise LeaderboardFileError(
                f"Rank {row.rank} with {row.ranking_score} ms ranks ahead of line {ahead.line} "
                f"(Rank {ahead.rank}, {ahead.ranking_score} ms): the ranks do not follow "
                f"{timing_method}", row.line)
        if group_worst is None or row.rank > group_worst.rank:
            group_worst = row
    worst_finisher = max((r.rank for r in finished), default=0)
    for row in rows:
        if not row.finished and row.rank <= worst_finisher:
            raise LeaderboardFileError(
                f"Rank {row.rank} for a racer who did not finish is ahead of a finisher", row.line)


def rank_key(row: PublishedRow) -> tuple:
    """This project's order: finishers by score, ties by the earlier submission, then alias and
    id; then the do-not-finish rows by submission time and alias (they keep a place in the file's
    layout but earn nothing in a season)."""
    never = MAX_EPOCH_MS + 1
    return (
        not row.finished, row.ranking_score or 0, row.submission_time or never,
        row.alias.casefold(), row.racer_key,
    )


def rank_rows(rows: Iterable[PublishedRow]) -> list[tuple[int, PublishedRow]]:
    """(rank, row) fastest first; ranks run 1..n, every tie broken by `rank_key`."""
    return list(enumerate(sorted(rows, key=rank_key), start=1))


@dataclass(frozen=True)
class ExportRow:
    """One line of the published layout (None writes an empty cell)."""

    rank: int
    alias: str
    submission_time: int | None = None
    lap_count: int | None = None
    avg_lap_ms: int | None = None
    best_lap_ms: int | None = None
    total_lap_ms: int | None = None
    avg_resets: float | None = None
    collision_count: int | None = None
    off_track_count: int | None = None
    reset_count: int | None = None
    submission_count: int | None = None
    ranking_score: int | None = None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # An alias a spreadsheet would run as a formula gets a leading quote (no real alias
        # starts so; the published layout's other cells are numbers).
        return "'" + value if value[:1] in ("=", "+", "@", "\t", "\r") else value
    return repr(value) if isinstance(value, float) else str(value)


def write(rows: Iterable[ExportRow]) -> str:
    """The published layout with `HEADER`, times in ms."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow(_cell(v) for v in (
            r.rank, r.alias, r.submission_time, r.lap_count, r.avg_lap_ms, r.best_lap_ms,
            r.total_lap_ms, r.avg_resets, r.collision_count, r.off_track_count, r.reset_count,
            r.submission_count, r.ranking_score,
        ))
    return out.getvalue()
