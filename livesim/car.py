"""Bicycle model of a 1/18-scale DeepRacer car, its steering and turn rate fitted to Gazebo's.

The car's *origin* is the midpoint of the rear axle (as in HighwayEnv's kinematics).  The
DeepRacer URDF's ``base_link``, the pose the simulator places and reports, is midway between the
axles, ``BASE_LINK_AHEAD`` ahead of the origin; the reward function's ``x, y`` is 0.14 m ahead of
``base_link`` (DOMAIN.md §4a "reward x, y"), ``PARAMS_POINT_AHEAD`` ahead of the origin.
Angles are radians inside the model and degrees at the API edge (DeepRacer's action space and
reward params use degrees, positive = left).

Equations of one step (``dt`` seconds, wheel angle δ, commanded steering δ* and speed v*)::

    δ'  = δ + (1 − e^(−dt/STEER_TIME_CONSTANT))·(δ* − δ)     the wheels follow the command
    v'  = v + clip(v* - v, -BRAKE_DECEL·dt, ACCEL·dt)        speed follows the command
    d   = (v + v')/2 · dt                                     distance this step
    κ   = tan(δ') / YAW_WHEELBASE, |κ| ≤ GRIP_ACCEL / v'²     curvature, grip-limited
    θ'  = θ + κ·d
    x'  = x + (sin θ' − sin θ)/κ,  y' = y − (cos θ' − cos θ)/κ  exact arc (straight when κ≈0)

The steering lag and the yaw gain are fitted to Gazebo's car (DeepRacer-for-Cloud's evaluation
traces, ``livesim/docs/fit_dynamics.py``): Gazebo's car turns about half as sharply as a
kinematic bicycle of the URDF's wheelbase, and its wheels reach a new steering angle over
roughly half a second, not at once.  The speed response was fitted too but did not beat the
throttle/brake limits below beyond the traces' timing noise, so it is unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STEP_HZ = 15  # simulator steps per second (the camera rate); one action per step
DT = 1.0 / STEP_HZ  # s

WHEELBASE = 0.164  # m, rear axle to front axle
TRACK_WIDTH = 0.16  # m, distance between left and right wheel centres
CAR_LENGTH = 0.32  # m, body footprint along the car
CAR_WIDTH = 0.20  # m, body footprint across the car
REAR_OVERHANG = (CAR_LENGTH - WHEELBASE) / 2  # m, body behind the rear axle (body centred on axles)
BODY_CENTER_AHEAD = WHEELBASE / 2  # m, body-rectangle centre ahead of the origin
BASE_LINK_AHEAD = WHEELBASE / 2  # m, the simulator's base_link (midway between the axles)
REWARD_POINT_AHEAD_OF_BASE_LINK = 0.14  # m, the simulator's RELATIVE_POSITION_OF_FRONT_OF_CAR
PARAMS_POINT_AHEAD = BASE_LINK_AHEAD + REWARD_POINT_AHEAD_OF_BASE_LINK  # m, ahead of the origin
# The simulator's collision box of the racer: any of its corners inside an obstacle's collision
# box is a crash (DOMAIN.md §4a "obstacle collision"); centred on base_link.
HIT_LENGTH = 0.324  # m, along the car
HIT_WIDTH = 0.196  # m, across the car

MIN_SPEED = 0.1  # m/s, slowest commanded speed (DeepRacer action space bound)
MAX_SPEED = 4.0  # m/s, fastest commanded speed
MAX_STEER_DEG = 30.0  # deg, front-wheel steering limit, positive = left
# Fitted by least squares to Gazebo's yaw change per step, 1887 driven steps of the three
# DeepRacer-for-Cloud evaluation traces (livesim/docs/fit_dynamics.py; each trace held out in
# turn: the other two give 0.289–0.296 m and 0.480–0.485 s).  Per-step yaw rms error 200 → 16 mrad.
YAW_WHEELBASE = 0.293  # m, wheelbase of the kinematic bicycle that turns like Gazebo's car: the
# URDF's 0.164 m plus the tyres' slip (understeer), which a kinematic model does not have
STEER_TIME_CONSTANT = 0.48  # s, first-order lag of the wheels behind the steering command
# (Gazebo's steering joints are driven by PID controllers, not set; a pure dead time fitted worse)
ACCEL = 6.0  # m/s², throttle response (full speed in ~0.7 s)
BRAKE_DECEL = 8.0  # m/s², braking response
GRIP_ACCEL = 9.0  # m/s², lateral acceleration the tyres hold; beyond it the car runs wide


@dataclass(frozen=True)
class CarSpec:
    """Limits of one car; the defaults are the DeepRacer's.  Tests may loosen them."""

    wheelbase: float = WHEELBASE
    yaw_wheelbase: float = YAW_WHEELBASE
    steer_time_constant: float = STEER_TIME_CONSTANT
    min_speed: float = MIN_SPEED
    max_speed: float = MAX_SPEED
    max_steer_deg: float = MAX_STEER_DEG
    accel: float = ACCEL
    brake_decel: float = BRAKE_DECEL
    grip_accel: float = GRIP_ACCEL

    def clamp_speed(self, speed: float) -> float:
        return min(self.max_speed, max(self.min_speed, float(speed)))

    def clamp_steer(self, steer_deg: float) -> float:
        return min(self.max_steer_deg, max(-self.max_steer_deg, float(steer_deg)))


DEFAULT_SPEC = CarSpec()


def arc_step(
    x: float,
    y: float,
    heading: float,
    speed: float,
    steer: float,
    steer_cmd: float,
    target_speed: float,
    dt: float,
    wheelbase: float,
    steer_tau: float,
    accel: float,
    brake: float,
    grip: float,
) -> tuple[float, float, float, float, float]:
    """One bicycle-model step; returns (x, y, heading, speed, wheel angle).  ``steer`` is the
    wheels' angle before the step, ``steer_cmd`` the commanded one, ``wheelbase`` the yaw
    wheelbase.  Plain floats and ``math`` only: :mod:`livesim.kernels` compiles this same
    function with numba (``kernels.car_step``)."""
    if steer_tau > 0.0:
        steer += (1.0 - math.exp(-dt / steer_tau)) * (steer_cmd - steer)
    else:
        steer = steer_cmd
    dv = target_speed - speed
    dv = min(accel * dt, max(-brake * dt, dv))
    new_speed = speed + dv
    dist = 0.5 * (speed + new_speed) * dt
    kappa = math.tan(steer) / wheelbase
    if new_speed > 1e-6:
        # A kinematic model would corner at any speed; real tyres slide, so cap curvature.
        kmax = grip / (new_speed * new_speed)
        kappa = min(kmax, max(-kmax, kappa))
    dtheta = kappa * dist
    new_heading = heading + dtheta
    if abs(dtheta) < 1e-9:
        x += dist * math.cos(heading)
        y += dist * math.sin(heading)
    else:
        x += (math.sin(new_heading) - math.sin(heading)) / kappa
        y -= (math.cos(new_heading) - math.cos(heading)) / kappa
    # one step turns < 1 rad, so a single conditional wrap keeps (-pi, pi]
    if new_heading > math.pi:
        new_heading -= 2.0 * math.pi
    elif new_heading <= -math.pi:
        new_heading += 2.0 * math.pi
    return x, y, new_heading, new_speed, steer


class Car:
    """State of one car: pose of the rear-axle origin, speed and the applied steering."""

    def __init__(
        self,
        x: float = 0.0,
        y: float = 0.0,
        heading: float = 0.0,
        speed: float = 0.0,
        spec: CarSpec = DEFAULT_SPEC,
    ) -> None:
        self.spec = spec
        self.x = float(x)
        self.y = float(y)
        self.heading = float(heading)  # rad, from +x, anticlockwise
        self.speed = float(speed)  # m/s
        self.steer = 0.0  # rad, the front wheels' angle (follows steer_cmd with a lag)
        self.steer_cmd = 0.0  # rad, last commanded front-wheel angle
        self.target_speed = 0.0  # m/s, last commanded speed

    def command(self, steer_deg: float, speed: float) -> None:
        """Set the action for the next step (clamped to the car's limits)."""
        self.steer_cmd = math.radians(self.spec.clamp_steer(steer_deg))
        self.target_speed = self.spec.clamp_speed(speed)

    def step(self, dt: float = DT) -> None:
        s = self.spec
        self.x, self.y, self.heading, self.speed, self.steer = arc_step(
            self.x, self.y, self.heading, self.speed, self.steer, self.steer_cmd,
            self.target_speed, dt, s.yaw_wheelbase, s.steer_time_constant,
            s.accel, s.brake_decel, s.grip_accel,
        )

    def place(self, x: float, y: float, heading: float) -> None:
        """Put the car down at rest (start line or a reset)."""
        self.x, self.y, self.heading = float(x), float(y), float(heading)
        self.speed = 0.0
        self.steer = 0.0
        self.steer_cmd = 0.0
        self.target_speed = 0.0

    @property
    def steering_deg(self) -> float:
        """The commanded steering angle (the wheels reach it over ``steer_time_constant``)."""
        return math.degrees(self.steer_cmd)

    @property
    def params_point(self) -> tuple[float, float]:
        """The reward params' (x, y): ``PARAMS_POINT_AHEAD`` ahead of the origin."""
        return (
            self.x + PARAMS_POINT_AHEAD * math.cos(self.heading),
            self.y + PARAMS_POINT_AHEAD * math.sin(self.heading),
        )

    def wheels(self) -> list[tuple[float, float]]:
        """Contact points: rear-left, rear-right, front-left, front-right."""
        c, s = math.cos(self.heading), math.sin(self.heading)
        half = TRACK_WIDTH / 2
        out = []
        for along in (0.0, self.spec.wheelbase):
            for side in (half, -half):
                out.append((self.x + along * c - side * s, self.y + along * s + side * c))
        return out
