"""A message round trip through the configured channel layer (in-memory in pass 1, Redis when
REDIS_URL is set in pass 2)."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from config.layers import RUNNERS, channel_layers


async def test_it_works():
    layer = get_channel_layer()
    if settings.REDIS_URL:  # race events on pub/sub unless CHANNEL_LAYER=core (config/layers.py)
        expected = "RedisChannelLayer" if settings.CHANNEL_LAYER == "core" else "RedisPubSubChannelLayer"
        assert type(layer).__name__ == expected
    else:
        assert type(layer).__name__ == "InMemoryChannelLayer"
    group = f"race-test-{uuid.uuid4().hex}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    try:
        await layer.group_send(group, {"type": "race.event", "lap": 3, "time_ms": 12345})
        message = await asyncio.wait_for(layer.receive(channel), timeout=5)
        assert message == {"type": "race.event", "lap": 3, "time_ms": 12345}
    finally:
        await layer.group_discard(group, channel)


async def test_it_stops_delivering_after_group_discard():
    layer = get_channel_layer()
    group = f"race-test-{uuid.uuid4().hex}"
    kept, left = await layer.new_channel(), await layer.new_channel()
    await layer.group_add(group, kept)
    await layer.group_add(group, left)
    await layer.group_discard(group, left)
    try:
        await layer.group_send(group, {"type": "race.event", "n": 1})
        assert (await asyncio.wait_for(layer.receive(kept), timeout=5))["n"] == 1
        try:
            await asyncio.wait_for(layer.receive(left), timeout=0.3)
            raise AssertionError("a discarded channel received a group message")
        except TimeoutError:
            pass
    finally:
        await layer.group_discard(group, kept)


async def test_work_for_the_runners_waits_until_a_runner_takes_it():
    """A launch sent while no runlive process listens (they restart) is still there after."""
    layer = get_channel_layer(RUNNERS)
    channel = f"live-runner-test-{uuid.uuid4().hex}"
    await layer.send(channel, {"type": "live.launch", "run_id": 7})
    await asyncio.sleep(0.2)  # nobody receives meanwhile
    message = await asyncio.wait_for(layer.receive(channel), timeout=5)
    assert message == {"type": "live.launch", "run_id": 7}


@pytest.mark.redis
@pytest.mark.parametrize("kind", ["pubsub", "core"])
async def test_the_fanout_works_on_either_redis_layer(settings, kind):
    """CHANNEL_LAYER=core stays a working choice for the race events (just slower)."""
    from channels.layers import channel_layers as backends

    from races import fanout, protocol
    from tests.services import redis_url

    settings.CHANNEL_LAYERS = channel_layers(redis_url(), kind)
    backends.backends = {}
    got = []

    async def send(message):
        got.append(message["text"])

    race_id = f"fan-{uuid.uuid4().hex}"
    viewer, hub = fanout.Viewer(send), fanout.Hub()
    await hub.join(race_id, viewer)
    try:
        await viewer.ready()
        frames = [protocol.run_frame(1, 1.0, {"step": n}) for n in range(5)]
        for frame in frames:
            await protocol.asend(race_id, frame)
        for _ in range(200):
            if len(got) == len(frames):
                break
            await asyncio.sleep(0.01)
        assert [json.loads(text) for text in got] == frames
    finally:
        hub.leave(race_id, viewer)
        await hub.settle()
        backends.backends = {}
