"""The reward function's ``params`` dict, with the simulator's names and meanings.

Every value describes the step's judged pose (:attr:`livesim.world.World.judged`: the pose the
action arrived at) and the action itself, as the DeepRacer simulator's ``RewardParam`` does
(DOMAIN.md §4a, "reward x, y", "reward speed, steering_angle", "other params").

============================  ==============================================================
key                           meaning here
============================  ==============================================================
all_wheels_on_track           True when all four wheels are inside the borders
x, y                          m, the point 0.14 m ahead of base_link (midway between axles)
closest_objects               [behind, ahead] indices into the objects lists (both 0 for one
                              object or none)
closest_waypoints             [previous, next] waypoint indices around (x, y)
distance_from_center          m, distance of (x, y) from the centre line
is_crashed                    True on the step the car crashed (a bot only when behind it)
is_left_of_center             True when (x, y) is left of the centre line (driving direction)
is_offtrack                   True on the step the car went off track (no wheel inside)
is_reversed                   True when the track is driven in its reverse direction (the
                              simulator's direction flag; a ``-reversed`` livesim track)
heading                       degrees in (−180, 180], the car's yaw from the x axis
objects_distance              m from the start line along the centre line, per object
objects_distance_from_center  m, per object, distance from the centre line
objects_heading               radians, per object (boxes: the track's direction there)
objects_left_of_center        per object, True when left of the centre line
objects_location              [(x, y), ...] per object
objects_speed                 m/s per object; 0 for boxes
object_in_camera              True when an object's centre is ahead within the camera's
                              horizontal field of view and 0.2–8 m away
progress                      % of the lap completed, 0..100
projection_distance           m, (x, y) projected on the centre line, from the start line
sim_time                      s of simulation clock
speed                         m/s, the action's speed (the model's; speed control aside)
steering_angle                degrees, the action's steering angle, positive = left
steps                         steps of this episode, this one included
track_length                  m, centre-line length
track_width                   m, track width where (x, y) projects
waypoints                     [(x, y), ...] centre-line points; a closed track repeats the first
============================  ==============================================================
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
    # passed by the simulator too (its RewardParam), not in the guide's list
    "projection_distance", "objects_distance_from_center", "object_in_camera", "sim_time",
)
CAMERA_FOV = 1.13  # rad, the simulator camera's horizontal field of view (DOMAIN.md §4b)
CAMERA_RANGE = (0.2, 8.0)  # m, nearest and farthest object centre counted as in view

_STATIC: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _static(track) -> tuple[list, float, float, bool]:
    """Per-track values that never change (the waypoint list is built once, not per step)."""
    hit = _STATIC.get(track)
    if hit is None:
        hit = (track.waypoints, float(track.length), float(track.width),
               str(track.name).endswith("-reversed"))
        _STATIC[track] = hit
    return hit


def build_params(world) -> dict:
    """The params dict of the world's last judged step (see the table above)."""
    waypoints, length, _width, reversed_dir = _static(world.track)
    j = world.judged
    objs = world.objects()
    obj_dist = [o["s"] for o in objs]
    closest = [0, 0]
    if len(objs) > 1:
        behind = ahead = None
        behind_d = ahead_d = math.inf
        for i, s in enumerate(obj_dist):
            d = (s - j.s) % length if world.closed else s - j.s
            if d > 0.0 and d < ahead_d:
                ahead, ahead_d = i, d
            back = (j.s - s) % length if world.closed else j.s - s
            if back >= 0.0 and back < behind_d:
                behind, behind_d = i, back
        closest = [behind if behind is not None else 0, ahead if ahead is not None else 0]
    seg = j.seg
    return {
        "all_wheels_on_track": j.wheels_on == 4,
        "x": j.px,
        "y": j.py,
        "closest_objects": closest,
        "closest_waypoints": [seg, seg + 1],
        "distance_from_center": abs(j.lat),
        "is_crashed": j.is_crashed,
        "is_left_of_center": j.lat > 0.0,
        "is_offtrack": j.is_offtrack,
        "is_reversed": reversed_dir,
        "heading": math.degrees(j.heading),
        "objects_distance": obj_dist,
        "objects_heading": [o["heading"] for o in objs],
        "objects_left_of_center": [o["lateral"] > 0.0 for o in objs],
        "objects_location": [(o["x"], o["y"]) for o in objs],
        "objects_speed": [o["speed"] for o in objs],
        "progress": j.progress,
        "speed": j.speed,
        "steering_angle": j.steer,
        "steps": j.steps,
        "track_length": length,
        "track_width": j.track_width,
        "waypoints": waypoints,
        "projection_distance": j.s,
        "objects_distance_from_center": [abs(o["lateral"]) for o in objs],
        "object_in_camera": _object_in_camera(j, objs),
        "sim_time": j.time,
    }


def _object_in_camera(j, objs) -> bool:
    ch, sh = math.cos(j.heading), math.sin(j.heading)
    lo, hi = CAMERA_RANGE
    for o in objs:
        dx, dy = o["x"] - j.px, o["y"] - j.py
        ahead = dx * ch + dy * sh
        side = -dx * sh + dy * ch
        if lo <= math.hypot(dx, dy) <= hi and abs(math.atan2(side, ahead)) <= 0.5 * CAMERA_FOV:
            return True
    return False


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
