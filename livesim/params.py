"""The reward function's ``params`` dict, with the DeepRacer guide's names and meanings.

=====================  ===================================================================
key                    meaning here
=====================  ===================================================================
all_wheels_on_track    True when all four wheels are inside the borders
x, y                   m, the point 0.14 m ahead of the car origin (rear axle)
closest_objects        [behind, ahead] indices into the objects lists (both 0 for one object
                       or none)
closest_waypoints      [previous, next] waypoint indices around (x, y)
distance_from_center   m, distance of (x, y) from the centre line
is_crashed             True on the step the car hit an object
is_left_of_center      True when (x, y) is left of the centre line (driving direction)
is_offtrack            True on the step the car went off track (no wheel inside)
is_reversed            True when the car drives the track clockwise (the guide's definition)
heading                degrees in (−180, 180], the car's yaw from the x axis
objects_distance       m from the start line along the centre line, per object
objects_heading        degrees; 0 for boxes, the bot's heading for bots
objects_left_of_center per object, True when left of the centre line
objects_location       [(x, y), ...] per object
objects_speed          m/s per object; 0 for boxes
progress               % of the lap completed, 0..100
speed                  m/s, the car's observed speed
steering_angle         degrees, front-wheel angle, positive = left
steps                  steps completed in this episode
track_length           m, centre-line length
track_width            m, track width
waypoints              [(x, y), ...] centre-line points; a closed track repeats the first
=====================  ===================================================================
"""

from __future__ import annotations

import math
import weakref

PARAM_KEYS = (
    "all_wheels_on_track", "x", "y", "closest_objects", "closest_waypoints",
    "distance_from_center", "is_crashed", "is_left_of_center", "is_offtrack", "is_reversed",
    "heading", "objects_distance", "objects_heading", "objects_left_of_center",
    "objects_location", "objects_speed", "progress", "speed", "steering_angle", "steps",
    "track_length", "track_width", "waypoints",
)

_STATIC: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _static(track) -> tuple[list, float, float, bool]:
    """Per-track values that never change (the waypoint list is built once, not per step)."""
    hit = _STATIC.get(track)
    if hit is None:
        hit = (track.waypoints, float(track.length), float(track.width), bool(track.clockwise))
        _STATIC[track] = hit
    return hit


def build_params(world) -> dict:
    """The params dict for the world's current state (see the table above)."""
    waypoints, length, width, clockwise = _static(world.track)
    car = world.car
    objs = world.objects()
    obj_dist = [o["s"] for o in objs]
    closest = [0, 0]
    if len(objs) > 1:
        behind = ahead = None
        behind_d = ahead_d = math.inf
        for i, s in enumerate(obj_dist):
            d = (s - world.s) % length if world.closed else s - world.s
            if d > 0.0 and d < ahead_d:
                ahead, ahead_d = i, d
            back = (world.s - s) % length if world.closed else world.s - s
            if back >= 0.0 and back < behind_d:
                behind, behind_d = i, back
        closest = [behind if behind is not None else 0, ahead if ahead is not None else 0]
    seg = world.seg
    return {
        "all_wheels_on_track": world.wheels_on == 4,
        "x": world.px,
        "y": world.py,
        "closest_objects": closest,
        "closest_waypoints": [seg, seg + 1],
        "distance_from_center": abs(world.lat),
        "is_crashed": world.is_crashed,
        "is_left_of_center": world.lat > 0.0,
        "is_offtrack": world.is_offtrack,
        "is_reversed": clockwise,
        "heading": math.degrees(car.heading),
        "objects_distance": obj_dist,
        "objects_heading": [math.degrees(o["heading"]) if o["kind"] == "bot" else 0.0
                            for o in objs],
        "objects_left_of_center": [o["lateral"] > 0.0 for o in objs],
        "objects_location": [(o["x"], o["y"]) for o in objs],
        "objects_speed": [o["speed"] for o in objs],
        "progress": world.progress,
        "speed": car.speed,
        "steering_angle": car.steering_deg,
        "steps": world.steps,
        "track_length": length,
        "track_width": width,
        "waypoints": waypoints,
    }


def center_line_reward(params: dict) -> float:
    """The guide's example 1 ("follow the centre line"): 1 / 0.5 / 0.1 by distance bands,
    1e-3 when off track."""
    width = params["track_width"]
    d = params["distance_from_center"]
    if params["is_offtrack"] or params["is_crashed"]:
        return 1e-3
    if d <= 0.1 * width:
        return 1.0
    if d <= 0.25 * width:
        return 0.5
    if d <= 0.5 * width:
        return 0.1
    return 1e-3
