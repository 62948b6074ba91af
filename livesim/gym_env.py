"""Gymnasium environment ``livesim/DeepRacer-v0`` (registered on ``import livesim``)."""

from __future__ import annotations

import json
from collections.abc import Callable

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from livesim.camera import (
    CAMERA_SENSORS,
    LIDAR_BEAMS,
    LIDAR_MAX,
    LIDAR_MIN,
    SECTORS,
    STEREO,
    SensorSuite,
)
from livesim.config import ObjectSpec, RaceConfig
from livesim.model_package import DEFAULT_DISCRETE_ACTIONS, parse_action_space, parse_metadata
from livesim.observation import OBS_DIM, observe
from livesim.params import build_params, center_line_reward
from livesim.world import World

RENDER_SIZE = (600, 450)  # px, rgb_array frames


class DeepRacerEnv(gym.Env):
    """
    ## Description
    A 1/18-scale DeepRacer-style car on a race track, seen through a LiDAR-like ray scan.  The
    physics is a kinematic bicycle at 15 steps per second (:mod:`livesim.car`); the rules are the
    DeepRacer simulator's (:mod:`livesim.world`).  One episode is one lap.

    ## Action Space
    From ``model_metadata`` (the DeepRacer ``model_metadata.json`` schema, as a dict):

    * ``discrete`` (default: the console's 10 actions, steering −30/−15/0/15/30° × speed
      0.4/0.8 m/s): ``Discrete(n)``, the index into ``action_space`` of the metadata;
    * ``continuous``: ``Box(-1, 1, (2,), float32)`` = (steering, speed), scaled linearly onto
      ``action_space.steering_angle`` {low, high} (degrees) and ``speed`` {low, high} (m/s).

    ## Observation Space
    ``Box(0, 1, (33,), float32)`` (:mod:`livesim.observation`): 32 ray distances over ±150°
    around the heading (index 0 = rightmost) to the borders, boxes and bots, divided by 3 m and
    clipped; then the speed divided by 4 m/s.

    With ``sensors`` (a DeepRacer ``sensor`` list, e.g. ``["FRONT_FACING_CAMERA"]``, or
    ``sensors="metadata"`` for the metadata's own list) the observation is a ``Dict`` keyed by
    sensor name, as DeepRacer agents see it, beside the vector under ``"vector"``: a camera
    ``Box(0, 255, (120, 160, 1))`` grey image, ``STEREO_CAMERAS`` ``(120, 160, 2)``, ``LIDAR``
    ``Box(0.15, 1, (64,))`` metres, ``SECTOR_LIDAR`` ``Box(0, 1, (8,))`` (:mod:`livesim.camera`).

    ## Rewards
    ``reward_fn(params) -> float`` with DeepRacer's params dict (:mod:`livesim.params`, every
    key of the reward function's input).  Default: the guide's "follow the centre line" example
    (1.0 / 0.5 / 0.1 by distance from the centre, 1e-3 off track).

    ## Starting State
    At rest on the centre line at the start line, or with ``random_start`` at a uniformly random
    place (progress then counts from there).  Random obstacle places, bot lanes and lane-change
    times come from ``self.np_random`` only (seed it with ``reset(seed=...)``).

    ## Episode Termination
    *terminated* when the lap is complete (progress 100), or when the car goes off track,
    crashes, reverses or stands still more than ``max_resets`` times (default 0: the first
    one ends the episode, as in DeepRacer training).  *truncated* by the registered
    ``max_episode_steps`` (2000 steps ≈ 133 s) via Gymnasium's TimeLimit.

    ## Arguments
    * ``track``: built-in track name, ``.npy`` path or a :class:`livesim.track.Track`
      (default ``"oval"``)
    * ``race_type``: ``"tt"``, ``"oa"`` or ``"h2b"``
    * ``num_objects`` / ``objects`` (OA: count of random boxes, or ``[{"lane", "progress"}]``)
    * ``num_bots``, ``bot_speed``, ``bot_lane_change`` (H2B)
    * ``model_metadata``: dict selecting the action space (see above)
    * ``reward_fn``: callable(params) -> float
    * ``max_resets``: resets allowed before the episode ends (default 0)
    * ``off_track_penalty`` / ``collision_penalty``: pause seconds when resets are allowed
    * ``random_start``: start each episode at a random place
    * ``render_mode``: ``None`` or ``"rgb_array"`` (top-down picture, 600×450)
    * ``sensors``: ``None`` (vector observation only), a sensor list or ``"metadata"``

    ## Info
    ``info`` holds the reward params (``params``), ``episode_status``, ``lap_time`` (s) and,
    when a lap ended, ``lap`` (its record as a dict).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(
        self,
        track="oval",
        race_type: str = "tt",
        num_objects: int = 0,
        objects: tuple | list = (),
        num_bots: int = 0,
        bot_speed: float = 1.0,
        bot_lane_change: bool = False,
        model_metadata: dict | None = None,
        reward_fn: Callable[[dict], float] | None = None,
        max_resets: int = 0,
        off_track_penalty: float = 2.0,
        collision_penalty: float = 5.0,
        random_start: bool = False,
        render_mode: str | None = None,
        sensors: list[str] | tuple[str, ...] | str | None = None,
    ) -> None:
        from livesim.track import get_track

        self.track = get_track(track) if isinstance(track, str) else track
        self.config = RaceConfig(
            race_type=race_type, laps=1, continuous=True, max_resets=max_resets,
            off_track_penalty=off_track_penalty, collision_penalty=collision_penalty,
            objects=tuple(o if isinstance(o, ObjectSpec) else ObjectSpec(**o) for o in objects),
            num_objects=num_objects, num_bots=num_bots, bot_speed=bot_speed,
            bot_lane_change=bot_lane_change, max_lap_time=1e9,
        )
        meta = parse_metadata(_json(model_metadata or {
            "action_space_type": "discrete", "action_space": list(DEFAULT_DISCRETE_ACTIONS)}))
        self.action_def = parse_action_space(meta)
        if self.action_def.type == "discrete":
            self.action_space = spaces.Discrete(len(self.action_def.actions))
        else:
            self.action_space = spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
        vector = spaces.Box(0.0, 1.0, (OBS_DIM,), dtype=np.float32)
        self.suite = None
        if sensors is None:
            self.observation_space = vector
        else:
            names = meta["sensor"] if sensors == "metadata" else list(sensors)
            self.suite = SensorSuite(names)
            self.observation_space = spaces.Dict(
                {"vector": vector, **{s: _sensor_space(s) for s in self.suite.sensors}})
        self.reward_fn = reward_fn or center_line_reward
        self.random_start = random_start
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or 'rgb_array', not {render_mode!r}")
        self.render_mode = render_mode
        self.world: World | None = None

    def _obs(self):
        vec = observe(self.world)
        if self.suite is None:
            return vec
        return {"vector": vec, **self.suite.observe(self.world)}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.world = World(self.track, self.config, rng=self.np_random)
        start = 0.0
        if self.random_start:
            start = float(self.np_random.uniform(0.0, self.track.length))
        self.world.start_trial(start)
        params = build_params(self.world)
        return self._obs(), {"params": params, "episode_status": self.world.status,
                             "lap_time": 0.0}

    def step(self, action):
        w = self.world
        if w is None:
            raise RuntimeError("call reset() before step()")
        if self.action_def.type == "discrete":
            steer, speed = self.action_def.actions[int(action)]
        else:
            a = np.asarray(action, dtype=np.float64).reshape(2)
            steer, speed = self.action_def.scale(a[0], a[1])
        w.step(steer, speed)
        params = build_params(w)
        # the simulator gives 0 without calling the reward function on prepare / pause steps
        reward = float(self.reward_fn(params)) if w.rewarded else 0.0
        info = {"params": params, "episode_status": w.status, "lap_time": w.lap_time()}
        if w.lap_done is not None:
            info["lap"] = w.lap_done.to_dict()
        return self._obs(), reward, bool(w.done), False, info

    def render(self):
        if self.render_mode != "rgb_array" or self.world is None:
            return None
        from livesim.render import render_track_image

        w = self.world
        cars = [{"x": o["x"], "y": o["y"], "heading": o["heading"],
                 "color": (200, 200, 200) if o["kind"] == "box" else (0, 120, 255)}
                for o in w.objects()]
        c = w.car
        cars.append({"x": w.px, "y": w.py, "heading": c.heading, "color": (255, 140, 0)})
        return render_track_image(self.track, size=RENDER_SIZE, cars=cars, title=False)


def _sensor_space(name: str) -> spaces.Box:
    if name in CAMERA_SENSORS:
        return spaces.Box(0.0, 255.0, (120, 160, 1), dtype=np.float32)
    if name == STEREO:
        return spaces.Box(0.0, 255.0, (120, 160, 2), dtype=np.float32)
    if name == "LIDAR":
        return spaces.Box(LIDAR_MIN, LIDAR_MAX, (LIDAR_BEAMS,), dtype=np.float32)
    if name in ("SECTOR_LIDAR", "DISCRETIZED_SECTOR_LIDAR"):
        return spaces.Box(0.0, 1.0, (SECTORS,), dtype=np.float32)
    raise ValueError(f"unknown sensor {name!r}")


def _json(meta: dict) -> str:
    return json.dumps(meta)


__all__ = ["DeepRacerEnv"]
