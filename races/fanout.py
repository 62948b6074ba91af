"""Per-process fan-out of race events to the websockets of this process.

Each server process (each event loop) has one `Hub`. For every race with at least one local
viewer the hub holds ONE channel-layer subscription: a channel from `layer.new_channel()` in
`protocol.race_group(race_id)`, and one task that receives each event once, encodes it to JSON
once and writes the same text to every local viewer of the race. The channel layer thus carries
one copy of a message per process instead of one per browser (in-memory, channels_redis core and
pub/sub layers alike); the events themselves are unchanged on the wire.

`race.state` (rare) is the exception: every viewer gets its own `me`, so it is encoded per viewer.

A viewer that joins is *pending* until its snapshot went out: events that arrive meanwhile are
kept and written after the snapshot, in order (the same order a consumer that joined the group
before its snapshot saw). A viewer whose send fails is dropped and the others go on; sends are
awaited one after the other because the server's send only queues the bytes on the socket (it
never waits for a slow browser).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import Awaitable, Callable

from channels.layers import get_channel_layer
from channels.sessions import InstanceSessionWrapper

from . import protocol

log = logging.getLogger(__name__)
# The layers drop a group membership after `group_expiry` (a day by default); a subscription
# outlives any one browser, so it renews its membership well before that.
RENEW_S = 3600.0


def websocket_send(send: Callable[[dict], Awaitable[None]]) -> Callable[[dict], Awaitable[None]]:
    """The server's own send under Channels' session middleware, whose wrapper only acts on
    `http.response.start` (it saves the session and sets its cookie) but reads the lazy session
    on every message: per frame and browser that was ~5 % of a daphne's time."""
    owner = getattr(send, "__self__", None)
    if isinstance(owner, InstanceSessionWrapper) and "websocket.send" not in owner.save_message_types:
        return websocket_send(owner.real_send)
    return send


class Viewer:
    """One websocket: `send` takes an ASGI message; `me` is its part of `race.state`."""

    __slots__ = ("send", "me", "pending", "__weakref__")

    def __init__(self, send: Callable[[dict], Awaitable[None]], me: dict | None = None) -> None:
        self.send = websocket_send(send)
        self.me = me
        self.pending: list[str] | None = []  # texts held back until the snapshot went out

    async def write(self, text: str) -> None:
        if self.pending is not None:
            self.pending.append(text)
        else:
            await self.send({"type": "websocket.send", "text": text})

    async def ready(self) -> None:
        """The snapshot went out: write what arrived meanwhile, then go live."""
        while self.pending:
            text = self.pending.pop(0)
            await self.send({"type": "websocket.send", "text": text})
        self.pending = None


class _Race:
    def __init__(self, hub: Hub, race_id: str) -> None:
        self.hub = hub
        self.race_id = race_id
        self.group = protocol.race_group(race_id)
        self.layer = get_channel_layer()
        self.viewers: dict[Viewer, None] = {}  # an ordered set
        self.channel: str | None = None
        self.tasks: list[asyncio.Task] = []
        self.opened = asyncio.ensure_future(self._open())

    async def _open(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self.tasks = [asyncio.ensure_future(self._receive_loop()), asyncio.ensure_future(self._renew())]

    async def close(self) -> None:
        try:
            await asyncio.shield(self.opened)
        except Exception:
            return
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.layer.group_discard(self.group, self.channel)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW_S)
            try:
                await self.layer.group_add(self.group, self.channel)
            except Exception:
                log.exception("race %s: renewing the group membership failed", self.race_id)

    async def _receive_loop(self) -> None:
        while True:
            try:
                event = await self.layer.receive(self.channel)
            except Exception:  # e.g. Redis went away: the layers reconnect on the next call
                log.exception("race %s: receiving from the channel layer failed", self.race_id)
                await asyncio.sleep(1)
                continue
            try:
                await self.deliver(event)
            except Exception:  # one bad event must not end the race's stream
                log.exception("fan-out of an event of race %s failed", self.race_id)

    async def deliver(self, event: dict) -> None:
        kind = event.get("type")
        if kind not in protocol.TYPES:
            log.warning("race %s: dropped a group message of unknown type %r", self.race_id, kind)
            return
        per_viewer = kind == "race.state"
        text = None if per_viewer else json.dumps(event)
        for viewer in list(self.viewers):
            try:
                await viewer.write(json.dumps({**event, "me": viewer.me}) if per_viewer else text)
            except Exception:
                log.warning("race %s: dropped a viewer whose send failed", self.race_id, exc_info=True)
                self.hub.leave(self.race_id, viewer)


class Hub:
    """The fan-out of one event loop (get it with `hub()`)."""

    def __init__(self) -> None:
        self.races: dict[str, _Race] = {}
        self._closing: set[asyncio.Task] = set()

    async def join(self, race_id, viewer: Viewer) -> None:
        """Add a (pending) viewer; returns once the race's group subscription is in place."""
        race_id = str(race_id)
        race = self.races.get(race_id)
        if race is None:
            race = self.races[race_id] = _Race(self, race_id)
        race.viewers[viewer] = None
        try:
            await asyncio.shield(race.opened)
        except BaseException:
            self.leave(race_id, viewer)
            raise

    def leave(self, race_id, viewer: Viewer) -> None:
        """Remove a viewer (again: no-op); the last one out ends the race's subscription."""
        race_id = str(race_id)
        race = self.races.get(race_id)
        if race is None or viewer not in race.viewers:
            return
        del race.viewers[viewer]
        if not race.viewers:
            del self.races[race_id]
            task = asyncio.ensure_future(race.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def settle(self) -> None:
        """Wait until every ended subscription has left its group (for tests)."""
        while self._closing:
            await asyncio.gather(*list(self._closing), return_exceptions=True)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The hub of the running event loop."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found
