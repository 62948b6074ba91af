"""The channel layers of a deployment, one place for the settings, the tests and the bench.

Two aliases, because two kinds of messages travel between processes:

* ``default`` carries the race events (``run.frame``, ``run.lap``, ``queue.changed``…) to every
  server process, which writes them to its websockets (races/fanout.py). In scaled mode this is
  Redis pub/sub: one PUBLISH per event, delivered at once to the subscribed processes, nothing
  kept. At most once suits a broadcast: a browser that misses an event gets a full snapshot when
  it reconnects, and frames are self-contained.
* ``runners`` carries the work handed to ``runlive`` processes (launch, stop, speed) on Redis
  lists (channels_redis' core layer): a message waits, up to ``expiry`` seconds, until a runner
  takes it, so a launch sent while the runners restart is not lost.

The core layer for the events too (``CHANNEL_LAYER=core``) works but costs far more: every event
is a sorted-set entry per process, taken with a blocking pop, a Lua clean-up and its round trips,
which at 8 races × 1,000 viewers put p99 latency over 100 ms (README, "Live broadcast").
"""

from __future__ import annotations

import os

EVENTS = "default"
RUNNERS = "runners"
KINDS = ("pubsub", "core")


def channel_layers(redis_url: str, events: str = "pubsub", prefix: str | None = None) -> dict:
    """CHANNEL_LAYERS for a Redis URL (empty: in-memory, one process) and the events' layer.

    `prefix` (default: the CHANNEL_PREFIX variable, else "asgi") names this deployment's channels.
    Redis pub/sub channels are shared by every database of a server, so two deployments (or two
    test runs) on one Redis need different prefixes, not only different database numbers."""
    prefix = prefix or os.environ.get("CHANNEL_PREFIX", "").strip() or "asgi"
    if not redis_url:
        in_memory = {"BACKEND": "channels.layers.InMemoryChannelLayer"}
        return {EVENTS: in_memory, RUNNERS: in_memory}
    if events not in KINDS:
        raise ValueError(f"CHANNEL_LAYER must be one of {', '.join(KINDS)}, not {events!r}")
    core = {"BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "capacity": 1500, "expiry": 10, "prefix": prefix}}
    pubsub = {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
              "CONFIG": {"hosts": [redis_url], "prefix": prefix}}
    return {EVENTS: pubsub if events == "pubsub" else core, RUNNERS: core}
