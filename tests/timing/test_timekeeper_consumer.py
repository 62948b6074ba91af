"""/ws/races/{id}/timekeeper/: the desk as it changes, for the organizer and staff only."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from tests.sockets import refused
from timing import desk

pytestmark = pytest.mark.django_db(transaction=True)
app = URLRouter(websocket_urlpatterns)


def timekeeper_socket(race, user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(app, f"/ws/races/{race.pk}/timekeeper/")
    comm.scope["user"], comm.scope["session"] = user, {}
    return comm


async def open_socket(race, user):
    comm = timekeeper_socket(race, user)
    return comm, await comm.connect()


async def test_a_stranger_and_a_racer_get_4404(in_person_race, mallory, bob):
    for user in (mallory, bob):
        assert await refused(timekeeper_socket(in_person_race, user))


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


async def test_a_removed_timekeepers_desk_socket_closes_and_the_organizers_stays(in_person_race, alice, dave,
                                                                                  timekeeper, bob):
    """Removing staff ends their timekeeper socket too (it is not on the race's group), as a
    removed racer's race socket closes."""
    from django.test import Client

    mine, (connected, _) = await open_socket(in_person_race, dave)
    assert connected and (await mine.receive_json_from())["type"] == "timekeeper.state"
    hers, (connected, _) = await open_socket(in_person_race, alice)
    assert connected and (await hers.receive_json_from())["type"] == "timekeeper.state"

    def remove():
        client = Client()
        client.force_login(alice)
        return client.post(f"/races/{in_person_race.pk}/trackside/", {"what": "remove", "staff": timekeeper.pk})

    assert (await sync_to_async(remove)()).status_code == 302
    assert await mine.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}
    assert await hers.receive_nothing(0.3)  # the organizer's desk stays open
    await sync_to_async(desk.act)(in_person_race, "start", racer_id=bob.pk)
    assert (await hers.receive_json_from(timeout=5))["desk"]["turn"]["racer"] == "BobTheRacer"
    await mine.disconnect()
    await hers.disconnect()
