"""Race.sim_config(): the simulator's RaceConfig of a race's options."""

from __future__ import annotations

import pytest

from livesim.config import ObjectSpec, RaceConfig

from .helpers import make_race

DEFAULTS = RaceConfig()  # what the race leaves open keeps the simulator's default


def test_a_time_trial_has_its_penalty_and_resets_and_nothing_on_track(alice, student_track):
    race = make_race(alice, student_track, off_track_penalty=3.5, max_resets=4)
    config = race.sim_config()
    assert isinstance(config, RaceConfig)
    assert config.race_type == "tt"
    assert config.off_track_penalty == 3.5 and config.max_resets == 4
    assert config.collision_penalty == 0.0  # nothing to collide with
    assert config.objects == () and config.num_objects == 0 and config.num_bots == 0
    assert (config.laps, config.continuous, config.max_lap_time) == (DEFAULTS.laps, DEFAULTS.continuous,
                                                                     DEFAULTS.max_lap_time)


def test_unlimited_resets_stay_unlimited(alice, student_track):
    assert make_race(alice, student_track, max_resets=None).sim_config().max_resets is None


def test_object_avoidance_places_the_organizers_objects(alice, student_track):
    positions = [{"lane": "inside", "location": 20}, {"lane": "outside", "location": 65}]
    race = make_race(alice, student_track, race_type="oa", collision_penalty=4, object_count=2,
                     object_positions=positions)
    config = race.sim_config()
    assert config.race_type == "oa" and config.collision_penalty == 4.0
    assert config.objects == (ObjectSpec("inside", 20.0), ObjectSpec("outside", 65.0))
    assert config.num_objects == 2 and not config.random_objects
    assert config.num_bots == 0


def test_random_objects_give_only_their_number(alice, student_track):
    race = make_race(alice, student_track, race_type="oa", collision_penalty=2, object_count=5,
                     random_objects=True)
    config = race.sim_config()
    assert config.objects == () and config.num_objects == 5 and config.random_objects


def test_head_to_bot_has_its_bots_speed_and_lane_changes(alice, student_track):
    race = make_race(alice, student_track, race_type="h2b", collision_penalty=5, bot_count=4,
                     bot_speed=1.5, lane_change=True, lane_change_min=2, lane_change_max=6.5)
    config = race.sim_config()
    assert config.race_type == "h2b" and config.collision_penalty == 5.0
    assert config.num_bots == 4 and config.bot_speed == 1.5
    assert config.bot_lane_change is True
    assert (config.lane_change_min, config.lane_change_max) == (2.0, 6.5)
    assert config.objects == () and config.num_objects == 0


def test_head_to_bot_without_lane_changes_keeps_the_simulators_lane_times(alice, student_track):
    race = make_race(alice, student_track, race_type="h2b", collision_penalty=3, bot_count=1, bot_speed="0.2")
    config = race.sim_config()
    assert config.bot_lane_change is False and config.bot_speed == 0.2
    assert (config.lane_change_min, config.lane_change_max) == (DEFAULTS.lane_change_min, DEFAULTS.lane_change_max)


@pytest.mark.parametrize("fmt", ["classic", "live"])
def test_the_format_does_not_change_the_rules_on_track(alice, student_track, fmt):
    race = make_race(alice, student_track, format=fmt, race_type="oa", collision_penalty=3, object_count=3,
                     random_objects=True)
    assert race.sim_config().to_dict()["num_objects"] == 3


@pytest.mark.parametrize("direction, sim", [("", ""), ("cw", "clockwise"), ("ccw", "counter_clockwise")])
def test_the_race_direction_reaches_the_simulator(alice, catalog, direction, sim):
    track = catalog.get(slug="2022_summit_speedway")  # raced both ways, counterclockwise by default
    config = make_race(alice, track, direction=direction).sim_config()
    assert config.direction == sim
    assert config.orient(track.to_livesim()).clockwise == (direction == "cw")


def test_the_live_map_draws_the_track_the_way_the_race_runs_it(alice, catalog):
    import numpy as np

    track = catalog.get(slug="2022_summit_speedway")
    assert make_race(alice, track).track_geometry() == track.geometry
    race = make_race(alice, track, name="Backwards", direction="cw")
    sim = race.sim_config().orient(track.to_livesim())
    geometry = race.track_geometry()
    np.testing.assert_allclose(np.asarray(geometry["center"]), sim.center, atol=1e-3)
    assert geometry["center"][0] == track.geometry["center"][0]  # the same start line
