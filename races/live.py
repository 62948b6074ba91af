"""The live runner: runs LIVE turns on livesim's real-time runner and streams them.

A process that runs races (the server itself in embedded mode, `manage.py runlive` processes in
scaled mode) owns one `LivePool`. Launching a run: the organizer's action creates the Run in
state `countdown` (the database allows one active run per race, so a double-click launches once);
the pool counts 10…1, says Go, and drives the racer's model for the race's time per racer.
Every step goes out as a `run.frame` event; every completed lap is committed through
`record_lap` before the frame that follows it. Only the racer whose run is live may change its
speed multiplier.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from livesim.car import DT
from livesim.config import ObjectSpec, RaceConfig
from livesim.policies import create_policy
from livesim.realtime import FAILED, FINISHED, STOPPED, RealtimeRunner
from livesim.speed import MAX_MULTIPLIER, MIN_MULTIPLIER, SpeedMultiplier

from . import protocol
from .models import Race, racer_alias
from .racing import MAX_TRACE_FRAMES, Run, record_lap, save_trace, trace_frame

log = logging.getLogger(__name__)

COUNTDOWN_FROM = 10  # the racer sees 10…1, then Go
# Who runs a run: also the name of that process's control channel (letters, digits, - and .).
OWNER = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:60] + f".{os.getpid()}"
LAUNCH_CHANNEL = "live-runner"  # scaled mode: runlive processes take launches from here


def race_config(race: Race) -> RaceConfig:
    """The simulator configuration of a race's options."""
    objects = ()
    if race.race_type == Race.RaceType.OBJECT_AVOIDANCE and not race.random_objects:
        objects = tuple(ObjectSpec(p["lane"], float(p["location"])) for p in race.object_positions)
    return RaceConfig(
        race_type=race.race_type,
        off_track_penalty=float(race.off_track_penalty),
        collision_penalty=float(race.collision_penalty or 0),
        max_resets=race.max_resets,
        objects=objects,
        num_objects=(race.object_count or 0) if race.race_type == "oa" else 0,
        num_bots=(race.bot_count or 0) if race.race_type == "h2b" else 0,
        bot_speed=float(race.bot_speed or 1),
        bot_lane_change=race.lane_change,
        lane_change_min=float(race.lane_change_min or 3),
        lane_change_max=float(race.lane_change_max or 5),
    )


def default_policy_for(run: Run):
    """The policy of the run's garage model, or a `reference[:temperament]` spec."""
    if run.racer_model_id:
        return run.racer_model.create_policy()
    return create_policy(run.model_name or "reference")


def _release_db() -> None:
    """Runner threads close their database connection when done with it: they are not request
    threads, so nothing else would, and PostgreSQL counts every open one."""
    if threading.current_thread().name.startswith(("live-run-", "livesim-realtime")):
        connection.close()


class SpeedRejected(Exception):
    """A speed change that is not allowed; the message says why."""


@dataclass
class ActiveRun:
    run_id: int
    race_id: str
    racer_id: int
    multiplier: SpeedMultiplier = field(default_factory=SpeedMultiplier)
    runner: RealtimeRunner | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    lap_count: int = 0
    tick_phase_s: float | None = None
    trace: list[dict] = field(default_factory=list)  # the replay's frames, saved at the end


class Publisher:
    """Sends events to a race's group: onto the server's event loop when there is one (embedded
    mode, where the in-memory layer lives on that loop), else through async_to_sync."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop
        self._last_warning = 0.0

    def __call__(self, race_id, message: dict) -> None:
        if self.loop is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self._send(race_id, message), self.loop)
        else:
            protocol.send(race_id, message)

    async def _send(self, race_id, message: dict) -> None:
        try:
            await protocol.asend(race_id, message)
        except Exception as exc:  # the layer is away: the event is lost, the run goes on
            now = time.monotonic()
            if now - self._last_warning > 10:  # once per 10 s, not at 15 Hz per run
                self._last_warning = now
                log.warning("events are not reaching the channel layer (%s: %s)", type(exc).__name__, exc)


class LivePool:
    def __init__(self, publish: Callable[[str, dict], None] | None = None, *, fast: bool = False,
                 countdown_step_s: float = 1.0,
                 policy_factory: Callable[[Run], object] = default_policy_for) -> None:
        self.publish = publish or Publisher()
        self.fast = fast
        self.countdown_step_s = countdown_step_s
        self.policy_factory = policy_factory
        self.active: dict[int, ActiveRun] = {}
        self._lock = threading.Lock()
        self.session_best: dict[str, dict] = {}

    # -- control ------------------------------------------------------------------------------
    def launch(self, run: Run) -> ActiveRun:
        """Count down and start a run already saved in state `countdown`."""
        active = ActiveRun(run.pk, str(run.race_id), run.racer_id)
        with self._lock:
            self.active[run.pk] = active
        Run.objects.filter(pk=run.pk).update(owner=OWNER)
        threading.Thread(target=self._countdown_then_go, args=(active,), daemon=True,
                         name=f"live-run-{run.pk}").start()
        return active

    def _tick_phase(self) -> float:
        """A tick phase for a new run: the middle of the widest gap between the phases of this
        pool's runs, so that their steps (which hold the interpreter lock) do not pile up."""
        taken = sorted(a.tick_phase_s for a in self.active.values() if a.tick_phase_s is not None)
        if not taken:
            return time.monotonic() % DT
        gaps = [(b - a, a) for a, b in zip(taken, taken[1:] + [taken[0] + DT], strict=True)]
        width, start = max(gaps)
        return (start + width / 2) % DT

    def stop(self, run_id: int) -> None:
        active = self.active.get(run_id)
        if active is None:
            return
        active.cancelled.set()
        if active.runner is not None:
            active.runner.stop()

    def set_speed(self, race_id, user_id: int, value) -> float:
        """Apply a racer's speed multiplier to their live run; returns the value applied."""
        number = _speed_value(value)
        for active in list(self.active.values()):
            if active.race_id == str(race_id):
                if active.racer_id != user_id:
                    raise SpeedRejected("only the racer on track can change the speed")
                if active.runner is None:
                    raise SpeedRejected("the run has not started yet")
                return active.runner.set_speed_multiplier(number)
        raise SpeedRejected("no run is live in this race")

    def wait(self, run_id: int, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while run_id in self.active and time.monotonic() < deadline:
            time.sleep(0.02)
        return run_id not in self.active

    # -- the run's thread -------------------------------------------------------------------
    def _countdown_then_go(self, active: ActiveRun) -> None:
        try:
            for count in range(COUNTDOWN_FROM, 0, -1):
                self.publish(active.race_id, protocol.event(
                    "run.state", run={"id": active.run_id, "state": "countdown", "count": count}))
                if active.cancelled.wait(0 if self.fast else self.countdown_step_s):
                    self._end(active, Run.State.ABORTED, "stopped during the countdown")
                    return
            self._go(active)
        except Exception as exc:  # a broken model or track must not take the server down
            log.exception("live run %s failed to start", active.run_id)
            self._end(active, Run.State.FAILED, f"{type(exc).__name__}: {exc}")
        finally:
            _release_db()

    def _go(self, active: ActiveRun) -> None:
        run = Run.objects.select_related("race__track", "racer_model", "racer__racer").get(pk=active.run_id)
        race = run.race
        duration = (race.time_per_racer or 3) * 60
        policy = self.policy_factory(run)
        with self._lock:
            active.tick_phase_s = self._tick_phase()
        now = timezone.now()
        Run.objects.filter(pk=run.pk).update(state=Run.State.RUNNING, started_at=now,
                                             ends_at=now + timedelta(seconds=duration))
        runner = RealtimeRunner(
            race.track.to_livesim(), race_config(race), policy,
            on_frame=lambda frame: self._on_frame(active, frame),
            on_lap=lambda lap: self._on_lap(active, run, lap),
            on_state=lambda state, info: self._on_state(active, state, info),
            duration_s=duration, seed=run.seed, multiplier=active.multiplier, fast=self.fast,
            session_best=self.session_best.get(active.race_id), tick_phase_s=active.tick_phase_s,
        )
        active.runner = runner
        self.publish(active.race_id, protocol.event(
            "run.state", run={"id": run.pk, "state": "running", "racer_id": run.racer_id,
                              "racer": racer_alias(run.racer),
                              "ends_at": (now + timedelta(seconds=duration)).isoformat(),
                              "started_at": now.isoformat(), "duration_s": duration}))
        if active.cancelled.is_set():
            self._end(active, Run.State.ABORTED, "stopped before Go")
            return
        runner.start()

    def _on_frame(self, active: ActiveRun, frame: dict) -> None:
        if len(active.trace) < MAX_TRACE_FRAMES:
            active.trace.append(trace_frame(frame))
        self.publish(active.race_id, protocol.event(
            "run.frame", run_id=active.run_id, ts=time.time(), frame=frame))

    def _on_lap(self, active: ActiveRun, run: Run, lap: dict) -> None:
        if not lap.get("completed"):
            return  # a lap cut by time-up or a failure is not a lap
        try:
            active.lap_count += 1
            record_lap(
                run, number=active.lap_count, time_ms=int(lap["time_ms"]),
                off_tracks=lap.get("off_tracks", 0), collisions=lap.get("collisions", 0),
                resets=lap.get("resets", 0), sector_ms=list(lap.get("sector_times_ms") or []),
                source_started=lap.get("started_at"), source_ended=lap.get("ended_at"),
                publish=self.publish,
            )
        finally:
            _release_db()

    def _on_state(self, active: ActiveRun, state: str, info: dict) -> None:
        if state in (FINISHED, STOPPED, FAILED):
            runner = active.runner
            if runner is not None:
                self.session_best[active.race_id] = runner.session_best
            final = {FINISHED: Run.State.FINISHED, STOPPED: Run.State.ABORTED,
                     FAILED: Run.State.FAILED}[state]
            self._end(active, final, (runner.error or "") if runner else "")
            _release_db()

    def _end(self, active: ActiveRun, state: str, failure: str = "") -> None:
        Run.objects.filter(pk=active.run_id, state__in=Run.ACTIVE_STATES).update(
            state=state, ended_at=timezone.now(), failure=failure[:300])
        try:  # before the end is announced, so that the racer's replay finds it
            has_trace = save_trace(active.run_id, active.trace) is not None
        except Exception:  # a replay is nice to have: it must not keep the run from ending
            log.exception("could not save the trace of run %s", active.run_id)
            has_trace = False
        active.trace = []
        self.publish(active.race_id, protocol.event(
            "run.state", run={"id": active.run_id, "state": state, "failure": failure,
                              "has_trace": has_trace}))
        with self._lock:
            self.active.pop(active.run_id, None)
        from .live_control import queue  # the queue shows each racer's last run

        race = Race.objects.filter(pk=active.race_id).first()
        if race is not None:
            self.publish(active.race_id, protocol.event("queue.changed", queue=queue(race)))


def recover_interrupted_runs(is_alive: Callable[[str], bool] | None = None) -> int:
    """After a crash: runs left in countdown/running by a process that is gone become `aborted`
    (their committed laps stay), so the organizer can relaunch the racer."""
    alive = is_alive or owner_alive
    stale = [r.pk for r in Run.objects.filter(state__in=Run.ACTIVE_STATES) if not alive(r.owner)]
    return Run.objects.filter(pk__in=stale).update(
        state=Run.State.ABORTED, ended_at=timezone.now(), failure="the live runner stopped")


def owner_alive(owner: str) -> bool:
    if not owner:
        return False  # never picked up by a runner
    host, _, pid = owner.rpartition(".")
    if host != OWNER.rpartition(".")[0]:
        return True  # another machine's runner: not ours to judge
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def set_speed_anywhere(race_id, user_id: int, value) -> float:
    """Apply a speed change wherever the race's run lives: in this process, or (scaled mode)
    in the runlive process that owns it. The same rules hold on both paths."""
    pool = get_pool()
    if any(a.race_id == str(race_id) for a in pool.active.values()):
        return pool.set_speed(race_id, user_id, value)
    run = Run.objects.filter(race_id=race_id, state=Run.State.RUNNING).first()
    if run is None or not run.owner:
        raise SpeedRejected("no run is live in this race")
    if run.racer_id != user_id:
        raise SpeedRejected("only the racer on track can change the speed")
    number = _speed_value(value)
    try:
        protocol.send_to_channel(control_channel(run.owner), {
            "type": "live.speed", "race_id": str(race_id), "user_id": user_id, "value": number})
    except Exception as exc:
        log.exception("could not pass a speed change to the live runner of race %s", race_id)
        raise SpeedRejected("the live runner cannot be reached: speed not changed") from exc
    return number


def _speed_value(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SpeedRejected("the speed multiplier must be a number") from None
    if not math.isfinite(number):
        raise SpeedRejected("the speed multiplier must be a finite number")
    return min(max(number, MIN_MULTIPLIER), MAX_MULTIPLIER)


def control_channel(owner: str) -> str:
    return f"{LAUNCH_CHANNEL}.{owner}"


_pool: LivePool | None = None


def use_event_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Embedded mode: publish from runner threads onto the server's loop, where the in-memory
    channel layer's queues live (they are not safe to touch from another loop)."""
    publish = get_pool().publish
    if isinstance(publish, Publisher) and publish.loop is None:
        publish.loop = loop


def get_pool() -> LivePool:
    """This process's pool (created on first use)."""
    global _pool
    if _pool is None:
        _pool = LivePool()
    return _pool
