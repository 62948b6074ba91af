"""The record of racing: the only way to begin, claim and end a Run and to record a Lap.

Every producer of laps plugs in here, and nowhere else:

- the live runner (`races/live.py`) turns each simulator lap into a recorded lap with
  `lap_from_sim()` and calls `record_lap()`; a Classic evaluation job records its trials
  together with `record_laps()` (one transaction, one standing update, one board);
- a lap timer reader or a timekeeper's buttons (`timing/`) begin a Run with `source="timer"` or
  `"manual"` and call `record_lap(run, number=…, time_ms=…, …)` with the fields of
  `run_models.LAP_FIELDS`.

A lap is committed before it is announced: `run.lap` goes out on the race's group only once the
transaction holds, then the `lap_committed` signal tells the listeners (the leaderboard, which
announces `leaderboard.changed`). Recording the same lap number twice (a retry after a crash)
returns the stored lap and announces nothing.

A Classic submission is a Run with `source="eval"`, queued (`queue_run`) until an evaluation
job claims it; any number of them may be evaluated at once. A job whose worker was killed is
delivered again and resumes the run (`take_over_run`) once its lease has passed; an evaluation
that nobody resumes within `eval_grace_s()` after its lease passed is ended as failed by
`recover_expired_runs()`, with the reason.

Who runs a run is a lease, not a process id: the runner that claims a run (`claim_run`) renews
its lease while it drives (`renew_leases`); an active run whose lease has passed (its process was
killed, its machine lost, or no runner ever claimed the launch) is ended as aborted by
`recover_expired_runs()`, which servers and runners call when they start and on a timer. Reads
never do this.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from livesim.car import STEP_HZ
from livesim.realtime import TRACE_FIELDS

from . import lineup, protocol
from .models import racer_alias
from .run_models import LAP_FIELDS, Lap, Run, RunTrace
from .signals import lap_committed, laps_saved

log = logging.getLogger(__name__)

Publish = Callable[[object, dict], None]
MAX_TRACE_FRAMES = STEP_HZ * 60 * 60  # an hour: longer turns keep their first hour
# A replay is written once and read a few times: gzip's fastest level (level 6 took about four
# times the CPU for files some 10 % smaller; an evaluation writes one per submission).
TRACE_GZIP_LEVEL = 1
RECOVERED = "the live runner stopped"
EVAL_RECOVERED = "the evaluation stopped: its worker was lost and no other worker resumed it"


class RaceBusy(Exception):
    """The race already has a run in countdown or on track."""


def lease_s() -> float:
    """How long a claimed run stays its owner's without a renewal (LIVE_LEASE_S)."""
    return float(settings.LIVE_LEASE_S)


def eval_grace_s() -> float:
    """How long after its lease passed an evaluation waits for its job's second delivery
    before it is ended as failed (EVALUATION_GRACE_S: a new worker process takes seconds to
    start)."""
    return float(settings.EVALUATION_GRACE_S)


def _lease_until(now=None):
    return (now or timezone.now()) + timedelta(seconds=lease_s())


# -- runs ---------------------------------------------------------------------------------------

def begin_run(race, racer_id: int, *, source: str = Run.Source.SIM, racer_model=None,
              model_name: str = "", seed: int = 0) -> Run:
    """A new run in `countdown`, waiting for a runner to claim it (one active run per race).

    A run of this race whose runner died is recovered first, so it cannot block the launch."""
    recover_expired_runs(race_id=race.pk)
    try:
        with transaction.atomic():
            return Run.objects.create(
                race=race, racer_id=racer_id, source=source, racer_model=racer_model,
                model_name=model_name, state=Run.State.COUNTDOWN, seed=seed,
                lease_expires_at=_lease_until(),  # the time a runner has to claim it
            )
    except IntegrityError:
        raise RaceBusy("Another racer is on track.") from None


def queue_run(race, racer_id: int, *, racer_model=None, model_name: str = "", seed: int = 0) -> Run:
    """A Classic submission: a new evaluation run, `queued` until a job claims it. It holds no
    lease while it waits (a queue may be long); the job that will run it is dispatched by the
    caller in the same transaction."""
    return Run.objects.create(
        race=race, racer_id=racer_id, source=Run.Source.EVALUATION, racer_model=racer_model,
        model_name=model_name, state=Run.State.QUEUED, seed=seed)


def claim_run(run_id: int, owner: str) -> Run | None:
    """Take a launched run (or a queued evaluation, which moves to `countdown`: being prepared)
    for `owner` unless another runner already has it (one conditional UPDATE, so any number of
    processes may race for it)."""
    taken = Run.objects.filter(
        pk=run_id, state__in=(Run.State.COUNTDOWN, Run.State.QUEUED), owner="").update(
        owner=owner, state=Run.State.COUNTDOWN, lease_expires_at=_lease_until())
    return Run.objects.select_related("racer__racer").get(pk=run_id) if taken else None


def take_over_run(run_id: int, owner: str) -> Run | None:
    """Resume an evaluation whose owner stopped renewing its lease (its worker was killed): it
    goes back to `countdown` under `owner`, its committed laps kept. None while the lease
    holds or once the run has ended."""
    taken = Run.objects.filter(
        pk=run_id, source=Run.Source.EVALUATION, state__in=Run.ACTIVE_STATES,
        lease_expires_at__lt=timezone.now()).update(
        owner=owner, state=Run.State.COUNTDOWN, lease_expires_at=_lease_until())
    return Run.objects.select_related("racer__racer").get(pk=run_id) if taken else None


def start_run(run_id: int, owner: str, duration_s: float) -> Run | None:
    """Go: the claimed run is on track from now for `duration_s`; None if it was ended meanwhile."""
    now = timezone.now()
    moved = Run.objects.filter(pk=run_id, state=Run.State.COUNTDOWN, owner=owner).update(
        state=Run.State.RUNNING, started_at=now, ends_at=now + timedelta(seconds=duration_s),
        lease_expires_at=_lease_until(now))
    if not moved:
        return None
    return Run.objects.select_related("racer__racer").get(pk=run_id)


def renew_leases(owner: str, run_ids: Iterable[int]) -> int:
    """The owner's heartbeat: keep its active runs its own for another lease."""
    ids = list(run_ids)
    if not ids:
        return 0
    return Run.objects.filter(pk__in=ids, owner=owner, state__in=Run.ACTIVE_STATES).update(
        lease_expires_at=_lease_until())


def end_run(run_id: int, state: str, failure: str = "", *, trace: list[dict] | None = None,
            publish: Publish | None = None) -> bool:
    """End an active run (finished, failed or aborted), save its replay, send an in-person racer
    to the back of the queue, then announce the end (`run.state`, `queue.changed`). False, and nothing announced, if it had already ended. A
    queued evaluation may be ended too (it could not be handed to the workers)."""
    if state not in Run.ENDED_STATES:
        raise ValueError(f"{state!r} is not an end state")
    ended = Run.objects.filter(pk=run_id, state__in=(*Run.ACTIVE_STATES, Run.State.QUEUED)).update(
        state=state, ended_at=timezone.now(), failure=failure[:300], lease_expires_at=None)
    if not ended:
        return False
    has_trace = False
    try:  # before the end is announced, so that the racer's replay finds it
        has_trace = save_trace(run_id, trace or []) is not None
    except Exception:  # a replay is nice to have: it must not keep the run from ending
        log.exception("could not save the trace of run %s", run_id)
    run = Run.objects.select_related("race", "racer__racer").get(pk=run_id)
    if run.race.is_in_person:  # a turn on the track: its racer queues again, at the back
        lineup.send_to_back(run.race, run.racer_id)
    _announce_end(run, has_trace, publish or protocol.send)
    return True


def _announce_end(run: Run, has_trace: bool, publish: Publish) -> None:
    _announce(publish, run.race_id, protocol.run_state(run.as_event(racer_alias(run.racer), has_trace=has_trace)))
    if run.source != Run.Source.EVALUATION:  # a Classic race has no LIVE queue to show
        _announce(publish, run.race_id, protocol.queue_changed(lineup.queue(run.race)))


def _announce(publish: Publish, race_id, message: dict) -> None:
    """Announce what is already recorded. Events are at most once (a browser that misses one
    gets a snapshot when it reconnects), so a channel layer that is away costs the event, never
    the record or the caller's action."""
    try:
        publish(race_id, message)
    except Exception as exc:
        log.warning("could not announce %s for race %s (%s: %s)", message.get("type"), race_id,
                    type(exc).__name__, exc)


def recover_expired_runs(race_id=None, publish: Publish | None = None) -> int:
    """End as aborted every active run whose lease has passed (its runner is gone), and as
    failed every evaluation that no worker resumed within `eval_grace_s()` after that; their
    committed laps stay. Returns how many were recovered."""
    now = timezone.now()
    evaluation = Q(source=Run.Source.EVALUATION)
    expired = Run.objects.filter(state__in=Run.ACTIVE_STATES).filter(
        Q(lease_expires_at__isnull=True)
        | (~evaluation & Q(lease_expires_at__lt=now))
        | (evaluation & Q(lease_expires_at__lt=now - timedelta(seconds=eval_grace_s()))))
    if race_id is not None:
        expired = expired.filter(race_id=race_id)
    count = 0
    for run_id, source in list(expired.values_list("pk", "source")):
        if source == Run.Source.EVALUATION:
            count += end_run(run_id, Run.State.FAILED, EVAL_RECOVERED, publish=publish)
        else:
            count += end_run(run_id, Run.State.ABORTED, RECOVERED, publish=publish)
    if count:
        log.warning("recovered %d run(s) whose live runner stopped", count)
    return count


# -- laps ---------------------------------------------------------------------------------------

def lap_from_sim(lap: dict) -> dict | None:
    """The recorded fields of a simulator lap (`livesim.realtime` lap dict), or None for a lap
    that was not completed (cut by time-up or a failure: not a lap)."""
    if not lap.get("completed"):
        return None
    return {name: lap[name] for name in LAP_FIELDS if name in lap}


def record_lap(run: Run, *, number: int, time_ms: int, off_track_count: int = 0,
               crash_count: int = 0, reset_count: int = 0, valid: bool = True,
               invalid_reason: str = "", sector_times_ms: list[int] | None = None,
               start_time: float | None = None, end_time: float | None = None,
               publish: Publish | None = None) -> Lap:
    """Commit a lap, then announce it (`run.lap`, then `lap_committed`) once the commit holds.

    Recording the same lap number twice (a retry after a crash) returns the stored lap.
    `publish(race_id, event)` defaults to `protocol.send`; the live runner passes its own."""
    publish = publish or protocol.send
    with transaction.atomic():
        lap, created = Lap.objects.get_or_create(
            run=run, number=number,
            defaults=dict(
                time_ms=int(time_ms), off_track_count=off_track_count, crash_count=crash_count,
                reset_count=reset_count, valid=valid, invalid_reason=invalid_reason,
                sector_times_ms=list(sector_times_ms or []), start_time=start_time,
                end_time=end_time,
            ),
        )
        if created:
            race_id = run.race_id
            transaction.on_commit(lambda: _announce_lap(race_id, run.pk, lap, publish))
    return lap


def record_laps(run: Run, laps: list[dict], publish: Publish | None = None) -> list[Lap]:
    """Commit several laps of one run at once (`record_lap`'s fields each: an evaluation's
    trials, known together), in one transaction and one insert; then announce each (`run.lap`)
    and send `lap_committed` for each (`more=True` but for the last) once the commit holds. The listeners hear
    `laps_saved` inside the transaction instead of a `post_save` per lap (the leaderboard
    updates the racer's standing once, not per lap). Laps already recorded (a resumed
    evaluation) are kept as they are and not announced again; returns the new ones."""
    publish = publish or protocol.send
    try:
        with transaction.atomic():
            # Writing first locks the run (one writer of its laps at a time; on SQLite a
            # transaction that reads first fails at once if another writer got in between).
            Run.objects.filter(pk=run.pk).update(lease_expires_at=F("lease_expires_at"))
            have = set(Lap.objects.filter(run=run).values_list("number", flat=True))
            new = [Lap(run=run, **_lap_fields(**fields)) for fields in laps
                   if fields["number"] not in have]
            if new:
                Lap.objects.bulk_create(new)
                laps_saved.send(sender=Lap, run=run, laps=new)
                race_id = run.race_id
                transaction.on_commit(lambda: _announce_laps(race_id, run.pk, new, publish))
    except IntegrityError:  # another writer recorded one of them meanwhile: one at a time
        return [record_lap(run, **fields, publish=publish) for fields in laps]
    return new


def _lap_fields(*, number: int, time_ms: int, off_track_count: int = 0, crash_count: int = 0,
                reset_count: int = 0, valid: bool = True, invalid_reason: str = "",
                sector_times_ms: list[int] | None = None, start_time: float | None = None,
                end_time: float | None = None) -> dict:
    """A Lap's fields as `record_lap` stores them."""
    return dict(number=number, time_ms=int(time_ms), off_track_count=off_track_count,
                crash_count=crash_count, reset_count=reset_count, valid=valid,
                invalid_reason=invalid_reason, sector_times_ms=list(sector_times_ms or []),
                start_time=start_time, end_time=end_time)


def _announce_laps(race_id, run_id: int, laps: list[Lap], publish: Publish) -> None:
    for lap in laps:
        _announce(publish, race_id, protocol.run_lap(run_id, lap.as_event()))
    for i, lap in enumerate(laps):  # `more`: others of the same commit follow (one board, not one per lap)
        lap_committed.send_robust(sender=Lap, race_id=race_id, lap=lap, more=i < len(laps) - 1,
                                  publish=lambda rid, message: _announce(publish, rid, message))


def _announce_lap(race_id, run_id: int, lap: Lap, publish: Publish) -> None:
    _announce(publish, race_id, protocol.run_lap(run_id, lap.as_event()))
    lap_committed.send_robust(sender=Lap, race_id=race_id, lap=lap,
                              publish=lambda rid, message: _announce(publish, rid, message))


# -- replays ------------------------------------------------------------------------------------

def trace_frame(frame: dict) -> dict:
    """What a replay keeps of a frame (`livesim.realtime.TRACE_FIELDS`)."""
    return {k: frame[k] for k in TRACE_FIELDS if k in frame}


def save_trace(run_id: int, frames: list[dict], hz: int = STEP_HZ) -> RunTrace | None:
    if not frames:
        return None
    data = gzip.compress(json.dumps(frames, separators=(",", ":")).encode(), compresslevel=TRACE_GZIP_LEVEL)
    # One statement whether the run has a replay already or not.
    trace = RunTrace(run_id=run_id, hz=hz, frame_count=len(frames), data=data)
    RunTrace.objects.bulk_create([trace], update_conflicts=True, unique_fields=["run"],
                                 update_fields=["hz", "frame_count", "data"])
    return trace
