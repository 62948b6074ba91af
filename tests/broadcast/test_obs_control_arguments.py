"""obs_control refuses what it cannot work with, naming the problem: a bad OBS address, an unknown
race, and a channel layer that cannot hear the race's server processes (in-memory)."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers
from django.core.management import CommandError, call_command


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


def test_a_bad_obs_address_is_refused(live_race):
    with pytest.raises(CommandError, match="ws://HOST:4455"):
        call_command("obs_control", "--race", str(live_race.pk), "--obs", "http://x")


def test_an_unknown_race_is_refused(db):
    with pytest.raises(CommandError, match="No race with id"):
        call_command("obs_control", "--race", "nope", "--obs", "ws://127.0.0.1:4455")


def test_an_in_memory_channel_layer_is_refused(live_race, in_memory_layer):
    with pytest.raises(CommandError, match="set REDIS_URL"):
        call_command("obs_control", "--race", str(live_race.pk), "--obs", "ws://127.0.0.1:4455")
