"""config/layers.py: race events on Redis pub/sub, runner work on Redis lists, one process
without Redis on the in-memory layer; and a bad CHANNEL_LAYER stops the server with a message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.layers import EVENTS, RUNNERS, channel_layers

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/0"


def test_it_puts_events_on_pubsub_and_work_on_lists():
    layers = channel_layers(REDIS)
    assert layers[EVENTS]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert layers[RUNNERS]["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert layers[EVENTS]["CONFIG"]["hosts"] == layers[RUNNERS]["CONFIG"]["hosts"] == [REDIS]


def test_core_events_keep_work_on_lists():
    layers = channel_layers(REDIS, "core")
    assert layers[EVENTS]["BACKEND"] == layers[RUNNERS]["BACKEND"] == "channels_redis.core.RedisChannelLayer"


def test_without_redis_everything_is_in_memory():
    layers = channel_layers("")
    assert {layers[EVENTS]["BACKEND"], layers[RUNNERS]["BACKEND"]} == {"channels.layers.InMemoryChannelLayer"}


def test_it_refuses_an_unknown_layer():
    with pytest.raises(ValueError, match="CHANNEL_LAYER must be one of pubsub, core, not 'rabbit'"):
        channel_layers(REDIS, "rabbit")


def test_a_bad_setting_stops_the_server_with_the_reason():
    env = {**os.environ, "REDIS_URL": REDIS, "CHANNEL_LAYER": "rabbit", "RACESERVER_NO_BOOTSTRAP": "1"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "CHANNEL_LAYER must be one of pubsub, core, not 'rabbit'" in result.stderr
