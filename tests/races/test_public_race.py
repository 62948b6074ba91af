"""A LIVE race broadcast in *Public* is watchable read-only by anyone, without an account: its
page with the live view, leaderboard and COMING UP, its replays and its websocket. A private
race stays 404 to the same visitors, organizer actions still check the role, and a race made
private again closes the outsiders' websockets (the fan-out's re-check, one rule: access._may_view)."""

from __future__ import annotations

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from config.routing import websocket_urlpatterns
from races import access, fanout
from races.models import Race
from tests.races.test_ws_revoked_access import (
    as_organizer,
    assert_closed_for_no_access,
    assert_still_streaming,
)
from tests.sockets import refused

app = URLRouter(websocket_urlpatterns)


def make_public(race: Race) -> Race:
    Race.objects.filter(pk=race.pk).update(broadcast=Race.Broadcast.PUBLIC)
    race.refresh_from_db()
    return race


def test_anyone_watches_a_public_live_race_without_an_account(client, live_race):
    make_public(live_race)
    response = client.get(f"/races/{live_race.pk}/")
    assert response.status_code == 200
    assert b'id="live"' in response.content and b'id="public-viewer"' in response.content
    # a watcher is not handed the invitation, nor the overlay key
    assert live_race.invite_token.encode() not in response.content
    assert live_race.overlay_token.encode() not in response.content


def test_a_stranger_watches_a_public_race_but_cannot_control_it(as_mallory, live_race):
    make_public(live_race)
    assert as_mallory.get(f"/races/{live_race.pk}/").status_code == 200
    for suffix in ("edit/", "invitation/", "racers/"):
        assert as_mallory.get(f"/races/{live_race.pk}/{suffix}").status_code == 403
    for suffix in ("live/simulator/launch/", "invitation/reset/", "close/"):
        assert as_mallory.post(f"/races/{live_race.pk}/{suffix}").status_code == 403
    live_race.refresh_from_db()
    assert live_race.sim_state == "off" and live_race.closed_at is None


def test_a_private_live_race_stays_404_to_outsiders(client, as_mallory, live_race):
    assert live_race.broadcast == Race.Broadcast.PRIVATE
    for visitor in (client, as_mallory):
        response = visitor.get(f"/races/{live_race.pk}/")
        assert response.status_code == 404 and live_race.name.encode() not in response.content


def test_a_public_race_replay_is_public_and_a_private_one_is_not(client, live_race, bob):
    from races import record

    run = record.begin_run(live_race, bob.pk, model_name="Steady")
    record.save_trace(run.pk, [{"step": 1, "t": 0.1, "x": 0.0, "y": 0.0}], hz=15)
    url = f"/races/{live_race.pk}/runs/{run.pk}/trace/"
    assert client.get(url).status_code == 404
    make_public(live_race)
    response = Client().get(url)
    assert response.status_code == 200 and response.json()["frames"][0]["step"] == 1


def test_public_is_only_for_live_races(race):
    """`broadcast` belongs to LIVE races: a Classic race never becomes public by it."""
    Race.objects.filter(pk=race.pk).update(broadcast=Race.Broadcast.PUBLIC)
    race.refresh_from_db()
    assert not race.is_public
    assert Client().get(f"/races/{race.pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)
async def test_an_anonymous_websocket_streams_a_public_race_until_it_turns_private(live_race, alice):
    from channels.db import database_sync_to_async

    await database_sync_to_async(make_public)(live_race)
    anonymous = WebsocketCommunicator(app, f"/ws/races/{live_race.pk}/")
    anonymous.scope["user"], anonymous.scope["session"] = AnonymousUser(), {}
    organizer = WebsocketCommunicator(app, f"/ws/races/{live_race.pk}/")
    organizer.scope["user"], organizer.scope["session"] = alice, {}
    try:
        for comm in (anonymous, organizer):
            connected, _ = await comm.connect()
            assert connected
            assert (await comm.receive_json_from())["type"] == "race.state"
        await assert_still_streaming(live_race, anonymous, organizer)
        status = await as_organizer(alice, "patch", f"/api/races/{live_race.pk}/", api=True,
                                    data={"broadcast": "private"})
        assert status == 200
        await assert_closed_for_no_access(anonymous)
        await assert_still_streaming(live_race, organizer)
    finally:
        for comm in (anonymous, organizer):
            await comm.disconnect()
        await fanout.hub().settle()


@pytest.mark.django_db(transaction=True)
async def test_an_anonymous_websocket_of_a_private_race_is_refused(live_race):
    comm = WebsocketCommunicator(app, f"/ws/races/{live_race.pk}/")
    comm.scope["user"], comm.scope["session"] = AnonymousUser(), {}
    assert await refused(comm)


def test_the_rule_lets_everyone_in_on_a_public_race_and_only_the_cast_on_a_private_one(live_race, alice, bob, mallory):
    visitors = [access.Visitor(alice.pk, None), access.Visitor(bob.pk, None),
                access.Visitor(mallory.pk, None), access.Visitor(None, None)]
    assert access.who_may_view(live_race.pk, visitors) == set(visitors[:2])
    make_public(live_race)
    assert access.who_may_view(live_race.pk, visitors) == set(visitors)


def test_a_public_race_watcher_cannot_enter_a_model_nor_see_the_invitation(as_mallory, api_mallory, live_race):
    make_public(live_race)
    assert as_mallory.post(f"/races/{live_race.pk}/entry/", {"model": "1"}).status_code == 404
    response = api_mallory.get(f"/api/races/{live_race.pk}/")
    assert response.status_code == 200 and response.json()["invitation_url"] is None
    assert api_mallory.get(f"/api/races/{live_race.pk}/participants/").status_code == 403
