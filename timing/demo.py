"""The demo's trackside: the in-person demo race's timekeeper (the organizer) and a lap timer
token with a fixed, published value, like the demo logins' password, so `readtimer` can be
pointed at the demo race from the README. Demo data only: a real race's tokens are random and
shown once (`TimerToken.issue`)."""

from __future__ import annotations

from .models import RaceStaff, TimerToken, hash_token

DEMO_TIMER_TOKEN = "drt_demo-track-day-timer"  # noqa: S105 - published demo data, as the demo password
DEMO_TIMER_NAME = "Demo lap timer"


def seed_trackside(race) -> str | None:
    """Idempotent: the organizer is the race's timekeeper, and the demo timer has its token.
    Returns the token, or None once the organizer revoked it (a revocation stands)."""
    RaceStaff.objects.get_or_create(race=race, user_id=race.organizer_id, role=RaceStaff.Role.TIMEKEEPER)
    token, _ = TimerToken.objects.get_or_create(key_hash=hash_token(DEMO_TIMER_TOKEN),
                                                defaults={"race": race, "name": DEMO_TIMER_NAME})
    return DEMO_TIMER_TOKEN if token.revoked_at is None and token.race_id == race.pk else None


# The README has the demo's timer speak the bare `lap` line (a terminal or the simplest
# firmware): the reader's default, drem-json, would take none of them for a crossing.
DEMO_PROTOCOL = "plain"


def readtimer_command(race, server: str) -> str:
    """The whole command that reads a serial lap timer for the demo race."""
    return (f"python3 manage.py readtimer --race {race.pk} --server {server} "
            f"--token {DEMO_TIMER_TOKEN} --serial /dev/ttyUSB0 --protocol {DEMO_PROTOCOL}")
