"""The DeepRacer simulator's rules, one test each, named for the rule and citing its source line
in ../shared/design/DOMAIN.md §4a (the table read line by line in the simulator's source).

Where livesim keeps a deliberate difference the test says so, and livesim/README.md lists it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from livesim import get_track
from livesim import kernels as K
from livesim.car import BASE_LINK_AHEAD, DT, PARAMS_POINT_AHEAD, CarSpec
from livesim.config import ObjectSpec, RaceConfig
from livesim.evaluate import evaluate
from livesim.params import PARAM_KEYS, build_params
from livesim.policy_base import Action
from livesim.simtrace import METRIC_KEYS, evaluation_metrics
from livesim.track import track_from_arrays
from livesim.world import (
    BOT_CRASH_PAUSE,
    OBJECT_HIT_LENGTH,
    OBJECT_HIT_WIDTH,
    RESET_BEHIND_OBJECT,
    World,
)
from tests.livesim.conftest import REAL_TRACKS
from tests.livesim.simhelpers import Scripted, run


@pytest.fixture(scope="module")
def oval():
    return get_track("oval")


def started(track, **cfg) -> World:
    """A world past its prepare step (the car held on the line for the episode's first step)."""
    w = World(track, RaceConfig(**cfg), seed=0)
    w.start_trial()
    w.step(0.0, 0.1)
    assert w.judged.status == "prepare"
    return w


def base_link(w: World) -> tuple[float, float]:
    c = w.car
    return c.x + BASE_LINK_AHEAD * math.cos(c.heading), c.y + BASE_LINK_AHEAD * math.sin(c.heading)


def swerve(right: bool = True, at: float = 5.0, every_lap: bool = False):
    """The reference driver, but from lap distance ``at`` steer hard to one side until off
    track (once, or once in every lap)."""
    done_laps: set[int] = set()

    def override(w: World) -> Action | None:
        if w.judged is not None and w.judged.is_offtrack:
            done_laps.add(w.trial if every_lap else 0)
        key = w.trial if every_lap else 0
        if key not in done_laps and w.lap_dist > at and w.phase == "run":
            return Action(-30.0 if right else 30.0, 2.0)
        return None

    return Scripted(override)


def log_run(w: World, policy, max_steps: int = 20_000) -> list:
    """Run and return the judged record of every step."""
    rows = []
    run(w, policy, max_steps=max_steps, on_step=lambda w: rows.append(w.judged))
    return rows


# ---------------------------------------------------------------------- line 153: off track


def test_off_track_is_no_wheel_inside_and_all_wheels_on_track_every_wheel_inside(oval) -> None:
    """DOMAIN.md §4a line 153 "off track": off track = no wheel centre inside the road;
    all_wheels_on_track = every wheel inside."""
    w = started(oval, laps=1)
    s = 5.0
    hl, _ = oval.half_width_at(s)
    w._place_car(s, hl - 0.03)  # left wheels (+0.08 m) out, right wheels in
    w.step(0.0, 0.1)
    assert w.judged.wheels_on == 2 and w.judged.status == "in_progress"
    assert build_params(w)["all_wheels_on_track"] is False
    w._place_car(s, hl + 0.25)  # every wheel out
    w.step(0.0, 0.1)
    assert w.judged.status == "off_track" and build_params(w)["is_offtrack"] is True


# ---------------------------------------------------------------------- line 154: off-track reset


def test_off_track_reset_is_at_the_previous_steps_progress_on_the_lane_nearer_the_previous_pose(
        oval) -> None:
    """DOMAIN.md §4a line 154 "off-track reset": at the previous step's progress, on the lane
    line nearest the previous pose."""
    w = World(oval, RaceConfig(laps=1))
    judged, placed = [], []

    def record(w):
        judged.append(w.judged)
        placed.append(base_link(w))

    run(w, swerve(right=True), on_step=record)
    k = next(i for i, j in enumerate(judged) if j.status == "off_track")
    prev = judged[k - 1]
    s = (w.start_s + prev.progress / 100.0 * oval.length) % oval.length
    lane = oval.lateral_of_lane("right", s)  # it left to the right: the right lane is nearer
    x, y, _ = oval.pose_at(s, lane)
    assert placed[k] == pytest.approx((x, y), abs=1e-6)
    # the off-track row itself is where the car left, not where it is put back
    assert judged[k].wheels_on == 0 and math.hypot(judged[k].px - x, judged[k].py - y) > 0.2


def test_off_track_reset_near_an_obstacle_goes_one_metre_behind_it_in_the_other_lane(oval) -> None:
    """DOMAIN.md §4a line 154 "off-track reset": if an obstacle is within 1 m, 1 m behind it
    in the other lane."""
    obj_pct = 30.0
    cfg = RaceConfig(race_type="oa", laps=1, objects=(ObjectSpec("outside", obj_pct),))
    w = World(oval, cfg)
    obj_s = obj_pct / 100 * oval.length
    judged, placed = [], []

    def record(w):
        judged.append(w.judged)
        placed.append(base_link(w))

    # leave the track to the outside just past the box: the nearer lane would be the outside,
    # the previous progress past the box (the swerve starts level with the box: the wheels take
    # ~0.5 s to turn, STEER_TIME_CONSTANT, so the car leaves the road ~1 m on)
    run(w, swerve(right=True, at=obj_s - 0.1), on_step=record)
    k = next(i for i, j in enumerate(judged) if j.status in ("off_track", "crashed"))
    assert judged[k].status == "off_track", "it hit the box: the test would prove nothing"
    prev_s = judged[k - 1].progress / 100 * oval.length
    assert 0.0 < prev_s - obj_s < 1.0 and judged[k - 1].lat < 0.0
    s = obj_s - RESET_BEHIND_OBJECT
    x, y, _ = oval.pose_at(s, oval.lateral_of_lane("inside", s))
    assert placed[k] == pytest.approx((x, y), abs=1e-6)


# ---------------------------------------------------------------------- line 155: penalties


def test_penalty_pauses_run_the_sim_clock_and_count_down(oval) -> None:
    """DOMAIN.md §4a line 155 "penalties": off-track 2.0 s, collision 5.0 s by default; the sim
    clock runs during the pause; lap time is sim time."""
    assert RaceConfig().off_track_penalty == 2.0 and RaceConfig().collision_penalty == 5.0
    times = {}
    for penalty in (2.0, 4.0):
        w = World(oval, RaceConfig(laps=1, off_track_penalty=penalty))
        rows = log_run(w, swerve())
        (lap,) = w.laps
        assert lap.completed and lap.off_track_count == 1
        times[penalty] = lap.time
        k = next(i for i, j in enumerate(rows) if j.status == "off_track")
        n = round(penalty / DT)
        assert rows[k].pause_duration == pytest.approx(penalty)
        assert [j.status for j in rows[k + 1:k + 1 + n]] == ["pause"] * n
        assert rows[k + 1 + n].status == "in_progress"
        countdown = [j.pause_duration for j in rows[k + 1:k + 1 + n]]
        assert countdown == pytest.approx([penalty - i * DT for i in range(1, n + 1)], abs=1e-9)
    assert times[4.0] - times[2.0] == pytest.approx(2.0, abs=1e-6)


# ---------------------------------------------------------------------- line 156: reversed


def test_reversed_is_15_steps_of_falling_progress_with_the_off_track_penalty(oval) -> None:
    """DOMAIN.md §4a line 156 "reversed": progress decreasing 15 steps in a row; the penalty
    falls back to the off-track penalty; reset like off-track."""
    w = started(oval, laps=1, off_track_penalty=3.0)
    pol = Scripted()
    for _ in range(60):
        a = pol.act(w)
        w.step(a.steer_deg, a.speed)
    w.car.place(w.car.x, w.car.y, w.car.heading + math.pi)
    n = 0
    while w.judged.status != "reversed":
        w.step(0.0, 0.5)
        n += 1
        assert n < 40
    # 15 steps of falling progress, judged on the step after the 15th
    assert n == 16 and w.reversed_count == 1 and w.pause_left == pytest.approx(3.0 - DT)
    assert math.cos(w.car.heading - oval.pose_at(w.s)[2]) > 0.99  # turned round


# ---------------------------------------------------------------------- line 157: immobilised


def test_immobilised_is_15_still_steps_with_penalty_zero(oval) -> None:
    """DOMAIN.md §4a line 157 "immobilised": ≤ 0.0003 m per step for 15 steps; penalty
    IMMOBILIZED_PENALTY = 0 (one pause step, as the simulator's phase change takes one)."""
    w = World(oval, RaceConfig(laps=1, off_track_penalty=4.0),
              car_spec=CarSpec(min_speed=0.0))
    w.start_trial()
    statuses = []
    for _ in range(19):
        w.step(0.0, 0.0)
        statuses.append(w.judged.status)
    # prepare, 15 still steps, judged on the next, then a single pause step
    assert statuses[:17] == ["prepare"] + ["in_progress"] * 15 + ["immobilized"]
    assert statuses[17:] == ["pause", "in_progress"]
    assert w.immobilized_count == 1 and w.resets == 1


# ---------------------------------------------------------------------- line 158: reset budget


def test_reset_budget_is_counted_per_episode_not_per_lap(oval) -> None:
    """DOMAIN.md §4a line 158 "reset budget": counted per episode, not per lap (a continuous
    run is one episode)."""
    w = World(oval, RaceConfig(laps=3, max_resets=2, off_track_penalty=1.0))
    run(w, swerve(every_lap=True))
    # one off-track in each lap: laps 1 and 2 use the budget, lap 3's off-track ends the run
    assert [lap.completed for lap in w.laps] == [True, True, False]
    assert [lap.off_track_count for lap in w.laps] == [1, 1, 1]
    assert w.laps[-1].status == "off_track" and w.done


# ---------------------------------------------------------------------- line 159: obstacle collision


def test_obstacle_collision_is_a_car_corner_inside_the_half_by_four_tenths_metre_box() -> None:
    """DOMAIN.md §4a line 159 "obstacle collision": any corner of the car's 0.196 × 0.324 m box
    (centred between the axles) inside the obstacle's 0.5 × 0.4 m collision box."""
    box = np.array([[0.0, 0.0, 0.0, OBJECT_HIT_LENGTH, OBJECT_HIT_WIDTH]])
    half_car = 0.324 / 2

    def origin_for_centre(cx, cy, h=0.0):  # car origin (rear axle) whose base_link is (cx, cy)
        return cx - BASE_LINK_AHEAD * math.cos(h), cy - BASE_LINK_AHEAD * math.sin(h)

    # front corners 1 cm inside the collision box, though 4 cm short of the visible 0.4 m box
    x, y = origin_for_centre(-0.25 - half_car + 0.01, 0.0)
    assert K.first_corner_hit(x, y, 0.0, box) == 0
    x, y = origin_for_centre(-0.25 - half_car - 0.01, 0.0)
    assert K.first_corner_hit(x, y, 0.0, box) == -1
    # across the track the box reaches 0.2 m
    x, y = origin_for_centre(0.0, 0.2 + 0.098 - 0.01)
    assert K.first_corner_hit(x, y, 0.0, box) == 0
    # the car crossing the box's corner side-on with no car corner inside: no crash
    x, y = origin_for_centre(0.0, 0.2 + 0.05, math.pi / 2)
    long_box = np.array([[0.0, 0.0, 0.0, 0.1, 0.4]])
    assert K.first_overlap(x, y, math.pi / 2, long_box) >= 0  # the rectangles do overlap
    assert K.first_corner_hit(x, y, math.pi / 2, long_box) == -1


def test_obstacle_crash_resets_one_metre_behind_it_in_the_other_lane(oval) -> None:
    """DOMAIN.md §4a line 159 "obstacle collision" with line 154's placement: collision
    penalty, reset 1 m behind the object in the other lane."""
    cfg = RaceConfig(race_type="oa", laps=1, objects=(ObjectSpec("inside", 30.0),))
    w = World(oval, cfg)
    judged, placed = [], []

    def record(w):
        judged.append(w.judged)
        placed.append(base_link(w))

    run(w, Scripted(avoid_horizon=0.0, line_offset=0.5), max_steps=600, on_step=record)
    k = next(i for i, j in enumerate(judged) if j.status == "crashed")
    s = float(w.obj_s[0]) - RESET_BEHIND_OBJECT
    x, y, _ = oval.pose_at(s, -0.5 * oval.half_width_at(s)[1])  # the other (right) lane
    assert placed[k] == pytest.approx((x, y), abs=1e-6)
    assert [j.status for j in judged[k + 1:k + 76]] == ["pause"] * 75


def test_no_collision_while_the_car_waits_out_a_penalty(oval) -> None:
    """DOMAIN.md §4a line 159 "obstacle collision": no collision while the car blinks after a
    reset (the blink lasts the penalty)."""
    w = started(oval, race_type="h2b", laps=1, num_bots=1, bot_speed=0.2)
    s = 5.0
    hl, _ = oval.half_width_at(s)
    w._place_car(s, hl + 0.3)
    w.step(0.0, 1.0)
    assert w.judged.status == "off_track"
    bot = w.bots[0]
    bot.s, bot.lat = w.s - PARAMS_POINT_AHEAD + BASE_LINK_AHEAD + 0.05, w.lat  # on the car
    bot.lane_left = bot.lat > 0
    w._update_bot_boxes()
    assert K.first_corner_hit(w.car.x, w.car.y, w.car.heading, w.hit_boxes) == 0
    for _ in range(29):
        w.step(0.0, 1.0)
        assert w.judged.status == "pause"
    assert w.crashes == 0


# ---------------------------------------------------------------------- line 160: bot collision


def _bot_ahead(oval, gap: float, bot_speed: float, racer_lane_left: bool = True) -> World:
    w = started(oval, race_type="h2b", laps=1, num_bots=1, bot_speed=bot_speed)
    bot = w.bots[0]
    bot.lane_left = racer_lane_left
    bot.s = (w.s + gap) % oval.length
    bot.lat = oval.lateral_of_lane("left" if racer_lane_left else "right", bot.s)
    w._update_bot_boxes()
    return w


def test_racer_behind_a_bot_pauses_in_place_without_a_reset(oval) -> None:
    """DOMAIN.md §4a line 160 "bot collision": racer behind the bot (by progress): the racer
    pauses in place, no reset."""
    w = _bot_ahead(oval, 1.5, bot_speed=0.3)
    pol = Scripted(avoid_horizon=0.0, line_offset=0.5)
    for _ in range(300):
        before = base_link(w)
        a = pol.act(w)
        w.step(a.steer_deg, a.speed)
        if w.judged.status == "crashed":
            break
    assert w.judged.status == "crashed" and w.judged.is_crashed
    assert base_link(w) == pytest.approx(before, abs=1e-9)  # paused where it was
    assert w.crashes == 1 and w.resets == 1
    statuses = []
    for _ in range(75):
        w.step(0.0, 1.0)
        statuses.append(w.judged.status)
    assert statuses == ["pause"] * 75  # the collision penalty, 5 s
    assert base_link(w) == pytest.approx(before, abs=1e-9)


def test_bot_behind_the_racer_pauses_two_seconds_and_the_racer_drives_on(oval) -> None:
    """DOMAIN.md §4a line 160 "bot collision": racer ahead: no penalty, the bot pauses 2 s."""
    # the racer first settles on its lane line (half a lap ahead of the bot), then the bot is
    # put 0.9 m behind it in that lane: a hit from straight behind, racer ahead by progress
    w = _bot_ahead(oval, 0.5 * oval.length, bot_speed=3.0)
    bot = w.bots[0]
    slow = Scripted(avoid_horizon=0.0, line_offset=0.5, max_speed=0.3, min_speed=0.3)
    lane = oval.lateral_of_lane("left", w.s)
    for _ in range(100):
        a = slow.act(w)
        w.step(a.steer_deg, a.speed)
        if abs(w.judged.lat - lane) < 0.02:
            break
    assert abs(w.judged.lat - lane) < 0.02, "the racer never reached its lane"
    bot.s = (w.s - 0.9) % oval.length
    bot.lat = oval.lateral_of_lane("left", bot.s)
    w._update_bot_boxes()
    hit_at = None
    for _ in range(60):
        a = slow.act(w)
        s_before = bot.s
        w.step(a.steer_deg, a.speed)
        if bot.paused_until > 0:
            hit_at = w.time - DT  # judged at the step's start
            break
    assert hit_at is not None, "the bot never reached the racer: the test would prove nothing"
    assert bot.s == s_before  # it stopped at once
    assert bot.paused_until == pytest.approx(hit_at + BOT_CRASH_PAUSE)
    assert w.crashes == 0 and w.resets == 0 and w.judged.status == "in_progress"
    racer_s = w.s
    for _ in range(round(BOT_CRASH_PAUSE / DT) - 1):
        w.step(0.0, 0.3)
        assert bot.s == s_before and w.phase == "run"
    assert w.crashes == 0 and w.s > racer_s + 0.3  # the racer drove on
    w.step(0.0, 0.3)
    assert bot.s > s_before, (w.time, bot.paused_until, hit_at)  # 2 s later the bot goes on


# ---------------------------------------------------------------------- line 161: reward x, y


def test_reward_point_is_014_m_ahead_of_base_link_and_the_car_centre_starts_on_the_line() -> None:
    """DOMAIN.md §4a line 161 "reward x, y": a point 0.14 m ahead of base_link (midway between
    the axles); the car centre starts on the line, so progress starts at 0.14/L.  The reference
    evaluation's first row on reinvent_base: progress 0.79147 %."""
    tr = get_track(REAL_TRACKS / "reinvent_base.npy")
    w = World(tr, RaceConfig(laps=1))
    w.start_trial()
    p = build_params(w)
    assert p["progress"] == pytest.approx(100 * 0.14 / tr.length, abs=1e-6)
    assert p["progress"] == pytest.approx(0.791472999154484, abs=1e-3)
    bx, by = base_link(w)
    x0, y0, h = tr.pose_at(0.0)
    assert (bx, by) == pytest.approx((x0, y0), abs=1e-9)
    assert (p["x"], p["y"]) == pytest.approx((bx + 0.14 * math.cos(h), by + 0.14 * math.sin(h)))
    assert math.hypot(bx - w.car.x, by - w.car.y) == pytest.approx(0.164 / 2)


# ---------------------------------------------------------------------- line 162: speed, steering


def test_params_speed_and_steering_angle_are_the_actions_whatever_the_speed_multiplier(oval) -> None:
    """DOMAIN.md §4a line 162 "reward speed, steering_angle": the action's values, not measured
    ones; the speed multiplier does not change them."""
    w = started(oval, laps=1)
    for _ in range(2):
        w.step(7.5, 1.2, multiplier=2.0)
    p = build_params(w)
    assert p["speed"] == 1.2 and p["steering_angle"] == 7.5
    assert w.speed_command == pytest.approx(2.4) and w.car.speed != pytest.approx(1.2)


# ---------------------------------------------------------------------- line 163: other params


def test_objects_heading_is_in_radians(oval) -> None:
    """DOMAIN.md §4a line 163 "other params": objects_heading in radians."""
    cfg = RaceConfig(race_type="oa", laps=1, objects=(ObjectSpec("inside", 30.0),
                                                       ObjectSpec("outside", 60.0)))
    w = started(oval, **cfg.to_dict() | {"objects": cfg.objects})
    p = build_params(w)
    for k, s in enumerate(w.obj_s):
        assert p["objects_heading"][k] == pytest.approx(oval.pose_at(float(s))[2])
        assert -math.pi <= p["objects_heading"][k] <= math.pi


def test_is_reversed_is_the_track_direction_flag(oval) -> None:
    """DOMAIN.md §4a line 163 "other params": is_reversed = the track-direction flag (driving a
    track against its own direction), not whether the loop turns clockwise."""
    cw = get_track(REAL_TRACKS / "reInvent2019_track_cw.npy")
    assert cw.clockwise
    for track, flag in ((oval, False), (oval.reversed(), True), (cw, False),
                        (cw.reversed(), True)):
        w = World(track, RaceConfig(laps=1))
        w.start_trial()
        assert build_params(w)["is_reversed"] is flag, track.name


def test_track_width_is_the_width_where_the_car_is() -> None:
    """DOMAIN.md §4a line 163 "other params": track_width local."""
    th = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    unit = np.column_stack([np.cos(th), np.sin(th)])
    half = (0.4 + 0.2 * np.sin(th))[:, None]  # 0.4 to 1.2 m wide around the loop
    tr = track_from_arrays(6 * unit, (6 - half) * unit, (6 + half) * unit, name="bulge",
                           closed=True)
    w = started(tr, laps=1)
    widths = []
    for s in np.linspace(1.0, tr.length - 1.0, 7):
        w._place_car(float(s), 0.0)
        w.step(0.0, 0.1)
        hl, hr = tr.half_width_at(w.judged.s)
        assert build_params(w)["track_width"] == pytest.approx(hl + hr, abs=1e-9)
        widths.append(build_params(w)["track_width"])
    assert max(widths) - min(widths) > 0.5


def test_the_simulators_extra_params_are_passed(oval) -> None:
    """DOMAIN.md §4a line 163 "other params": extra keys projection_distance,
    objects_distance_from_center, object_in_camera, sim_time."""
    cfg = RaceConfig(race_type="oa", laps=1, objects=(ObjectSpec("inside", 8.0),))
    w = started(oval, **cfg.to_dict() | {"objects": cfg.objects})
    for _ in range(5):
        w.step(0.0, 1.0)
    p = build_params(w)
    assert set(PARAM_KEYS) == set(p)
    assert p["projection_distance"] == pytest.approx(w.judged.s)
    assert p["objects_distance_from_center"] == pytest.approx([abs(float(w.obj_lat[0]))])
    assert p["object_in_camera"] is True  # the box stands 8 % of the oval ahead
    assert p["sim_time"] == pytest.approx(5 * DT)
    w.obj_s[:] = (w.s - 3.0) % oval.length  # behind the car: out of view
    x, y, h = oval.pose_at(float(w.obj_s[0]), float(w.obj_lat[0]))
    w.boxes[0, :3] = (x, y, h)
    assert build_params(w)["object_in_camera"] is False


# ---------------------------------------------------------------------- line 164: step timing


def test_step_judges_the_pose_before_the_steps_physics(oval) -> None:
    """DOMAIN.md §4a line 164 "step timing": params, off-track and crash checks use the pose
    read before the step's physics."""
    w = started(oval, laps=1)
    w.step(0.0, 2.0)
    before = (w.px, w.py)
    w.step(0.0, 2.0)
    assert (w.judged.px, w.judged.py) == before  # judged where the action arrived
    assert (w.px, w.py) != before  # and then driven
    assert (build_params(w)["x"], build_params(w)["y"]) == before
    # a car already off track cannot steer back in: the pose it arrived at is judged
    hl, _ = oval.half_width_at(w.s)
    w._place_car(w.s, hl + 0.2)
    w.step(30.0, 4.0)
    assert w.judged.status == "off_track"


# ---------------------------------------------------------------------- line 165: speed control


def test_speed_control_is_clamped_to_the_cars_limits(oval) -> None:
    """DOMAIN.md §4a line 165 "speed control": result clamped to 0.1–4.0 m/s (livesim has the
    multiplier mode only; the README lists the others as not offered)."""
    w = started(oval, laps=1)
    w.step(0.0, 3.0, multiplier=2.0)
    assert w.speed_command == 4.0
    w.step(0.0, 0.2, multiplier=0.1)
    assert w.speed_command == 0.1
    assert build_params(w)["speed"] == 0.2


# ---------------------------------------------------------------------- line 166: per-lap metrics


def test_metrics_have_the_11_keys_time_up_label_and_drop_an_unfinished_lap_after_a_completed_one(
        oval) -> None:
    """DOMAIN.md §4a line 166 "per-lap metrics": the 11 keys; label "Time Up"; an unfinished
    lap at time-up after ≥ 1 completed lap is not recorded."""
    w = World(oval, RaceConfig(laps=5, max_lap_time=60.0))
    run(w, Scripted(), max_steps=500)
    w.end_on_time_up()
    assert [lap.status for lap in w.laps][-1] == "time_up" and w.laps[0].completed
    metrics = evaluation_metrics(w.laps, continuous=True)
    assert all(list(m) == list(METRIC_KEYS) for m in metrics)
    assert len(metrics) == len(w.laps) - 1  # the cut lap is dropped
    assert [m["episode_status"] for m in metrics][-1] in ("Lap complete", "In progress")
    # a lap cut by time with none completed is recorded, as "Time Up"
    w = World(oval, RaceConfig(laps=1, max_lap_time=2.0))
    run(w, Scripted())
    (m,) = evaluation_metrics(w.laps, continuous=True)
    assert m["episode_status"] == "Time Up" and m["completion_percentage"] < 100


# ---------------------------------------------------------------------- line 167: sim-trace


def test_sim_trace_rows_are_written_as_the_simulator_writes_them(oval) -> None:
    """DOMAIN.md §4a line 167 "sim-trace": episode = trials completed so far; each episode
    opens with a prepare row; the lap-complete row has progress 100 and done=True; an off-track
    row holds the place the car left; pause_duration counts down; throttle = the model's speed."""
    policy = swerve(every_lap=True)
    policy.name = "swerve"
    res = evaluate(oval, RaceConfig(laps=2, continuous=False), policy, seed=0, multiplier=1.5)
    cols = ("episode", "steps", "X", "Y", "throttle", "done", "all_wheels_on_track", "progress",
            "episode_status", "pause_duration")
    from livesim.simtrace import SIM_TRACE_COLUMNS
    idx = [SIM_TRACE_COLUMNS.index(c) for c in cols]
    rows = [dict(zip(cols, (r[i] for i in idx), strict=True)) for r in res.trace]
    for ep in (0, 1):
        ep_rows = [r for r in rows if r["episode"] == ep]
        assert ep_rows[0]["episode_status"] == "prepare" and ep_rows[0]["steps"] == 1
        assert [r["steps"] for r in ep_rows] == list(range(1, len(ep_rows) + 1))
        last = ep_rows[-1]
        assert (last["episode_status"], last["progress"], last["done"]) == (
            "lap_complete", 100, True)
        assert not any(r["done"] for r in ep_rows[:-1])
        k = next(i for i, r in enumerate(ep_rows) if r["episode_status"] == "off_track")
        off = ep_rows[k]
        assert off["all_wheels_on_track"] is False and off["pause_duration"] == 2.0
        # where it left: a metre or less from the row before, not back on a lane line
        before = ep_rows[k - 1]
        assert math.hypot(off["X"] - before["X"], off["Y"] - before["Y"]) < 0.3
        pauses = [r["pause_duration"] for r in ep_rows[k + 1:k + 31]]
        assert pauses == sorted(pauses, reverse=True) and pauses[0] < 2.0
    # throttle is the model's speed, not the speed control's
    assert max(r["throttle"] for r in rows) <= 2.0 + 1e-9


# ---------------------------------------------------------------------- one implementation


def test_the_cli_live_runner_and_gym_env_time_the_same_laps(oval) -> None:
    """Issue 10, item 4: the evaluation (CLI), the LIVE runner and the Gymnasium env step the
    same World, so the same driver's laps, off-tracks and penalties take the same time."""
    from livesim.gym_env import DeepRacerEnv
    from livesim.realtime import RealtimeRunner

    cfg = RaceConfig(race_type="oa", objects=(ObjectSpec("inside", 40.0),), laps=3)
    ev = evaluate(oval, cfg, swerve(every_lap=True), seed=0)
    ev_ms = [m["elapsed_time_in_milliseconds"] for m in ev.laps]
    assert all(m["off_track_count"] == 1 for m in ev.laps)

    laps = []
    runner = RealtimeRunner(oval, cfg, swerve(every_lap=True), on_lap=laps.append, fast=True,
                            duration_s=sum(ev_ms) / 1000 + 5.0)
    runner.start()
    assert runner.wait(60) and runner.state == "finished"
    assert [lap["time_ms"] for lap in laps[:3]] == ev_ms
    assert [lap["off_track_count"] for lap in laps[:3]] == [1, 1, 1]

    env = DeepRacerEnv(track=oval, race_type="oa", objects=[{"lane": "inside", "progress": 40.0}],
                       max_resets=None, model_metadata={"action_space_type": "continuous", "action_space": {
                           "steering_angle": {"low": -30.0, "high": 30.0},
                           "speed": {"low": 0.1, "high": 4.0}}})
    env.reset(seed=0)
    driver = swerve(every_lap=True)
    info = {}
    while "lap" not in info:
        a = driver.act(env.world)
        u = np.array([a.steer_deg / 30.0, (a.speed - 0.1) / 3.9 * 2 - 1], dtype=np.float32)
        _, _, terminated, truncated, info = env.step(u)
    assert round(info["lap"]["time"] * 1000) == ev_ms[0]
