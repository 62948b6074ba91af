"""Ranking rules as pure functions: laps in, ordered leaderboard rows out.

Each attempt (a Classic submission or a LIVE run) is a sequence of laps in driving order. An
attempt qualifies when it holds `min_laps` consecutive valid laps; its value is

- best_lap:     the fastest valid lap of the attempt,
- average_lap:  the lowest mean over a window of `min_laps` consecutive valid laps,
- total_time:   the lowest sum over such a window (the total time of the qualifying laps).

A racer's entry is their best attempt. Ties are broken deterministically (`tie_key`): equal
values rank by who reached the value first (`achieved_at`: when the lap that reached it was
committed), then by the racer's account id (who signed up first), then by alias. The stored
standings (leaderboard/models.py `RANK_ORDER`) order by the same key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

BEST_LAP, AVERAGE_LAP, TOTAL_TIME = "best_lap", "average_lap", "total_time"
METHODS = (BEST_LAP, AVERAGE_LAP, TOTAL_TIME)


@dataclass(frozen=True)
class LapResult:
    time_ms: int
    valid: bool = True
    off_track_count: int = 0
    crash_count: int = 0
    reset_count: int = 0


@dataclass(frozen=True)
class Attempt:
    racer: str
    laps: Sequence[LapResult]
    achieved_at: float = 0.0  # when the attempt ended (epoch s); earlier wins a tie
    racer_id: int | None = None  # the caller's id for the racer, carried to the row


@dataclass
class Row:
    rank: int
    racer: str
    value_ms: int
    gap_ms: int
    laps: int
    off_track_count: int
    crash_count: int
    reset_count: int
    attempts: int
    achieved_at: float = field(repr=False, default=0.0)
    racer_id: int | None = None


def attempt_best(laps: Sequence[LapResult], method: str, min_laps: int = 1) -> tuple[int, int] | None:
    """The attempt's ranking value in ms and the index of the lap that first reached it, or None
    if it does not qualify. An invalid lap breaks the streak: a window never spans it."""
    if method not in METHODS:
        raise ValueError(f"unknown ranking method {method!r}")
    if min_laps < 1:
        raise ValueError("min_laps must be at least 1")
    best: tuple[int, int] | None = None
    run: list[int] = []
    for index, lap in enumerate(laps):
        if not lap.valid:
            run = []
            continue
        run.append(lap.time_ms)
        if len(run) < min_laps:
            continue
        window = run[-min_laps:]
        if method == BEST_LAP:
            value = min(run)  # the best lap of a streak that holds min_laps consecutive laps
        elif method == AVERAGE_LAP:
            value = round(sum(window) / min_laps)
        else:
            value = sum(window)
        if best is None or value < best[0]:
            best = (value, index)
    return best


def attempt_value(laps: Sequence[LapResult], method: str, min_laps: int = 1) -> int | None:
    """The attempt's ranking value in ms, or None if it does not qualify."""
    best = attempt_best(laps, method, min_laps)
    return None if best is None else best[0]


def tie_key(value_ms: int, achieved_at: float, racer_id: int | None, racer: str = "") -> tuple:
    """The board's order: value, then who reached it first, then who signed up first."""
    return (value_ms, achieved_at, racer_id if racer_id is not None else 0, racer)


def rank(attempts: Iterable[Attempt], method: str, min_laps: int = 1) -> list[Row]:
    """One row per racer with a qualifying attempt, fastest first."""
    best: dict[str, tuple[int, float, Attempt]] = {}
    counts: dict[str, int] = {}
    for attempt in attempts:
        counts[attempt.racer] = counts.get(attempt.racer, 0) + 1
        value = attempt_value(attempt.laps, method, min_laps)
        if value is None:
            continue
        key = (value, attempt.achieved_at)
        held = best.get(attempt.racer)
        if held is None or key < held[:2]:
            best[attempt.racer] = (value, attempt.achieved_at, attempt)
    ordered = sorted(best.items(),
                     key=lambda item: tie_key(item[1][0], item[1][1], item[1][2].racer_id, item[0]))
    rows: list[Row] = []
    leader = ordered[0][1][0] if ordered else 0
    for position, (racer, (value, achieved_at, attempt)) in enumerate(ordered, start=1):
        rows.append(
            Row(
                rank=position, racer=racer, value_ms=value, gap_ms=value - leader,
                laps=len(attempt.laps),
                off_track_count=sum(lap.off_track_count for lap in attempt.laps),
                crash_count=sum(lap.crash_count for lap in attempt.laps),
                reset_count=sum(lap.reset_count for lap in attempt.laps),
                attempts=counts[racer], achieved_at=achieved_at, racer_id=attempt.racer_id,
            )
        )
    return rows


def format_ms(ms: int | None) -> str:
    """12345 -> '00:12.345' (the console's lap-time format)."""
    if ms is None:
        return "--"
    minutes, rest = divmod(int(ms), 60_000)
    return f"{minutes:02d}:{rest / 1000:06.3f}"
