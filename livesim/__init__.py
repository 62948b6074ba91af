"""livesim: the race simulator as a plain Python library (numpy, numba, shapely, gymnasium).

It never imports Django, so it can be used alone: tracks, car, rules, policies, evaluation,
real-time runner and Gymnasium environment. ``import livesim`` registers
``livesim/DeepRacer-v0`` with Gymnasium without importing Gymnasium itself (see
:mod:`livesim.gym_registration`): the CLI starts faster without it.
"""

from livesim import gym_registration
from livesim.track import Track, TrackError, builtin_tracks, get_track, load_track

gym_registration.install()

__all__ = ["Track", "TrackError", "load_track", "get_track", "builtin_tracks"]
