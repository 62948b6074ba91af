"""The in-person race options an organizer may choose, written once (as livesim.config writes the
virtual ones): the race server's model validators, forms, API and messages read them from here.

Plain Python (no Django). Change a limit here and run makemigrations (Django records validators
in migrations).
"""

from __future__ import annotations

TIME_PER_RACER_RANGE = (1, 10)  # min, one racer's turn on the physical track
AVERAGE_OF_RANGE = (2, 7)  # consecutive valid laps averaged by the "best average" ranking
MIN_LAP_TIME_RANGE = (1.0, 30.0)  # s: a crossing sooner after the lap's start is a false trigger
MIN_LAP_TIME_DEFAULT = 3.0  # s, community practice
DEBOUNCE_WINDOW_S = 1.0  # one window across all sensors of a gate (the reader's --debounce)
