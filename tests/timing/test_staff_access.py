"""Staff see the race they work, through the one rule of races/access.py: dave, whom alice invites
on the Trackside setup of her private in-person race without a place in it, opens its page, its
board, the commentator's view (as commentator) and its live websocket; a stranger gets 404 on all
of it; and removing dave (page or API) ends his access like removing a racer: 404, socket closed."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.test import APIClient

from config.routing import websocket_urlpatterns
from races import access, fanout
from tests.sockets import refused as socket_refused
from timing.models import RaceStaff

app = URLRouter(websocket_urlpatterns)
NO_ACCESS = 4404


def pages(race) -> list[str]:
    return [f"/races/{race.pk}/", f"/races/{race.pk}/leaderboard.json", f"/races/{race.pk}/commentator/"]


def invite(as_alice, race, name: str, role: str) -> None:
    response = as_alice.post(f"/races/{race.pk}/trackside/", {"what": "invite", "user": name, "role": role})
    assert response.status_code == 302


def test_a_trackside_commentator_opens_the_private_races_pages_and_the_commentators_view(
        in_person_race, as_alice, dave, mallory):
    assert not in_person_race.is_public and not in_person_race.participants.filter(user=dave).exists()
    invite(as_alice, in_person_race, "DaveTheTimekeeper", "commentator")
    as_dave, as_mallory = Client(), Client()
    as_dave.force_login(dave)
    as_mallory.force_login(mallory)
    for path in pages(in_person_race):
        assert as_dave.get(path).status_code == 200, path
        assert as_mallory.get(path).status_code == 404, path
        assert Client().get(path).status_code == 404, path


def test_a_timekeeper_sees_the_race_but_not_the_commentators_view(in_person_race, as_alice, dave, timekeeper):
    as_dave = Client()
    as_dave.force_login(dave)
    assert as_dave.get(f"/races/{in_person_race.pk}/").status_code == 200
    assert as_dave.get(f"/races/{in_person_race.pk}/commentator/").status_code == 403


def test_removed_staff_get_404_again(in_person_race, as_alice, dave):
    invite(as_alice, in_person_race, "DaveTheTimekeeper", "commentator")
    staff = RaceStaff.objects.get(race=in_person_race, user=dave)
    as_alice.post(f"/races/{in_person_race.pk}/trackside/", {"what": "remove", "staff": staff.pk})
    as_dave = Client()
    as_dave.force_login(dave)
    for path in pages(in_person_race):
        assert as_dave.get(path).status_code == 404, path


def test_who_may_view_asks_one_query_more_for_staff(in_person_race, dave, mallory, bob, timekeeper,
                                                    django_assert_num_queries):
    visitors = [access.Visitor(user.pk, None) for user in (dave, mallory, bob)]
    race = type(in_person_race).objects.get(pk=in_person_race.pk)
    with django_assert_num_queries(2):  # participants, then staff for who is not a racer
        allowed = access._may_view(race, visitors)
    assert allowed == {visitors[0], visitors[2]}


async def connect(race, user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(app, f"/ws/races/{race.pk}/")
    comm.scope["user"], comm.scope["session"] = user, {}
    connected, code = await comm.connect()
    assert connected, code
    assert (await comm.receive_json_from())["type"] == "race.state"
    return comm


async def refused(race, user) -> bool:
    comm = WebsocketCommunicator(app, f"/ws/races/{race.pk}/")
    comm.scope["user"], comm.scope["session"] = user, {}
    return await socket_refused(comm)


async def remove_as(organizer, staff, api: bool) -> int:
    def call():
        client = APIClient() if api else Client()
        client.force_login(organizer)
        if api:
            return client.delete(f"/api/races/{staff.race_id}/staff/{staff.pk}/").status_code
        return client.post(f"/races/{staff.race_id}/trackside/", {"what": "remove", "staff": staff.pk}).status_code

    return await database_sync_to_async(call)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("api", [False, True], ids=["trackside page", "api"])
async def test_staff_watch_the_live_socket_until_removed(in_person_race, alice, dave, mallory, api):
    staff = await database_sync_to_async(RaceStaff.objects.create)(race=in_person_race, user=dave, role="commentator")
    assert await refused(in_person_race, mallory)
    comms = []
    try:
        comms = [await connect(in_person_race, dave), await connect(in_person_race, alice)]
        assert await remove_as(alice, staff, api) in (204, 302)
        assert await comms[0].receive_output(timeout=5) == {"type": "websocket.close", "code": NO_ACCESS}
        assert await refused(in_person_race, dave)
    finally:
        for comm in comms:
            await comm.disconnect()
        await fanout.hub().settle()
