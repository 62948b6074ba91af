"""Shared fixtures: named users with their access spelled out, and the real-part suites.

Suites marked `browser`, `postgres` or `redis` need those parts. On a machine without them the
suite is skipped with the reason; under CI=true a missing part is an error, never a skip.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.services import redis_url, service_problems

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config):
    from django.conf import settings

    # Worker threads (channels' database_sync_to_async, live runners) must not keep PostgreSQL
    # connections open past a test, or the test database cannot be dropped.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


def pytest_runtest_setup(item):
    problems = service_problems()
    for suite in ("browser", "postgres", "redis"):
        if suite in item.keywords and suite in problems:
            if IN_CI:
                pytest.fail(f"CI=true and the {suite} suite cannot run: {problems[suite]}")
            pytest.skip(f"{suite} suite: {problems[suite]}")


def pytest_terminal_summary(terminalreporter):
    problems = service_problems()
    if problems and not IN_CI:
        terminalreporter.write_line("")
        for suite, why in problems.items():
            terminalreporter.write_line(f"skipped the {suite} suite: {why}", yellow=True)


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared is missing: expected the shared data at {SHARED}")
    return SHARED


# -- named users ---------------------------------------------------------------------------
# alice organizes races; bob and charlie are racers who join alice's race; mallory has no
# access to anything of alice's.

def make_user(username: str, alias: str | None = None, country: str = "DE"):
    from django.contrib.auth import get_user_model

    from races.models import RacerProfile

    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw-" + username)
    if alias:
        RacerProfile.objects.create(user=user, alias=alias, country=country)
    return user


@pytest.fixture
def tracks(db):
    from races.tracks import sync_builtin_tracks

    sync_builtin_tracks()
    from races.models import Track

    return Track.objects.all()


@pytest.fixture
def alice(db):
    return make_user("alice", "AliceRaces")


@pytest.fixture
def bob(db):
    return make_user("bob", "BobTheRacer", "FR")


@pytest.fixture
def charlie(db):
    return make_user("charlie", "CharlieC", "JP")


@pytest.fixture
def mallory(db):
    return make_user("mallory", "Mallory", "US")


@pytest.fixture
def race(alice, tracks):
    """alice's open Classic time trial (bob joins it through `joined`)."""
    from races.models import Race

    now = timezone.now()
    return Race.objects.create(
        organizer=alice, name="Alice Cup", track=tracks.filter(closed=True).first(),
        start_at=now - timedelta(hours=1), end_at=now + timedelta(days=7),
    )


@pytest.fixture
def joined(race, bob):
    from races.models import Participant

    return Participant.objects.create(race=race, user=bob)


@pytest.fixture
def redis_layers(settings):
    """This process on the Redis channel layers that server and runlive subprocesses use
    (config/layers.py), with the runners' lists emptied of stale work."""
    from asgiref.sync import async_to_sync
    from channels.layers import channel_layers
    from channels_redis.core import RedisChannelLayer

    from config.layers import channel_layers as layers_for

    settings.CHANNEL_LAYERS = layers_for(redis_url())
    settings.LIVE_RUNNER = "external"
    channel_layers.backends = {}
    async_to_sync(RedisChannelLayer(hosts=[redis_url()]).flush)()
    yield
    channel_layers.backends = {}
