"""The vector observation shared by the MLP / ONNX runners and the Gymnasium env.

``observe(world)`` → float32 array of shape (OBS_DIM,) = (33,):

* ``[0:32]`` a LiDAR-like scan: 32 rays evenly spread over ±150° around the car's heading
  (index 0 = 150° to the right, 31 = 150° to the left), cast from the body centre; each is the
  distance to the first track border, obstacle box or bot, divided by RAY_RANGE (3 m) and
  clipped to [0, 1] (1 = nothing within range);
* ``[32]`` the car's speed divided by MAX_SPEED (4 m/s), in [0, 1].

The scan is the numba kernel :func:`livesim.kernels.ray_scan`.
"""

from __future__ import annotations

import math

import numpy as np

from livesim import kernels as K
from livesim.car import MAX_SPEED

OBS_RAYS = 32
RAY_FOV_DEG = 300.0  # ±150°
RAY_RANGE = 3.0  # m
OBS_DIM = OBS_RAYS + 1
_FOV = math.radians(RAY_FOV_DEG)


def observe(world, out: np.ndarray | None = None) -> np.ndarray:
    """The observation of ``world``'s racer (see module docstring)."""
    rays = np.empty(OBS_RAYS, dtype=np.float64)
    c = world.car
    K.ray_scan(world.g, world.closed, c.x, c.y, c.heading, world.seg, world.boxes, _FOV,
               RAY_RANGE, rays)
    if out is None:
        out = np.empty(OBS_DIM, dtype=np.float32)
    out[:OBS_RAYS] = rays * (1.0 / RAY_RANGE)
    out[OBS_RAYS] = min(1.0, max(0.0, c.speed / MAX_SPEED))
    return out
