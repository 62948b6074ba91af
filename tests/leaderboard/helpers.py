"""Results for the leaderboard tests, recorded through the one writer (races/record.py)."""

from __future__ import annotations

from races.models import Run
from races.record import record_lap


def drive(race, racer, *times, invalid=()):
    """A run (submission) of `racer` with these lap times; laps at the indexes in `invalid` do
    not count."""
    run = Run.objects.create(race=race, racer=racer)
    for number, time_ms in enumerate(times, start=1):
        record_lap(run, number=number, time_ms=time_ms, valid=number - 1 not in invalid,
                   invalid_reason="cut the track" if number - 1 in invalid else "")
    return run
