"""/ws/races/{id}/timekeeper/: the desk as it changes, for the organizer and staff only."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from timing import desk

pytestmark = pytest.mark.django_db(transaction=True)
app = URLRouter(websocket_urlpatterns)


async def open_socket(race, user):
    comm = WebsocketCommunicator(app, f"/ws/races/{race.pk}/timekeeper/")
    comm.scope["user"], comm.scope["session"] = user, {}
    return comm, await comm.connect()


async def test_a_stranger_and_a_racer_get_4404(in_person_race, mallory, bob):
    for user in (mallory, bob):
        comm, (connected, code) = await open_socket(in_person_race, user)
        assert not connected and code == 4404
        await comm.disconnect()


async def test_a_timekeeper_gets_the_desk_then_every_change(in_person_race, dave, timekeeper, bob):
    comm, (connected, _) = await open_socket(in_person_race, dave)
    assert connected
    first = await comm.receive_json_from()
    assert first["type"] == "timekeeper.state" and first["desk"]["turn"] is None
    assert [row["alias"] for row in first["desk"]["queue"]] == ["BobTheRacer", "CharlieC"]
    await sync_to_async(desk.act)(in_person_race, "start", racer_id=bob.pk, car="Car 7")
    change = await comm.receive_json_from(timeout=5)
    assert change["desk"]["turn"]["racer"] == "BobTheRacer" and change["desk"]["turn"]["state"] == "waiting"
    await comm.send_json_to({"type": "speed.set", "value": 2})
    assert (await comm.receive_json_from())["type"] == "error"  # it only listens
    await comm.disconnect()
