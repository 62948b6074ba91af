"""A Gymnasium vector env of many cars stepped together by livesim's batched numba kernel."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from livesim import kernels as K
from livesim.batch import LAP_DIST, BatchSim
from livesim.model_package import DEFAULT_DISCRETE_ACTIONS, parse_action_space, parse_metadata
from livesim.observation import OBS_DIM

OFF_TRACK_REWARD = -1.0  # per off-track event (the batched rules put the car back at rest)


class DeepRacerVectorEnv(VectorEnv):
    """
    ## Description
    ``num_envs`` independent cars on one track, stepped by one numba kernel
    (:class:`livesim.batch.BatchSim`): the time-trial subset of the rules, for fast rollouts.
    Every car is its own sub-environment with Gymnasium's next-step autoreset.

    ## Action Space
    ``batch_space`` of the single env's: ``MultiDiscrete([n] * num_envs)`` for a discrete
    ``model_metadata`` (default: the console's 10 actions), else ``Box(-1, 1, (num_envs, 2))``
    scaled onto the metadata's steering (deg) and speed (m/s) ranges.

    ## Observation Space
    ``Box(0, 1, (num_envs, 33), float32)``: per car the same ray scan and speed as
    ``livesim/DeepRacer-v0``, without objects or bots.

    ## Rewards
    Per car, the progress made this step in % of a lap, and ``OFF_TRACK_REWARD`` when it leaves
    the track; or ``reward_fn(progress_delta, status) -> rewards`` over whole arrays. (A
    per-car Python reward would cost more than the simulation itself.)

    ## Episode Termination
    *terminated* when the car completes a lap; *truncated* after ``max_episode_steps``. The
    sub-environment then resets on its next step (Gymnasium's next-step autoreset).

    ## Arguments
    ``track`` (a :class:`livesim.track.Track` or built-in name / .npy path), ``num_envs``,
    ``model_metadata``, ``reward_fn``, ``max_episode_steps`` (default 2000).
    """

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP, "render_modes": []}

    def __init__(self, num_envs: int = 16, track="oval", model_metadata: dict | None = None,
                 reward_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                 max_episode_steps: int = 2000) -> None:
        import json

        from livesim.track import get_track

        self.track = get_track(track) if isinstance(track, str) else track
        self.num_envs = num_envs
        self.sim = BatchSim(self.track, num_envs)
        meta = parse_metadata(json.dumps(model_metadata or {
            "action_space_type": "discrete", "action_space": list(DEFAULT_DISCRETE_ACTIONS)}))
        self.action_def = parse_action_space(meta)
        if self.action_def.type == "discrete":
            actions = np.array(self.action_def.actions, dtype=np.float64)
            self._steer_table, self._speed_table = actions[:, 0], actions[:, 1]
            self.single_action_space = spaces.Discrete(len(actions))
        else:
            self.single_action_space = spaces.Box(-1.0, 1.0, (2,), dtype=np.float32)
        self.single_observation_space = spaces.Box(0.0, 1.0, (OBS_DIM,), dtype=np.float32)
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.reward_fn = reward_fn
        self.max_episode_steps = max_episode_steps
        self._episode_steps = np.zeros(num_envs, dtype=np.int64)
        self._needs_reset = np.zeros(num_envs, dtype=bool)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        # Start places come from the env's seeded generator only.
        self.sim.rng = self.np_random
        self.sim.reset()
        self._episode_steps[:] = 0
        self._needs_reset[:] = False
        return self.sim.observe(), {}

    def _scaled(self, actions) -> tuple[np.ndarray, np.ndarray]:
        if self.action_def.type == "discrete":
            index = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)
            return self._steer_table[index], self._speed_table[index]
        a = np.clip(np.asarray(actions, dtype=np.float64).reshape(self.num_envs, 2), -1.0, 1.0)
        (steer_lo, steer_hi), (speed_lo, speed_hi) = self.action_def.steering, self.action_def.speed
        steer = steer_lo + (a[:, 0] + 1.0) * 0.5 * (steer_hi - steer_lo)
        speed = speed_lo + (a[:, 1] + 1.0) * 0.5 * (speed_hi - speed_lo)
        return steer, speed

    def step(self, actions):
        restarting = self._needs_reset.copy()
        if restarting.any():
            self.sim.reset_cars(np.flatnonzero(restarting))
            self._episode_steps[restarting] = 0
        before = self.sim.state[:, LAP_DIST].copy()
        steer, speed = self._scaled(actions)
        status = self.sim.step(steer, speed).copy()
        delta = 100.0 * (self.sim.state[:, LAP_DIST] - before) / self.track.length
        delta[status == K.ST_LAP] = 100.0 * self.sim.state[status == K.ST_LAP, LAP_DIST] / self.track.length
        if self.reward_fn is not None:
            rewards = np.asarray(self.reward_fn(delta, status), dtype=np.float64)
        else:
            rewards = np.where(status == K.ST_OFF_TRACK, OFF_TRACK_REWARD, np.maximum(delta, 0.0))
        self._episode_steps += 1
        terminated = status == K.ST_LAP
        truncated = (self._episode_steps >= self.max_episode_steps) & ~terminated
        # A sub-env that was just reset reports its first observation with no reward.
        rewards[restarting] = 0.0
        terminated[restarting] = truncated[restarting] = False
        self._needs_reset = terminated | truncated
        return self.sim.observe(), rewards.astype(np.float32), terminated, truncated, {}
