"""Race rules of the world: off-track, collisions, bots, resets, laps, randomness.

The simulator's rules one by one, with their sources, are in test_simulator_rules.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livesim import get_track
from livesim.car import DT
from livesim.config import ConfigError, ObjectSpec, RaceConfig
from livesim.policy_base import Action
from livesim.world import World
from tests.livesim.simhelpers import Scripted, run


@pytest.fixture(scope="module")
def oval():
    return get_track("oval")


def swerve_once(at: float):
    """Drive normally, but at lap distance ``at`` steer hard right until the first off-track."""
    state = {"fired": False}

    def override(w: World) -> Action | None:
        if w.is_offtrack or w.off_tracks:
            state["fired"] = True
        if not state["fired"] and w.trial == 1 and w.lap_dist > at:
            return Action(-30.0, 2.0)
        return None

    return Scripted(override)


def test_off_track_penalty_is_part_of_the_lap_time(oval) -> None:
    times = {}
    for penalty in (2.0, 4.0):
        w = run(World(oval, RaceConfig(laps=1, off_track_penalty=penalty)), swerve_once(5.0))
        (lap,) = w.laps
        assert lap.completed and lap.off_track_count == 1 and lap.reset_count == 1
        times[penalty] = lap.time
    # identical driving; only the pause differs, and the clock ran during it
    assert times[4.0] - times[2.0] == pytest.approx(2.0, abs=1e-6)


def test_off_track_resets_onto_the_nearer_lane_line_and_pauses(oval) -> None:
    w = World(oval, RaceConfig(laps=1, off_track_penalty=2.0))
    log = []
    run(w, swerve_once(5.0), on_step=lambda w: log.append(
        (w.status, w.s, w.lat, w.car.x, w.car.y, w.lap_dist)))
    statuses = [e[0] for e in log]
    k = statuses.index("off_track")
    _, s, lat, x, y, _ = log[k]
    before = log[k - 1]
    # it left to the right, so it comes back on the right lane line, where it left
    hl, hr = oval.half_width_at(s)
    assert lat == pytest.approx(-0.5 * hr, abs=1e-6)
    assert abs(s - before[1]) < 0.5
    # then 2 s of pause (30 steps) with the car standing still
    pause = statuses[k + 1:k + 31]
    assert pause == ["pause"] * 30 and statuses[k + 31] == "in_progress"
    assert all(e[3:5] == (x, y) for e in log[k + 1:k + 31])


def test_a_driver_that_avoids_boxes_does_not_collide(oval) -> None:
    cfg = RaceConfig(race_type="oa", laps=2, objects=(ObjectSpec("inside", 30.0),
                                                       ObjectSpec("outside", 60.0)))
    w = run(World(oval, cfg), Scripted())
    assert [lap.completed for lap in w.laps] == [True, True]
    assert sum(lap.crash_count for lap in w.laps) == 0


def _h2b_world(oval, racer_line: float, bot_speed: float):
    cfg = RaceConfig(race_type="h2b", laps=1, num_bots=1, bot_speed=bot_speed)
    w = World(oval, cfg, seed=0)
    w.start_trial()
    bot = w.bots[0]
    # put the bot's lane on the side the racer drives
    left = racer_line > 0
    bot.lane_left = left
    bot.lat = oval.lateral_of_lane("left" if left else "right", bot.s)
    return w, bot


def test_racer_running_into_a_bot_from_behind_counts(oval) -> None:
    w, bot = _h2b_world(oval, 0.5, bot_speed=0.4)
    bot.s = 3.0
    run(w, Scripted(avoid_horizon=0.0, line_offset=0.5), max_steps=300)
    assert w.crashes >= 1 or any(lap.crash_count for lap in w.laps)


def test_max_resets_ends_the_trial(oval) -> None:
    always_right = Scripted(lambda w: Action(-30.0, 2.0))
    w = run(World(oval, RaceConfig(laps=3, max_resets=1)), always_right, max_steps=2000)
    assert w.done
    (lap,) = w.laps  # continuous: the run ends with the failed lap
    assert not lap.completed and lap.status == "off_track"
    assert lap.off_track_count == 2 and lap.reset_count == 2

    w = run(World(oval, RaceConfig(laps=2, max_resets=0, continuous=False)), always_right,
            max_steps=2000)
    assert [(lap.number, lap.status, lap.reset_count) for lap in w.laps] == [
        (1, "off_track", 1), (2, "off_track", 1)]


def test_continuous_laps_chain_and_sectors_add_up(oval) -> None:
    w = run(World(oval, RaceConfig(laps=3)), Scripted())
    assert [lap.completed for lap in w.laps] == [True] * 3
    for a, b in zip(w.laps, w.laps[1:], strict=False):
        assert b.start_time == pytest.approx(a.start_time + a.time)
    for lap in w.laps:
        assert len(lap.sector_times) == 3
        assert sum(lap.sector_times) == pytest.approx(lap.time)
    # the last crossing happened during the step before the last (which judged it)
    assert w.time - 2 * DT <= w.laps[-1].start_time + w.laps[-1].time <= w.time - DT
    # a flying lap is quicker than the standing start
    assert w.laps[1].time < w.laps[0].time


def test_random_objects_come_from_the_seed_and_change_per_trial(oval) -> None:
    cfg = RaceConfig(race_type="oa", num_objects=4, laps=2, continuous=False)

    def places(seed):
        w = World(oval, cfg, seed=seed)
        w.start_trial()
        first = w.obj_s.copy(), w.obj_lat.copy()
        w.start_trial()
        return first, (w.obj_s.copy(), w.obj_lat.copy())

    a1, a2 = places(7)
    b1, _ = places(7)
    c1, _ = places(8)
    assert np.array_equal(a1[0], b1[0]) and np.array_equal(a1[1], b1[1])
    assert not np.array_equal(a1[0], c1[0])
    assert not np.array_equal(a1[0], a2[0])  # new places each trial
    assert np.all(np.diff(a1[0]) >= 2.0)


def test_bots_start_apart_on_alternating_lanes_and_change_lanes(oval) -> None:
    cfg = RaceConfig(race_type="h2b", num_bots=4, bot_speed=1.0, bot_lane_change=True,
                     lane_change_min=2.0, lane_change_max=2.0)
    w = World(oval, cfg, seed=3)
    w.start_trial()
    s = sorted(b.s for b in w.bots)
    gaps = np.diff(s + [s[0] + oval.length])
    assert np.all(gaps >= 2.0)
    sides = [b.lat > 0 for b in sorted(w.bots, key=lambda b: b.s)]
    assert all(a != b for a, b in zip(sides, sides[1:], strict=False))
    side0, s0 = w.bots[0].lat > 0, w.bots[0].s
    n = 47  # ~3.1 s: lane change at 2 s, 1 s to cross over, next change at 4 s
    for _ in range(n):
        w.step(0.0, 0.1)
    b = w.bots[0]
    assert (b.lat > 0) != side0
    assert b.lat == pytest.approx(oval.lateral_of_lane("left" if b.lat > 0 else "right", b.s))
    assert w.bots[0].s == pytest.approx((s0 + n * DT * 1.0) % oval.length, abs=1e-6)


def test_too_many_bots_for_a_short_track_is_refused() -> None:
    w = World(get_track("s-curve"), RaceConfig(race_type="h2b", num_bots=3))
    with pytest.raises(ConfigError, match="3 bots need a track of at least 8 m"):
        w.start_trial()


@pytest.mark.parametrize("kwargs, word", [
    (dict(race_type="oa", num_objects=7), "objects"),
    (dict(race_type="oa"), "objects"),
    (dict(race_type="h2b", num_bots=2, bot_speed=6.5), "bot_speed"),
    (dict(race_type="h2b", num_bots=0), "bots"),
    (dict(race_type="h2b", num_bots=1, lane_change_min=5, lane_change_max=2), "lane change"),
    (dict(race_type="rally"), "race_type"),
    (dict(num_objects=2), "OA"),
    (dict(laps=0), "laps"),
])
def test_config_rejects_out_of_range_options(kwargs, word) -> None:
    with pytest.raises(ConfigError, match=word):
        RaceConfig(**kwargs)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_invariants_under_random_driving(seed) -> None:
    """Random actions on a real-shaped track with boxes: the bookkeeping always adds up."""
    tr = get_track("kidney")
    cfg = RaceConfig(race_type="oa", num_objects=3, laps=50, off_track_penalty=1.0,
                     collision_penalty=2.0)
    w = World(tr, cfg, seed=seed)
    w.start_trial()
    rng = np.random.default_rng(seed)
    statuses = []
    allowed = {"prepare", "in_progress", "pause", "off_track", "crashed", "reversed",
               "immobilized", "lap_complete"}
    for n in range(1, 601):
        w.step(float(rng.uniform(-30, 30)), float(rng.uniform(0.1, 4.0)))
        statuses.append(w.status)
        assert w.time == pytest.approx(n * DT)
        assert 0.0 <= w.progress <= 100.0
        assert w.resets == w.off_tracks + w.crashes + w.reversed_count + w.immobilized_count
        assert w.status in allowed
    assert statuses[0] == "prepare"
    # every reset is followed by its penalty pause (15 steps per second of penalty; the
    # immobilised penalty is 0 s, which still takes the one step of the simulator's phase change)
    pause_len = {"off_track": 15, "reversed": 15, "immobilized": 1, "crashed": 30}
    for k, status in enumerate(statuses):
        if status in pause_len and k + pause_len[status] < len(statuses):
            assert statuses[k + 1:k + 1 + pause_len[status]] == ["pause"] * pause_len[status]
