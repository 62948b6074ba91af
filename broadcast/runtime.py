"""Whether race events leave this process: `obs_control` runs as a process of its own and hears
the race only through a channel layer shared between processes (Redis, REDIS_URL). In embedded
mode the layer is in memory: events never leave the server process."""

from __future__ import annotations

from channels.layers import InMemoryChannelLayer, get_channel_layer


def events_cross_processes() -> bool:
    layer = get_channel_layer()
    return layer is not None and not isinstance(layer, InMemoryChannelLayer)
