"""livesim.config: the race options' limits (the race server's single source) and RaceConfig's
checks of the ones the simulator depends on."""

from __future__ import annotations

import pytest

from livesim import config as sim
from livesim.config import ConfigError, ObjectSpec, RaceConfig


def h2b(**overrides) -> RaceConfig:
    return RaceConfig(**{"race_type": "h2b", "num_bots": 1, **overrides})


@pytest.mark.parametrize("limits", [
    sim.OFF_TRACK_PENALTY_RANGE, sim.COLLISION_PENALTY_RANGE, sim.OBJECT_COUNT_RANGE,
    sim.OBJECT_LOCATION_RANGE, sim.BOT_COUNT_RANGE, sim.BOT_SPEED_RANGE, sim.LANE_CHANGE_RANGE,
    sim.TIME_PER_RACER_RANGE,
])
def test_each_range_is_low_then_high(limits):
    low, high = limits
    assert 0 <= low < high


def test_the_minimum_laps_are_increasing_whole_laps():
    assert sim.MIN_LAPS_CHOICES[0] == 1 and list(sim.MIN_LAPS_CHOICES) == sorted(set(sim.MIN_LAPS_CHOICES))


@pytest.mark.parametrize("count", sim.OBJECT_COUNT_RANGE)
def test_it_races_the_fewest_and_most_objects_a_race_may_have(count):
    assert RaceConfig(race_type="oa", num_objects=count).num_objects == count


@pytest.mark.parametrize("count", [sim.OBJECT_COUNT_RANGE[0] - 1, sim.OBJECT_COUNT_RANGE[1] + 1])
def test_it_refuses_an_object_count_outside_the_range(count):
    with pytest.raises(ConfigError, match="objects"):
        RaceConfig(race_type="oa", num_objects=count)


@pytest.mark.parametrize("location", sim.OBJECT_LOCATION_RANGE)
def test_it_places_an_object_at_either_end_of_the_location_range(location):
    assert RaceConfig(race_type="oa", objects=(ObjectSpec("inside", location),)).num_objects == 1


@pytest.mark.parametrize("count", sim.BOT_COUNT_RANGE)
def test_it_races_the_fewest_and_most_bots(count):
    assert h2b(num_bots=count).num_bots == count


@pytest.mark.parametrize("count", [sim.BOT_COUNT_RANGE[0] - 1, sim.BOT_COUNT_RANGE[1] + 1])
def test_it_refuses_a_bot_count_outside_the_range(count):
    with pytest.raises(ConfigError, match="bots"):
        h2b(num_bots=count)


@pytest.mark.parametrize("speed", sim.BOT_SPEED_RANGE)
def test_it_drives_bots_at_either_end_of_the_speed_range(speed):
    assert h2b(bot_speed=speed).bot_speed == speed


@pytest.mark.parametrize("speed", [sim.BOT_SPEED_RANGE[0] - 0.1, sim.BOT_SPEED_RANGE[1] + 0.1])
def test_it_refuses_a_bot_speed_outside_the_range(speed):
    with pytest.raises(ConfigError, match="bot_speed"):
        h2b(bot_speed=speed)


def test_it_changes_lanes_across_the_whole_range():
    low, high = sim.LANE_CHANGE_RANGE
    config = h2b(bot_lane_change=True, lane_change_min=low, lane_change_max=high)
    assert (config.lane_change_min, config.lane_change_max) == (low, high)


@pytest.mark.parametrize(("low", "high"), [
    (sim.LANE_CHANGE_RANGE[0] - 0.1, 4.0), (2.0, sim.LANE_CHANGE_RANGE[1] + 0.1), (5.0, 4.0),
])
def test_it_refuses_lane_change_times_outside_the_range(low, high):
    with pytest.raises(ConfigError, match="lane change"):
        h2b(bot_lane_change=True, lane_change_min=low, lane_change_max=high)


@pytest.mark.parametrize("resets", [0, sim.MAX_RESETS, None])
def test_it_allows_any_reset_limit_a_race_may_set(resets):
    assert RaceConfig(max_resets=resets).max_resets == resets
