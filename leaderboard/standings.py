"""Keeping each racer's standing up to date as results are recorded.

The record saves a lap (races/record.py `record_lap`, the only writer); in the same transaction
(`on_lap_saved`, Django's `post_save` of the Lap) `update_run()` recomputes that one run's result from its own laps (a few, never the race's), takes the racer's
best run from the indexed `RunResult`s and writes their `Standing`. Everything for one racer
happens under a lock of their standing row, so two evaluations of the same racer finishing at
once cannot leave the older best behind. The work is a handful of indexed queries whatever the
size of the race (bench/eval_bench.py measures it on 10,000 racers and 100,000 submissions).

The rules a race's standings were computed under are kept (`BoardRules`); when the race's differ
(ranking method, minimum laps, a cleared LIVE board) the race is rebuilt from its laps, once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction

from races.models import Participant, Race, racer_alias
from races.run_models import Lap, Run

from .ranking import LapResult, attempt_best
from .standing_models import BoardRules, RunResult, Standing

BATCH = 2000


def rules_of(race: Race) -> tuple[str, int]:
    """The ranking method and the consecutive valid laps a result needs (`Race.ranking_rule`:
    LIVE best single lap, in-person races their own rule)."""
    method, min_laps = race.ranking_rule()
    return str(method), min_laps


def _laps_that_count(race: Race):
    laps = Lap.objects.filter(run__race=race)
    if race.leaderboard_cleared_at:  # the organizer's "Clear leaderboard ranking"
        laps = laps.filter(created_at__gt=race.leaderboard_cleared_at)
    return laps


def _submissions(race: Race, racer_id: int) -> int:
    runs = Run.objects.filter(race=race, racer_id=racer_id)
    if race.leaderboard_cleared_at:
        runs = runs.filter(created_at__gt=race.leaderboard_cleared_at)
    return runs.count()


class _LapRow(NamedTuple):
    """What a result needs of a Lap (a rebuild reads these, not model instances)."""

    time_ms: int
    valid: bool
    off_track_count: int
    crash_count: int
    reset_count: int
    created_at: datetime


LAP_ROW = _LapRow._fields


def _run_result(run: Run, laps: Sequence[Lap | _LapRow], method: str, min_laps: int) -> RunResult:
    """The run's result from its laps in driving order (pure but for the model instance)."""
    best = attempt_best(
        [LapResult(lap.time_ms, lap.valid, lap.off_track_count, lap.crash_count, lap.reset_count)
         for lap in laps],
        method, min_laps)
    return RunResult(
        run_id=run.pk, race_id=run.race_id, racer_id=run.racer_id,
        value_ms=None if best is None else best[0],
        achieved_at=None if best is None else laps[best[1]].created_at,
        laps=len(laps),
        off_track_count=sum(lap.off_track_count for lap in laps),
        crash_count=sum(lap.crash_count for lap in laps),
        reset_count=sum(lap.reset_count for lap in laps),
    )


def rules_current(race: Race) -> bool:
    """Whether the stored standings were computed under the race's rules as they are now."""
    method, min_laps = rules_of(race)
    return BoardRules.objects.filter(race=race, method=method, min_laps=min_laps,
                                     cleared_at=race.leaderboard_cleared_at).exists()


def update_run(race: Race, run_id: int, run: Run | None = None) -> Standing | None:
    """Recompute one run's result and its racer's standing (after a lap of that run). Returns the
    racer's standing; None if the run is gone. Rebuilds the whole race instead when its rules
    changed since its standings were computed. `run`: the run, if the caller holds it."""
    if not rules_current(race):
        rebuild(race)
        run = run or Run.objects.filter(pk=run_id).first()
        return None if run is None else Standing.objects.filter(race=race, racer_id=run.racer_id).first()
    if run is None:
        run = Run.objects.filter(pk=run_id, race=race).first()
        if run is None:
            return None
    method, min_laps = rules_of(race)
    with transaction.atomic():
        # One racer at a time: a second update of the same racer waits here, then reads the
        # first one's committed result.
        standing = Standing.objects.select_for_update().filter(race=race, racer_id=run.racer_id).first()
        if standing is None:
            standing = _new_standing(race, run)
        laps = list(_laps_that_count(race).filter(run_id=run.pk).order_by("number"))
        result = _run_result(run, laps, method, min_laps)
        # One statement whether the run has a result already or not.
        RunResult.objects.bulk_create(
            [result], update_conflicts=True, unique_fields=["run"],
            update_fields=["value_ms", "achieved_at", "laps", "off_track_count", "crash_count",
                           "reset_count"])
        best = (RunResult.objects.filter(race=race, racer_id=standing.racer_id, value_ms__isnull=False)
                .order_by("value_ms", "achieved_at", "run_id").first())
        _copy_best(standing, best)
        standing.save()
    return standing


def _new_standing(race: Race, run: Run) -> Standing:
    """The racer's first standing in the race (their alias is read once: aliases never change)."""
    if Run.racer.is_cached(run):  # the caller's run came with its racer (an evaluation's does)
        racer = run.racer
    else:
        racer = Run.objects.select_related("racer__racer").get(pk=run.pk).racer
    standing, _ = Standing.objects.get_or_create(
        race=race, racer_id=run.racer_id,
        defaults={"alias": racer_alias(racer), "submissions": _submissions(race, run.racer_id),
                  "removed": _was_removed(race, run.racer_id)})
    return Standing.objects.select_for_update().get(pk=standing.pk)


def _was_removed(race: Race, racer_id: int) -> bool:
    # A run can outlive its racer's removal (an evaluation that was already running).
    return Participant.objects.filter(race=race, user_id=racer_id, removed_at__isnull=False).exists()


def _copy_best(standing: Standing, best: RunResult | None) -> None:
    standing.value_ms = best.value_ms if best else None
    standing.achieved_at = best.achieved_at if best else None
    standing.best_run_id = best.run_id if best else None
    for name in ("laps", "off_track_count", "crash_count", "reset_count"):
        setattr(standing, name, getattr(best, name) if best else 0)


def update_submissions(race: Race, racer_id: int) -> Standing | None:
    """A new run (submission) of the racer: their submission count, if they are on the board
    (a submission that never completes a lap still counts)."""
    updated = Standing.objects.filter(race=race, racer_id=racer_id).update(
        submissions=_submissions(race, racer_id))
    return Standing.objects.filter(race=race, racer_id=racer_id).first() if updated else None


@transaction.atomic
def rebuild(race: Race) -> int:
    """Make the race's standings again from its laps (rules changed, board cleared, repair).
    Returns the number of racers on the board (qualifying or not)."""
    race = Race.objects.select_for_update().get(pk=race.pk)  # one rebuild of a race at a time
    method, min_laps = rules_of(race)
    RunResult.objects.filter(race=race).delete()
    Standing.objects.filter(race=race).delete()
    by_run: dict[int, list[_LapRow]] = defaultdict(list)
    laps = _laps_that_count(race).order_by("run_id", "number").values_list("run_id", *LAP_ROW)
    for run_id, *fields in laps.iterator(chunk_size=BATCH):
        by_run[run_id].append(_LapRow(*fields))
    runs = {pk: Run(pk=pk, race_id=race.pk, racer_id=racer_id) for pk, racer_id in
            Run.objects.filter(race=race).values_list("pk", "racer_id").iterator(chunk_size=BATCH)}
    results = [_run_result(runs[run_id], laps, method, min_laps) for run_id, laps in by_run.items()]
    RunResult.objects.bulk_create(results, batch_size=BATCH)
    standings = _standings_of(race, results)
    Standing.objects.bulk_create(standings, batch_size=BATCH)
    BoardRules.objects.update_or_create(race=race, defaults={
        "method": method, "min_laps": min_laps, "cleared_at": race.leaderboard_cleared_at})
    return len(standings)


def _standings_of(race: Race, results: list[RunResult]) -> list[Standing]:
    # An alias, or the username of a racer without a profile (races.models.racer_alias).
    aliases = {pk: alias or username for pk, username, alias in
               get_user_model().objects.filter(runs__race=race).distinct()
               .values_list("pk", "username", "racer__alias")}
    best: dict[int, RunResult] = {}
    for result in results:
        if result.value_ms is None:
            continue
        held = best.get(result.racer_id)
        if held is None or (result.value_ms, result.achieved_at, result.run_id) < (
                held.value_ms, held.achieved_at, held.run_id):
            best[result.racer_id] = result
    counts: dict[int, int] = defaultdict(int)
    runs_counted = Run.objects.filter(race=race)
    if race.leaderboard_cleared_at:
        runs_counted = runs_counted.filter(created_at__gt=race.leaderboard_cleared_at)
    for racer_id in runs_counted.values_list("racer_id", flat=True).iterator(chunk_size=BATCH):
        counts[racer_id] += 1
    removed = set(Participant.objects.filter(race=race, removed_at__isnull=False)
                  .values_list("user_id", flat=True))
    standings = []
    for racer_id in {r.racer_id for r in results}:
        standing = Standing(race=race, racer_id=racer_id, alias=aliases[racer_id],
                            submissions=counts[racer_id], removed=racer_id in removed)
        _copy_best(standing, best.get(racer_id))
        standings.append(standing)
    return standings


def on_race_saved(sender, instance: Race, created: bool, **kwargs) -> None:
    """`post_save` of a Race: new ranking rules or a cleared board rebuild its standings (the
    organizer's save pays for it once, not the next page view)."""
    if created or kwargs.get("raw"):
        return
    if BoardRules.objects.filter(race=instance).exists() and not rules_current(instance):
        rebuild(instance)


def on_lap_saved(sender, instance: Lap, created: bool, **kwargs) -> None:
    """`post_save` of a Lap: its run's result and its racer's standing, in the lap's own
    transaction, so a lap and the standing it changed commit together (a process killed between
    them leaves neither). The board is announced after the commit (board.on_lap_committed)."""
    if not created or kwargs.get("raw"):
        return
    run = instance.run  # the record's own Run, already loaded
    # The race as it is now: a runner may hold its Run (and a stale race) for a whole turn,
    # during which the organizer may clear the board.
    race = Race.objects.filter(pk=run.race_id).first()
    if race is not None:
        update_run(race, run.pk, run)


def sync_membership(race_id, user_ids) -> int:
    """The organizer removed (or re-admitted) these racers: their standings leave (or come
    back to) the board as the participants' `removed_at` now says. Their runs, laps and
    results are never touched, so a re-admitted racer's standing is the one they had.
    Returns how many standings changed."""
    removed = set(Participant.objects.filter(race_id=race_id, user_id__in=user_ids,
                                             removed_at__isnull=False).values_list("user_id", flat=True))
    rows = Standing.objects.filter(race_id=race_id, racer_id__in=user_ids)
    return (rows.filter(racer_id__in=removed, removed=False).update(removed=True)
            + rows.exclude(racer_id__in=removed).filter(removed=True).update(removed=False))


def on_laps_saved(sender, run: Run, laps: list[Lap], **kwargs) -> None:
    """`laps_saved` (races/signals.py): several laps of one run saved in one insert (an
    evaluation's trials); the run's result and its racer's standing once, in their transaction."""
    race = Race.objects.filter(pk=run.race_id).first()
    if race is not None:
        update_run(race, run.pk, run)


def on_run_saved(sender, instance: Run, created: bool, **kwargs) -> None:
    """`post_save` of a new Run: one more submission of its racer."""
    if created and not kwargs.get("raw"):
        update_submissions(instance.race, instance.racer_id)
