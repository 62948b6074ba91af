"""The one event protocol between processes and browsers.

Every message on the channel layer and every websocket frame is a small JSON object with a
`type` and a protocol version `v`. The same dict travels from the producer (live runner, timer
reader, timekeeper, organizer action) through the race's channel-layer group to each server
process, whose fan-out (races/fanout.py) writes it to every browser of the race unchanged (one
JSON encoding per process; `race.state` gets each browser's own `me`).

Types (payload keys beyond `type` and `v`):

- `race.state`        full snapshot of a race for a (re)connecting browser: race, live, queue,
                      run, leaderboard, me {user_id, is_organizer, last_run (the viewer's latest
                      ended run: id, state, racer, has_trace; in the snapshot on connect)}
- `run.state`         a run's state changed: run {id, racer, state, started_at, ends_at, ...};
                      when it ended also failure and has_trace (its replay is at
                      /races/<race>/runs/<id>/trace/)
- `run.frame`         one simulator step of the running run (15 Hz): run_id, ts (epoch s when
                      the runner emitted it, for latency figures), frame {...} (keys in
                      livesim/realtime.py)
- `run.lap`           a lap was committed: run_id, lap {number, time_ms, off_tracks, ...}
- `queue.changed`     the LIVE queue changed: queue [...]
- `leaderboard.changed` the race's leaderboard changed: leaderboard [...]
- `car.telemetry`     a physical car reported battery, temperature, ...

A browser that misses messages loses nothing: on reconnect it gets a new `race.state`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from config.layers import RUNNERS

VERSION = 1
TYPES = frozenset(
    {"race.state", "run.state", "run.frame", "run.lap", "queue.changed", "leaderboard.changed",
     "car.telemetry"}
)


def event(type_: str, **payload: Any) -> dict:
    if type_ not in TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    return {"type": type_, "v": VERSION, **payload}


def race_group(race_id) -> str:
    return f"race.{race_id}"


async def _await(coroutine):
    return await coroutine


def _run(coroutine) -> None:
    """Run a layer call from synchronous code: to completion, or as a task when this thread
    already runs an event loop (where async_to_sync may not be used)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(_await)(coroutine)
    else:
        loop.create_task(coroutine)


def send(race_id, message: dict) -> None:
    """Send an event to everyone watching the race (from synchronous code)."""
    layer = get_channel_layer()
    if layer is not None:
        _run(layer.group_send(race_group(race_id), message))


async def asend(race_id, message: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(race_group(race_id), message)


def send_to_channel(channel: str, message: dict) -> None:
    """Send work to one named channel of the runners' layer (scaled mode: the launch channel,
    a runlive process's control channel), where it waits until a runner takes it."""
    layer = get_channel_layer(RUNNERS)
    if layer is not None:
        _run(layer.send(channel, message))
