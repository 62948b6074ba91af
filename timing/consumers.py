"""The timekeeper pages' websocket: the desk as it changes (`timekeeper.state`) and every timer
crossing (`timer.crossing`). Read-only: the buttons go through the REST API, which checks the
role on every action. Who may not read the desk gets the race's 4404, as on the race socket."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError

from races import protocol
from races.fanout import NO_ACCESS
from races.models import Race

from . import desk, roles


@database_sync_to_async
def _snapshot(user, race_id) -> dict | None:
    """The desk for someone who may read it (organizer, timekeeper, commentator), else None."""
    try:
        race = Race.objects.filter(pk=race_id).first()
    except ValidationError:  # a malformed id is just an unknown race
        return None
    if race is None or not roles.may(user, race, roles.READ):
        return None
    return protocol.timekeeper_state(desk.view(race))


class TimekeeperConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.race_id = self.scope["url_route"]["kwargs"]["race_id"]
        self.group = None
        if await _snapshot(self.scope.get("user"), self.race_id) is None:  # the access check
            await self.close(code=NO_ACCESS)
            return
        # Joined before the snapshot it sends is read: a change in between arrives after it (an
        # older state arriving later is dropped by the page, by its version), never lost.
        self.group = desk.timekeeper_group(self.race_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        snapshot = await _snapshot(self.scope.get("user"), self.race_id)
        if snapshot is None:  # access ended in between
            await self.close(code=NO_ACCESS)
            return
        await self.send_json(snapshot)

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        await self.send_json(protocol.error("this socket only listens: POST /api/races/{id}/timekeeper/ to act"))

    async def timekeeper_state(self, event):
        await self.send_json(event)

    async def timer_crossing(self, event):
        await self.send_json(event)
