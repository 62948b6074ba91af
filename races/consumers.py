"""The race websocket: a full snapshot on (re)connect, then the race's events as they happen.

Browsers send one kind of message: `{"type": "speed.set", "value": <multiplier>}` from the
racer whose run is live; the server answers `speed.ack` with the value applied, or `error`.
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import access, fanout, live_control, protocol, router
from .live import use_event_loop
from .models import Race

log = logging.getLogger(__name__)
NO_ACCESS = 4404  # close code: unknown race or no access (the websocket twin of a 404)


@database_sync_to_async
def load_visible_race(scope, race_id) -> Race | None:
    try:
        race = access.load_race(race_id)
    except Exception:
        return None
    viewer = SimpleNamespace(user=scope.get("user"), session=scope.get("session") or {})
    if viewer.user is None or not access.can_view(viewer, race):
        return None
    return race


@database_sync_to_async
def snapshot(race: Race, user) -> dict:
    return live_control.snapshot(race, user)


class RaceConsumer(AsyncJsonWebsocketConsumer):
    """The race's events reach the browser through this process's fan-out hub (races/fanout.py):
    one channel-layer subscription per race and process, one JSON encoding per event, not one
    group membership per browser.

    Order on connect: the viewer joins the hub (the race's group subscription is in place)
    before the snapshot is read; events that arrive meanwhile are held and written right after
    the snapshot. So nothing between the snapshot and the live stream is lost (at worst an event
    already reflected in the snapshot arrives once more, as it did when the consumer joined the
    group itself before its snapshot); the browser re-renders from any later `race.state`, and
    frames are self-contained."""

    async def connect(self):
        self.race_id = self.scope["url_route"]["kwargs"]["race_id"]
        race = await load_visible_race(self.scope, self.race_id)
        if race is None:
            await self.close(code=NO_ACCESS)
            return
        use_event_loop(asyncio.get_running_loop())
        user = self.scope.get("user")
        me = {"user_id": getattr(user, "pk", None),
              "is_organizer": getattr(user, "pk", None) == race.organizer_id}
        self.race_pk = race.pk
        self.viewer = fanout.Viewer(self.base_send, me)
        await fanout.hub().join(race.pk, self.viewer)
        try:
            await self.accept()
            await self.send_json(await snapshot(race, user))
            await self.viewer.ready()
        except BaseException:
            fanout.hub().leave(race.pk, self.viewer)
            raise

    async def disconnect(self, code):
        if hasattr(self, "viewer"):
            fanout.hub().leave(self.race_pk, self.viewer)

    async def receive_json(self, content, **kwargs):
        user = self.scope.get("user")
        try:
            _, payload = protocol.parse_browser_message(content)
            applied = await router.set_speed(self.race_pk, user, payload["value"])
        except (protocol.ProtocolError, router.CommandRefused) as exc:
            log.warning("speed change refused for user %s in race %s: %s",
                        getattr(user, "pk", None), self.race_pk, exc)
            await self.send_json(protocol.error(str(exc)))
            return
        await self.send_json(protocol.speed_ack(applied))
