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


def test_both_layers_take_the_deployments_prefix(monkeypatch):
    monkeypatch.setenv("CHANNEL_PREFIX", "event-b")
    layers = channel_layers(REDIS)
    assert layers[EVENTS]["CONFIG"]["prefix"] == layers[RUNNERS]["CONFIG"]["prefix"] == "event-b"
    monkeypatch.delenv("CHANNEL_PREFIX")
    assert channel_layers(REDIS)[EVENTS]["CONFIG"]["prefix"] == "asgi"


@pytest.mark.redis
async def test_two_prefixes_on_one_redis_do_not_hear_each_other():
    # Pub/sub channels span Redis databases: only the prefix keeps two deployments apart.
    import asyncio

    from channels_redis.pubsub import RedisPubSubChannelLayer

    from tests.services import redis_url

    a = RedisPubSubChannelLayer(hosts=[redis_url()], prefix="event-a")
    b = RedisPubSubChannelLayer(hosts=[redis_url()], prefix="event-b")
    try:
        listeners = {}
        for name, layer in (("a", a), ("b", b)):
            listeners[name] = await layer.new_channel()
            await layer.group_add("race.1", listeners[name])
        await a.group_send("race.1", {"type": "run.lap", "n": 1})
        assert (await asyncio.wait_for(a.receive(listeners["a"]), 2))["n"] == 1
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(b.receive(listeners["b"]), 0.5)
    finally:
        await a.flush()
        await b.flush()
