"""The race websocket: a full snapshot on (re)connect, then the race's events as they happen.

Browsers send two kinds of message: `{"type": "speed.set", "value": <multiplier>}` from the
racer whose run is live, which the server answers with `speed.ack` (the value applied) or
`error`; and `{"type": "camera.watch", "on": true|false}` from any viewer, unanswered, which
turns that socket's `run.camera` events on or off (the fan-out writes them only where asked).
Anything else (not JSON, not an object, a binary or oversized frame, an unknown type) is
answered with an `error` naming the problem, and the socket stays open. Each socket may send
`RATE_PER_S` messages a second (bursts of `BURST`); the excess is dropped, with one `error`
and one log line per `FLOOD_WINDOW_S`. Refused speed changes are logged once per socket and
window too (the browser is told each time).

A socket whose access ends while it is open (invitation link reset, racer removed, race closed
or deleted) is closed with `NO_ACCESS` by the fan-out (races/fanout.py, `access.announce_change`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import access, fanout, live_control, protocol, router
from .live import use_event_loop
from .models import Race

log = logging.getLogger(__name__)
NO_ACCESS = fanout.NO_ACCESS  # close code: unknown race or no access (the websocket twin of a 404)
# A speed.set is about 40 characters; a frame far larger is not from our page, and is refused
# before parsing. Daphne itself drops a connection whose message passes 1 MiB (its
# --websocket-max-message-size), which bounds the memory a frame can take.
MAX_MESSAGE_CHARS = 4096
# The page sends at most one speed.set per 100 ms while the slider is dragged (SPEED_SEND_MS in
# live.js): 10 a second sustained is all a human can use. The burst of 20 absorbs timers that
# bunch up after a busy tab or a stalled network, and a few quick clicks on < / >, so a real
# racer never sees the limit; a script sending thousands is cut to the same 10 a second.
RATE_PER_S = 10.0
BURST = 20
# While a socket floods: one `error` to it and one warning in the log per window, not one per message.
FLOOD_WINDOW_S = 10.0


def clock() -> float:
    """Seconds on a monotonic clock (tests replace it)."""
    return time.monotonic()


class TokenBucket:
    """`rate` messages a second on average, up to `burst` at once."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), now

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Throttle:
    """Reports at most one occurrence per `window_s`; counts the others."""

    def __init__(self, window_s: float) -> None:
        self.window_s, self.until, self.skipped = window_s, float("-inf"), 0

    def due(self, now: float) -> int | None:
        """None while the window of the last report lasts (this one is counted); else a new
        window starts and the answer is how many were counted in the last one."""
        if now < self.until:
            self.skipped += 1
            return None
        skipped, self.skipped, self.until = self.skipped, 0, now + self.window_s
        return skipped


def parse_message(text: str | None, data: bytes | None) -> tuple[object, str | None]:
    """A browser's frame decoded from JSON, or None and what is wrong with it (what the JSON
    must hold is the protocol's to say: `protocol.parse_browser_message`)."""
    if text is None:
        return None, "binary frames are not accepted: send a JSON object as text"
    if len(text) > MAX_MESSAGE_CHARS:
        return None, f"message too large: at most {MAX_MESSAGE_CHARS} characters"
    try:
        content = json.loads(text)
    except ValueError:
        return None, "message is not valid JSON"
    except RecursionError:
        return None, "message is nested too deeply"
    return content, None


def overlay_key(scope) -> str | None:
    """The overlay key an OBS browser source connects with (`?key=`), if any."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("key")
    return values[0][:64] if values else None


@database_sync_to_async
def load_visible_race(scope, race_id) -> tuple[Race, access.Visitor] | None:
    """The race and who is asking, if they may see it (the session is read here, off the loop)."""
    try:
        race = access.load_race(race_id)
    except Exception:
        return None
    user, session, key = scope.get("user"), scope.get("session") or {}, overlay_key(scope)
    if user is None or not access.can_view(SimpleNamespace(user=user, session=session), race, key):
        return None
    return race, access.Visitor.of(user, session, race.pk, key)


@database_sync_to_async
def visible_snapshot(race: Race, visitor: access.Visitor, user) -> dict | None:
    """The snapshot, or None if the visitor lost access since the check on connect."""
    if visitor not in access.who_may_view(race.pk, [visitor]):
        return None
    return live_control.snapshot(race, user)


class RaceConsumer(AsyncJsonWebsocketConsumer):
    """The race's events reach the browser through this process's fan-out hub (races/fanout.py):
    one channel-layer subscription per race and process, one JSON encoding per event, not one
    group membership per browser.

    Order on connect: access is checked, the viewer joins the hub (the race's group subscription
    is in place), then access is checked again with the snapshot: a revocation committed before
    that check refuses the socket, one committed after it is announced on the subscription and
    closes it. Events that arrive before the snapshot went out are held and written right after
    it. So nothing between the snapshot and the live stream is lost (at worst an event already
    reflected in the snapshot arrives once more); the browser re-renders from any later
    `race.state`, and frames are self-contained."""

    async def connect(self):
        self.race_id = self.scope["url_route"]["kwargs"]["race_id"]
        found = await load_visible_race(self.scope, self.race_id)
        if found is None:
            await fanout.refuse(self)
            return
        race, visitor = found
        use_event_loop(asyncio.get_running_loop())
        user = self.scope.get("user")
        me = {"user_id": getattr(user, "pk", None),
              "is_organizer": getattr(user, "pk", None) == race.organizer_id}
        self.race_pk = race.pk
        self.bucket = TokenBucket(RATE_PER_S, BURST, clock())
        self.flood, self.refusals = Throttle(FLOOD_WINDOW_S), Throttle(FLOOD_WINDOW_S)
        self.viewer = fanout.Viewer(self.base_send, me, visitor)
        await fanout.hub().join(race.pk, self.viewer)
        try:
            state = await visible_snapshot(race, visitor, user)
            if state is None:
                fanout.hub().leave(race.pk, self.viewer)
                await fanout.refuse(self)
                return
            await self.accept()
            await self.send_json(state)
            await self.viewer.ready()
        except BaseException:
            fanout.hub().leave(race.pk, self.viewer)
            raise

    async def disconnect(self, code):
        if hasattr(self, "viewer"):
            fanout.hub().leave(self.race_pk, self.viewer)
            if self.flood.skipped:  # the last window's count, which no later warning reported
                log.warning("race %s: user %s: %d more messages dropped before the socket closed",
                            self.race_id, self.user_id(), self.flood.skipped)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Every frame spends a token before it is even parsed; bad frames get an `error`."""
        if self.viewer.close_code is not None:  # its access ended: the socket is closing
            return
        now = clock()
        if not self.bucket.take(now):
            await self.refuse_flood(now)
            return
        content, problem = parse_message(text_data, bytes_data)
        if problem is not None:
            await self.send_json(protocol.error(problem))
            return
        await self.receive_json(content)

    async def refuse_flood(self, now: float) -> None:
        """Drop a message over the rate; the first of each window is answered and logged."""
        skipped = self.flood.due(now)
        if skipped is None:
            return
        log.warning("race %s: user %s sends over %g messages a second: dropping the excess for %g s "
                    "(%d more dropped in the window before)", self.race_id, self.user_id(), RATE_PER_S,
                    FLOOD_WINDOW_S, skipped)
        await self.send_json(protocol.error("too many messages: slow down"))

    def user_id(self) -> int | None:
        return getattr(self.scope.get("user"), "pk", None)

    async def receive_json(self, content, **kwargs):
        user = self.scope.get("user")
        try:
            kind, payload = protocol.parse_browser_message(content)
            if kind == "camera.watch":
                self.viewer.camera = payload["on"]
                return
            applied = await router.set_speed(self.race_pk, user, payload["value"])
        except (protocol.ProtocolError, router.CommandRefused) as exc:
            skipped = self.refusals.due(clock())  # a script within the rate must not fill the log either
            if skipped is not None:
                log.warning("speed change refused for user %s in race %s: %s (%d more refused in the "
                            "last %g s)", self.user_id(), self.race_pk, exc, skipped, FLOOD_WINDOW_S)
            await self.send_json(protocol.error(str(exc)))
            return
        await self.send_json(protocol.speed_ack(applied))
