"""What browsers send on the race websocket: bad frames are refused with an `error` naming the
problem and the socket stays open; control messages are rate-limited per socket. Channels'
WebsocketCommunicator; every communicator is disconnected at the end."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from config.routing import websocket_urlpatterns
from races import consumers, fanout
from races.models import Participant, Race
from races.router import CommandRefused
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)
app = URLRouter(websocket_urlpatterns)


@pytest.fixture
def race_and_racer(transactional_db, tracks):
    alice, bob = make_user("alice", "AliceRaces"), make_user("bob", "BobTheRacer")
    now = timezone.now()
    race = Race.objects.create(organizer=alice, name="Live Cup", format="live", track=tracks.get(slug="oval"),
                               start_at=now, end_at=now + timedelta(hours=4), time_per_racer=1)
    Participant.objects.create(race=race, user=bob)
    return race, bob


@pytest.fixture
def applied(monkeypatch) -> list:
    """The speed changes the consumer applied (the speed function is replaced by a counter)."""
    calls = []

    async def set_speed(race_pk, user, value):
        calls.append(value)
        return float(value)

    monkeypatch.setattr(consumers.router, "set_speed", set_speed)
    return calls


@pytest.fixture
def frozen_clock(monkeypatch) -> list:
    """The consumers' clock stands still until a test moves it (now[0] += seconds)."""
    now = [1000.0]
    monkeypatch.setattr(consumers, "clock", lambda: now[0], raising=False)  # raising=False: also runs (and fails) on a consumer without a clock
    return now


async def connect(race, user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(app, f"/ws/races/{race.pk}/")
    comm.scope["user"], comm.scope["session"] = user, {}
    connected, code = await comm.connect()
    assert connected, code
    assert (await comm.receive_json_from())["type"] == "race.state"
    return comm


async def drain(comm) -> list[dict]:
    """What the consumer wrote once it took every message sent to it (one by one, in order)."""
    for _ in range(1000):
        if comm.input_queue.empty():
            break
        await asyncio.sleep(0.01)
    out = []
    while not await comm.receive_nothing(0.2):
        out.append(await comm.receive_json_from())
    return out


async def close(comm) -> None:
    await comm.disconnect()
    await fanout.hub().settle()


BAD_FRAMES = [
    pytest.param({"text_data": "speed please"}, "message is not valid JSON", id="not-json"),
    pytest.param({"text_data": "[1, 2]"}, "message must be a JSON object, not an array", id="array"),
    pytest.param({"text_data": '"speed.set"'}, "message must be a JSON object, not a string", id="string"),
    pytest.param({"text_data": "null"}, "message must be a JSON object, not null", id="null"),
    pytest.param({"text_data": "[" * 2000 + "]" * 2000}, "message is nested too deeply", id="too-deep"),
    pytest.param({"bytes_data": b'{"type": "speed.set"}'}, "binary frames are not accepted", id="binary"),
    pytest.param({"text_data": '{"type": "speed.set", "pad": "' + "x" * 5000 + '"}'},
                 "message too large: at most 4096 characters", id="oversized"),
    pytest.param({"text_data": '{"type": "lap.claim"}'}, "unknown message type 'lap.claim'", id="unknown-type"),
]


@pytest.mark.parametrize(("frame", "problem"), BAD_FRAMES)
async def test_it_validates_frames_and_stays_open(race_and_racer, applied, caplog, frame, problem):
    race, bob = race_and_racer
    comm = await connect(race, bob)
    try:
        await comm.send_to(**frame)
        answer = await comm.receive_json_from(timeout=5)
        assert answer["type"] == "error" and answer["v"] == 1 and answer["message"].startswith(problem)
        await comm.send_json_to({"type": "speed.set", "value": 1.5})  # still open and usable
        assert await comm.receive_json_from(timeout=5) == {"type": "speed.ack", "v": 1, "value": 1.5}
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no traceback
    finally:
        await close(comm)


async def test_it_limits_control_messages_per_socket(race_and_racer, applied, frozen_clock):
    """2,000 speed messages at once: the burst is applied, one error answers the rest, and the
    socket takes messages again once the rate allows."""
    race, bob = race_and_racer
    comm = await connect(race, bob)
    try:
        for n in range(2000):
            await comm.send_json_to({"type": "speed.set", "value": 1 + n / 10000})
        answers = await drain(comm)
        assert len(applied) == consumers.BURST
        assert [a["type"] for a in answers] == ["speed.ack"] * consumers.BURST + ["error"]
        assert answers[-1]["message"] == "too many messages: slow down"

        frozen_clock[0] += 1.0  # a second later: RATE_PER_S more, and still one error per window
        for _ in range(50):
            await comm.send_json_to({"type": "speed.set", "value": 2})
        assert [a["type"] for a in await drain(comm)] == ["speed.ack"] * int(consumers.RATE_PER_S)

        frozen_clock[0] += consumers.FLOOD_WINDOW_S  # after the window: usable, and a new flood is told
        await comm.send_json_to({"type": "speed.set", "value": 3})
        assert await comm.receive_json_from(timeout=5) == {"type": "speed.ack", "v": 1, "value": 3.0}
        for _ in range(consumers.BURST + 5):
            await comm.send_json_to({"type": "speed.set", "value": 3})
        assert [a["type"] for a in await drain(comm)].count("error") == 1
    finally:
        await close(comm)


async def test_a_flood_logs_once_per_window(race_and_racer, monkeypatch, frozen_clock, caplog):
    """Refused speed changes are logged one line each; a flood of them is not."""
    race, bob = race_and_racer
    calls = []

    async def refuse(race_pk, user, value):
        calls.append(value)
        raise CommandRefused("no run is live in this race")

    monkeypatch.setattr(consumers.router, "set_speed", refuse)
    comm = await connect(race, bob)
    try:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            for _ in range(2000):
                await comm.send_json_to({"type": "speed.set", "value": 2})
            answers = await drain(comm)
        lines = [r.getMessage() for r in caplog.records if r.name.startswith("races")]
        assert len(calls) == consumers.BURST and len(answers) == consumers.BURST + 1
        assert len(lines) == 2, lines  # the first refusal, and the flood
        assert "speed change refused" in lines[0] and "dropping the excess" in lines[1]
    finally:
        await close(comm)


def test_a_token_bucket_allows_the_rate_after_the_burst():
    bucket = consumers.TokenBucket(rate=10, burst=20, now=0.0)
    assert sum(bucket.take(0.0) for _ in range(100)) == 20
    assert sum(bucket.take(0.5) for _ in range(100)) == 5
    assert sum(bucket.take(100.0) for _ in range(100)) == 20  # never more than the burst saved up
