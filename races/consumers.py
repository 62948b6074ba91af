"""The race websocket: a full snapshot on (re)connect, then the race's events as they happen.

Browsers send one kind of message: `{"type": "speed.set", "value": <multiplier>}` from the
racer whose run is live; the server answers `speed.ack` with the value applied, or `error`.
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import access, live_control, protocol
from .live import SpeedRejected, set_speed_anywhere, use_event_loop
from .models import Race

log = logging.getLogger(__name__)
NO_ACCESS = 4404  # close code: unknown race or no access (the websocket twin of a 404)
# run id -> ((run id, step, ts), event, its JSON text): the last frame of each run, encoded
_frame_text: dict = {}


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
    async def connect(self):
        self.race_id = self.scope["url_route"]["kwargs"]["race_id"]
        race = await load_visible_race(self.scope, self.race_id)
        if race is None:
            await self.close(code=NO_ACCESS)
            return
        use_event_loop(asyncio.get_running_loop())
        self.organizer_id = race.organizer_id
        self.group = protocol.race_group(race.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json(await snapshot(race, self.scope.get("user")))

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("type") != "speed.set":
            await self.send_json({"type": "error", "v": protocol.VERSION, "message": "unknown message"})
            return
        user = self.scope.get("user")
        try:
            if user is None or not user.is_authenticated:
                raise SpeedRejected("log in to change the speed")
            applied = await database_sync_to_async(set_speed_anywhere)(
                self.race_id, user.pk, content.get("value"))
        except SpeedRejected as exc:
            log.warning("speed change refused for user %s in race %s: %s",
                        getattr(user, "pk", None), self.race_id, exc)
            await self.send_json({"type": "error", "v": protocol.VERSION, "message": str(exc)})
            return
        await self.send_json({"type": "speed.ack", "v": protocol.VERSION, "value": applied})

    async def dispatch(self, message):
        """Channel-layer events skip Channels' per-message `aclose_old_connections()`: their
        handlers below never touch the database, and that call is a hop to the one shared sync
        thread for every frame of every browser (at 15 Hz × hundreds of browsers per process it
        capped a daphne at ~2,000 messages/s with the CPU half idle; bench/live_bench.py)."""
        if message.get("type") in protocol.TYPES:
            handler = getattr(self, get_handler_name(message), None)
            if handler is not None:
                await handler(message)
                return
        await super().dispatch(message)

    # Events of the race group go to the browser unchanged; a snapshot gets this viewer's `me`.
    async def forward(self, event):
        await self.send_json(event)

    async def run_frame(self, event):
        """Every browser of the race in this process gets the same text: a frame is encoded once
        per process, not once per browser (the channel layer hands each consumer its own copy of
        the dict, so the copies are matched by run, step and emit time, then compared)."""
        key = (event.get("run_id"), (event.get("frame") or {}).get("step"), event.get("ts"))
        cached = _frame_text.get(key[0])
        if cached is not None and cached[0] == key and cached[1] == event:
            text = cached[2]
        else:
            text = await self.encode_json(event)
            if len(_frame_text) >= 256:
                _frame_text.clear()
            _frame_text[key[0]] = (key, event, text)
        await self.send(text_data=text)

    async def race_state(self, event):
        user = self.scope.get("user")
        me = {"user_id": getattr(user, "pk", None),
              "is_organizer": getattr(user, "pk", None) == self.organizer_id}
        await self.send_json({**event, "me": me})

    run_state = run_lap = forward
    queue_changed = leaderboard_changed = car_telemetry = forward
