"""The per-process fan-out (races/fanout.py) behind the race websocket, with channels'
WebsocketCommunicator on the default (in-memory) layer; every communicator is disconnected."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from races import fanout, protocol
from races.models import Participant
from tests.scenes import make_live_race

pytestmark = pytest.mark.django_db(transaction=True)
app = URLRouter(websocket_urlpatterns)


@pytest.fixture
def other_race(alice, bob, charlie, tracks):
    """Another LIVE race of alice's, which bob and charlie joined too."""
    race = make_live_race(alice, tracks, name="Other Cup")
    for user in (bob, charlie):
        Participant.objects.create(race=race, user=user)
    return race


async def connect(race, user):
    comm = WebsocketCommunicator(app, f"/ws/races/{race.pk}/")
    comm.scope["user"] = user
    comm.scope["session"] = {}
    connected, _ = await comm.connect()
    assert connected
    assert (await comm.receive_json_from())["type"] == "race.state"
    return comm


async def group_channels(race) -> set:
    """The race group's members on whichever layer runs (in-memory, channels_redis core, pub/sub)."""
    layer, group = get_channel_layer(), protocol.race_group(race.pk)
    if hasattr(layer, "_get_layer"):  # pub/sub: this loop's layer knows its local members
        inner = layer._get_layer()
        return set(inner.groups.get(inner._get_group_channel_name(group), ()))
    if hasattr(layer, "_group_key"):  # core: a sorted set in Redis
        key = layer._group_key(group)
        return set(await layer.connection(layer.consistent_hash(group)).zrange(key, 0, -1))
    return set(layer.groups.get(group, {}))


async def disconnect_all(comms):
    for comm in comms:
        await comm.disconnect()
    await fanout.hub().settle()


async def test_every_viewer_of_the_race_gets_every_event_once(live_race, other_race, bob, charlie, charlie_entered):
    comms = []
    try:
        comms = [await connect(live_race, bob), await connect(live_race, charlie), await connect(other_race, bob)]
        assert len(await group_channels(live_race)) == 1  # one subscription per race and process
        frames = [protocol.event("run.frame", run_id=1, ts=1.0, frame={"step": step}) for step in range(3)]
        for frame in frames:
            await protocol.asend(live_race.pk, frame)
        for comm in comms[:2]:
            assert [await comm.receive_json_from() for _ in frames] == frames
            assert await comm.receive_nothing(0.1)
        assert await comms[2].receive_nothing(0.1)  # a viewer of another race gets none
    finally:
        await disconnect_all(comms)


async def test_the_subscription_ends_with_the_last_viewer(live_race, bob, charlie, charlie_entered):
    first = second = None
    try:
        first, second = await connect(live_race, bob), await connect(live_race, charlie)
        assert str(live_race.pk) in fanout.hub().races and len(await group_channels(live_race)) == 1
        await first.disconnect()
        await fanout.hub().settle()
        assert len(await group_channels(live_race)) == 1
        await second.disconnect()
        await fanout.hub().settle()
        assert str(live_race.pk) not in fanout.hub().races and not await group_channels(live_race)
    finally:
        await disconnect_all([c for c in (first, second) if c is not None])


async def test_a_broken_viewer_does_not_stop_the_others(live_race, bob, charlie, charlie_entered):
    comms = []
    try:
        comms = [await connect(live_race, bob), await connect(live_race, charlie)]
        broken = next(iter(fanout.hub().races[str(live_race.pk)].viewers))

        async def fail(message):
            raise ConnectionError("gone")

        broken.send = fail
        for step in range(2):
            await protocol.asend(live_race.pk, protocol.run_frame(1, 1.0, {"step": step}))
        assert [(await comms[1].receive_json_from())["frame"]["step"] for _ in range(2)] == [0, 1]
        assert broken not in fanout.hub().races[str(live_race.pk)].viewers
    finally:
        await disconnect_all(comms)


async def test_race_state_carries_each_viewers_own_me(live_race, alice, bob):
    comms = []
    try:
        comms = [await connect(live_race, alice), await connect(live_race, bob)]
        await protocol.asend(live_race.pk, protocol.event("race.state", race={"name": "Live Cup"}, run=None, queue=[], leaderboard=[], me=None))
        organizer, racer = [await comm.receive_json_from() for comm in comms]
        assert organizer["me"] == {"user_id": alice.pk, "is_organizer": True}
        assert racer["me"] == {"user_id": bob.pk, "is_organizer": False}
        assert organizer["race"] == racer["race"] == {"name": "Live Cup"}
    finally:
        await disconnect_all(comms)


async def test_events_during_the_snapshot_follow_it(live_race):
    """A pending viewer keeps what arrives before its snapshot went out, then gets it in order."""
    sent = []

    async def send(message):
        sent.append(message["text"])

    viewer, hub = fanout.Viewer(send), fanout.hub()
    await hub.join(live_race.pk, viewer)
    try:
        for step in (7, 8):
            await protocol.asend(live_race.pk, protocol.run_frame(1, 1.0, {"step": step}))
        for _ in range(100):
            if len(viewer.pending) == 2:
                break
            await asyncio.sleep(0.01)
        assert sent == []
        await send({"text": "snapshot"})
        await viewer.ready()
        assert sent[0] == "snapshot"
        assert [json.loads(text)["frame"]["step"] for text in sent[1:]] == [7, 8]
        await protocol.asend(live_race.pk, protocol.run_frame(1, 1.0, {"step": 9}))
        for _ in range(100):
            if len(sent) == 4:
                break
            await asyncio.sleep(0.01)
        assert json.loads(sent[3])["frame"]["step"] == 9
    finally:
        hub.leave(live_race.pk, viewer)
        await hub.settle()


def test_websocket_sends_skip_the_session_middlewares_wrapper():
    """Channels' session wrapper acts on `http.response.start` only: frames go to the server's
    own send (through any number of session wrappers), everything else is left as it is."""
    from channels.sessions import InstanceSessionWrapper

    async def server_send(message):
        return None

    inner = InstanceSessionWrapper.__new__(InstanceSessionWrapper)
    inner.real_send = server_send
    outer = InstanceSessionWrapper.__new__(InstanceSessionWrapper)
    outer.real_send = inner.send
    assert fanout.websocket_send(outer.send) is server_send
    assert fanout.websocket_send(server_send) is server_send


async def test_the_subscription_renews_its_group_membership(live_race, bob, monkeypatch):
    """Layers expire group memberships (a day by default); a subscription outlives browsers."""
    monkeypatch.setattr(fanout, "RENEW_S", 0.05)
    layer, added = get_channel_layer(), []
    group_add = layer.group_add

    async def counting_group_add(group, channel):
        added.append(group)
        await group_add(group, channel)

    monkeypatch.setattr(layer, "group_add", counting_group_add)
    comms = []
    try:
        comms = [await connect(live_race, bob)]
        await asyncio.sleep(0.3)
        assert added.count(protocol.race_group(live_race.pk)) >= 3
    finally:
        await disconnect_all(comms)
