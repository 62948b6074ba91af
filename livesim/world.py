"""The race world: one racer car on a track with obstacle boxes or bot cars, and the rules.

Rules (DOMAIN.md §4, the DeepRacer simulator's):

* ``all_wheels_on_track`` is False when any wheel is outside the borders; the car is *off track*
  only when no wheel is inside.  Off track → pause for the off-track penalty, then carry on from
  the nearer lane line at the place it left (the clock keeps running: penalties are part of the
  lap time).
* The car body overlapping a box → collision: collision penalty, reset 1 m behind the object in
  the other lane.  A bot counts only when the racer is behind it (a bot running into the
  racer's back is the bot's fault and ignored).
* Progress decreasing 15 steps running → *reversed*; moving ≤ 0.3 mm per step for 15 steps →
  *immobilized*.  Both reset the car like an off-track (same penalty pause).
* Every reset counts towards ``max_resets`` (per lap); one more than allowed ends the trial.
* Progress ≥ 100 completes a lap; the crossing instant is interpolated inside the step so lap
  times are not quantised to 1/15 s.

All randomness (random obstacle places, bot lanes and lane-change times) comes from one seeded
``numpy.random.Generator``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from livesim import kernels as K
from livesim.car import BODY_CENTER_AHEAD, DEFAULT_SPEC, DT, PARAMS_POINT_AHEAD, Car, CarSpec
from livesim.config import ConfigError, RaceConfig

OBJECT_LENGTH = 0.24  # m, box along the track
OBJECT_WIDTH = 0.39  # m, box across the track
BOT_LENGTH = 0.32  # m, bots are DeepRacer cars
BOT_WIDTH = 0.20  # m
RESET_BEHIND_OBJECT = 1.0  # m, collision reset distance behind the object
MIN_BOT_GAP = 2.0  # m, bots start at least this far apart
BOT_LANE_CHANGE_TIME = 1.0  # s to move from one lane line to the other
STUCK_STEPS = 15  # steps of reversing / immobility before a reset
IMMOBILE_STEP = 0.0003  # m per step (0.3 mm)
MIN_OBJECT_GAP = 2.0  # m between random objects along the lap (when the track allows)

# episode_status values of the sim-trace (DeepRacer's)
PREPARE, IN_PROGRESS, OFF_TRACK, CRASHED, REVERSED, IMMOBILIZED = (
    "prepare", "in_progress", "off_track", "crashed", "reversed", "immobilized")
PAUSE, LAP_COMPLETE, TIME_UP, PARK = "pause", "lap_complete", "time_up", "park"


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


class World:
    """One racer on a track.  Call :meth:`start_trial`, then :meth:`step` once per 1/15 s.

    After each step the attributes ``status`` (episode_status), ``events`` (what happened this
    step), ``lap_done`` (a :class:`LapRecord` when a lap/trial ended this step) and ``done``
    (the run is over) describe the outcome.
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
        self.boxes = np.zeros((0, 5))  # x, y, heading, length, width of objects then bots
        self.bots: list[Bot] = []
        self._speed_cmd = 0.0
        self._bot_contact = -1  # bot overlapping the racer that hit it from behind
        self.steps = 0
        self.status = PREPARE
        self.events: list[str] = []
        self.lap_done: LapRecord | None = None
        self.is_crashed = self.is_offtrack = False
        self.wheels_on = 4
        self._reset_lap_state()

    # ------------------------------------------------------------------ set-up

    def start_trial(self, start_s: float = 0.0) -> None:
        """Begin the next lap/trial.  The first trial (and every trial when not continuous)
        puts the car at rest on the centre line at ``start_s`` (default: the start line) and
        lays out objects and bots; the lap then ends one track length further on."""
        self.trial += 1
        # an open track cannot be driven continuously: every lap starts on the line
        fresh = self.trial == 1 or not self.config.continuous or not self.closed
        if fresh:
            self._place_car(start_s, 0.0)
            self.steps = 0
            self._layout_objects()
            self._layout_bots()
        self._reset_lap_state()
        self.status = PREPARE if fresh else IN_PROGRESS

    def _reset_lap_state(self) -> None:
        self.lap_start = self.time
        self.lap_dist = 0.0  # m driven along the centre line this lap (unwrapped)
        self.progress = 0.0
        self.sector_times: list[float] = []
        self.off_tracks = self.crashes = self.reversed_count = self.immobilized_count = 0
        self.resets = 0
        self.pause_left = 0.0
        self.pause_duration = 0.0
        self.crash_counter = 0  # obstacle_crash_counter of the trace (per lap)
        self._back_steps = 0
        self._still_steps = 0

    def _place_car(self, s: float, lateral: float) -> None:
        """Put the car at rest so that its params point is at (s, lateral)."""
        x, y, h = self.track.pose_at(s, lateral)
        self.car.place(x - PARAMS_POINT_AHEAD * math.cos(h), y - PARAMS_POINT_AHEAD * math.sin(h), h)
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
        rows = []
        for s, lat in zip(self.obj_s, self.obj_lat, strict=True):
            x, y, h = tr.pose_at(s, lat)
            rows.append((x, y, h, OBJECT_LENGTH, OBJECT_WIDTH))
        self.boxes = np.array(rows, dtype=np.float64).reshape(-1, 5)

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
        rows = []
        for b in self.bots:
            b.x, b.y, b.heading = self.track.pose_at(b.s, b.lat)
            rows.append((b.x, b.y, b.heading, BOT_LENGTH, BOT_WIDTH))
        self.boxes = np.array(rows, dtype=np.float64).reshape(-1, 5)

    def _move_bots(self, dt: float) -> None:
        if not self.bots:
            return
        for b in self.bots:
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
        seg, t, s, lat, _hl, _hr = K.project(self.g, self.closed, px, py, hint)
        self.px, self.py = px, py
        self.seg_t = float(t)
        self.seg, self.s, self.lat = int(seg), float(s), float(lat)
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

    # ------------------------------------------------------------------ stepping

    def step(self, steer_deg: float, speed: float, multiplier: float = 1.0) -> None:
        """Advance one 1/15 s tick with the policy's action.

        ``multiplier`` scales the policy's speed (the racer's speed control); the product is
        clamped to the car's limits, steering is untouched.
        """
        if self.done:
            raise RuntimeError("the run is over; start a new World")
        self.events = []
        self.lap_done = None
        self.is_crashed = self.is_offtrack = False
        self.time += DT
        self.steps += 1
        self._move_bots(DT)
        if self.pause_left > 0.0:
            # penalty pause: the car waits where it was reset, the clock runs on
            self.pause_left -= DT
            self.status = PAUSE
            if self.pause_left <= 1e-9:
                self.pause_left = 0.0
                self.pause_duration = 0.0
            self._check_time_up()
            return
        self.status = IN_PROGRESS
        car = self.car
        self._speed_cmd = car.spec.clamp_speed(speed * multiplier)
        car.command(steer_deg, self._speed_cmd)
        ox, oy = car.x, car.y
        sp = car.spec
        car.x, car.y, car.heading, car.speed = K.car_step(
            car.x, car.y, car.heading, car.speed, car.steer, car.target_speed, DT,
            sp.wheelbase, sp.accel, sp.brake_decel, sp.grip_accel)
        old_s = self.s
        self._sense(self.seg)
        ds = self.s - old_s
        if self.closed:
            if ds > 0.5 * self.length:
                ds -= self.length
            elif ds < -0.5 * self.length:
                ds += self.length
        old_dist = self.lap_dist
        self.lap_dist += ds
        self.progress = min(100.0, max(0.0, 100.0 * self.lap_dist / self.length))

        # reversing / immobility counters
        self._back_steps = self._back_steps + 1 if ds < 0.0 else 0
        moved = math.hypot(car.x - ox, car.y - oy)
        self._still_steps = self._still_steps + 1 if moved <= IMMOBILE_STEP else 0

        if self.wheels_on == 0:
            self.is_offtrack = True
            self.off_tracks += 1
            self._reset(OFF_TRACK, self.config.off_track_penalty, self.s, None)
        elif (hit := self._collision()) is not None:
            obj_s, obj_lat = hit
            self.is_crashed = True
            self.crashes += 1
            self.crash_counter += 1
            self._reset(CRASHED, self.config.collision_penalty,
                        obj_s - RESET_BEHIND_OBJECT, obj_lat < 0.0)
        elif self._back_steps >= STUCK_STEPS:
            self.reversed_count += 1
            self._reset(REVERSED, self.config.off_track_penalty, self.s, None)
        elif self._still_steps >= STUCK_STEPS:
            self.immobilized_count += 1
            self._reset(IMMOBILIZED, self.config.off_track_penalty, self.s, None)
        else:
            self._sectors(old_dist)
            if self.lap_dist >= self.length:
                self._finish_lap(old_dist)
                return
        if not self.done:
            self._check_time_up()

    def _collision(self) -> tuple[float, float] | None:
        """(s, lateral) of the object hit this step, or None.

        A bot contact is judged when it starts: it counts only if the racer is behind the bot
        then; a bot catching the racer from behind is ignored until the two are apart again
        (the bot drives through the racer's car in the meantime)."""
        if self.boxes.shape[0] == 0:
            return None
        c = self.car
        k = int(K.first_overlap(c.x, c.y, c.heading, self.boxes))
        if not self.bots:
            return None if k < 0 else (float(self.obj_s[k]), float(self.obj_lat[k]))
        if k < 0:
            self._bot_contact = -1
            return None
        if k == self._bot_contact:
            return None
        b = self.bots[k]
        ahead = b.s - (self.s - PARAMS_POINT_AHEAD + BODY_CENTER_AHEAD)  # body centres
        if self.closed:
            ahead = (ahead + 0.5 * self.length) % self.length - 0.5 * self.length
        if ahead <= 0.0:
            self._bot_contact = k
            return None
        return b.s, b.lat

    def _reset(self, status: str, penalty: float, s: float, go_left: bool | None) -> None:
        """Count a reset; end the trial if over the limit, else pause and re-place the car on a
        lane line (``go_left`` None = the lane line nearer to where the car is)."""
        self.events.append(status)
        self.status = status
        self.resets += 1
        self._back_steps = self._still_steps = 0
        limit = self.config.max_resets
        if limit is not None and self.resets > limit:
            self._end_lap(status, completed=False, end_time=self.time)
            return
        if go_left is None:
            go_left = self.lat >= 0.0
        if self.closed:
            s %= self.length
        else:
            s = min(max(s, 0.0), self.length)
        lat = self.track.lateral_of_lane("left" if go_left else "right", s)
        old_s = self.s
        self._place_car(s, lat)
        ds = self.s - old_s
        if self.closed:
            ds = (ds + 0.5 * self.length) % self.length - 0.5 * self.length
        self.lap_dist += ds
        self.progress = min(100.0, max(0.0, 100.0 * self.lap_dist / self.length))
        self.pause_left = penalty
        self.pause_duration = penalty

    def _sectors(self, old_dist: float) -> None:
        k = len(self.sector_times)
        if k < 2:
            edge = (k + 1) * self.length / 3.0
            if self.lap_dist >= edge > old_dist:
                t = self._cross_time(old_dist, edge)
                self.sector_times.append(t - self.lap_start - sum(self.sector_times))

    def _cross_time(self, old_dist: float, edge: float) -> float:
        """Sim time at which lap distance crossed ``edge`` during the last step."""
        frac = (edge - old_dist) / max(self.lap_dist - old_dist, 1e-12)
        return self.time - DT + min(1.0, max(0.0, frac)) * DT

    def _finish_lap(self, old_dist: float) -> None:
        end = self._cross_time(old_dist, self.length)
        while len(self.sector_times) < 2:  # very short laps: cross both edges in one step
            self.sector_times.append(0.0)
        self.sector_times.append(end - self.lap_start - sum(self.sector_times))
        self.status = LAP_COMPLETE
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
            self.status = status

    def _check_time_up(self) -> None:
        if self.lap_time() >= self.config.max_lap_time:
            self.status = TIME_UP
            self._end_lap(TIME_UP, completed=False, end_time=self.time)

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
