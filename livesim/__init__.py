"""livesim: the race simulator as a plain Python library (numpy, numba, shapely, gymnasium).

It never imports Django, so it can be used alone: tracks, car, rules, policies, evaluation,
real-time runner and Gymnasium environment.
"""

from livesim import gym_registration  # noqa: F401  (registers livesim/DeepRacer-v0)
from livesim.track import Track, TrackError, builtin_tracks, get_track, load_track

__all__ = ["Track", "TrackError", "load_track", "get_track", "builtin_tracks"]
