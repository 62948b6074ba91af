"""Per-process fan-out of race events to the websockets of this process.

Each server process (each event loop) has one `Hub`. For every race with at least one local
viewer the hub holds ONE channel-layer subscription: a channel from `layer.new_channel()` in
`protocol.race_group(race_id)`, and one task that receives each event once, encodes it to JSON
once and writes the same text to every local viewer of the race. The channel layer thus carries
one copy of a message per process instead of one per browser (in-memory, channels_redis core and
pub/sub layers alike); the events themselves are unchanged on the wire.

`race.state` (rare) is the exception: every viewer gets its own `me`, so it is encoded per viewer.
`run.camera` (a JPEG, a few a second) goes only to the viewers that asked for it (`camera.watch`:
a visible LIVE page), so overlays and hidden tabs do not carry the images.

Under daphne the hub also frames each event once: the websocket frame of a server message is
not masked, so the same bytes suit every browser (autobahn's prepared messages, made for
broadcast). And it sends them on the socket at once when nothing is queued before them (a
browser that keeps up), where Twisted would register the socket for writing, wait a loop turn
and unregister it: two epoll calls and much Python per frame and browser. Bytes it cannot send
at once go to the transport, which sends them in order when the socket drains. Per frame and
browser that is a few microseconds instead of the ASGI send's tens. Any other server (and
channels' test communicator) gets the plain ASGI `websocket.send`.

A viewer that joins is *pending* until its snapshot went out: events that arrive meanwhile are
kept and written after the snapshot, in order (the same order a consumer that joined the group
before its snapshot saw). A viewer whose send fails is dropped and the others go on; sends are
awaited one after the other because the server's send only queues the bytes on the socket (it
never waits for a slow browser).

Access: an organizer action that may end someone's access (access.announce_change) sends a
`race.access` event to the race's group, so it reaches the hub of every server process. The hub
re-checks its viewers of that race in one database call, off the event loop and off the receive
loop (frames go on meanwhile), and closes the websockets of those who lost access with
`NO_ACCESS`. The event itself is not written to browsers; frames pay nothing for this.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import weakref
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.sessions import InstanceSessionWrapper

from . import access, protocol

try:  # the server this project runs on; without it every viewer takes the ASGI path
    from autobahn.websocket.protocol import PreparedMessage
    from daphne.ws_protocol import WebSocketProtocol as DaphneSocket
except ImportError:  # pragma: no cover
    PreparedMessage = DaphneSocket = None

log = logging.getLogger(__name__)
# The layers drop a group membership after `group_expiry` (a day by default); a subscription
# outlives any one browser, so it renews its membership well before that.
RENEW_S = 3600.0
# A browser that stopped reading (a frozen tab, a dead link) would make its server buffer every
# frame for it. Past this backlog (about a minute of frames) its connection is dropped; the page
# reconnects by itself and starts again from a fresh snapshot.
MAX_BACKLOG_BYTES = 1024 * 1024
NO_ACCESS = 4404  # close code: unknown race or no access (the websocket twin of a 404)
# A re-check of access that fails (the database is away) is tried again after this long: a
# revocation must not be lost.
RECHECK_RETRY_S = 5.0


async def refuse(consumer) -> None:
    """Refuse a socket with `NO_ACCESS` that its page can read. A close before the accept is an
    HTTP 403 to the handshake, which a browser reports only as 1006, as for a server that is
    away: a page whose access ended while it was reconnecting would try again for ever. So the
    socket is accepted and closed at once, before anything is sent: the stranger learns nothing
    more than the 404 a page gets."""
    await consumer.accept()
    await consumer.close(code=NO_ACCESS)


def websocket_send(send: Callable[[dict], Awaitable[None]]) -> Callable[[dict], Awaitable[None]]:
    """The server's own send under Channels' session middleware, whose wrapper only acts on
    `http.response.start` (it saves the session and sets its cookie) but reads the lazy session
    on every message: per frame and browser that was ~5 % of a daphne's time."""
    owner = getattr(send, "__self__", None)
    if isinstance(owner, InstanceSessionWrapper) and "websocket.send" not in owner.save_message_types:
        return websocket_send(owner.real_send)
    return send


def daphne_socket(send: Callable[[dict], Awaitable[None]]):
    """The daphne websocket behind an ASGI send, or None: daphne hands every application
    `partial(server.handle_reply, protocol)`, whose protocol is the autobahn connection."""
    if DaphneSocket is None or not isinstance(send, functools.partial) or not send.args:
        return None
    socket = send.args[0]
    if getattr(send.func, "__name__", "") != "handle_reply" or not isinstance(socket, DaphneSocket):
        return None
    return socket


def send_now(transport, data: bytes) -> None:
    """Write `data` on a Twisted TCP transport: straight to the socket when nothing is waiting
    in the transport's buffers, the rest (or all, on TLS or a busy socket) through the transport."""
    if (not transport.TLS and transport.connected and not transport.disconnecting
            and not transport._tempDataBuffer and transport.offset == len(transport.dataBuffer)):
        try:
            sent = transport.socket.send(data)
        except OSError:  # full (EAGAIN), or broken: the transport finds out and reports it
            sent = 0
        if sent == len(data):
            return
        data = data[sent:]
    transport.write(data)


def backlog(transport) -> int:
    """Bytes written to a Twisted transport that the socket has not taken yet."""
    return len(transport.dataBuffer) - transport.offset + transport._tempDataLen


def _can_send_now(transport) -> bool:
    """The transport has the buffers `send_now` and `backlog` look at (Twisted's TCP
    connections do)."""
    return all(hasattr(transport, name) for name in (
        "TLS", "connected", "disconnecting", "_tempDataBuffer", "_tempDataLen", "offset",
        "dataBuffer", "socket"))


class Gone(Exception):
    """The browser's websocket is no longer open."""


class Message:
    """One event's text, and its websocket frame made the first time a daphne viewer needs it."""

    __slots__ = ("text", "_frame")

    def __init__(self, text: str) -> None:
        self.text = text
        self._frame = None

    @property
    def frame(self):
        if self._frame is None:
            # a server frame is unmasked; autobahn compresses per socket if one negotiated it
            self._frame = PreparedMessage(self.text.encode(), False, False, False)
        return self._frame


class Viewer:
    """One websocket: `send` takes an ASGI message; `me` is its part of `race.state`;
    `visitor` (an access.Visitor) is whom it belongs to; `socket` is the daphne connection to
    write prepared frames to, when there is one; `close_code` is set once its access ended;
    `camera` is whether it asked for `run.camera` events."""

    __slots__ = ("send", "socket", "direct", "me", "visitor", "pending", "close_code", "camera",
                 "__weakref__")

    def __init__(self, send: Callable[[dict], Awaitable[None]], me: dict | None = None,
                 visitor: access.Visitor | None = None) -> None:
        self.send = websocket_send(send)
        self.socket = daphne_socket(self.send)
        self.direct = self.socket is not None and _can_send_now(self.socket.transport)
        self.me = me
        self.visitor = visitor
        self.pending: list[Message] | None = []  # held back until the snapshot went out
        self.close_code: int | None = None
        self.camera = False

    def push(self, message: Message) -> bool:
        """Queue a frame on the socket without awaiting anything; False if this viewer needs
        `write` (pending, or not on daphne)."""
        socket = self.socket
        if socket is None or self.pending is not None:
            return False
        if socket.state != socket.STATE_OPEN:
            raise Gone
        if self.direct and socket._perMessageCompress is None and not socket.send_queue:
            if backlog(socket.transport) > MAX_BACKLOG_BYTES:
                log.warning("dropped a browser over %d bytes behind the race", MAX_BACKLOG_BYTES)
                socket.dropConnection(abort=True)
                raise Gone
            send_now(socket.transport, message.frame.payloadHybi)
        else:
            socket.sendPreparedMessage(message.frame)
        return True

    async def write(self, message: Message) -> None:
        if self.pending is not None:
            self.pending.append(message)
        else:
            await self.send({"type": "websocket.send", "text": message.text})

    async def ready(self) -> None:
        """The snapshot went out: write what arrived meanwhile, then go live (or close, if its
        access ended meanwhile)."""
        while self.pending:
            message = self.pending.pop(0)
            await self.send({"type": "websocket.send", "text": message.text})
        self.pending = None
        if self.close_code is not None:
            await self.send({"type": "websocket.close", "code": self.close_code})

    async def end(self, code: int) -> None:
        """Close the websocket with `code`; one still connecting closes after its snapshot
        (`ready`), since it cannot be closed before the consumer accepted it."""
        if self.close_code is not None:
            return
        self.close_code = code
        if self.pending is None:
            await self.send({"type": "websocket.close", "code": code})


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
        self.recheck: asyncio.Task | None = None  # the re-check of access under way
        self.recheck_again = False  # another access change arrived during it

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
        if kind == access.ACCESS_CHANGED:  # for the servers, not the browsers
            self.access_changed(event)
            return
        if kind not in protocol.TYPES:
            log.warning("race %s: dropped a group message of unknown type %r", self.race_id, kind)
            return
        per_viewer = kind == "race.state"
        viewers = list(self.viewers)
        if kind == "run.camera":
            viewers = [viewer for viewer in viewers if viewer.camera]
            if not viewers:
                return  # nobody watches: not even encoded
        shared = None if per_viewer else Message(json.dumps(event))
        for viewer in viewers:
            message = Message(json.dumps({**event, "me": viewer.me})) if per_viewer else shared
            try:
                if not viewer.push(message):  # pending, or not on daphne
                    await viewer.write(message)
            except Gone:
                self.hub.leave(self.race_id, viewer)
            except Exception:
                log.warning("race %s: dropped a viewer whose send failed", self.race_id, exc_info=True)
                self.hub.leave(self.race_id, viewer)

    def access_changed(self, event: dict) -> None:
        """Start a re-check of this race's viewers, or have the one under way run once more
        (it may have read the database before this change): changes coalesce."""
        log.info("race %s: access changed (%s): re-checking %d viewers",
                 self.race_id, event.get("reason"), len(self.viewers))
        if self.recheck is not None:
            self.recheck_again = True
        else:
            self.recheck = asyncio.ensure_future(self._recheck_access())

    async def _recheck_access(self) -> None:
        try:
            self.recheck_again = True
            while self.recheck_again and self.viewers:
                self.recheck_again = False
                viewers = list(self.viewers)
                # a viewer that does not say whom it belongs to cannot be re-checked: it is closed
                visitors = [viewer.visitor for viewer in viewers if viewer.visitor is not None]
                try:
                    allowed = await database_sync_to_async(access.who_may_view)(self.race_id, visitors)
                except Exception:
                    log.exception("race %s: re-checking access failed; trying again", self.race_id)
                    self.recheck_again = True
                    await asyncio.sleep(RECHECK_RETRY_S)
                    continue
                lost = [viewer for viewer in viewers if viewer.visitor not in allowed]
                for viewer in lost:  # out of the stream at once, before any await
                    self.hub.leave(self.race_id, viewer)
                for viewer in lost:
                    try:
                        await viewer.end(NO_ACCESS)
                    except Exception:  # already gone
                        log.debug("race %s: closing a viewer failed", self.race_id, exc_info=True)
                if lost:
                    log.info("race %s: closed %d websockets that lost access", self.race_id, len(lost))
        finally:
            self.recheck = None


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
