"""The built-in reference driver: pure pursuit on the centre line with a curvature-aware speed.

It reads the track directly (it is the simulator's own demo driver, not a trained model), so it
is the yardstick for "can this track be driven" and the racer behind demo entries.  Its knobs
live in its ``metadata`` so demo racers can have temperaments (:data:`TEMPERAMENTS`).

Steering (pure pursuit, Coulter 1992): aim at the centre-line point ``lookahead`` m ahead of the
rear axle, δ = atan(2·L·sin α / d) where α is the bearing of that point, d its distance and L
the car's yaw wheelbase.  The car's wheels lag the command (``steer_time_constant``), so the
driver commands the angle that brings the wheels to δ within one step, as far as the steering
limit allows: δ* = δ_w + (δ − δ_w) / (1 − e^(−dt/τ)), δ_w the wheels' angle now.
Speed: v(s) = min(max_speed, √(lateral_accel / |κ(s)|)), then a backward pass so the car can
brake from one corner's speed to the next at ``brake_accel`` (v² ≤ v_next² + 2·a·Δs).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import asdict, dataclass

import numpy as np

from livesim.car import (
    CAR_WIDTH,
    DT,
    MAX_SPEED,
    MAX_STEER_DEG,
    MIN_SPEED,
    PARAMS_POINT_AHEAD,
    TRACK_WIDTH,
)
from livesim.policy_base import Action
from livesim.world import BOT_WIDTH, OBJECT_WIDTH

PROFILE_STEP = 0.05  # m between samples of the speed profile
SMOOTH_WINDOW = 0.4  # m, curvature smoothing (waypoint noise would otherwise cap speed)
AVOID_CLEARANCE = 0.05  # m kept between the car and an object it passes, and the border


@dataclass(frozen=True)
class DriverParams:
    max_speed: float = 2.0  # m/s, fastest it will go
    lateral_accel: float = 2.0  # m/s², corner speed limit v²/R
    brake_accel: float = 3.0  # m/s², deceleration it plans with
    lookahead: float = 0.35  # m, pure-pursuit lookahead at rest
    lookahead_gain: float = 0.12  # s, extra lookahead per m/s of speed
    min_speed: float = 0.5  # m/s, never plan slower than this
    avoid_horizon: float = 1.2  # m at rest, ×(1 + 0.5 s/m × speed): objects this close decide
    #                             the lane (0 = never avoid)
    line_offset: float = 0.0  # driven line, fraction of the half width: +0.5 = left lane line

    def __post_init__(self) -> None:
        for name, lo, hi in (("max_speed", MIN_SPEED, MAX_SPEED), ("lateral_accel", 0.1, 20.0),
                             ("brake_accel", 0.1, 20.0), ("lookahead", 0.05, 3.0),
                             ("lookahead_gain", 0.0, 2.0), ("min_speed", MIN_SPEED, MAX_SPEED),
                             ("avoid_horizon", 0.0, 20.0), ("line_offset", -0.9, 0.9)):
            v = getattr(self, name)
            if not lo <= v <= hi:
                raise ValueError(f"reference driver {name} must be in [{lo}, {hi}], not {v}")


TEMPERAMENTS: dict[str, DriverParams] = {
    "cautious": DriverParams(max_speed=1.5, lateral_accel=1.5, lookahead=0.3),
    "steady": DriverParams(),
    "brisk": DriverParams(max_speed=2.8, lateral_accel=3.5, brake_accel=4.0, lookahead=0.4),
    "aggressive": DriverParams(max_speed=3.8, lateral_accel=5.5, brake_accel=5.0,
                               lookahead=0.45, lookahead_gain=0.1),
}

_PROFILES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # track -> {params: v}


def curvature_profile(track, step: float = PROFILE_STEP) -> np.ndarray:
    """Signed centre-line curvature (1/m) sampled every ``step`` m, smoothed."""
    n = max(8, int(math.ceil(track.length / step)))
    s = np.linspace(0.0, track.length, n, endpoint=not track.closed)
    c = np.vstack([track.center, track.center[:1]]) if track.closed else track.center
    cum = track.cumdist
    x = np.interp(s, cum, c[:, 0])
    y = np.interp(s, cum, c[:, 1])
    ds = track.length / (n if track.closed else n - 1)
    if track.closed:
        dx = np.roll(x, -1) - np.roll(x, 1)
        dy = np.roll(y, -1) - np.roll(y, 1)
    else:
        dx, dy = np.gradient(x), np.gradient(y)
    heading = np.unwrap(np.arctan2(dy, dx))
    if track.closed:
        dh = np.roll(heading, -1) - np.roll(heading, 1)
        dh = (dh + np.pi) % (2 * np.pi) - np.pi
        kappa = dh / (2 * ds)
    else:
        kappa = np.gradient(heading, ds)
    w = max(1, int(round(SMOOTH_WINDOW / ds)))
    kernel = np.ones(w) / w
    if track.closed:
        padded = np.concatenate([kappa[-w:], kappa, kappa[:w]])
        kappa = np.convolve(padded, kernel, mode="same")[w:-w]
    else:
        kappa = np.convolve(kappa, kernel, mode="same")
    return kappa


def speed_profile(track, p: DriverParams) -> np.ndarray:
    """Planned speed (m/s) every PROFILE_STEP m of the lap (cached per track and params)."""
    per_track = _PROFILES.setdefault(track, {})
    hit = per_track.get(p)
    if hit is not None:
        return hit
    kappa = np.abs(curvature_profile(track))
    v = np.minimum(p.max_speed, np.sqrt(p.lateral_accel / np.maximum(kappa, 1e-6)))
    v = np.maximum(v, p.min_speed)
    ds = track.length / len(v)
    # backward pass (twice round a loop so the braking zone before the line is right)
    for _ in range(2 if track.closed else 1):
        for i in range(len(v) - 2, -1, -1) if not track.closed else range(len(v) - 1, -1, -1):
            j = (i + 1) % len(v)
            v[i] = min(v[i], math.sqrt(v[j] * v[j] + 2.0 * p.brake_accel * ds))
    per_track[p] = v
    return v


class ReferenceDriver:
    """Pure-pursuit driver; ``ReferenceDriver(temperament="brisk")`` or explicit params."""

    name = "reference"

    def __init__(self, temperament: str | None = None, **params: float) -> None:
        if temperament is not None and temperament not in TEMPERAMENTS:
            raise ValueError(f"unknown temperament {temperament!r}; one of {sorted(TEMPERAMENTS)}")
        base = TEMPERAMENTS[temperament or "steady"]
        unknown = set(params) - set(asdict(base))
        if unknown:
            raise ValueError(f"unknown reference driver parameter(s): {', '.join(sorted(unknown))}")
        self.params = DriverParams(**{**asdict(base), **params})
        self.temperament = temperament or "steady"

    @property
    def metadata(self) -> dict:
        """model_metadata-style description: a continuous action space plus the driver's knobs."""
        return {
            "action_space_type": "continuous",
            "action_space": {
                "steering_angle": {"low": -MAX_STEER_DEG, "high": MAX_STEER_DEG},
                "speed": {"low": MIN_SPEED, "high": self.params.max_speed},
            },
            "sensor": [],
            "neural_network": "NONE",
            "training_algorithm": "none",
            "version": "5",
            "policy": "reference",
            "temperament": self.temperament,
            "driver": asdict(self.params),
        }

    def reset(self) -> None:
        """Stateless between steps; nothing to reset."""

    def act(self, world) -> Action:
        p = self.params
        car = world.car
        track = world.track
        prof = speed_profile(track, p)
        ld = p.lookahead + p.lookahead_gain * car.speed
        # the params point is PARAMS_POINT_AHEAD in front of the axle; aim ld ahead of the axle
        s_axle = world.s - PARAMS_POINT_AHEAD
        lateral = self._avoid_lateral(world, car.speed)
        s_aim = s_axle + ld
        if lateral is not None:
            off = lateral(s_aim)
        elif p.line_offset:
            hl, hr = track.half_width_at(s_aim)
            off = p.line_offset * (hl if p.line_offset > 0 else hr)
        else:
            off = 0.0
        tx, ty, _ = track.pose_at(s_aim, off)
        dx, dy = tx - car.x, ty - car.y
        dist = math.hypot(dx, dy)
        alpha = math.atan2(dy, dx) - car.heading
        spec = car.spec
        want = math.atan2(2.0 * spec.yaw_wheelbase * math.sin(alpha), max(dist, 1e-3))
        # share of the gap to the command the wheels close in one step (first-order servo)
        tau = spec.steer_time_constant
        share = 1.0 - math.exp(-DT / tau) if tau > 0.0 else 1.0
        steer = math.degrees(car.steer + (want - car.steer) / share)
        steer = max(-MAX_STEER_DEG, min(MAX_STEER_DEG, steer))
        # plan for where the car will be after this step
        s_next = world.s + car.speed * DT
        n = len(prof)
        if track.closed:
            i = int(s_next / track.length * n) % n
        else:
            i = min(n - 1, max(0, int(s_next / track.length * n)))
        return Action(steer, float(prof[i]), -1)

    def _avoid_lateral(self, world, speed: float):
        """None (drive the centre line) or a function s -> lateral offset to drive: the side
        whose nearest object ahead is farther (or absent), on its lane line or farther out
        when the object reaches across the centre (wide boxes on narrow tracks)."""
        if self.params.avoid_horizon <= 0.0:
            return None
        if world.bots:
            items = [(b.s, b.lat, BOT_WIDTH) for b in world.bots]
        elif len(world.obj_s):
            items = [(s, lat, OBJECT_WIDTH) for s, lat in zip(world.obj_s.tolist(),
                                                              world.obj_lat.tolist(), strict=True)]
        else:
            return None
        horizon = self.params.avoid_horizon * (1.0 + 0.5 * speed)
        length = world.length
        nearest = {True: (math.inf, 0.0), False: (math.inf, 0.0)}  # side (left?) -> (ahead, reach)
        for s, lat, width in items:
            ahead = s - world.s
            if world.closed:
                ahead = (ahead + 0.5 * length) % length - 0.5 * length
            if -0.45 < ahead < horizon and ahead < nearest[lat > 0.0][0]:
                # how far the object reaches across the centre line into the other side
                nearest[lat > 0.0] = (ahead, 0.5 * width - abs(lat))
        if nearest[True][0] == nearest[False][0] == math.inf:
            return None
        go_left = nearest[True][0] > nearest[False][0]
        reach = nearest[not go_left][1]
        need = reach + 0.5 * CAR_WIDTH + AVOID_CLEARANCE
        sign = 1.0 if go_left else -1.0
        track = world.track

        def lateral(s: float) -> float:
            hl, hr = track.half_width_at(s)
            hw = hl if go_left else hr
            return sign * min(hw - 0.5 * TRACK_WIDTH - AVOID_CLEARANCE, max(0.5 * hw, need))

        return lateral
