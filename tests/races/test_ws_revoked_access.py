"""A race websocket closes (4404) when its viewer's access ends while it is open: invitation link
reset, racer removed, race closed or deleted (pages and API). Channels' WebsocketCommunicator on
the default layer; every communicator is disconnected at the end. The scene is tests/scenes.py's
`live_race`: alice organizes, bob has joined, charlie only holds the invitation link."""

from __future__ import annotations

import asyncio
import itertools
import json
from types import SimpleNamespace

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from config.routing import websocket_urlpatterns
from races import access, fanout, protocol
from races.models import Participant, Race
from tests.scenes import make_user
from tests.sockets import refused

pytestmark = pytest.mark.django_db(transaction=True)
app = URLRouter(websocket_urlpatterns)
NO_ACCESS = 4404


def link_session(race, token=None) -> dict:
    return {access.SESSION_LINKS: {str(race.pk): token or race.invite_token}}


async def connect(race, user, session=None) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(app, f"/ws/races/{race.pk}/")
    comm.scope["user"] = user
    comm.scope["session"] = session or {}
    connected, code = await comm.connect()
    assert connected, code
    assert (await comm.receive_json_from())["type"] == "race.state"
    return comm


async def assert_closed_for_no_access(comm) -> None:
    assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": NO_ACCESS}


async def assert_still_streaming(race, *comms) -> None:
    frame = protocol.run_frame(1, 1.0, {"step": 1})
    await protocol.asend(race.pk, frame)
    for comm in comms:
        assert await comm.receive_json_from(timeout=5) == frame  # and not the race.access event


async def as_organizer(organizer, method: str, path: str, api: bool = False, data=None) -> int:
    def call():
        client = APIClient() if api else Client()
        client.force_login(organizer)
        return getattr(client, method)(path, data).status_code

    return await database_sync_to_async(call)()


async def disconnect_all(*comms) -> None:
    for comm in comms:
        await comm.disconnect()
    await fanout.hub().settle()


async def test_resetting_the_link_closes_those_who_watch_by_link_only(live_race, alice, bob, charlie):
    comms = []
    try:
        comms = [await connect(live_race, charlie, link_session(live_race)), await connect(live_race, bob),
                 await connect(live_race, alice)]
        assert await as_organizer(alice, "post", f"/races/{live_race.pk}/invitation/reset/") == 302
        await assert_closed_for_no_access(comms[0])
        await assert_still_streaming(live_race, *comms[1:])
        assert await comms[0].receive_nothing(0.1)
    finally:
        await disconnect_all(*comms)


async def test_resetting_the_link_in_the_api_closes_link_holders(live_race, alice, bob, charlie):
    comms = []
    try:
        comms = [await connect(live_race, charlie, link_session(live_race)), await connect(live_race, bob)]
        assert await as_organizer(alice, "post", f"/api/races/{live_race.pk}/invitation/reset/", api=True) == 200
        await assert_closed_for_no_access(comms[0])
        await assert_still_streaming(live_race, comms[1])
    finally:
        await disconnect_all(*comms)


async def test_removing_a_racer_closes_their_websockets(live_race, alice, bob, charlie, live_joined):
    comms = []
    try:
        # bob also holds the link: a removed racer may not watch by link either
        comms = [await connect(live_race, bob), await connect(live_race, bob, link_session(live_race)),
                 await connect(live_race, charlie, link_session(live_race))]
        path = f"/races/{live_race.pk}/racers/remove/"
        assert await as_organizer(alice, "post", path, data={"participant": [live_joined.pk]}) == 302
        await assert_closed_for_no_access(comms[0])
        await assert_closed_for_no_access(comms[1])
        await assert_still_streaming(live_race, comms[2])
    finally:
        await disconnect_all(*comms)


async def test_removing_a_racer_in_the_api_closes_their_websocket(live_race, alice, bob, live_joined):
    comms = []
    try:
        comms = [await connect(live_race, bob), await connect(live_race, alice)]
        path = f"/api/races/{live_race.pk}/participants/{live_joined.pk}/"
        assert await as_organizer(alice, "delete", path, api=True) == 204
        await assert_closed_for_no_access(comms[0])
        await assert_still_streaming(live_race, comms[1])
    finally:
        await disconnect_all(*comms)


async def test_closing_the_race_closes_link_holders(live_race, alice, bob, charlie):
    comms = []
    try:
        comms = [await connect(live_race, charlie, link_session(live_race)), await connect(live_race, bob)]
        assert await as_organizer(alice, "post", f"/races/{live_race.pk}/close/") == 302
        await assert_closed_for_no_access(comms[0])
        await assert_still_streaming(live_race, comms[1])  # racers still see their closed race
    finally:
        await disconnect_all(*comms)


async def test_closing_the_race_in_the_api_closes_link_holders(live_race, alice, charlie):
    comms = []
    try:
        comms = [await connect(live_race, charlie, link_session(live_race))]
        assert await as_organizer(alice, "post", f"/api/races/{live_race.pk}/close/", api=True) == 200
        await assert_closed_for_no_access(comms[0])
    finally:
        await disconnect_all(*comms)


async def test_deleting_the_race_closes_every_websocket(live_race, alice, bob):
    comms = []
    try:
        comms = [await connect(live_race, alice), await connect(live_race, bob)]
        assert await as_organizer(alice, "post", f"/races/{live_race.pk}/delete/") == 302
        for comm in comms:
            await assert_closed_for_no_access(comm)
    finally:
        await disconnect_all(*comms)


async def test_deleting_the_race_in_the_api_closes_every_websocket(live_race, alice, bob):
    comms = []
    try:
        comms = [await connect(live_race, alice), await connect(live_race, bob)]
        assert await as_organizer(alice, "delete", f"/api/races/{live_race.pk}/", api=True) == 204
        for comm in comms:
            await assert_closed_for_no_access(comm)
    finally:
        await disconnect_all(*comms)


async def test_a_reconnect_after_revocation_is_refused(live_race, alice, charlie):
    old = link_session(live_race)
    comm = await connect(live_race, charlie, old)
    try:
        assert await as_organizer(alice, "post", f"/races/{live_race.pk}/invitation/reset/") == 302
        await assert_closed_for_no_access(comm)
    finally:
        await disconnect_all(comm)
    again = WebsocketCommunicator(app, f"/ws/races/{live_race.pk}/")
    again.scope["user"], again.scope["session"] = charlie, old
    assert await refused(again)


async def test_a_revocation_during_connect_closes_after_the_snapshot(live_race, charlie):
    """A viewer still connecting when its access ends gets its snapshot, then the close."""
    sent = []

    async def send(message):
        sent.append(message)

    visitor = access.Visitor(charlie.pk, live_race.invite_token)
    viewer, hub = fanout.Viewer(send, visitor=visitor), fanout.hub()
    await hub.join(live_race.pk, viewer)
    try:
        await database_sync_to_async(live_race.reset_invite_token)()
        await protocol.asend(live_race.pk, protocol.race_access("invitation link reset"))
        for _ in range(200):
            if viewer.close_code is not None:
                break
            await asyncio.sleep(0.01)
        assert viewer.close_code == NO_ACCESS and sent == []  # not closed before it was accepted
        await viewer.ready()
        assert sent == [{"type": "websocket.close", "code": NO_ACCESS}]
    finally:
        hub.leave(live_race.pk, viewer)
        await hub.settle()


async def test_a_socket_refused_after_joining_the_stream_is_closed(live_race, charlie, monkeypatch):
    """Access is checked again once the stream is subscribed: a revocation in between refuses."""
    join = fanout.Hub.join

    async def join_then_reset(self, race_id, viewer):
        await join(self, race_id, viewer)
        await database_sync_to_async(live_race.reset_invite_token)()  # no announcement reaches us

    monkeypatch.setattr(fanout.Hub, "join", join_then_reset)
    comm = WebsocketCommunicator(app, f"/ws/races/{live_race.pk}/")
    comm.scope["user"], comm.scope["session"] = charlie, link_session(live_race)
    try:
        assert await refused(comm)
        await fanout.hub().settle()
        assert str(live_race.pk) not in fanout.hub().races
    finally:
        await comm.disconnect()


def test_who_may_view_agrees_with_can_view(live_race, alice, bob, charlie):
    """The batch check of open websockets is the rule of `access.can_view`, case by case."""
    dave = make_user("dave", "Dave")
    Participant.objects.create(race=live_race, user=dave, removed_at=timezone.now())
    old_token = live_race.invite_token
    users = [alice, bob, charlie, dave, AnonymousUser()]
    for state in ("open", "reset", "closed"):
        if state == "reset":
            live_race.reset_invite_token()
        if state == "closed":
            live_race.close()
        race = Race.objects.get(pk=live_race.pk)
        cases = list(itertools.product(users, (None, old_token, race.invite_token)))
        visitors = [access.Visitor.of(user, link_session(race, token) if token else {}, race.pk)
                    for user, token in cases]
        allowed = access.who_may_view(race.pk, visitors)
        for (user, token), visitor in zip(cases, visitors, strict=True):
            request = SimpleNamespace(user=user, session=link_session(race, token) if token else {})
            assert (visitor in allowed) == access.can_view(request, race), (state, user, token)
    assert access.who_may_view(live_race.pk, visitors) and not access.who_may_view(
        "00000000-0000-0000-0000-000000000000", visitors)



# -- scaled mode: the announcement reaches every daphne over Redis ------------------------------

@pytest.fixture
def two_daphnes(redis_layers, live_race, as_alice, as_bob, as_charlie):
    """Two daphne processes on the Redis layers and this test's database, and the session
    cookies of alice, bob and charlie (who holds the invitation link)."""
    import os
    from pathlib import Path

    from tests.services import redis_url, start_daphne, test_database_url

    assert as_charlie.get(f"/join/{live_race.invite_token}/").status_code == 200
    cookies = {name: f"sessionid={client.cookies['sessionid'].value}"
               for name, client in (("alice", as_alice), ("bob", as_bob), ("charlie", as_charlie))}
    env = {**os.environ, "DATABASE_URL": test_database_url(), "REDIS_URL": redis_url(),
           "LIVE_RUNNER": "external", "RACESERVER_NO_BOOTSTRAP": "1", "DEBUG": "1"}
    env.pop("CHANNEL_LAYER", None)
    var = Path(__file__).resolve().parents[2] / "var"
    logs = [open(var / f"revoke-daphne-{n}-{os.getpid()}.log", "w+") for n in range(2)]  # noqa: SIM115
    servers = []
    try:
        servers = [start_daphne(env, log) for log in logs]
        yield [port for _, port in servers], cookies, logs
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(10)
        for log in logs:
            log.close()


@pytest.mark.redis
def test_every_server_process_closes_the_removed_racer(two_daphnes, live_race, alice, live_joined):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect as ws_connect

    ports, cookies, logs = two_daphnes

    def open_socket(port, who):
        ws = ws_connect(f"ws://127.0.0.1:{port}/ws/races/{live_race.pk}/", origin=f"http://127.0.0.1:{port}",
                        additional_headers={"Cookie": cookies[who]}, open_timeout=10)
        assert json.loads(ws.recv(timeout=10))["type"] == "race.state"
        return ws

    # bob watches on both servers; charlie by link and alice on the second
    bob_a, bob_b, charlie_ws, alice_ws = (open_socket(ports[0], "bob"), open_socket(ports[1], "bob"),
                                          open_socket(ports[1], "charlie"), open_socket(ports[1], "alice"))
    sockets = [bob_a, bob_b, charlie_ws, alice_ws]
    try:
        api = APIClient()
        api.force_login(alice)  # this process: a third one, like a daphne serving the organizer
        assert api.delete(f"/api/races/{live_race.pk}/participants/{live_joined.pk}/").status_code == 204
        for ws in (bob_a, bob_b):
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd.code == NO_ACCESS
        frame = protocol.run_frame(1, 1.0, {"step": 1})
        protocol.send(live_race.pk, frame)
        for ws in (charlie_ws, alice_ws):  # the others go on, and never see the race.access event
            assert json.loads(ws.recv(timeout=10)) == frame
        # a reconnect is refused with the code a browser reads (a refused handshake would be 1006)
        again = ws_connect(f"ws://127.0.0.1:{ports[0]}/ws/races/{live_race.pk}/", origin=f"http://127.0.0.1:{ports[0]}",
                           additional_headers={"Cookie": cookies["bob"]}, open_timeout=10)
        sockets.append(again)
        with pytest.raises(ConnectionClosed) as refused:
            again.recv(timeout=10)  # nothing of the race first: the close
        assert refused.value.rcvd.code == NO_ACCESS
    finally:
        for ws in sockets:
            ws.close()
    for log in logs:
        log.seek(0)
        assert "Traceback" not in log.read()


def test_a_layer_that_is_away_does_not_fail_the_revocation(live_race, alice, monkeypatch, caplog):
    """The link is reset and the page answers; the lost announcement is logged."""

    def layer_away(race_id, message):
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(protocol, "send", layer_away)
    client = Client()
    client.force_login(alice)
    old = live_race.invite_token
    assert client.post(f"/races/{live_race.pk}/invitation/reset/").status_code == 302
    assert Race.objects.get(pk=live_race.pk).invite_token != old
    assert "could not announce the access change" in caplog.text
