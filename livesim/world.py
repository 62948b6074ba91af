"""The race world: one racer car on a track with obstacle boxes or bot cars, and the rules.

The rules are the DeepRacer simulator's, each read in its source (DOMAIN.md §4a; the tests in
``tests/livesim/test_simulator_rules.py`` cite the line of each):

* A step judges the pose the car is in when the action arrives, then drives the action for 1/15 s
  (§4a "step timing").  :attr:`World.judged` is that judged pose: what the reward params and the
  sim-trace row of the step describe.  The first step of an episode is a ``prepare`` step (the
  car is held), as in the simulator.
* Judged in this order: time up, lap complete (progress ≥ 100, first: a car may crash on the
  line), crash, off track (no wheel inside), reversed (progress falling 15 steps running),
  immobilised (≤ 0.3 mm per step for 15 steps).
* Off track / reversed / immobilised: reset at the *previous* step's progress, on the lane line
  nearer the previous pose, or 1 m behind an obstacle within 1 m, in the other lane; pause for
  the off-track penalty (immobilised: 0 s, still one pause step).  Crash into an obstacle (a
  corner of the car's 0.324 × 0.196 m box inside the obstacle's 0.5 × 0.4 m box): reset 1 m behind
  it in the other lane, collision penalty.  Crash into a bot: only the car behind pays; the racer
  behind pauses in place (collision penalty, no reset), a bot behind pauses 2 s.
* The clock runs during every pause: penalties are part of the lap time.
* Resets count towards ``max_resets`` per *episode* (a continuous run is one episode); one more
  than allowed ends the episode.  The per-lap metrics still count the resets of each lap.
* Lap times are interpolated to the instant the params point crossed the line, so they are not
  quantised to 1/15 s (a deliberate difference: the simulator's are step times).

All randomness (random obstacle places, bot lanes and lane-change times) comes from one seeded
``numpy.random.Generator``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from livesim import kernels as K
from livesim.car import (
    BASE_LINK_AHEAD,
    DEFAULT_SPEC,
    DT,
    PARAMS_POINT_AHEAD,
    Car,
    CarSpec,
)
from livesim.config import ConfigError, RaceConfig

OBJECT_LENGTH = 0.4  # m, visible box along the track
OBJECT_WIDTH = 0.3  # m, visible box across the track
OBJECT_HIT_LENGTH = 0.5  # m, the simulator's collision box along the track (visible + 0.1)
OBJECT_HIT_WIDTH = 0.4  # m, ... across the track
BOT_LENGTH = 0.32  # m, bots are DeepRacer cars
BOT_WIDTH = 0.20  # m
BOT_HIT_LENGTH = 0.422  # m, the simulator's BOT_CAR_DIMENSION collision box along the bot
BOT_HIT_WIDTH = 0.296  # m, ... across it
BOT_CRASH_PAUSE = 2.0  # s a bot that ran into the racer's back waits
RESET_BEHIND_OBJECT = 1.0  # m, reset distance behind an obstacle (the simulator's default)
RESET_NEAR_OBJECT = 1.0  # m, an obstacle this near the reset place moves the reset behind it
MIN_BOT_GAP = 2.0  # m, bots start at least this far apart
BOT_LANE_CHANGE_TIME = 1.0  # s to move from one lane line to the other
STUCK_STEPS = 15  # steps of reversing / immobility before a reset
IMMOBILE_STEP = 0.0003  # m per step (0.3 mm)
IMMOBILIZED_PENALTY = 0.0  # s; the simulator's IMMOBILIZED_PENALTY, which no worker sets
MIN_OBJECT_GAP = 2.0  # m between random objects along the lap (when the track allows)

# episode_status values of the sim-trace (DeepRacer's)
PREPARE, IN_PROGRESS, OFF_TRACK, CRASHED, REVERSED, IMMOBILIZED = (
    "prepare", "in_progress", "off_track", "crashed", "reversed", "immobilized")
PAUSE, LAP_COMPLETE, TIME_UP, PARK = "pause", "lap_complete", "time_up", "park"
_RUN = "run"  # agent phase: driving (the other phases are PREPARE and PAUSE)


@dataclass
class LapRecord:
    """One lap (trial) as it ended.  ``time`` includes penalty pauses."""

    number: int  # 1-based
    start_time: float  # s of sim clock at the lap start
    time: float  # s, lap time (or time driven when not completed)
    completed: bool
    status: str  # lap_complete / off_track / crashed / reversed / immobilized / time_up
    progress: float  # % of the lap done
    # the counts carry DeepRacer's metric names, as they do through the server to the wire
    off_track_count: int = 0
    crash_count: int = 0
    reversed_count: int = 0
    immobilized_count: int = 0
    reset_count: int = 0
    sector_times: list[float] = field(default_factory=list)  # s, completed sectors only

    def to_dict(self) -> dict:
        return {
            "lap": self.number, "start_time": round(self.start_time, 4),
            "time": round(self.time, 4), "completed": self.completed, "status": self.status,
            "progress": round(self.progress, 3), "off_track_count": self.off_track_count,
            "crash_count": self.crash_count, "reversed_count": self.reversed_count,
            "immobilized_count": self.immobilized_count, "reset_count": self.reset_count,
            "sector_times": [round(t, 4) for t in self.sector_times],
        }


@dataclass(slots=True)
class Judged:
    """What one step judged: the pose when the action arrived (params point ``px, py``), the
    action, and the outcome.  The reward params and the sim-trace row of the step read this."""

    episode: int  # trials completed before this step
    steps: int  # steps of the episode so far, this one included
    time: float  # s of sim clock when judged
    px: float
    py: float
    heading: float  # rad, the car's yaw
    s: float  # m along the centre line of the params point
    lat: float  # m, signed lateral offset of the params point (+ left)
    seg: int
    seg_t: float
    wheels_on: int
    track_width: float  # m, local width at the params point
    progress: float  # %, 100 on the step that completes a lap
    closest_waypoint: int
    steer: float  # deg, the action's steering angle
    speed: float  # m/s, the action's speed (the model's, before any speed control)
    status: str = PREPARE
    pause_duration: float = 0.0  # s of penalty left
    done: bool = False  # the episode ended on this step
    is_crashed: bool = False
    is_offtrack: bool = False


@dataclass
class Bot:
    s: float  # m along the centre line
    lat: float  # m, current lateral offset (+ left)
    lane_left: bool  # lane it is on / moving to
    speed: float  # m/s
    next_change: float  # sim time of the next lane change (inf = never)
    x: float = 0.0
    y: float = 0.0
    heading: float = 0.0
    paused_until: float = 0.0  # sim time; a bot that hit the racer's back waits


class World:
    """One racer on a track.  Call :meth:`start_trial`, then :meth:`step` once per 1/15 s.

    After each step :attr:`judged` describes the step (the pose judged, the action, the outcome);
    ``status`` (episode_status), ``events`` (what happened this step), ``lap_done`` (a
    :class:`LapRecord` when a lap/trial ended this step) and ``done`` (the run is over) too.  The
    car (``car``, ``px``, ``py``, ``s``, ``lat``, ``progress``) is where the step's driving left it:
    what a policy sees next.
    """

    def __init__(
        self,
        track,
        config: RaceConfig | None = None,
        seed: int | None = None,
        rng: np.random.Generator | None = None,
        car_spec: CarSpec = DEFAULT_SPEC,
    ) -> None:
        self.config = config or RaceConfig()
        self.track = track = self.config.orient(track)  # the race's direction round the track
        self.rng = rng if rng is not None else np.random.default_rng(seed)
        self.g = K.track_geometry(track)
        self.closed = bool(track.closed)
        self.length = float(track.length)
        self.car = Car(spec=car_spec)
        self.time = 0.0  # s of sim clock since the run started
        self.trial = 0  # 1-based number of the current lap/trial
        self.done = False
        self.laps: list[LapRecord] = []
        self.obj_s = np.zeros(0)
        self.obj_lat = np.zeros(0)
        self.boxes = np.zeros((0, 5))  # x, y, heading, length, width (visible) of objects/bots
        self.hit_boxes = np.zeros((0, 5))  # the same with the simulator's collision sizes
        self.bots: list[Bot] = []
        self._speed_cmd = 0.0
        self.action_steer = 0.0  # deg, the last action's (the params' steering_angle)
        self.action_speed = 0.0  # m/s, the last action's (the params' speed)
        self.steps = 0
        self.status = PREPARE
        self.phase = PREPARE
        self.events: list[str] = []
        self.lap_done: LapRecord | None = None
        self.is_crashed = self.is_offtrack = False
        self.wheels_on = 4
        self.start_s = 0.0
        self.episode_resets = 0  # resets of this episode (the max_resets budget)
        self.pause_left = 0.0
        self._crossing: float | None = None
        self._reset_lap_state()
        self.judged: Judged | None = None

    # ------------------------------------------------------------------ set-up

    def start_trial(self, start_s: float = 0.0) -> None:
        """Begin the next lap/trial.  The first trial (and every trial when not continuous)
        is a new episode: the car at rest with base_link on the centre line at ``start_s``
        (default: the start line), objects and bots laid out, a ``prepare`` step first."""
        self.trial += 1
        # an open track cannot be driven continuously: every lap starts on the line
        fresh = self.trial == 1 or not self.config.continuous or not self.closed
        if fresh:
            self.start_s = float(start_s)
            self._place_car(start_s, 0.0)
            self.steps = 0
            self.episode_resets = 0
            self.phase = PREPARE
            self.pause_left = 0.0
            self._layout_objects()
            self._layout_bots()
        self._reset_lap_state()
        if fresh:
            # the params point starts 0.14 m past the line (§4a "reward x, y")
            self.lap_dist = self._wrap(self.s - self.start_s)
            self.progress = self._progress()
            self._prev_lap_dist = self.lap_dist
            self._prev_base = self._base_link()
            self.judged = self._snapshot(PREPARE)
        self.status = PREPARE if fresh else IN_PROGRESS

    def _reset_lap_state(self) -> None:
        self.lap_start = self.time
        self.lap_dist = 0.0  # m driven along the centre line this lap (unwrapped)
        self.progress = 0.0
        self.sector_times: list[float] = []
        self.off_tracks = self.crashes = self.reversed_count = self.immobilized_count = 0
        self.resets = 0  # resets of this lap (the lap's metrics)
        self.pause_duration = 0.0
        self.crash_counter = 0  # crashes this lap
        self._back_steps = 0
        self._still_steps = 0
        self._crossing = None

    def _wrap(self, ds: float) -> float:
        """A change of arc length, wrapped into (-L/2, L/2] on a closed track."""
        if self.closed:
            return (ds + 0.5 * self.length) % self.length - 0.5 * self.length
        return ds

    def _progress(self) -> float:
        return min(100.0, max(0.0, 100.0 * self.lap_dist / self.length))

    def _base_link(self) -> tuple[float, float]:
        c = self.car
        return (c.x + BASE_LINK_AHEAD * math.cos(c.heading),
                c.y + BASE_LINK_AHEAD * math.sin(c.heading))

    def _place_car(self, s: float, lateral: float) -> None:
        """Put the car at rest with its base_link at (s, lateral), facing along the track, as
        the simulator places its model (starts and resets)."""
        x, y, h = self.track.pose_at(s, lateral)
        self.car.place(x - BASE_LINK_AHEAD * math.cos(h), y - BASE_LINK_AHEAD * math.sin(h), h)
        self._sense(-1)

    def _layout_objects(self) -> None:
        cfg, tr = self.config, self.track
        if cfg.race_type != "oa":
            return
        if cfg.objects:
            specs = [(o.lane, o.progress / 100.0 * self.length) for o in cfg.objects]
        else:
            specs = self._random_object_places(cfg.num_objects)
        self.obj_s = np.array([s for _, s in specs], dtype=np.float64)
        self.obj_lat = np.array([tr.lateral_of_lane(lane, s) for lane, s in specs])
        rows, hits = [], []
        for s, lat in zip(self.obj_s, self.obj_lat, strict=True):
            x, y, h = tr.pose_at(s, lat)
            rows.append((x, y, h, OBJECT_LENGTH, OBJECT_WIDTH))
            hits.append((x, y, h, OBJECT_HIT_LENGTH, OBJECT_HIT_WIDTH))
        self.boxes = np.array(rows, dtype=np.float64).reshape(-1, 5)
        self.hit_boxes = np.array(hits, dtype=np.float64).reshape(-1, 5)

    def _random_object_places(self, n: int) -> list[tuple[str, float]]:
        """n places in 15–95 % of the lap from where the car starts, alternating lanes,
        ≥ MIN_OBJECT_GAP apart if the track is long enough (else evenly spread)."""
        lo, hi = 0.15 * self.length, 0.95 * self.length
        gap = min(MIN_OBJECT_GAP, (hi - lo) / (n + 1))
        for _ in range(200):
            s = np.sort(self.rng.uniform(lo, hi, n))
            if n == 1 or np.min(np.diff(s)) >= gap:
                break
        else:
            s = np.linspace(lo, hi, n)
        if self.closed:
            s = (s + self.s) % self.length
        first = int(self.rng.integers(2))
        return [(("inside", "outside")[(first + i) % 2], float(v)) for i, v in enumerate(s)]

    def _layout_bots(self) -> None:
        cfg = self.config
        if cfg.race_type != "h2b":
            return
        n = cfg.num_bots
        if (n + 1) * MIN_BOT_GAP > self.length:
            raise ConfigError(f"{n} bots need a track of at least {(n + 1) * MIN_BOT_GAP:g} m "
                              f"({MIN_BOT_GAP:g} m apart and from the racer); "
                              f"{self.track.name} is {self.length:.1f} m")
        spacing = max(MIN_BOT_GAP, self.length / (n + 1))
        first_left = bool(self.rng.integers(2))
        self.bots = []
        for i in range(n):
            s = (self.s + spacing * (i + 1)) % self.length  # ahead of the racer
            left = first_left ^ (i % 2 == 1)
            nxt = self._next_lane_change()
            b = Bot(s=s, lat=0.0, lane_left=left, speed=cfg.bot_speed, next_change=nxt)
            b.lat = self.track.lateral_of_lane("left" if left else "right", s)
            self.bots.append(b)
        self._update_bot_boxes()

    def _next_lane_change(self) -> float:
        cfg = self.config
        if not cfg.bot_lane_change:
            return math.inf
        return self.time + float(self.rng.uniform(cfg.lane_change_min, cfg.lane_change_max))

    def _update_bot_boxes(self) -> None:
        rows, hits = [], []
        for b in self.bots:
            b.x, b.y, b.heading = self.track.pose_at(b.s, b.lat)
            rows.append((b.x, b.y, b.heading, BOT_LENGTH, BOT_WIDTH))
            hits.append((b.x, b.y, b.heading, BOT_HIT_LENGTH, BOT_HIT_WIDTH))
        self.boxes = np.array(rows, dtype=np.float64).reshape(-1, 5)
        self.hit_boxes = np.array(hits, dtype=np.float64).reshape(-1, 5)

    def _move_bots(self, dt: float) -> None:
        if not self.bots:
            return
        for b in self.bots:
            if self.time - dt < b.paused_until - 1e-9:  # this tick began while it waits
                continue
            b.s += b.speed * dt
            if self.closed:
                b.s %= self.length
            else:
                b.s = min(b.s, self.length)
            if self.time >= b.next_change:
                b.lane_left = not b.lane_left
                b.next_change = self._next_lane_change()
            target = self.track.lateral_of_lane("left" if b.lane_left else "right", b.s)
            hl, hr = self.track.half_width_at(b.s)
            rate = 0.5 * (hl + hr) / BOT_LANE_CHANGE_TIME * dt
            b.lat += min(rate, max(-rate, target - b.lat))
        self._update_bot_boxes()

    # ------------------------------------------------------------------ sensing

    def _sense(self, hint: int) -> None:
        c = self.car
        px = c.x + PARAMS_POINT_AHEAD * math.cos(c.heading)
        py = c.y + PARAMS_POINT_AHEAD * math.sin(c.heading)
        seg, t, s, lat, hl, hr = K.project(self.g, self.closed, px, py, hint)
        self.px, self.py = px, py
        self.seg_t = float(t)
        self.seg, self.s, self.lat = int(seg), float(s), float(lat)
        self.local_width = float(hl + hr)
        if not self.closed and (t <= 0.0 or t >= 1.0):
            # open track: measure past either end so the finish line can be crossed
            g = self.g
            e = (px - g[K.R_CX, seg]) * g[K.R_UX, seg] + (py - g[K.R_CY, seg]) * g[K.R_UY, seg]
            if t >= 1.0 and seg == g.shape[1] - 2:
                self.s = float(g[K.R_CUM, seg] + e)
            elif t <= 0.0 and seg == 0:
                self.s = float(e)
        self.wheels_on = int(K.wheels_on_track(self.g, self.closed, c.x, c.y, c.heading,
                                               c.spec.wheelbase, self.seg, self.lat))

    @property
    def closest_waypoint(self) -> int:
        """Index of the waypoint nearest to the params point (the sim-trace's column)."""
        k = self.seg + (1 if self.seg_t >= 0.5 else 0)
        return k % self.track.n if self.closed else k

    @property
    def all_wheels_on_track(self) -> bool:
        return self.wheels_on == 4

    def lap_time(self) -> float:
        """Current lap time in s (penalty pauses included)."""
        return self.time - self.lap_start

    def _snapshot(self, status: str) -> Judged:
        return Judged(
            episode=self.trial - 1, steps=self.steps, time=self.time, px=self.px, py=self.py,
            heading=self.car.heading, s=self.s, lat=self.lat, seg=self.seg, seg_t=self.seg_t,
            wheels_on=self.wheels_on, track_width=self.local_width, progress=self.progress,
            closest_waypoint=self.closest_waypoint, steer=self.action_steer,
            speed=self.action_speed, status=status, pause_duration=self.pause_left)

    @property
    def rewarded(self) -> bool:
        """True when the step was driven: the simulator calls the reward function then, and
        gives 0 without calling it on ``prepare`` and ``pause`` steps."""
        return self.judged is not None and self.judged.status not in (PREPARE, PAUSE)

    # ------------------------------------------------------------------ stepping

    def step(self, steer_deg: float, speed: float, multiplier: float = 1.0) -> None:
        """One 1/15 s tick: judge the pose the action arrives at, then drive the action.

        ``multiplier`` scales the policy's speed (the racer's speed control); the product is
        clamped to the car's limits, steering is untouched.  The reward params keep the
        action's own values (§4a "reward speed, steering_angle").
        """
        if self.done:
            raise RuntimeError("the run is over; start a new World")
        self.events = []
        self.lap_done = None
        self.is_crashed = self.is_offtrack = False
        self.steps += 1
        spec = self.car.spec
        self.action_steer = spec.clamp_steer(steer_deg)
        self.action_speed = spec.clamp_speed(speed)
        self._speed_cmd = spec.clamp_speed(speed * multiplier)
        judged = self._snapshot(IN_PROGRESS)
        self.judged = judged
        if self.phase == PREPARE:
            status = PREPARE  # the car is held for the episode's first step
            self.phase = _RUN
        elif self.phase == PAUSE:
            status = self._judge_pause()
        else:
            status = self._judge_run(judged)
        self.judged = judged  # (a new episode's start_trial replaced it with its own)
        judged.status = status
        judged.is_crashed, judged.is_offtrack = self.is_crashed, self.is_offtrack
        judged.done = self.lap_done is not None and (self.done or not self.config.continuous)
        if status not in (PREPARE, PAUSE):
            judged.pause_duration = self.pause_left  # the penalty just given, or 0
        self.status = status
        # the clock ticks on whatever happened: pauses are part of the lap time
        self.time += DT
        self._move_bots(DT)
        if self.phase == PAUSE:
            self.pause_left -= DT
        self.pause_duration = max(0.0, self.pause_left) if self.phase == PAUSE else 0.0

    def _judge_pause(self) -> str:
        if self._time_up():
            return TIME_UP
        if self.pause_left <= 1e-9:  # the penalty is served: drive again from the next step
            self.phase = _RUN
            self._back_steps = self._still_steps = 0
        return PAUSE

    def _time_up(self) -> bool:
        if self.lap_time() >= self.config.max_lap_time:
            self._end_lap(TIME_UP, completed=False, end_time=self.time)
            return True
        return False

    def _judge_run(self, judged: Judged) -> str:
        prev_dist, prev_base = self._prev_lap_dist, self._prev_base
        self._prev_lap_dist, self._prev_base = self.lap_dist, self._base_link()
        self.pause_left = 0.0
        if self._time_up():
            return TIME_UP
        status = IN_PROGRESS
        if self.lap_dist >= self.length:
            judged.progress = 100.0
            self._finish_lap()
            status = LAP_COMPLETE
            if self.done or self.phase == PREPARE:  # the run or the episode is over
                return status
        elif (hit := self._collision()) is not None:
            self.is_crashed = True
            self.crashes += 1
            self.crash_counter += 1
            kind, k = hit
            if kind == "bot":  # the racer ran into a bot: wait where it is
                return self._reset(CRASHED, self.config.collision_penalty, None)
            place = (float(self.obj_s[k]) - RESET_BEHIND_OBJECT, float(self.obj_lat[k]) < 0.0)
            return self._reset(CRASHED, self.config.collision_penalty, place)
        elif self.wheels_on == 0:
            self.is_offtrack = True
            self.off_tracks += 1
            return self._reset(OFF_TRACK, self.config.off_track_penalty,
                               self._fallback_place(prev_dist, prev_base))
        elif self._back_steps >= STUCK_STEPS:
            self.reversed_count += 1
            return self._reset(REVERSED, self.config.off_track_penalty,
                               self._fallback_place(prev_dist, prev_base))
        elif self._still_steps >= STUCK_STEPS:
            self.immobilized_count += 1
            return self._reset(IMMOBILIZED, IMMOBILIZED_PENALTY,
                               self._fallback_place(prev_dist, prev_base))
        self._drive()
        return status

    def _drive(self) -> None:
        """The action's 1/15 s of physics, and what it changed (progress, sectors, counters)."""
        car = self.car
        car.command(self.action_steer, self._speed_cmd)
        ox, oy = car.x, car.y
        sp = car.spec
        car.x, car.y, car.heading, car.speed, car.steer = K.car_step(
            car.x, car.y, car.heading, car.speed, car.steer, car.steer_cmd, car.target_speed, DT,
            sp.yaw_wheelbase, sp.steer_time_constant, sp.accel, sp.brake_decel, sp.grip_accel)
        old_s = self.s
        self._sense(self.seg)
        ds = self._wrap(self.s - old_s)
        old_dist = self.lap_dist
        self.lap_dist += ds
        self.progress = self._progress()
        self._back_steps = self._back_steps + 1 if ds < 0.0 else 0
        moved = math.hypot(car.x - ox, car.y - oy)
        self._still_steps = self._still_steps + 1 if moved <= IMMOBILE_STEP else 0
        self._sectors(old_dist)
        if self.lap_dist >= self.length and self._crossing is None:
            self._crossing = self._cross_time(old_dist, self.length)

    def _fallback_place(self, prev_dist: float, prev_base: tuple[float, float]):
        """Where an off-track (reversed, immobilised) car goes: the previous step's progress,
        on the lane line nearer the previous pose; 1 m behind an obstacle within 1 m, in the
        other lane (§4a "off-track reset").  Returns (s, go_left)."""
        if self.closed:
            s = (self.start_s + prev_dist) % self.length
        else:
            s = self.start_s + min(max(prev_dist, 0.0), self.length)
        for k in range(len(self.obj_s)):
            if abs(self._wrap(float(self.obj_s[k]) - s)) < RESET_NEAR_OBJECT:
                return float(self.obj_s[k]) - RESET_BEHIND_OBJECT, float(self.obj_lat[k]) < 0.0
        best = None
        for left in (True, False):
            lat = self.track.lateral_of_lane("left" if left else "right", s)
            x, y, _ = self.track.pose_at(s, lat)
            d = math.hypot(x - prev_base[0], y - prev_base[1])
            if best is None or d < best[0]:
                best = (d, left)
        return s, best[1]

    def _collision(self) -> tuple[str, int] | None:
        """("box" | "bot", index) of what the racer crashed into, or None.

        A bot contact counts only for the car behind (by progress): the racer behind a bot
        crashes; a bot that runs into the racer's back pauses BOT_CRASH_PAUSE instead."""
        if self.hit_boxes.shape[0] == 0:
            return None
        c = self.car
        k = int(K.first_corner_hit(c.x, c.y, c.heading, self.hit_boxes))
        if k < 0:
            return None
        if not self.bots:
            return "box", k
        b = self.bots[k]
        ahead = self._wrap(b.s - (self.s - PARAMS_POINT_AHEAD + BASE_LINK_AHEAD))
        if ahead > 0.0:
            return "bot", k
        if self.time >= b.paused_until:  # a waiting bot's contact does not extend its wait
            b.paused_until = self.time + BOT_CRASH_PAUSE
        return None

    def _reset(self, status: str, penalty: float, place) -> str:
        """Count a reset; end the episode if over its budget, else pause and re-place the car
        on a lane line (``place`` = (s, go_left); None = pause where it is)."""
        self.events.append(status)
        self.resets += 1
        self._back_steps = self._still_steps = 0
        limit = self.config.max_resets
        if limit is not None and self.episode_resets >= limit:
            self._end_lap(status, completed=False, end_time=self.time)
            return status
        self.episode_resets += 1
        if place is not None:
            s, go_left = place
            if self.closed:
                s %= self.length
            else:
                s = min(max(s, 0.0), self.length)
            lat = self.track.lateral_of_lane("left" if go_left else "right", s)
            old_s = self.s
            self._place_car(s, lat)
            self.lap_dist += self._wrap(self.s - old_s)
            self.progress = self._progress()
        else:
            self.car.place(self.car.x, self.car.y, self.car.heading)
        self.phase = PAUSE
        self.pause_left = penalty
        self.pause_duration = penalty
        return status

    def _sectors(self, old_dist: float) -> None:
        k = len(self.sector_times)
        if k < 2:
            edge = (k + 1) * self.length / 3.0
            if self.lap_dist >= edge > old_dist:
                t = self._cross_time(old_dist, edge)
                self.sector_times.append(t - self.lap_start - sum(self.sector_times))

    def _cross_time(self, old_dist: float, edge: float) -> float:
        """Sim time at which lap distance crossed ``edge`` during the physics just run (which
        started at ``self.time``)."""
        frac = (edge - old_dist) / max(self.lap_dist - old_dist, 1e-12)
        return self.time + min(1.0, max(0.0, frac)) * DT

    def _finish_lap(self) -> None:
        end = self._crossing if self._crossing is not None else self.time
        while len(self.sector_times) < 2:  # very short laps: cross both edges in one step
            self.sector_times.append(0.0)
        self.sector_times.append(end - self.lap_start - sum(self.sector_times))
        self._end_lap(LAP_COMPLETE, completed=True, end_time=end)

    def _end_lap(self, status: str, completed: bool, end_time: float) -> None:
        """Record the lap/trial and start the next one, or end the run: after the last trial,
        or when a continuous run's lap fails (it cannot go on without a reset)."""
        rec = LapRecord(
            number=self.trial, start_time=self.lap_start, time=end_time - self.lap_start,
            completed=completed, status=status, progress=100.0 if completed else self.progress,
            off_track_count=self.off_tracks, crash_count=self.crashes,
            reversed_count=self.reversed_count, immobilized_count=self.immobilized_count,
            reset_count=self.resets,
            sector_times=list(self.sector_times),
        )
        self.laps.append(rec)
        self.lap_done = rec
        if status not in self.events:
            self.events.append(status)
        if self.trial >= self.config.laps or (self.config.continuous and not completed):
            self.done = True
            return
        carry = self.lap_dist - self.length
        self.start_trial()
        if self.config.continuous and self.closed:  # the next lap starts at the crossing
            self.lap_start = end_time
            self.lap_dist = carry
            self.progress = self._progress()

    def end_on_time_up(self) -> LapRecord:
        """End the run now; the lap in progress is recorded as not completed (time per racer
        is up)."""
        self.status = TIME_UP
        self.events.append(TIME_UP)
        rec = LapRecord(
            number=self.trial, start_time=self.lap_start, time=self.lap_time(),
            completed=False, status=TIME_UP, progress=self.progress,
            off_track_count=self.off_tracks, crash_count=self.crashes,
            reversed_count=self.reversed_count, immobilized_count=self.immobilized_count,
            reset_count=self.resets,
            sector_times=list(self.sector_times),
        )
        self.laps.append(rec)
        self.lap_done = rec
        self.done = True
        if self.judged is not None:
            self.judged.status, self.judged.done = TIME_UP, True
        return rec

    # ------------------------------------------------------------------ views

    @property
    def speed_command(self) -> float:
        """The speed actually commanded last step (policy speed × multiplier, clamped)."""
        return self._speed_cmd

    def objects(self) -> list[dict]:
        """Objects (boxes or bots) as dicts: kind, x, y, heading (rad), s, lateral, speed."""
        if self.bots:
            return [{"kind": "bot", "x": b.x, "y": b.y, "heading": b.heading, "s": b.s,
                     "lateral": b.lat, "speed": b.speed} for b in self.bots]
        return [{"kind": "box", "x": float(r[0]), "y": float(r[1]), "heading": float(r[2]),
                 "s": float(s), "lateral": float(lat), "speed": 0.0}
                for r, s, lat in zip(self.boxes, self.obj_s, self.obj_lat, strict=True)]
