"""Shared fixtures (the named users and scenes are in tests/scenes.py), and the real-part suites.

Suites marked `browser`, `postgres`, `redis` or `obs` need those parts. On a machine without them the
suite is skipped with the reason; under CI=true a missing part is an error, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.services import redis_url, service_problems

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IN_CI = os.environ.get("CI", "").lower() == "true"

pytest_plugins = ["tests.scenes"]  # alice, bob, race, live_race, as_alice, ...: see its docstring


def pytest_configure(config):
    from django.conf import settings

    # Worker threads (channels' database_sync_to_async, live runners) must not keep PostgreSQL
    # connections open past a test, or the test database cannot be dropped.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Users are made in nearly every test: the default hasher's ~0.6 s per password dominated.
    settings.PASSWORD_HASHERS = ["tests.support.hashers.QuickPBKDF2PasswordHasher"]


DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
               "live_server", "admin_client", "admin_user", "django_user_model"}


def touches_services(item: pytest.Item) -> bool:
    """Whether a test reaches the database or a real service, so that PostgreSQL + Redis can
    change its outcome. Pure rules, parsers and the simulator cannot: they run once, in pass 1."""
    from django.test import TransactionTestCase

    if any(item.get_closest_marker(m) for m in ("django_db", "postgres", "redis")):
        return True
    if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    cls = getattr(item, "cls", None)
    return bool(cls and issubclass(cls, TransactionTestCase))


def pytest_collection_modifyitems(config, items):
    # `manage.py test`'s second pass (PostgreSQL, Redis channel layer) sets this.
    if os.environ.get("TEST_SERVICES_ONLY") != "1":
        return
    keep, drop = [], []
    for item in items:
        (keep if touches_services(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_setup(item):
    problems = service_problems()
    for suite in ("browser", "postgres", "redis", "obs"):
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


@pytest.fixture(scope="session")
def _builtin_tracks(django_db_setup, django_db_blocker):
    """Sync the built-in tracks once per session (it takes ~0.5 s): tests roll back to it."""
    from races.tracks import sync_builtin_tracks

    with django_db_blocker.unblock():
        sync_builtin_tracks()


@pytest.fixture
def tracks(db, _builtin_tracks):
    """The catalog of built-in tracks (synced once per session)."""
    from races.models import Track
    from races.tracks import sync_builtin_tracks

    if not Track.objects.filter(source=Track.Source.BUILTIN).exists():  # a flushing test ran
        sync_builtin_tracks()
    return Track.objects.all()


@pytest.fixture
def memory_layers(settings):
    """This process on the in-memory channel layers, as an embedded server runs (pass 2 runs
    the tests on Redis otherwise)."""
    from channels.layers import channel_layers

    from config.layers import channel_layers as layers_for

    settings.CHANNEL_LAYERS = layers_for("")
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


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
