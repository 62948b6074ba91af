"""Registers ``livesim/DeepRacer-v0`` with Gymnasium (imported by ``livesim/__init__``).

Only the registry is touched here; the environment module (and numba kernels) load when the
environment is made.
"""

from gymnasium.envs.registration import register, registry

ENV_ID = "livesim/DeepRacer-v0"
MAX_EPISODE_STEPS = 2000  # ≈ 133 s of sim time at 15 Hz

if ENV_ID not in registry:
    # gym.make(ENV_ID) gives one car; gym.make_vec(ENV_ID, num_envs=K,
    # vectorization_mode="vector_entry_point") gives K cars in one numba kernel.
    register(id=ENV_ID, entry_point="livesim.gym_env:DeepRacerEnv",
             vector_entry_point="livesim.vector_env:DeepRacerVectorEnv",
             max_episode_steps=MAX_EPISODE_STEPS)
