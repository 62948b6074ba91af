"""Registers ``livesim/DeepRacer-v0`` with Gymnasium (set up by ``livesim/__init__``).

``import livesim`` must be enough for ``gym.make("livesim/DeepRacer-v0")``, whichever of the two
is imported first, but importing Gymnasium costs 0.07–0.1 s that ``python -m livesim
evaluate`` has no use for. So the env is registered at once if Gymnasium's registry is already
loaded, and otherwise the moment it loads: a one-shot import hook runs the registration right
after ``gymnasium.envs.registration`` has executed (before ``import gymnasium`` returns).

Only the registry is touched here; the environment module (and numba kernels) load when the
environment is made.
"""

from __future__ import annotations

import sys
from types import ModuleType

ENV_ID = "livesim/DeepRacer-v0"
MAX_EPISODE_STEPS = 2000  # ≈ 133 s of sim time at 15 Hz
REGISTRY_MODULE = "gymnasium.envs.registration"


def register_env(registration: ModuleType) -> None:
    """Register the env in ``gymnasium.envs.registration`` (once)."""
    if ENV_ID not in registration.registry:
        # gym.make(ENV_ID) gives one car; gym.make_vec(ENV_ID, num_envs=K,
        # vectorization_mode="vector_entry_point") gives K cars in one numba kernel.
        registration.register(id=ENV_ID, entry_point="livesim.gym_env:DeepRacerEnv",
                              vector_entry_point="livesim.vector_env:DeepRacerVectorEnv",
                              max_episode_steps=MAX_EPISODE_STEPS)


class _RegisterAfter:
    """Wraps the registry module's own loader: executes it, then registers the env.

    (Plain classes, not importlib.abc's: importing that costs 10–16 ms of start-up.)
    """

    def __init__(self, loader) -> None:
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        register_env(module)

    def __getattr__(self, name: str):  # get_source, get_resource_reader, … of the real loader
        return getattr(self._loader, name)


class _RegistryHook:
    """Finds ``gymnasium.envs.registration`` through the other finders, with its loader wrapped;
    removes itself from ``sys.meta_path`` the first time."""

    def find_spec(self, fullname, path, target=None):
        if fullname != REGISTRY_MODULE:
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _RegisterAfter(spec.loader)
                return spec
        return None


def install() -> None:
    """Register now if Gymnasium's registry is loaded, else when it is."""
    registration = sys.modules.get(REGISTRY_MODULE)
    if registration is not None:
        register_env(registration)
    elif not any(isinstance(f, _RegistryHook) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegistryHook())
