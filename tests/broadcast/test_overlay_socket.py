"""The overlays' websocket: the race's stream opens with the overlay key and no account, for a
LIVE race and a Classic one alike; a wrong key is refused (4404), a public race's too; a reset
key closes it, on a public race too."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from config.routing import websocket_urlpatterns
from races import fanout
from tests.races.test_ws_revoked_access import as_organizer, assert_closed_for_no_access
from tests.sockets import refused

pytestmark = pytest.mark.django_db(transaction=True)
app = URLRouter(websocket_urlpatterns)


def socket(race, key):
    comm = WebsocketCommunicator(app, f"/ws/races/{race.pk}/?key={key}")
    comm.scope["user"], comm.scope["session"] = AnonymousUser(), {}
    return comm


@pytest.mark.parametrize("scene", ["live_race", "race"])
async def test_the_overlay_key_opens_the_race_stream(scene, request):
    race = await database_sync_to_async(request.getfixturevalue)(scene)
    comm = socket(race, race.overlay_token)
    try:
        connected, _ = await comm.connect()
        assert connected
        state = await comm.receive_json_from()
        assert state["type"] == "race.state" and state["race"]["name"] == race.name
    finally:
        await comm.disconnect()
        await fanout.hub().settle()


async def test_a_wrong_key_is_refused(live_race):
    assert await refused(socket(live_race, "not-the-key"))


async def test_a_wrong_key_is_refused_on_a_public_race_too(live_race):
    from races.models import Race

    await Race.objects.filter(pk=live_race.pk).aupdate(broadcast="public")
    assert await refused(socket(live_race, "not-the-key"))


@pytest.mark.parametrize("broadcast", ["private", "public"])
async def test_resetting_the_key_closes_the_overlays_at_once(live_race, alice, broadcast):
    from races.models import Race

    await Race.objects.filter(pk=live_race.pk).aupdate(broadcast=broadcast)
    comm = socket(live_race, live_race.overlay_token)
    try:
        assert (await comm.connect())[0]
        await comm.receive_json_from()
        assert await as_organizer(alice, "post", f"/races/{live_race.pk}/broadcast/overlay-key/reset/") == 302
        await assert_closed_for_no_access(comm)
    finally:
        await comm.disconnect()
        await fanout.hub().settle()
