"""The timekeeper pages' websocket: the desk as it changes (`timekeeper.state`) and every timer
crossing (`timer.crossing`). Read-only: the buttons go through the REST API, which checks the
role on every action. Who may not read the desk gets the race's 4404, as on the race socket.

The timekeeper group carries the desk's events as `timekeeper.frames` (their JSON, encoded once
by `desk.publish` for every page); `timekeeper.state` and `timer.crossing` sent to the group as
they are (by a server of the version before) are relayed too."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError

from races import fanout, protocol
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


@database_sync_to_async
def _may_read(user, race_id) -> bool:
    race = Race.objects.filter(pk=race_id).first()
    return race is not None and roles.may(user, race, roles.READ)


class TimekeeperConsumer(AsyncJsonWebsocketConsumer):
    viewer: fanout.Viewer | None = None  # the socket, once its snapshot went out

    async def dispatch(self, message):
        # The desk's frames touch no database: they skip the hop to a thread that channels makes
        # before every handler to close stale database connections.
        if message["type"] == desk.FRAMES:
            await self.timekeeper_frames(message)
        else:
            await super().dispatch(message)

    async def timekeeper_frames(self, event):
        """The desk's events as JSON texts (`desk.publish` encoded them once for every page),
        written as they are: under daphne straight to the socket, as the race pages' hub does."""
        if self.viewer is None:  # not accepted (no access): nothing to write to
            return
        for text in event["texts"]:
            message = fanout.Message(text)
            try:
                if not self.viewer.push(message):
                    await self.viewer.write(message)
            except fanout.Gone:  # closing: its disconnect follows
                return

    async def connect(self):
        self.race_id = self.scope["url_route"]["kwargs"]["race_id"]
        self.group = None
        if await _snapshot(self.scope.get("user"), self.race_id) is None:  # the access check
            await fanout.refuse(self)
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
        self.viewer = fanout.Viewer(self.base_send)
        await self.viewer.ready()  # nothing held back: live from here

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        await self.send_json(protocol.error("this socket only listens: POST /api/races/{id}/timekeeper/ to act"))

    async def timekeeper_access(self, event):
        """Staff were removed (roles.remove_staff): whoever may no longer read the desk is closed."""
        if self.viewer is not None and not await _may_read(self.scope.get("user"), self.race_id):
            await self.close(code=NO_ACCESS)

    async def timekeeper_state(self, event):
        await self.send_json(event)

    async def timer_crossing(self, event):
        await self.send_json(event)
