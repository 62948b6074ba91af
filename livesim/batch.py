"""Many cars at once: K independent cars on one track stepped by one numba kernel.

For training rollouts and benchmarks, where Python per-car overhead would dominate.  Rules are
the lean trainer's subset: a car with no wheel on track is put back on the centre line where it
left, at rest, and its ``off_tracks`` count goes up (no penalty clock, no objects or bots);
progress and laps are tracked per car.  Randomness (start places) only from the seeded
Generator.
"""

from __future__ import annotations

import math

import numpy as np

from livesim import kernels as K
from livesim.car import BASE_LINK_AHEAD, DEFAULT_SPEC, DT, PARAMS_POINT_AHEAD, CarSpec
from livesim.observation import OBS_DIM, RAY_FOV_DEG, RAY_RANGE

X, Y, HEADING, SPEED, SEG, S, LAP_DIST, LAPS, WHEEL_ANGLE = range(9)


class BatchSim:
    """``n_cars`` cars; :meth:`step` takes steering (deg) and speed (m/s) arrays of shape (K,)."""

    def __init__(self, track, n_cars: int, seed: int | None = None,
                 car_spec: CarSpec = DEFAULT_SPEC) -> None:
        if n_cars < 1:
            raise ValueError("n_cars must be >= 1")
        self.track = track
        self.g = K.track_geometry(track)
        self.closed = bool(track.closed)
        self.spec = car_spec
        self.rng = np.random.default_rng(seed)
        self.state = np.zeros((n_cars, 9), dtype=np.float64)
        self.status = np.zeros(n_cars, dtype=np.int64)
        self.off_tracks = np.zeros(n_cars, dtype=np.int64)
        self._limits = np.array([car_spec.max_steer_deg, car_spec.min_speed,
                                 car_spec.max_speed])
        self._no_boxes = np.zeros((0, 5), dtype=np.float64)
        self.steps = 0
        self.reset()

    @property
    def n_cars(self) -> int:
        return self.state.shape[0]

    def reset(self) -> None:
        """Every car at rest on the centre line at a random place."""
        self.reset_cars(np.arange(self.n_cars))
        self.off_tracks[:] = 0
        self.steps = 0

    def reset_cars(self, cars) -> None:
        """The given cars (indices) at rest on the centre line at random places, lap count 0."""
        length = self.track.length
        cars = np.asarray(cars, dtype=np.int64)
        starts = self.rng.uniform(0.0, length if self.closed else 0.5 * length, len(cars))
        for k, s in zip(cars, starts, strict=True):
            x, y, h = self.track.pose_at(s)  # base_link on the line, as the simulator starts
            x -= BASE_LINK_AHEAD * math.cos(h)
            y -= BASE_LINK_AHEAD * math.sin(h)
            px = x + PARAMS_POINT_AHEAD * math.cos(h)
            py = y + PARAMS_POINT_AHEAD * math.sin(h)
            seg, _t, s_proj, _lat, _hl, _hr = K.project(self.g, self.closed, px, py, -1)
            self.state[k] = (x, y, h, 0.0, seg, s_proj, 0.0, 0.0, 0.0)

    def step(self, steer_deg, speed) -> np.ndarray:
        """One 1/15 s tick for every car; returns the status array (kernels.ST_*)."""
        sp = self.spec
        steer = np.ascontiguousarray(steer_deg, dtype=np.float64).reshape(self.n_cars)
        speed = np.ascontiguousarray(speed, dtype=np.float64).reshape(self.n_cars)
        K.batch_step(self.g, self.closed, self.state, steer, speed, self._limits, DT,
                     sp.wheelbase, sp.yaw_wheelbase, sp.steer_time_constant, sp.accel, sp.brake_decel,
                     sp.grip_accel, self.status)
        self.off_tracks += self.status == K.ST_OFF_TRACK
        self.steps += 1
        return self.status

    def observe(self, out: np.ndarray | None = None) -> np.ndarray:
        """(K, 33) float32 observations, as :func:`livesim.observation.observe`."""
        buf = np.empty((self.n_cars, OBS_DIM), dtype=np.float64)
        K.batch_observe(self.g, self.closed, self.state, self._no_boxes,
                        math.radians(RAY_FOV_DEG), RAY_RANGE, self.spec.max_speed, buf)
        if out is None:
            return buf.astype(np.float32)
        out[:] = buf
        return out

    @property
    def progress(self) -> np.ndarray:
        """% of the current lap driven, per car."""
        return np.clip(100.0 * self.state[:, LAP_DIST] / self.track.length, 0.0, 100.0)

    @property
    def laps(self) -> np.ndarray:
        return self.state[:, LAPS].astype(np.int64)


__all__ = ["BatchSim"]
