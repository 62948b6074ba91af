"""Reward functions written for the DeepRacer console run unchanged against livesim's params
(issue 10, item 3): the developer guide's Examples 1–4 and the reference evaluation's
``reward_function.py``, on the params of driven episodes (DOMAIN.md §4 "Reward function params",
§4a lines 161–163).

Like the simulator, each function gets a deep copy of the params of every driven step
(``prepare`` and ``pause`` steps get 0 without a call) and must return a finite number within
[-1e5, 1e5] (the simulator's check).
"""

from __future__ import annotations

import copy
import importlib.util
import math

import pytest

from livesim import get_track
from livesim.config import ObjectSpec, RaceConfig
from livesim.params import build_params
from livesim.policy_base import Action
from livesim.world import World
from tests.livesim.conftest import REAL_TRACKS, SHARED
from tests.livesim.guide_rewards import (
    example1_follow_center_line,
    example2_stay_inside_borders,
    example3_prevent_zig_zag,
    example4_stay_in_lane_avoid_objects,
)
from tests.livesim.simhelpers import Scripted

REFERENCE_REWARD = SHARED / "deepracer-reference" / "drfc-evaluation" / "reward_function.py"


def load_reference_reward():
    spec = importlib.util.spec_from_file_location("drfc_reward_function", REFERENCE_REWARD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reward_function


GUIDE = {
    "example1": example1_follow_center_line.reward_function,
    "example2": example2_stay_inside_borders.reward_function,
    "example3": example3_prevent_zig_zag.reward_function,
    "example4": example4_stay_in_lane_avoid_objects.reward_function,
}


def driven_params(track, config: RaceConfig, policy, seed: int = 0) -> list[dict]:
    """The params of every driven step of one evaluation."""
    w = World(track, config, seed=seed)
    w.start_trial()
    policy.reset()
    out = []
    while not w.done:
        a = policy.act(w)
        w.step(a.steer_deg, a.speed)
        if w.rewarded:
            out.append(build_params(w))
    return out


def wobbly():
    """The reference driver with a hard-right swerve halfway round each lap: off-tracks,
    steering past 15°, pauses."""
    swerved: set[int] = set()

    def override(w) -> Action | None:
        if w.judged is not None and w.judged.is_offtrack:
            swerved.add(w.trial)
        if w.trial not in swerved and w.phase == "run" and w.lap_dist > 0.5 * w.length:
            return Action(-30.0, 2.0)
        return None

    return Scripted(override)


@pytest.fixture(scope="module")
def episodes() -> dict[str, list[dict]]:
    base = get_track(REAL_TRACKS / "reinvent_base.npy")
    wide = get_track(REAL_TRACKS / "reInvent2019_wide.npy")
    boxes = (ObjectSpec("inside", 25.0), ObjectSpec("outside", 50.0), ObjectSpec("inside", 75.0))
    return {
        "time trial": driven_params(base, RaceConfig(laps=2), wobbly()),
        # drivers that do not avoid: they close in on objects in their lane, and crash
        "object avoidance": driven_params(
            wide, RaceConfig(race_type="oa", objects=boxes, laps=2),
            Scripted(avoid_horizon=0.0, line_offset=0.5)),
        "head to bot": driven_params(
            wide, RaceConfig(race_type="h2b", num_bots=2, bot_speed=0.5, laps=2),
            Scripted(avoid_horizon=0.0, line_offset=0.5, max_speed=1.5)),
    }


def run_all(fn, params_list) -> list[float]:
    out = []
    for p in params_list:
        r = fn(copy.deepcopy(p))  # the simulator hands each call a deep copy
        r = float(r)
        assert math.isfinite(r) and -1e5 <= r <= 1e5
        out.append(r)
    return out


@pytest.mark.parametrize("name", ["example1", "example2", "example3"])
def test_the_guides_time_trial_examples_run_unchanged(episodes, name) -> None:
    for kind, params_list in episodes.items():
        rewards = run_all(GUIDE[name], params_list)
        if kind == "time trial":  # the swerving driver meets more than one band
            assert len(set(rewards)) > 1, f"{name} on {kind}: {set(rewards)}"


def test_example_3_sees_the_actions_steering_angle(episodes) -> None:
    params_list = episodes["time trial"]
    rewards = run_all(GUIDE["example3"], params_list)
    plain = run_all(GUIDE["example1"], params_list)
    penalised = [p for p, r, q in zip(params_list, rewards, plain, strict=True) if r < q]
    assert penalised and all(abs(p["steering_angle"]) > 15 for p in penalised)
    assert {-30.0} <= {p["steering_angle"] for p in penalised}  # the swerve's action


def test_example_2_sees_wheels_leave_the_track(episodes) -> None:
    params_list = episodes["time trial"]
    rewards = run_all(GUIDE["example2"], params_list)
    off = [r for p, r in zip(params_list, rewards, strict=True) if p["is_offtrack"]]
    assert off and set(off) == {1e-3}
    assert max(rewards) == 1.0


@pytest.mark.parametrize("kind", ["object avoidance", "head to bot"])
def test_example_4_runs_unchanged_with_objects_on_the_track(episodes, kind) -> None:
    params_list = episodes[kind]
    assert any(p["is_crashed"] for p in params_list), "no crash: the test would prove little"
    rewards = run_all(GUIDE["example4"], params_list)
    assert max(rewards) == pytest.approx(5.001)  # in its lane, nothing close ahead
    # closing in on the next object in the same lane costs reward, down to "likely crashed"
    assert min(rewards) < 2.0


def test_the_reference_evaluations_reward_function_runs_unchanged(episodes) -> None:
    fn = load_reference_reward()
    for params_list in episodes.values():
        rewards = run_all(fn, params_list)
        # it is the guide's Example 1 returning a float
        assert rewards == run_all(GUIDE["example1"], params_list)
        assert isinstance(fn(copy.deepcopy(params_list[0])), float)
