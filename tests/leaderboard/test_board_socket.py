"""A result reaches everyone watching a Classic race over its websocket, without a reload."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from tests.leaderboard.helpers import drive

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_new_result_updates_the_board_on_the_socket(race, joined, bob, charlie):
    await database_sync_to_async(drive)(race, charlie, 9000)
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/races/{race.pk}/")
    comm.scope["user"], comm.scope["session"] = bob, {}
    connected, _ = await comm.connect()
    try:
        assert connected
        state = await comm.receive_json_from(timeout=10)
        assert state["type"] == "race.state" and [r["racer"] for r in state["leaderboard"]] == ["CharlieC"]
        run = await database_sync_to_async(drive)(race, bob, 8500)
        lap = await comm.receive_json_from(timeout=10)
        assert lap["type"] == "run.lap" and lap["run_id"] == run.pk
        board = await comm.receive_json_from(timeout=10)
        assert board["type"] == "leaderboard.changed" and board["total"] == 2
        assert [(r["rank"], r["racer"], r["gap_ms"]) for r in board["leaderboard"]] == [
            (1, "BobTheRacer", 0), (2, "CharlieC", 500)]
        assert board["changed"]["racer"] == "BobTheRacer" and board["changed"]["rank"] == 1
    finally:
        await comm.disconnect()
