"""Bicycle model: limits, steering lag, turning radius, grip limit, python/numba agreement."""

from __future__ import annotations

import math

import pytest

from livesim import car as C
from livesim import kernels as K


def drive(car: C.Car, steer_deg: float, speed: float, steps: int) -> None:
    for _ in range(steps):
        car.command(steer_deg, speed)
        car.step()


def test_constants_are_the_deepracer_car() -> None:
    assert (C.WHEELBASE, C.TRACK_WIDTH, C.CAR_LENGTH, C.CAR_WIDTH) == (0.164, 0.16, 0.32, 0.20)
    assert (C.MIN_SPEED, C.MAX_SPEED, C.MAX_STEER_DEG, C.STEP_HZ) == (0.1, 4.0, 30.0, 15)


def test_commands_are_clamped_to_the_car_limits() -> None:
    car = C.Car()
    car.command(100.0, 100.0)
    assert car.steering_deg == pytest.approx(30.0)
    assert car.target_speed == 4.0
    car.command(-90.0, 0.0)
    assert car.steering_deg == pytest.approx(-30.0)
    assert car.target_speed == 0.1


def test_straight_line_accelerates_at_the_throttle_limit_then_cruises() -> None:
    car = C.Car()
    car.command(0.0, 2.0)
    car.step()
    assert car.speed == pytest.approx(C.ACCEL * C.DT)
    drive(car, 0.0, 2.0, 60)
    assert car.speed == pytest.approx(2.0)
    x0 = car.x
    drive(car, 0.0, 2.0, 15)  # one second at 2 m/s
    assert car.x - x0 == pytest.approx(2.0, rel=1e-9)
    assert car.y == pytest.approx(0.0, abs=1e-12)


def test_wheels_follow_the_steering_command_with_the_fitted_lag() -> None:
    """The wheels close 1 − e^(−t/τ) of the gap to the command: 63 % after one time constant."""
    car = C.Car()
    car.command(30.0, 1.0)
    car.step()
    assert car.steering_deg == pytest.approx(30.0)  # the command, as the reward params see it
    assert math.degrees(car.steer) == pytest.approx(30.0 * (1 - math.exp(-C.DT / C.STEER_TIME_CONSTANT)))
    drive(car, 30.0, 1.0, round(C.STEER_TIME_CONSTANT / C.DT) - 1)
    assert math.degrees(car.steer) == pytest.approx(30.0 * (1 - math.exp(-1)), rel=0.05)
    car.place(0.0, 0.0, 0.0)
    assert car.steer == 0.0 and car.steering_deg == 0.0


def test_low_speed_turn_follows_the_bicycle_radius() -> None:
    """At 0.5 m/s with 30° steering, once the wheels are there, the rear axle runs a circle of
    radius YAW_WHEELBASE / tan(30°)."""
    car = C.Car()
    drive(car, 30.0, 0.5, 200)  # reach the speed and (to 1e-12) the wheel angle
    pts = []
    for _ in range(60):
        drive(car, 30.0, 0.5, 1)
        pts.append((car.x, car.y))
    # the circle's centre is left of the car, at distance R
    r = C.YAW_WHEELBASE / math.tan(math.radians(30))
    cx = car.x - r * math.sin(car.heading)
    cy = car.y + r * math.cos(car.heading)
    for x, y in pts:
        assert math.hypot(x - cx, y - cy) == pytest.approx(r, rel=1e-6)


def test_grip_limits_the_curvature_at_speed() -> None:
    car = C.Car(spec=C.CarSpec(steer_time_constant=0.0))  # wheels at the command at once
    drive(car, 0.0, 3.0, 30)
    h0 = car.heading
    drive(car, 30.0, 3.0, 1)
    # kinematic yaw would be v·tan(30°)/L·dt ≈ 0.39 rad; grip allows (grip/v²)·v·dt
    assert car.heading - h0 == pytest.approx(C.GRIP_ACCEL / 3.0 * C.DT, rel=1e-6)


def test_python_and_numba_steps_agree() -> None:
    args = (1.0, -2.0, 0.3, 1.2, math.radians(4.0), math.radians(12.0), 2.5, C.DT,
            C.YAW_WHEELBASE, C.STEER_TIME_CONSTANT, C.ACCEL, C.BRAKE_DECEL, C.GRIP_ACCEL)
    assert K.car_step(*args) == pytest.approx(C.arc_step(*args), abs=1e-12)


def test_wheels_and_params_point_geometry() -> None:
    car = C.Car(1.0, 2.0, math.pi / 2)
    rl, rr, fl, fr = car.wheels()
    assert rl == pytest.approx((0.92, 2.0))  # left of a car heading +y is -x
    assert rr == pytest.approx((1.08, 2.0))
    assert fl == pytest.approx((0.92, 2.164))
    assert fr == pytest.approx((1.08, 2.164))
    # 0.14 m ahead of base_link, which is midway between the axles (DOMAIN.md §4a line 161)
    assert car.params_point == pytest.approx((1.0, 2.0 + 0.082 + 0.14))
