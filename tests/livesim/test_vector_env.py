"""The vectorised Gymnasium env: many cars in one kernel, registered with the single env."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import livesim  # noqa: F401  (registers the env ids)
from livesim.vector_env import DeepRacerVectorEnv


def test_make_vec_gives_the_batched_env():
    envs = gym.make_vec("livesim/DeepRacer-v0", num_envs=8, vectorization_mode="vector_entry_point")
    try:
        obs, _ = envs.reset(seed=3)
        assert obs.shape == (8, 33) and obs.dtype == np.float32
        assert envs.action_space.shape == (8,)
        assert envs.observation_space.contains(obs)
    finally:
        envs.close()


def test_cars_drive_complete_laps_and_autoreset():
    """A wall-following driver over the ray scan laps the oval: laps end episodes, progress is
    rewarded, and the finished cars start again."""
    env = DeepRacerVectorEnv(num_envs=4, track="oval")
    obs, _ = env.reset(seed=0)
    steer_at_fast = {-30: 1, -15: 3, 0: 5, 15: 7, 30: 9}  # indices of the 0.8 m/s actions
    total = np.zeros(4)
    laps = np.zeros(4, dtype=int)
    for _ in range(900):
        # rays 0..31 sweep right to left: turn toward the side with more room ahead
        right, left = obs[:, 10:16].mean(axis=1), obs[:, 16:22].mean(axis=1)
        bias = left - right
        steer = np.select([bias > 0.15, bias > 0.04, bias < -0.15, bias < -0.04], [30, 15, -30, -15], 0)
        actions = np.array([steer_at_fast[int(a)] for a in steer])
        obs, rewards, terminated, truncated, _ = env.step(actions)
        total += rewards
        laps += terminated
    assert (laps >= 1).all(), laps
    assert (total > 90).all(), total  # at least a lap's worth of progress each
    assert not truncated.any()


def test_same_seed_same_rollout():
    def rollout(seed):
        env = DeepRacerVectorEnv(num_envs=3, track="kidney")
        obs, _ = env.reset(seed=seed)
        rng = np.random.default_rng(1)
        out = [obs]
        for _ in range(50):
            obs, *_ = env.step(rng.integers(0, 10, 3))
            out.append(obs)
        return np.stack(out)

    assert np.array_equal(rollout(7), rollout(7))
    assert not np.array_equal(rollout(7), rollout(8))


def test_continuous_actions_are_scaled_to_the_metadata():
    meta = {"action_space_type": "continuous",
            "action_space": {"steering_angle": {"low": -20, "high": 20}, "speed": {"low": 0.5, "high": 2.0}}}
    env = DeepRacerVectorEnv(num_envs=2, model_metadata=meta)
    env.reset(seed=0)
    steer, speed = env._scaled(np.array([[-1.0, -1.0], [1.0, 5.0]]))
    assert steer.tolist() == [-20.0, 20.0] and speed.tolist() == [0.5, 2.0]


def test_terminated_cars_restart_on_the_next_step():
    env = DeepRacerVectorEnv(num_envs=2, max_episode_steps=3)
    env.reset(seed=0)
    for _ in range(3):
        _, _, terminated, truncated, _ = env.step(np.array([2, 2]))
    assert truncated.all() and not terminated.any()
    _, rewards, terminated, truncated, _ = env.step(np.array([2, 2]))
    assert not truncated.any() and (rewards == 0).all()
    assert (env._episode_steps == 0).all() or (env._episode_steps == 1).all()


def test_it_rejects_bad_metadata():
    from livesim.model_package import ModelPackageError

    with pytest.raises(ModelPackageError):
        DeepRacerVectorEnv(num_envs=2, model_metadata={"action_space_type": "sideways"})
