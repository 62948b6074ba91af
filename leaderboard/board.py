"""A race's leaderboard, computed from its Laps only, and announced when a lap is committed."""

from __future__ import annotations

from collections import defaultdict

from races import protocol
from races.models import Race, racer_alias
from races.run_models import Lap

from .ranking import Attempt, LapResult, format_ms, rank


def race_attempts(race: Race) -> list[Attempt]:
    """One attempt per run, laps in order."""
    laps = Lap.objects.filter(run__race=race)
    if race.leaderboard_cleared_at:  # the organizer's "Clear leaderboard ranking"
        laps = laps.filter(created_at__gt=race.leaderboard_cleared_at)
    laps = (
        laps
        .select_related("run__racer__racer")
        .order_by("run_id", "number")
    )
    by_run: dict[int, list[Lap]] = defaultdict(list)
    for lap in laps:
        by_run[lap.run_id].append(lap)
    attempts = []
    for run_laps in by_run.values():
        run = run_laps[0].run
        alias = racer_alias(run.racer)
        attempts.append(
            Attempt(
                racer=alias,
                laps=[LapResult(lap.time_ms, lap.valid, lap.off_track_count, lap.crash_count,
                                    lap.reset_count)
                      for lap in run_laps],
                achieved_at=max(lap.created_at for lap in run_laps).timestamp(),
                racer_id=run.racer_id,
            )
        )
    return attempts


def race_leaderboard(race: Race) -> list[dict]:
    method, min_laps = race.ranking_rule()
    return [
        {
            "rank": row.rank, "racer": row.racer, "user_id": row.racer_id, "time_ms": row.value_ms,
            "time": format_ms(row.value_ms), "gap_ms": row.gap_ms,
            "gap": "--" if row.rank == 1 else "+" + format_ms(row.gap_ms),
            "off_track_count": row.off_track_count, "crash_count": row.crash_count,
            "reset_count": row.reset_count,
            "submissions": row.attempts,
        }
        for row in rank(race_attempts(race), method, min_laps)
    ]


def announce_leaderboard(sender, *, race_id, publish, **kwargs) -> None:
    """`lap_committed` receiver: the race's board changed (it is read after the commit)."""
    race = Race.objects.get(pk=race_id)
    publish(race_id, protocol.leaderboard_changed(race_leaderboard(race)))
