"""Gymnasium env (and the batched many-car simulator)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import livesim  # noqa: F401  (registers the env)
from livesim import get_track
from livesim.batch import BatchSim
from livesim.config import RaceConfig
from livesim.gym_env import DeepRacerEnv
from livesim.params import PARAM_KEYS
from livesim.reference import ReferenceDriver
from livesim.world import World

CONTINUOUS = {"action_space_type": "continuous",
              "action_space": {"steering_angle": {"low": -30, "high": 30},
                               "speed": {"low": 0.5, "high": 4.0}}}


@pytest.mark.parametrize("kwargs", [
    {},
    {"model_metadata": CONTINUOUS, "race_type": "oa", "num_objects": 3, "track": "kidney"},
    {"race_type": "h2b", "num_bots": 2, "bot_speed": 0.5, "bot_lane_change": True,
     "random_start": True},
])
def test_check_env_passes(kwargs) -> None:
    # made through the registry so the checker can also re-make it with other render modes
    env = gym.make("livesim/DeepRacer-v0", render_mode="rgb_array", **kwargs)
    assert isinstance(env.unwrapped, DeepRacerEnv)
    check_env(env.unwrapped)


def test_registered_with_gymnasium_and_spaces() -> None:
    env = gym.make("livesim/DeepRacer-v0", track="oval", render_mode="rgb_array")
    check_env(env.unwrapped)
    assert env.spec.max_episode_steps == 2000
    assert env.action_space == gym.spaces.Discrete(10)
    assert env.observation_space.shape == (33,)
    cont = gym.make("livesim/DeepRacer-v0", model_metadata=CONTINUOUS)
    assert cont.action_space.shape == (2,)
    env.close()
    cont.close()


def test_same_seed_same_episode_different_seed_different_objects() -> None:
    def episode(seed):
        env = DeepRacerEnv(race_type="oa", num_objects=3, random_start=True)
        obs, _ = env.reset(seed=seed)
        out = [obs]
        for a in [5, 7, 5, 3, 5, 5, 9, 5] * 4:
            obs, *_ = env.step(a)
            out.append(obs)
        return np.array(out), env.world.obj_s.copy()

    a, objs_a = episode(1)
    b, objs_b = episode(1)
    _, objs_c = episode(2)
    assert np.array_equal(a, b) and np.array_equal(objs_a, objs_b)
    assert not np.array_equal(objs_a, objs_c)


def test_user_reward_function_gets_every_param() -> None:
    seen = []

    def reward_fn(params):
        seen.append(params)
        return params["speed"] * 10.0

    env = DeepRacerEnv(reward_fn=reward_fn)
    env.reset(seed=0)
    _, r, *_ = env.step(5)
    assert seen == [] and r == 0.0  # the prepare step: 0 without calling it, as the simulator
    _, r, *_ = env.step(5)
    assert set(seen[-1]) == set(PARAM_KEYS)
    assert r == pytest.approx(seen[-1]["speed"] * 10.0) and r > 0


def test_off_track_terminates_a_training_episode() -> None:
    env = DeepRacerEnv()
    env.reset(seed=0)
    steps = 0
    terminated = False
    while not terminated and steps < 200:
        _, r, terminated, truncated, info = env.step(3)  # -15°: right, off the track
        steps += 1
    assert terminated and not truncated and steps < 200
    assert info["episode_status"] == "off_track" and r == pytest.approx(1e-3)
    assert info["lap"]["completed"] is False


def test_a_good_driver_completes_the_lap_episode() -> None:
    env = DeepRacerEnv(model_metadata=CONTINUOUS, track="kidney")
    env.reset(seed=0)
    ref = ReferenceDriver()
    for _ in range(2000):
        a = ref.act(env.world)
        u = np.array([a.steer_deg / 30.0, (a.speed - 0.5) / 3.5 * 2 - 1], dtype=np.float32)
        _, _, terminated, truncated, info = env.step(u)
        if terminated or truncated:
            break
    assert terminated and info["lap"]["completed"] and info["episode_status"] == "lap_complete"
    assert 5.0 < info["lap"]["time"] < 40.0


def test_render_draws_the_car() -> None:
    env = DeepRacerEnv(render_mode="rgb_array")
    env.reset(seed=0)
    first = env.render()
    for _ in range(20):
        env.step(5)
    second = env.render()
    assert first.shape == (450, 600, 3) and first.dtype == np.uint8
    assert not np.array_equal(first, second)


def test_batch_sim_matches_the_world_and_resets_off_track_cars() -> None:
    tr = get_track("oval")
    b = BatchSim(tr, 3, seed=0)
    # car 0 and the single world start at the same place with the same actions
    w = World(tr, RaceConfig(laps=5))
    w.start_trial()
    w.step(0.0, 0.1)  # the world's prepare step holds the car
    b.state[0, :4] = (w.car.x, w.car.y, w.car.heading, 0.0)
    b.state[0, 4:7] = (w.seg, w.s, w.lap_dist)
    ref = ReferenceDriver()
    for _ in range(200):
        a = ref.act(w)
        w.step(a.steer_deg, a.speed)
        b.step(np.array([a.steer_deg, 30.0, 0.0]), np.array([a.speed, 2.0, 1.0]))
    assert b.state[0, :4] == pytest.approx([w.car.x, w.car.y, w.car.heading, w.car.speed])
    assert b.progress[0] == pytest.approx(w.progress, abs=1e-6)
    assert b.off_tracks[0] == 0 and b.off_tracks[1] > 0  # car 1 circles off the track
    obs = b.observe()
    assert obs.shape == (3, 33) and obs.dtype == np.float32
    assert np.all((obs >= 0) & (obs <= 1))


def test_import_livesim_registers_the_env_without_importing_gymnasium() -> None:
    # `import livesim` first, Gymnasium later (the other order is this module's): the env is
    # registered the moment Gymnasium's registry loads, and livesim alone does not load it
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, livesim; print('gymnasium' in sys.modules); "
            "import gymnasium as gym; env = gym.make('livesim/DeepRacer-v0', track='oval'); "
            "print(type(env.unwrapped).__name__, env.spec.max_episode_steps)")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "DeepRacerEnv", "2000"]
