"""Real-time runner: one racer's LIVE turn at 15 Hz of wall-clock time on its own thread.

Each step the runner asks the policy for an action, applies the racer's speed multiplier
(changeable at any moment from any thread), steps the world and emits a *frame* dict via
``on_frame``.  When a lap ends (completed, failed, or cut by time-up) ``on_lap`` is called with a
*lap* dict **before** the frame of that step, so the server can commit the lap to its database
before anyone is told about it.  Exceptions raised by callbacks are logged and swallowed: a
broken consumer must not stop the car.  A policy that raises ends the run in state ``failed``
(the organizer may :meth:`relaunch`).

Scheduling uses absolute deadlines ``t0 + k/15`` on a monotonic clock, so the rate does not
drift; ``fast=True`` (or injected ``clock``/``sleep``) runs without sleeping for tests.
``tick_phase_s`` puts the ticks at the instants where ``clock() mod 1/15`` equals it: runners
that share a process (and its interpreter lock) can then take turns instead of all waking at once.

Frame keys (``FRAME_FIELDS``): ``type`` ("frame"), ``step``, ``t`` (s since Go), ``late_ms`` (how
late this tick started against its schedule: the tick jitter), ``x``, ``y`` (car params point,
m), ``heading`` (deg), ``speed`` (m/s, actual), ``speed_command`` (m/s, policy × multiplier,
clamped), ``multiplier``, ``steering`` (deg), ``progress`` (% of the lap), ``lap`` (number of
the lap being driven), ``laps_completed``, ``lap_time`` (s, current lap, penalties included),
``time_remaining`` (s or None), ``status`` (episode_status), ``sector`` (0..2 being driven),
``sectors`` (current lap: 3 × {``time`` s or None, ``flag``}), ``best_lap`` / ``last_lap`` (s or
None), ``reset_count``, ``off_track_count``, ``crash_count`` (run totals), ``lap_reset_count``,
``lap_off_track_count``, ``lap_crash_count``, ``objects`` (list of {kind, x, y, heading deg,
speed}). A replay needs only ``TRACE_FIELDS`` of them: what is drawn and what the HUD shows.

Lap keys (``LAP_FIELDS``; the counts carry DeepRacer's metric names, as the server's Lap does):
``type`` ("lap"), ``number``, ``time_ms``, ``completed``, ``status``, ``progress``,
``off_track_count``, ``crash_count``, ``reset_count``, ``sector_times_ms``, ``sector_flags``,
``personal_best``, ``session_best`` (bools: this lap is the best of the racer / the session),
``start_time`` / ``end_time`` (s since Go).

Sector flags: ``session_best`` (purple), ``personal_best`` (green), ``slower`` (yellow) and
``slowest`` (the racer's slowest time for that sector so far, drawn yellow too).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable

from livesim.car import DT
from livesim.config import RaceConfig
from livesim.speed import SpeedMultiplier
from livesim.world import World

log = logging.getLogger(__name__)

LIVE_LAPS = 1_000_000  # a LIVE turn races laps until time is up
MAX_LAG_STEPS = 15  # fallen this far behind the wall clock (1 s), re-anchor instead of bursting

IDLE, RUNNING, FINISHED, STOPPED, FAILED = "idle", "running", "finished", "stopped", "failed"

FRAME_FIELDS = (
    "type", "step", "t", "late_ms", "x", "y", "heading", "speed", "speed_command", "multiplier",
    "steering", "progress", "lap", "laps_completed", "lap_time", "time_remaining", "status",
    "sector", "sectors", "best_lap", "last_lap", "reset_count", "off_track_count", "crash_count",
    "lap_reset_count", "lap_off_track_count", "lap_crash_count", "objects",
)
# What a replay draws (the car, its sectors, boxes and bots) and what its HUD shows.
DRAWING_FIELDS = ("x", "y", "heading", "progress", "sector", "sectors", "objects")
HUD_FIELDS = ("lap", "lap_time", "best_lap", "time_remaining", "speed", "multiplier", "reset_count")
TRACE_FIELDS = ("step", "t", *DRAWING_FIELDS, *HUD_FIELDS)
LAP_FIELDS = (
    "type", "number", "time_ms", "completed", "status", "progress", "off_track_count",
    "crash_count", "reset_count", "sector_times_ms", "sector_flags", "personal_best",
    "session_best", "start_time", "end_time",
)


class _SectorBook:
    """Personal / session best and slowest times per sector, and the flag of a new time."""

    def __init__(self, session: dict | None) -> None:
        session = session or {}
        self.session_lap: float | None = session.get("lap")
        self.session_sectors: list[float | None] = list(session.get("sectors") or [None] * 3)
        self.reset_personal()

    def reset_personal(self) -> None:
        self.best_lap: float | None = None
        self.best: list[float | None] = [None, None, None]
        self.slowest: list[float | None] = [None, None, None]

    def sector_flag(self, i: int, t: float) -> str:
        flag = "slower"
        if self.slowest[i] is None or t >= self.slowest[i]:
            self.slowest[i] = t
            flag = "slowest"
        if self.best[i] is None or t <= self.best[i]:
            self.best[i] = t
            flag = "personal_best"
        if self.session_sectors[i] is None or t <= self.session_sectors[i]:
            self.session_sectors[i] = t
            flag = "session_best"
        return flag

    def lap_flags(self, t: float) -> tuple[bool, bool]:
        pb = self.best_lap is None or t <= self.best_lap
        if pb:
            self.best_lap = t
        sb = self.session_lap is None or t <= self.session_lap
        if sb:
            self.session_lap = t
        return pb, sb


class RealtimeRunner:
    """One racer's turn.  ``duration_s`` is the time per racer (None = until stopped).

    ``session_best`` = {"lap": s, "sectors": [s, s, s]} carries the session's bests in from
    earlier runs; :attr:`session_best` hands the updated values back.
    """

    def __init__(
        self,
        track,
        config: RaceConfig | None,
        policy,
        *,
        on_frame: Callable[[dict], None] | None = None,
        on_lap: Callable[[dict], None] | None = None,
        on_state: Callable[[str, dict], None] | None = None,
        duration_s: float | None = None,
        seed: int | None = 0,
        session_best: dict | None = None,
        multiplier: SpeedMultiplier | None = None,
        fast: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        tick_phase_s: float | None = None,
    ) -> None:
        cfg = config or RaceConfig()
        self.config = dataclasses.replace(cfg, laps=LIVE_LAPS, continuous=True,
                                          max_lap_time=max(cfg.max_lap_time, duration_s or 0.0))
        self.track = track
        self.policy = policy
        self.on_frame = on_frame
        self.on_lap = on_lap
        self.on_state = on_state
        self.duration_s = duration_s
        self.seed = seed
        self.multiplier = multiplier or SpeedMultiplier()
        self.fast = fast
        self.clock = clock
        self.sleep = sleep
        self.tick_phase_s = None if tick_phase_s is None else tick_phase_s % DT
        self._book = _SectorBook(session_best)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.state = IDLE
        self.error: str | None = None
        self.laps: list[dict] = []
        self.world: World | None = None
        self.frames_emitted = 0
        self._late = 0.0  # s this tick started after its scheduled time (the tick jitter)

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        """Go: start racing on a background thread (a fresh world).  A run that cannot start
        (bad configuration for this track, a policy whose reset fails) goes to state
        ``failed`` with :attr:`error` set, reported through ``on_state``; it does not raise."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError("runner already running")
            self._stop.clear()
            self.laps = []
            self.frames_emitted = 0
            self._flags: list[str] = []
            self.error = None
            try:
                self.world = World(self.track, self.config, seed=self.seed)
                self.world.start_trial()
                self.policy.reset()
            except Exception as exc:  # e.g. more bots than the track holds: report, don't raise
                log.exception("livesim realtime run could not start")
                self.error = f"{type(exc).__name__}: {exc}"
                self._set_state(FAILED, error=self.error)
                return
            self._set_state(RUNNING)
            self._thread = threading.Thread(target=self._run, name="livesim-realtime",
                                            daemon=True)
            self._thread.start()

    def warm_up(self, steps: int = 3) -> None:
        """Do the slow first-time work now (compiling the simulator's kernels, the policy's
        first inference) on a scratch world, so that :meth:`start` is quick: a LIVE turn warms
        up during its countdown and its first frame comes at Go, not seconds after. Raises
        what the track, configuration or policy raise (the run cannot start)."""
        world = World(self.track, self.config, seed=self.seed)
        world.start_trial()
        self.policy.reset()
        for _ in range(steps):
            action = self.policy.act(world)
            world.step(action.steer_deg, action.speed, self.multiplier.value)

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop the car now (no lap is recorded for the lap in progress)."""
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
        if self.state == RUNNING:
            self._set_state(STOPPED)

    def relaunch(self, policy=None, duration_s: float | None = None,
                 keep_personal_best: bool = False) -> None:
        """Stop, and start the turn again from the line (optionally with another policy)."""
        self.stop()
        if policy is not None:
            self.policy = policy
        if duration_s is not None:
            self.duration_s = duration_s
            self.config = dataclasses.replace(
                self.config, max_lap_time=max(self.config.max_lap_time, duration_s))
        if not keep_personal_best:
            self._book.reset_personal()
        self.start()

    reset = relaunch

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends; True if it has ended."""
        t = self._thread
        if t is None:
            return True
        t.join(timeout)
        return not t.is_alive()

    def set_speed_multiplier(self, value: float) -> float:
        """Racer's speed control; safe from any thread; returns the clamped value."""
        return self.multiplier.set(value)

    @property
    def session_best(self) -> dict:
        return {"lap": self._book.session_lap, "sectors": list(self._book.session_sectors)}

    @property
    def personal_best_lap(self) -> float | None:
        return self._book.best_lap

    # ------------------------------------------------------------------ loop

    def _set_state(self, state: str, **info) -> None:
        self.state = state
        if self.on_state is not None:
            self._call(self.on_state, state, info)

    @staticmethod
    def _call(fn, *args) -> None:
        try:
            fn(*args)
        except Exception:  # a consumer's bug must not stop the race
            log.exception("livesim realtime callback %r failed", fn)

    def _run(self) -> None:
        world = self.world
        assert world is not None
        t0 = self.clock()
        if self.tick_phase_s is not None:
            t0 += (self.tick_phase_s - t0) % DT
        k = 0
        try:
            while not self._stop.is_set():
                if not self.fast:
                    k += 1
                    deadline = t0 + k * DT
                    now = self.clock()
                    if now - deadline > MAX_LAG_STEPS * DT:  # machine stalled: skip the lost
                        t0 += math.floor((now - deadline) / DT) * DT  # ticks, keep the phase
                        deadline = t0 + k * DT
                    if deadline > now:
                        self.sleep(deadline - now)
                    self._late = max(0.0, self.clock() - deadline)
                if self._stop.is_set():
                    break
                try:
                    action = self.policy.act(world)
                except Exception as exc:  # the model failed mid-race
                    log.exception("policy failed")
                    self.error = f"{type(exc).__name__}: {exc}"
                    self._set_state(FAILED, error=self.error)
                    return
                mult = self.multiplier.value
                world.step(action.steer_deg, action.speed, mult)
                if self.duration_s is not None and world.time >= self.duration_s - 1e-9 \
                        and not world.done:
                    world.end_on_time_up()
                if world.lap_done is not None:
                    lap = self._lap_dict(world.lap_done)
                    self._flags = []
                self._flag_sectors(world.sector_times)
                if world.lap_done is not None:
                    self.laps.append(lap)
                    if self.on_lap is not None:
                        self._call(self.on_lap, lap)
                if self.on_frame is not None:
                    self._call(self.on_frame, self._frame(world, action, mult))
                self.frames_emitted += 1
                if world.done:
                    self._set_state(FINISHED, laps=len(self.laps))
                    return
        except Exception as exc:  # a simulator bug: report instead of dying silently
            log.exception("realtime runner crashed")
            self.error = f"{type(exc).__name__}: {exc}"
            self._set_state(FAILED, error=self.error)
            return
        if self.state == RUNNING:
            self._set_state(STOPPED)

    # ------------------------------------------------------------------ payloads

    def _flag_sectors(self, times: list[float]) -> list[str]:
        """Flag the sectors completed since the last call (live, as they are driven)."""
        while len(self._flags) < len(times):
            i = len(self._flags)
            self._flags.append(self._book.sector_flag(i, times[i]))
        return self._flags

    def _lap_dict(self, rec) -> dict:
        flags = list(self._flag_sectors(rec.sector_times))
        pb, sb = self._book.lap_flags(rec.time) if rec.completed else (False, False)
        return {
            "type": "lap", "number": rec.number, "time_ms": int(round(rec.time * 1000)),
            "completed": rec.completed, "status": rec.status, "progress": round(rec.progress, 2),
            "off_track_count": rec.off_track_count, "crash_count": rec.crash_count,
            "reset_count": rec.reset_count,
            "sector_times_ms": [int(round(t * 1000)) for t in rec.sector_times],
            "sector_flags": flags, "personal_best": pb, "session_best": sb,
            "start_time": round(rec.start_time, 3), "end_time": round(rec.start_time + rec.time, 3),
        }

    def _frame(self, world: World, action, mult: float) -> dict:
        car = world.car
        done = [lap for lap in self.laps if lap["completed"]]
        cur = world.sector_times
        last_done = self.laps[-1] if self.laps else None
        sectors = []
        for i in range(3):
            if i < len(cur):
                sectors.append({"time": round(cur[i], 3), "flag": self._flags[i]})
            else:
                sectors.append({"time": None, "flag": None})
        if last_done is not None and world.lap_done is not None and last_done["completed"]:
            # the step that closed a lap shows that lap's sectors with their flags
            sectors = [{"time": t / 1000, "flag": f} for t, f in
                       zip(last_done["sector_times_ms"], last_done["sector_flags"], strict=True)]
        remaining = None
        if self.duration_s is not None:
            remaining = round(max(0.0, self.duration_s - world.time), 3)
        totals = world.laps
        live = 0 if world.done else 1  # the counters of the lap in progress, if any
        return {
            "type": "frame", "step": self.frames_emitted + 1, "t": round(world.time, 4),
            "late_ms": round(self._late * 1000.0, 3),
            "x": round(world.px, 4), "y": round(world.py, 4),
            "heading": round(math.degrees(car.heading), 2), "speed": round(car.speed, 3),
            "speed_command": round(world.speed_command, 3), "multiplier": mult,
            "steering": round(action.steer_deg, 2), "progress": round(world.progress, 3),
            "lap": world.trial, "laps_completed": len(done),
            "lap_time": round(world.lap_time(), 3), "time_remaining": remaining,
            "status": world.status, "sector": min(2, len(cur)), "sectors": sectors,
            "best_lap": None if self._book.best_lap is None else round(self._book.best_lap, 3),
            "last_lap": done[-1]["time_ms"] / 1000 if done else None,
            "reset_count": sum(r.reset_count for r in totals) + live * world.resets,
            "off_track_count": sum(r.off_track_count for r in totals) + live * world.off_tracks,
            "crash_count": sum(r.crash_count for r in totals) + live * world.crashes,
            "lap_reset_count": world.resets, "lap_off_track_count": world.off_tracks,
            "lap_crash_count": world.crashes,
            "objects": [{"kind": o["kind"], "x": round(o["x"], 3), "y": round(o["y"], 3),
                         "heading": round(math.degrees(o["heading"]), 1), "speed": o["speed"]}
                        for o in world.objects()],
        }
