"""The race websocket, with channels' WebsocketCommunicator (always disconnected at the end)."""

from __future__ import annotations

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from races import live, protocol
from races.models import Run
from tests.sockets import refused

pytestmark = pytest.mark.django_db(transaction=True)
app = URLRouter(websocket_urlpatterns)


def communicator(race, user, race_id: str | None = None):
    comm = WebsocketCommunicator(app, f"/ws/races/{race_id or race.pk}/")
    comm.scope["user"] = user
    comm.scope["session"] = {}
    return comm


async def test_it_sends_a_snapshot_then_forwards_events(live_race, bob):
    comm = communicator(live_race, bob)
    connected, _ = await comm.connect()
    try:
        assert connected
        state = await comm.receive_json_from()
        assert state["type"] == "race.state" and state["v"] == protocol.VERSION
        assert state["race"]["name"] == "Live Cup" and state["run"] is None
        assert len(state["race"]["track"]["geometry"]["center"]) > 10
        await protocol.asend(live_race.pk, protocol.run_frame(1, 1.0, {"step": 1}))
        assert await comm.receive_json_from() == {"type": "run.frame", "v": 1, "run_id": 1, "ts": 1.0,
                                                 "frame": {"step": 1}}
    finally:
        await comm.disconnect()


async def test_it_validates_access(live_race, mallory):
    assert await refused(communicator(live_race, mallory))


async def launched(race, racer, monkeypatch):
    """A run of `racer` on track in this process's pool (embedded mode)."""
    import asyncio

    from channels.db import database_sync_to_async

    from races import record

    pool = live.LivePool(lambda race_id, message: None, countdown_step_s=0.05)
    monkeypatch.setattr(live, "_pool", pool)
    run = await database_sync_to_async(record.begin_run)(race, racer.pk, model_name="reference:steady")
    active = await database_sync_to_async(pool.launch)(run.pk)
    for _ in range(200):
        if await database_sync_to_async(Run.objects.filter(pk=run.pk, state="running").exists)():
            break
        await asyncio.sleep(0.05)
    return pool, run, active


async def stopped(pool, run):
    from channels.db import database_sync_to_async

    pool.stop(run.pk)
    assert await database_sync_to_async(pool.wait)(run.pk, 10)


async def test_speed_changes_only_from_the_racer_on_track(live_race, alice, bob, monkeypatch):
    pool, run, active = await launched(live_race, bob, monkeypatch)
    organizer, racer = communicator(live_race, alice), communicator(live_race, bob)
    await organizer.connect()
    await racer.connect()
    try:
        await organizer.receive_json_from()
        await racer.receive_json_from()
        await organizer.send_json_to({"type": "speed.set", "value": 2})
        refused = await organizer.receive_json_from()
        assert refused["type"] == "error" and "only the racer on track" in refused["message"]
        await racer.send_json_to({"type": "speed.set", "value": 1.7})
        assert (await racer.receive_json_from()) == {"type": "speed.ack", "v": 1, "value": 1.7}
        assert active.multiplier.value == 1.7
        await racer.send_json_to({"type": "speed.set", "value": "nan"})
        assert (await racer.receive_json_from())["type"] == "error"
    finally:
        await stopped(pool, run)
        await organizer.disconnect()
        await racer.disconnect()


async def test_a_race_id_in_another_spelling_reaches_the_same_run(live_race, bob, monkeypatch):
    """One canonical race id: a socket opened on the id in upper case changes the speed of the
    race's run, and the ack is the value the runner applied (not a message sent into the void)."""
    pool, run, active = await launched(live_race, bob, monkeypatch)
    racer = communicator(live_race, bob, race_id=str(live_race.pk).upper())
    connected, _ = await racer.connect()
    try:
        assert connected
        await racer.receive_json_from()
        await racer.send_json_to({"type": "speed.set", "value": 9})
        assert (await racer.receive_json_from()) == {"type": "speed.ack", "v": 1, "value": 4.0}
        assert active.multiplier.value == 4.0
    finally:
        await stopped(pool, run)
        await racer.disconnect()


async def test_a_page_opened_just_after_its_own_result_gets_its_row_and_card_on_connect(
        race, joined, bob, monkeypatch, settings):
    """The result's `leaderboard.changed` went out before this socket joined: the snapshot on
    connect carries the board (the racer's row among the top rows, how many are ranked) and
    the racer's own card, so the page is current without waiting for the next result."""
    from channels.db import database_sync_to_async

    from races.evaluation import Evaluator, enter_classic
    from races.garage import reference_model

    monkeypatch.setattr("races.evaluation.evaluate_submission.dispatch", lambda run_id: None)
    settings.LIVE_LEASE_S = 600
    heard = []

    def evaluated() -> None:
        race.min_laps = 1
        race.save()
        run = enter_classic(race, bob, reference_model(bob, "Brisk", temperament="brisk"))
        Evaluator(run.pk, publish=lambda race_id, message: heard.append(message["type"])).run()
        assert Run.objects.get(pk=run.pk).state == "finished"

    await database_sync_to_async(evaluated)()
    assert "leaderboard.changed" in heard  # sent while no page was connected
    mine = communicator(race, bob)
    await mine.connect()
    try:
        state = await mine.receive_json_from()
        assert state["type"] == "race.state"
        assert [row["user_id"] for row in state["leaderboard"]] == [bob.pk]
        assert state["leaderboard_total"] == 1
        card = state["me"]["board"]
        assert card["ranked"] and (card["rank"], card["user_id"], card["ranked_total"]) == (1, bob.pk, 1)
        assert card["time"] == state["leaderboard"][0]["time"] and card["submissions"] == 1
    finally:
        await mine.disconnect()
