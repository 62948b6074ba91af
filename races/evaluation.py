"""Classic races: entering a model (a submission) and evaluating it in the background.

A submission is a Run with `source="eval"` and its `Evaluation` row, made in one transaction
with the race row locked (`enter_classic`): refused before the start, after the close, after the
racer's removal and for a rejected model, with the reason, and then nothing is saved. Its
evaluation job (`evaluate_submission`, config/jobs.py) is dispatched when that transaction
commits: a request never waits for a simulation.

The job drives the race's own rules with livesim's evaluation runner (`livesim.evaluate`): the
race's `sim_config()` (track, penalties, resets, objects fixed or random per trial, bots), as many
trials as the race's `trials`, each from rest on the start line. Every Run change goes through
`races/record.py`: the job claims the queued run, starts it, records one lap per trial (a trial
the car did not finish is an invalid lap naming why, so it breaks a window of consecutive laps)
and ends it, saving the replay frames. While it drives it announces `submission.state` on the
race's websocket group (place in queue → trial n of N and % of the lap → done, or failed with the
reason) and renews the run's lease.

A worker killed mid-evaluation loses nothing: Celery delivers the job again (acks late, rejected
on a lost worker) and the new delivery resumes the run once the dead owner's lease has passed
(`record.take_over_run`); the trials are driven again with the run's seed, so they come out the
same and the laps already recorded are kept. An evaluation that no delivery resumes is ended as
failed with the reason by `record.recover_expired_runs`, which every job calls before it starts.
After `MAX_ATTEMPTS` deliveries a submission fails instead of taking a worker down once more.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gzip
import logging
import math
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q

from config.jobs import DispatchError, job
from livesim.config import ConfigError
from livesim.evaluate import EvalResult, evaluate

from . import protocol, record, sponsorship
from .evaluation_models import Evaluation
from .garage_models import RacerModel
from .models import Race, Track, racer_alias
from .run_models import Run

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
PROGRESS_EVERY_S = 0.25  # at most this often a `submission.state` while a trial is driven
# The logs are written once and downloaded rarely: gzip's fastest level (level 6 took about
# four times the CPU for a sim-trace some 10 % smaller).
LOG_GZIP_LEVEL = 1
QUEUE_PLACES_SHOWN = 500  # the queue's head gets its places announced when it moves
OWNER_PREFIX = "eval." + re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:40]

Publish = Callable[[object, dict], None]


# -- entering --------------------------------------------------------------------------------

def _utc(moment) -> str:
    return moment.strftime("%b %-d, %Y %H:%M UTC")


def classic_refusal(race: Race, user, now=None) -> str | None:
    """Why `user` cannot enter a model in the Classic `race` now (None when they can)."""
    if race.is_live:
        return "This is a LIVE race: enter your model for the organizer's queue instead."
    if race.is_in_person:  # its laps come from the track's timer and timekeeper, not the simulator
        return "This race is on a physical track: your turns are timed at the track."
    participant = race.participants.filter(user=user).first() if user.is_authenticated else None
    if participant is None:
        return "Join the race to enter a model."
    if participant.removed_at is not None:
        return "You were removed from this race: you can no longer enter it."
    status = race.status_at(now)
    if status == Race.Status.CLOSED:
        return f"The race closed on {_utc(race.closes_at)}: it takes no more entries."
    if status == Race.Status.OPENING_SOON:
        return f"The race opens on {_utc(race.start_at)}: enter from then on."
    return None


def enter_classic(race: Race, user, racer_model: RacerModel) -> Run:
    """Submit `racer_model` to the Classic `race` (any number of times while it is open) and
    queue its evaluation; ValidationError says why not, and then nothing is saved."""
    if racer_model.owner_id != user.pk:
        raise ValidationError({"model": "Choose one of your own models."})
    with transaction.atomic():
        # The race row is locked: an organizer closing the race or removing the racer waits,
        # or the entry waits for them and is refused. Locked by writing first (a no-op UPDATE),
        # not SELECT … FOR UPDATE, which SQLite ignores: there a transaction that reads before
        # it writes fails at once ("database is locked") when a job's write got in between.
        Race.objects.filter(pk=race.pk).update(updated_at=F("updated_at"))
        race = Race.objects.get(pk=race.pk)
        refusal = classic_refusal(race, user) or sponsorship.quota_refusal(user)
        if refusal:
            raise ValidationError({"race": refusal})
        if not racer_model.is_ready:
            raise ValidationError({"model": f"{racer_model.name} was rejected: {racer_model.error}"})
        run = record.queue_run(race, user.pk, racer_model=racer_model, model_name=racer_model.name,
                               seed=secrets.randbits(31))
        Evaluation.objects.create(run=run, trials=race.trials)
        run_id = run.pk
        transaction.on_commit(lambda: announce(run_id))
        evaluate_submission.dispatch(run_id)  # its handing over is the commit's last step
    return run


def enter_or_explain(race: Race, user, racer_model: RacerModel) -> Run:
    """`enter_classic`, with a queue that cannot take the job said as a refusal: the submission
    is then ended as failed with that reason, never left queued for nobody."""
    try:
        return enter_classic(race, user, racer_model)
    except DispatchError as exc:
        run = Run.objects.filter(race=race, racer=user, source=Run.Source.EVALUATION,
                                 state=Run.State.QUEUED).order_by("-created_at").first()
        reason = "the evaluation queue could not be reached"
        if run is not None:
            record.end_run(run.pk, Run.State.FAILED, reason, publish=_publish_quietly)
            announce(run.pk)
        log.error("could not queue an evaluation: %s", exc)
        raise ValidationError({"race": f"Your model could not be queued ({reason}): try again "
                                       "in a moment."}) from None


# -- what browsers see -----------------------------------------------------------------------

STATE_NAMES = {
    Run.State.QUEUED: "queued", Run.State.COUNTDOWN: "evaluating", Run.State.RUNNING: "evaluating",
    Run.State.FINISHED: "done", Run.State.FAILED: "failed", Run.State.ABORTED: "failed",
}


def queued_submissions():
    return Run.objects.filter(source=Run.Source.EVALUATION, state=Run.State.QUEUED)


def queue_place(run: Run) -> int:
    """1 for the next evaluation any worker takes (the queue is shared by all races)."""
    ahead = queued_submissions().filter(
        Q(created_at__lt=run.created_at) | Q(created_at=run.created_at, pk__lt=run.pk))
    return ahead.count() + 1


def submission_event(run: Run, evaluation: Evaluation | None = None, *, trial: int | None = None,
                     progress: float | None = None) -> dict:
    """A submission as the race page shows it (the `submission` of `submission.state`)."""
    evaluation = evaluation or Evaluation.objects.filter(run=run).first()
    state = STATE_NAMES[run.state]
    payload = {
        "id": run.pk, "racer_id": run.racer_id, "racer": racer_alias(run.racer),
        "model": run.model_name, "state": state,
        "trials": evaluation.trials if evaluation else None,
        "created_at": run.created_at.isoformat(),
    }
    if state == "queued":
        payload["place"] = queue_place(run)
    if state == "evaluating":
        payload["trial"] = trial or 1
        payload["progress"] = round(progress or 0.0, 1)
    if state == "failed":
        payload["failure"] = run.failure or "the evaluation stopped"
    if state == "done" and evaluation is not None:
        payload["results"] = evaluation.results
    return payload


def _publish_quietly(race_id, message: dict) -> None:
    """Events are at most once (the page reads the state again on reconnect): a channel layer
    that is away costs the event, never the evaluation."""
    try:
        _publisher()(race_id, message)
    except Exception as exc:
        log.warning("could not announce %s for race %s (%s: %s)", message.get("type"), race_id,
                    type(exc).__name__, exc)


def _publisher() -> Publish:
    # The process's publisher: on the server's event loop in embedded mode (where the in-memory
    # channel layer lives); in a Celery worker (no server loop, a Redis layer) the process's
    # ordered sender, on one loop and its kept connections.
    from .live import Publisher, get_pool

    publish = get_pool().publish
    if isinstance(publish, Publisher) and not (publish.loop and publish.loop.is_running()) \
            and _shared_layer():
        return _sender().send
    return publish


@functools.cache
def _shared_layer() -> bool:
    """Whether the events' channel layer is shared between processes (Redis): one another event
    loop of this process may send on. The in-memory layer lives on the loop it was used from."""
    from channels.layers import InMemoryChannelLayer, get_channel_layer

    layer = get_channel_layer()
    return layer is not None and not isinstance(layer, InMemoryChannelLayer)


class _Sender:
    """A worker process's events, sent in order by one event loop thread on connections it
    keeps. `protocol.send` from a thread without a loop (async_to_sync) makes a new loop, a
    thread and a Redis connection per event: most of an evaluation's cost besides the
    simulation, at a dozen events each. Events stay at most once: a layer that is away costs
    the event (logged), never the evaluation."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self._queue: asyncio.Queue | None = None
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._ready = threading.Event()
        self._last_warning = 0.0
        threading.Thread(target=self._main, daemon=True, name="eval-events").start()
        self._ready.wait(5)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._drain())

    async def _drain(self) -> None:
        self._queue = asyncio.Queue()
        self._ready.set()
        while True:
            race_id, message = await self._queue.get()
            try:
                await protocol.asend(race_id, message)
            except Exception as exc:
                now = time.monotonic()
                if now - self._last_warning > 10:  # once per 10 s, not per event
                    self._last_warning = now
                    log.warning("events are not reaching the channel layer (%s: %s)",
                                type(exc).__name__, exc)
            finally:
                with self._lock:
                    self._pending -= 1
                    if not self._pending:
                        self._idle.set()

    def send(self, race_id, message: dict) -> None:
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self.loop.call_soon_threadsafe(self._queue.put_nowait, (race_id, message))

    def flush(self, timeout: float) -> bool:
        """Wait until every event given so far is sent (a job's events are out when it ends)."""
        return self._idle.wait(timeout)


_senders: dict[int, _Sender] = {}
_senders_lock = threading.Lock()


def _sender() -> _Sender:
    """This process's sender (a forked worker child makes its own)."""
    with _senders_lock:
        sender = _senders.get(os.getpid())
        if sender is None:
            sender = _senders[os.getpid()] = _Sender()
        return sender


def _flush_events(timeout: float = 5.0) -> None:
    sender = _senders.get(os.getpid())
    if sender is not None and not sender.flush(timeout):
        log.warning("some events of the evaluation were still unsent after %g s", timeout)


def announce(run_id: int, publish: Publish | None = None, **progress) -> None:
    run = Run.objects.select_related("racer__racer").get(pk=run_id)
    (_publish_quietly if publish is None else publish)(run.race_id, protocol.submission_state(submission_event(run, **progress)))


def announce_queue(publish: Publish | None = None) -> None:
    """The queue moved: each race with queued submissions hears their new places."""
    by_race: dict = {}
    head = queued_submissions().order_by("created_at", "pk").values_list("pk", "race_id")
    for place, (run_id, race_id) in enumerate(head[:QUEUE_PLACES_SHOWN], start=1):
        by_race.setdefault(race_id, {})[run_id] = place
    for race_id, places in by_race.items():
        (_publish_quietly if publish is None else publish)(race_id, protocol.submission_queue(places))


# -- evaluating --------------------------------------------------------------------------------

class EvaluationFailed(Exception):
    """The evaluation cannot go on; the message is the reason the racer reads."""


class _LostLease(Exception):
    """Another worker took the run over, or it was ended meanwhile: stop without ending it."""


def evaluation_logs(result: EvalResult) -> tuple[str, str]:
    """The evaluation logs in the simulator's formats, as livesim writes them: the metrics JSON
    and the sim-trace CSV (one place, so livesim's formats flow through unchanged)."""
    return result.to_json(), result.trace_csv()


def trial_results(result: EvalResult) -> list[dict]:
    """Per trial: what the results table shows."""
    return [
        {"trial": m["trial"], "status": m["episode_status"], "completion": m["completion_percentage"],
         "time_ms": m["elapsed_time_in_milliseconds"], "off_track_count": m["off_track_count"],
         "crash_count": m["crash_count"], "reset_count": m["reset_count"]}
        for m in result.laps
    ]


def trial_lap(metric: dict) -> dict:
    """The recorded lap of one trial (a `livesim.evaluate` metrics entry): `record.lap_from_sim`
    for a finished trial; an unfinished one is an invalid lap that says why, so that it breaks
    a window of consecutive laps."""
    completed = metric["completion_percentage"] == 100
    start_s = metric["start_time"] / 1000
    elapsed_s = metric["elapsed_time_in_milliseconds"] / 1000
    lap = {
        "number": metric["trial"], "time_ms": metric["elapsed_time_in_milliseconds"],
        "completed": completed, "off_track_count": metric["off_track_count"],
        "crash_count": metric["crash_count"], "reset_count": metric["reset_count"],
        "sector_times_ms": metric.get("sector_times_in_milliseconds", []),
        "start_time": round(start_s, 3), "end_time": round(start_s + elapsed_s, 3),
    }
    fields = record.lap_from_sim(lap)
    if fields is not None:
        return fields
    fields = record.lap_from_sim({**lap, "completed": True})
    return {**fields, "valid": False,
            "invalid_reason": f"{metric['episode_status']} at {metric['completion_percentage']} % of the lap"}


class _Watched:
    """The racer's policy, with a look at the world before each of its steps (livesim's
    evaluation runner asks the policy once per step: progress, leases and the replay need no
    hook of their own)."""

    def __init__(self, policy, on_step: Callable) -> None:
        self.policy = policy
        self.on_step = on_step
        self.name = getattr(policy, "name", type(policy).__name__)

    def reset(self) -> None:
        self.policy.reset()

    def act(self, world):
        self.on_step(world)
        return self.policy.act(world)


class Evaluator:
    """One delivery of one submission's evaluation job."""

    def __init__(self, run_id: int, publish: Publish | None = None) -> None:
        self.run_id = run_id
        self.owner = f"{OWNER_PREFIX}.{os.getpid()}.{secrets.token_hex(4)}"
        self.publish = _publish_quietly if publish is None else publish
        self.frames: list[dict] = []
        self.race_id = None
        # The run and its evaluation as this delivery holds them: progress events are built
        # from these, not read again a few times a second.
        self.run_row: Run | None = None
        self.evaluation: Evaluation | None = None
        self._next_progress = 0.0
        self._lost = False
        self._deadline = 0.0
        self._trial = 0

    # -- taking the run -----------------------------------------------------------------------
    def claim(self) -> Run | None:
        """The run, taken for this delivery; None when it has ended or another live worker
        holds it (a duplicate delivery: that worker finishes it)."""
        waited_until = time.monotonic() + 2 * record.lease_s() + 1
        while True:
            run = record.claim_run(self.run_id, self.owner) or record.take_over_run(self.run_id, self.owner)
            if run is not None:
                return run
            current = Run.objects.filter(pk=self.run_id).values_list("state", flat=True).first()
            if current not in Run.ACTIVE_STATES or time.monotonic() > waited_until:
                return None
            # a redelivery after its worker was killed: the dead owner's lease has yet to pass
            time.sleep(min(1.0, record.lease_s() / 3))

    def run(self) -> None:
        try:
            self._run()
        finally:
            _flush_events()  # the job's events are out when it ends

    def _run(self) -> None:
        record.recover_expired_runs(publish=self.publish)  # others' dead evaluations
        if not Evaluation.objects.filter(run_id=self.run_id).exists():
            log.warning("evaluation job for run %s: no such submission", self.run_id)
            return
        run = self.claim()
        if run is None:
            return
        self.race_id = run.race_id
        Evaluation.objects.filter(run_id=self.run_id).update(attempts=F("attempts") + 1)
        evaluation = self.evaluation = Evaluation.objects.get(run_id=self.run_id)
        self.run_row = run
        announce_queue(self.publish)
        try:
            if evaluation.attempts > MAX_ATTEMPTS:
                raise EvaluationFailed(f"the evaluation was interrupted {MAX_ATTEMPTS} times "
                                       "(its worker stopped each time)")
            self.announce(trial=1, progress=0.0)
            result = self.drive(run, evaluation)
            self.save(result)
        except _LostLease:
            log.warning("evaluation of run %s: taken over or ended elsewhere; stopping", self.run_id)
            return
        except EvaluationFailed as exc:
            self.end(Run.State.FAILED, str(exc))
        except Exception as exc:  # a simulator bug must not leave the submission evaluating
            log.exception("evaluation of run %s crashed", self.run_id)
            self.end(Run.State.FAILED, f"the simulator failed ({type(exc).__name__}: {exc})")
        else:
            self.end(Run.State.FINISHED)

    def drive(self, run: Run, evaluation: Evaluation) -> EvalResult:
        race = Race.objects.select_related("track").defer("track__geometry").get(pk=run.race_id)
        if race.track is None:
            raise EvaluationFailed("the race has no track to race on")
        try:
            config = dataclasses.replace(race.sim_config(), laps=evaluation.trials, continuous=False)
            track = livesim_track(race.track)
        except (ConfigError, ValueError) as exc:
            raise EvaluationFailed(f"the race's rules cannot be simulated: {exc}") from None
        model = RacerModel.objects.filter(pk=run.racer_model_id).first()
        if model is None:
            raise EvaluationFailed("the model was deleted before its evaluation")
        try:
            policy = load_policy(model)
        except Exception as exc:
            raise EvaluationFailed(f"the model did not load ({type(exc).__name__}: {exc})") from None
        timeout = settings.EVALUATION_TIMEOUT_S
        started = record.start_run(self.run_id, self.owner, timeout)
        if started is None:
            raise _LostLease()
        self.run_row = started
        self._deadline = time.monotonic() + timeout
        with self._heartbeat():
            return evaluate(track, config, _Watched(policy, self.on_step), seed=run.seed)

    @contextlib.contextmanager
    def _heartbeat(self):
        """Renew the run's lease every third of a lease on a thread of its own: the simulator's
        first step in a process compiles its kernels for seconds, and the lease must hold
        through that too."""
        stop = threading.Event()

        def beat() -> None:
            try:
                while not stop.wait(record.lease_s() / 3):
                    if not record.renew_leases(self.owner, [self.run_id]):
                        self._lost = True  # taken over or ended elsewhere: the steps stop
                        return
            except Exception:  # the database is away: the lease runs out, a redelivery resumes
                log.exception("evaluation of run %s: lease renewal failed", self.run_id)
            finally:
                connection.close()

        thread = threading.Thread(target=beat, daemon=True, name=f"eval-lease-{self.run_id}")
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def on_step(self, world) -> None:
        if len(self.frames) < record.MAX_TRACE_FRAMES:
            self.frames.append(replay_frame(world, len(self.frames) + 1))
        now = time.monotonic()
        if now >= self._deadline:
            raise EvaluationFailed(f"timed out after {settings.EVALUATION_TIMEOUT_S:g} s")
        if self._lost:
            raise _LostLease()
        if world.trial != self._trial or now >= self._next_progress:
            self._trial = world.trial
            self._next_progress = now + PROGRESS_EVERY_S
            self.announce(trial=world.trial, progress=world.progress)
        if settings.EVALUATION_STEP_DELAY_S:
            time.sleep(settings.EVALUATION_STEP_DELAY_S)

    def announce(self, **progress) -> None:
        if progress and self.run_row is not None:  # evaluating: from what this delivery holds
            event = submission_event(self.run_row, self.evaluation, **progress)
            self.publish(self.race_id, protocol.submission_state(event))
        else:
            announce(self.run_id, self.publish, **progress)

    def save(self, result: EvalResult) -> None:
        metrics, trace = evaluation_logs(result)
        Evaluation.objects.filter(run_id=self.run_id).update(
            results=trial_results(result), metrics_gz=gzip.compress(metrics.encode(), LOG_GZIP_LEVEL),
            sim_trace_gz=gzip.compress(trace.encode(), LOG_GZIP_LEVEL))
        # Every trial's lap in one transaction: the racer's standing updated once, the board
        # announced once (not a transaction, a standing update and a board per trial).
        record.record_laps(self.run_row or Run.objects.get(pk=self.run_id),
                           [trial_lap(metric) for metric in result.laps], publish=self.publish)

    def end(self, state: str, failure: str = "") -> None:
        frames, self.frames = self.frames, []
        record.end_run(self.run_id, state, failure, trace=frames, publish=self.publish)
        self.announce()


_tracks: dict[tuple, object] = {}


def livesim_track(track: Track):
    """The simulator's track for a catalog entry (`Track.to_livesim`), built once per process:
    a livesim Track is read-only while driven. Its geometry is read from the database only
    when the entry is new to the process (or was synced to another shape since)."""
    key = (track.pk, track.created_at, track.length_m, track.width_m, track.closed)
    sim = _tracks.get(key)
    if sim is None:
        if "geometry" in track.get_deferred_fields():
            track = Track.objects.get(pk=track.pk)
        sim = _tracks[key] = track.to_livesim()
    return sim


@functools.lru_cache(maxsize=16)
def _model_package(path: str, sha256: str):
    """An uploaded model's package, read and checked once per process and content (a package
    is immutable: its policy is made afresh for each evaluation, it holds the run's state)."""
    from livesim.model_package import load_model_package

    return load_model_package(path)


def load_policy(model: RacerModel):
    """A fresh policy for `model` (`RacerModel.create_policy`, its package read once per
    process: the same file and checksum are the same package)."""
    if model.is_reference or not model.sha256 or model.path is None:
        return model.create_policy()
    from livesim.policies import create_policy

    return create_policy(_model_package(str(model.path), model.sha256))


def replay_frame(world, step: int) -> dict:
    """What the replay draws and shows of one step (`livesim.realtime.TRACE_FIELDS`)."""
    frame = {
        "step": step, "t": round(world.time, 3), "x": round(world.px, 3), "y": round(world.py, 3),
        "heading": round(math.degrees(world.car.heading), 1), "progress": round(world.progress, 2),
        "lap": world.trial, "lap_time": round(world.lap_time(), 3),
        "speed": round(world.car.speed, 2), "reset_count": world.resets,
    }
    objects = world.objects()
    if objects:
        frame["objects"] = [{"kind": o["kind"], "x": round(o["x"], 3), "y": round(o["y"], 3),
                             "heading": round(math.degrees(o["heading"]), 1)} for o in objects]
    return frame


def resume_lost_evaluations() -> int:
    """Embedded mode, when the server starts: the job threads' queue died with the last server
    process, so every evaluation still queued or under way is dispatched again (one under way
    is resumed once its dead owner's lease has passed). Scaled mode needs none of this: Redis
    keeps the jobs. Returns how many were dispatched."""
    lost = list(Run.objects.filter(source=Run.Source.EVALUATION,
                                   state__in=(Run.State.QUEUED, *Run.ACTIVE_STATES))
                .order_by("created_at", "pk").values_list("pk", flat=True))
    for run_id in lost:
        evaluate_submission.dispatch(run_id)
    if lost:
        log.warning("dispatched %d evaluation(s) again that the last server process left", len(lost))
    return len(lost)


def resume_lost_evaluations_soon() -> None:
    """`resume_lost_evaluations` on a thread, so that the server starts without waiting for the
    database."""
    def resume() -> None:
        try:
            resume_lost_evaluations()
        except Exception:
            log.exception("could not dispatch the evaluations the last server process left")
        finally:
            connection.close()

    threading.Thread(target=resume, daemon=True, name="eval-resume").start()


@job
def evaluate_submission(run_id: int) -> None:
    """Evaluate one Classic submission (idempotent: a second delivery resumes or does nothing)."""
    Evaluator(run_id).run()
