"""The reward-function params dict: every key, exact names, the guide's meanings."""

from __future__ import annotations

import math

import pytest

from livesim import get_track
from livesim.config import ObjectSpec, RaceConfig
from livesim.params import PARAM_KEYS, build_params, center_line_reward
from livesim.world import World
from tests.livesim.simhelpers import Scripted

DOMAIN_KEYS = """all_wheels_on_track, x, y, closest_objects, closest_waypoints,
distance_from_center, is_crashed, is_left_of_center, is_offtrack, is_reversed, heading,
objects_distance, objects_heading, objects_left_of_center, objects_location, objects_speed,
progress, speed, steering_angle, steps, track_length, track_width, waypoints,
projection_distance, objects_distance_from_center, object_in_camera, sim_time"""


def drive(world: World, steps: int) -> World:
    world.start_trial()
    pol = Scripted()
    for _ in range(steps):
        a = pol.act(world)
        world.step(a.steer_deg, a.speed)
    return world


def test_every_key_of_the_domain_list_is_present_and_nothing_else() -> None:
    expected = {k.strip() for k in DOMAIN_KEYS.split(",")}
    w = drive(World(get_track("oval"), RaceConfig()), 20)
    assert set(build_params(w)) == expected == set(PARAM_KEYS)


def test_values_follow_the_guide() -> None:
    tr = get_track("kidney")
    w = drive(World(tr, RaceConfig()), 40)
    p = build_params(w)
    j = w.judged  # the pose the last action arrived at (DOMAIN.md §4a "step timing")
    assert (p["x"], p["y"]) == (j.px, j.py)
    assert p["heading"] == pytest.approx(math.degrees(j.heading))
    assert -180 <= p["heading"] <= 180
    # the action's speed and steering (§4a "reward speed, steering_angle")
    assert p["speed"] == w.action_speed and p["speed"] > 0.5
    assert p["steering_angle"] == w.action_steer
    assert p["steps"] == 40
    assert p["track_length"] == pytest.approx(tr.length)
    assert p["track_width"] == pytest.approx(tr.width)  # kidney is equally wide throughout
    wp = p["waypoints"]
    assert len(wp) == tr.n + 1 and wp[0] == wp[-1]  # a loop repeats its first point
    prev, nxt = p["closest_waypoints"]
    assert nxt == prev + 1
    s, lat, seg = tr.project(p["x"], p["y"])
    assert prev == seg
    assert p["distance_from_center"] == pytest.approx(abs(lat), abs=1e-9)
    assert p["is_left_of_center"] == (lat > 0)
    assert p["progress"] == pytest.approx(100 * s / tr.length, abs=1e-6)
    assert p["all_wheels_on_track"] is True
    assert p["is_offtrack"] is False and p["is_crashed"] is False
    assert p["is_reversed"] is False  # the simulator's track-direction flag (§4a)
    assert p["objects_location"] == [] and p["closest_objects"] == [0, 0]


def test_object_params_with_boxes() -> None:
    tr = get_track("oval")
    objs = (ObjectSpec("inside", 20.0), ObjectSpec("outside", 50.0), ObjectSpec("inside", 80.0))
    w = drive(World(tr, RaceConfig(race_type="oa", objects=objs)), 60)
    p = build_params(w)
    assert p["objects_distance"] == pytest.approx([0.2 * tr.length, 0.5 * tr.length,
                                                   0.8 * tr.length])
    assert p["objects_speed"] == [0.0, 0.0, 0.0]
    # radians (§4a "other params"): the track's direction where each box stands
    assert p["objects_heading"] == pytest.approx([tr.pose_at(f * tr.length)[2]
                                                  for f in (0.2, 0.5, 0.8)])
    inside_left = not tr.clockwise  # anticlockwise: the inside is on the left
    assert p["objects_left_of_center"] == [inside_left, not inside_left, inside_left]
    for (x, y), d in zip(p["objects_location"], p["objects_distance"], strict=True):
        assert tr.project(x, y)[0] == pytest.approx(d, abs=1e-6)
    car_s = p["progress"] / 100 * tr.length
    assert 0.2 * tr.length < car_s < 0.5 * tr.length
    assert p["closest_objects"] == [0, 1]  # behind, ahead


def test_bot_params_carry_speed_and_heading() -> None:
    tr = get_track("oval")
    w = drive(World(tr, RaceConfig(race_type="h2b", num_bots=2, bot_speed=0.7), seed=1), 5)
    p = build_params(w)
    assert p["objects_speed"] == [0.7, 0.7]
    for b, h in zip(w.bots, p["objects_heading"], strict=True):
        assert h == pytest.approx(b.heading)  # radians


def test_center_line_reward_bands() -> None:
    base = {"track_width": 1.0, "is_offtrack": False, "is_crashed": False}
    assert center_line_reward({**base, "distance_from_center": 0.05}) == 1.0
    assert center_line_reward({**base, "distance_from_center": 0.2}) == 0.5
    assert center_line_reward({**base, "distance_from_center": 0.4}) == 0.1
    assert center_line_reward({**base, "distance_from_center": 0.6}) == 1e-3
    assert center_line_reward({**base, "distance_from_center": 0.0, "is_offtrack": True}) == 1e-3
