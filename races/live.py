"""The live runner: runs LIVE turns on livesim's real-time runner and streams them.

A process that runs races (the server itself in embedded mode, `manage.py runlive` processes in
scaled mode) owns one `LivePool`. The organizer's launch begins a Run in `countdown`
(`record.begin_run`: one active run per race, so a double-click launches once); the router
(`races/router.py`) hands it to a pool, which claims it (`record.claim_run`), loads the model and
warms the simulator up while it counts 10…1, says Go (`record.start_run`) and drives the racer's
model for the race's time per racer.

One lap, from the simulator to the browsers: livesim's runner ends a lap and calls `_on_lap`
with its lap dict (`livesim.realtime.LAP_FIELDS`) before the frame of that step;
`record.lap_from_sim` keeps the recorded fields and `record.record_lap` commits the Lap, then
announces `run.lap` and sends `lap_committed` (the leaderboard announces `leaderboard.changed`).
Every step goes out as a `run.frame` event; a model with a camera also sends what its camera
fed the network, `CAMERA_FPS` times a second, as a `run.camera` JPEG (the fan-out writes it only to
the pages that show the Car camera panel). The run ends through `record.end_run`, which saves
the replay before announcing the end.

The pool only applies what the router hands it: permissions are checked there, once. While it
drives runs, the pool renews their leases; every pool also recovers runs whose lease has passed
(`record.recover_expired_runs`), at start and on a timer (`start_housekeeping`).
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections, connection
from PIL import Image

from livesim.camera import model_view
from livesim.car import DT
from livesim.policies import create_policy
from livesim.realtime import FAILED, FINISHED, STOPPED, RealtimeRunner
from livesim.speed import SpeedMultiplier

from . import protocol, record
from .models import racer_alias
from .run_models import Run

log = logging.getLogger(__name__)

COUNTDOWN_FROM = 10  # the racer sees 10…1, then Go
# Who runs a run: also the name of that process's control channel (letters, digits, - and .).
# Host and pid are for people reading it; the random part makes every start a new owner, so a
# restarted process with the same pid (pid 1 in a container) never takes an old run for its own.
OWNER = (re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:50]
         + f".{os.getpid()}.{secrets.token_hex(4)}")
LAUNCH_CHANNEL = "live-runner"  # scaled mode: runlive processes take launches from here
# The Car camera panel: a few images a second show what the model sees without multiplying a
# viewer's traffic (a 160×120 grey JPEG is ~3 KB; the 15 Hz frames are ~1 KB each).
CAMERA_FPS = 3
CAMERA_EVERY = max(1, round(1 / (DT * CAMERA_FPS)))  # simulator steps between two images
CAMERA_JPEG_QUALITY = 80


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


@dataclass
class ActiveRun:
    run_id: int
    race_id: str
    racer_id: int
    racer: str = ""  # the racer's alias, as browsers show it
    claimed: Run | None = None  # the Run as claimed, in countdown
    multiplier: SpeedMultiplier = field(default_factory=SpeedMultiplier)
    runner: RealtimeRunner | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    duration_s: float = 0.0
    error: str | None = None  # why the run could not be prepared
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
                 policy_factory: Callable[[Run], object] = default_policy_for,
                 owner: str = OWNER) -> None:
        self.publish = publish or Publisher()
        self.fast = fast
        self.countdown_step_s = countdown_step_s
        self.policy_factory = policy_factory
        self.owner = owner
        self.active: dict[int, ActiveRun] = {}
        self._lock = threading.Lock()
        self.session_best: dict[str, dict] = {}
        self._housekeeper: threading.Thread | None = None

    # -- what the router hands over ------------------------------------------------------------
    def launch(self, run_id: int) -> ActiveRun | None:
        """Claim a run begun in `countdown` and count it down to Go; None if another runner
        has it already."""
        run = record.claim_run(run_id, self.owner)
        if run is None:
            return None
        active = ActiveRun(run.pk, str(run.race_id), run.racer_id, racer=racer_alias(run.racer),
                           claimed=run)
        with self._lock:
            self.active[run.pk] = active
        threading.Thread(target=self._countdown_then_go, args=(active,), daemon=True,
                         name=f"live-run-{run.pk}").start()
        return active

    def stop(self, run_id: int) -> bool:
        """Stop one of this pool's runs; False if it is not running here."""
        active = self.active.get(run_id)
        if active is None:
            return False
        active.cancelled.set()
        if active.runner is not None:
            active.runner.stop()
        return True

    def apply_speed(self, run_id: int, value: float) -> float:
        """Set the speed multiplier of one of this pool's runs (the router has checked who
        asks); returns the value applied, clamped by livesim to the slider's range."""
        active = self.active.get(run_id)
        if active is None:
            raise LookupError(f"run {run_id} is not running here")
        return active.multiplier.set(value)

    def wait(self, run_id: int, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while run_id in self.active and time.monotonic() < deadline:
            time.sleep(0.02)
        return run_id not in self.active

    # -- leases ---------------------------------------------------------------------------------
    def start_housekeeping(self) -> None:
        """Recover runs whose runner is gone now, then renew this pool's leases and recover
        again every third of a lease, on a daemon thread (once per pool)."""
        if self._housekeeper is not None:
            return
        self._housekeeper = threading.Thread(target=self._keep_house, daemon=True,
                                             name="live-housekeeping")
        self._housekeeper.start()

    def housekeeping_pass(self) -> None:
        record.renew_leases(self.owner, list(self.active))
        record.recover_expired_runs(publish=self.publish)

    def _keep_house(self) -> None:
        while True:
            try:
                close_old_connections()
                self.housekeeping_pass()
            except Exception:  # the database is away: try again next time
                log.exception("live housekeeping failed")
            finally:
                connection.close()
            time.sleep(record.lease_s() / 3)

    def _tick_phase(self) -> float:
        """A tick phase for a new run: the middle of the widest gap between the phases of this
        pool's runs, so that their steps (which hold the interpreter lock) do not pile up."""
        taken = sorted(a.tick_phase_s for a in self.active.values() if a.tick_phase_s is not None)
        if not taken:
            return time.monotonic() % DT
        gaps = [(b - a, a) for a, b in zip(taken, taken[1:] + [taken[0] + DT], strict=True)]
        width, start = max(gaps)
        return (start + width / 2) % DT

    # -- the run's thread -------------------------------------------------------------------
    def _countdown_then_go(self, active: ActiveRun) -> None:
        """Count 10…1 while the model loads and the simulator warms up, so the car moves at Go."""
        try:
            step_s = 0 if self.fast else self.countdown_step_s
            go_at = time.monotonic() + COUNTDOWN_FROM * step_s
            preparing = threading.Thread(target=self._prepare_safely, args=(active,), daemon=True,
                                         name=f"live-run-{active.run_id}-prepare")
            preparing.start()
            for count in range(COUNTDOWN_FROM, 0, -1):
                self.publish(active.race_id, protocol.run_state(
                    active.claimed.as_event(active.racer, count=count)))
                next_at = go_at - (count - 1) * step_s
                if active.cancelled.wait(max(0.0, next_at - time.monotonic())):
                    self._end(active, Run.State.ABORTED, "stopped during the countdown")
                    return
                if active.error is not None:  # the model cannot race: say so now, not at Go
                    break
            preparing.join()  # a slow model may hold Go back; it never starts half-loaded
            if active.error is not None:
                self._end(active, Run.State.FAILED, active.error)
                return
            self._go(active)
        except Exception as exc:  # a broken model or track must not take the server down
            log.exception("live run %s failed to start", active.run_id)
            self._end(active, Run.State.FAILED, f"{type(exc).__name__}: {exc}")
        finally:
            _release_db()

    def _prepare_safely(self, active: ActiveRun) -> None:
        try:
            self._prepare(active)
        except Exception as exc:
            log.exception("live run %s could not be prepared", active.run_id)
            active.error = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    def _prepare(self, active: ActiveRun) -> None:
        run = Run.objects.select_related("race__track", "racer_model", "racer__racer").get(pk=active.run_id)
        race = run.race
        active.duration_s = (race.time_per_racer or 3) * 60
        with self._lock:
            active.tick_phase_s = self._tick_phase()
        runner = RealtimeRunner(
            race.track.to_livesim(), race.sim_config(), self.policy_factory(run),
            on_frame=lambda frame: self._on_frame(active, frame),
            on_lap=lambda lap: self._on_lap(active, run, lap),
            on_state=lambda state, info: self._on_state(active, state, info),
            duration_s=active.duration_s, seed=run.seed, multiplier=active.multiplier,
            fast=self.fast, session_best=self.session_best.get(active.race_id),
            tick_phase_s=active.tick_phase_s,
        )
        runner.warm_up()
        active.runner = runner

    def _go(self, active: ActiveRun) -> None:
        run = record.start_run(active.run_id, self.owner, active.duration_s)
        if run is None or active.cancelled.is_set():  # ended or stopped meanwhile
            self._end(active, Run.State.ABORTED, "stopped before Go")
            return
        self.publish(active.race_id, protocol.run_state(run.as_event(racer_alias(run.racer))))
        active.runner.start()
        if active.cancelled.is_set():  # a stop that came between the check and the start
            active.runner.stop()

    def _on_frame(self, active: ActiveRun, frame: dict) -> None:
        if len(active.trace) < record.MAX_TRACE_FRAMES:
            active.trace.append(record.trace_frame(frame))
        self.publish(active.race_id, protocol.run_frame(active.run_id, time.time(), frame))
        if frame["step"] % CAMERA_EVERY == 0 and active.runner is not None:
            event = camera_event(active.run_id, frame["step"], active.runner.policy)
            if event is not None:
                self.publish(active.race_id, event)

    def _on_lap(self, active: ActiveRun, run: Run, lap: dict) -> None:
        fields = record.lap_from_sim(lap)
        if fields is None:
            return
        try:
            # recorded laps are numbered 1…n in their run; the simulator counts cut laps too
            active.lap_count += 1
            record.record_lap(run, **{**fields, "number": active.lap_count}, publish=self.publish)
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
        trace, active.trace = active.trace, []
        try:
            record.end_run(active.run_id, state, failure, trace=trace, publish=self.publish)
        finally:
            with self._lock:
                self.active.pop(active.run_id, None)


def camera_event(run_id: int, step: int, policy) -> dict | None:
    """The `run.camera` event of what `policy`'s camera last fed its network (None for a
    model without a camera)."""
    view = model_view(policy)
    if view is None:
        return None
    sensor, grey = view
    buf = io.BytesIO()
    Image.fromarray(grey, "L").save(buf, "JPEG", quality=CAMERA_JPEG_QUALITY)
    image = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    height, width = grey.shape
    return protocol.run_camera(run_id, step, sensor, width, height, image)


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
