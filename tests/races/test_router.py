"""races/router.py: launch, stop and speed reach the run's owner; who may change the speed is
checked once, from the database; a speed change is acknowledged only with what a runner applied."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from config.layers import RUNNERS
from races import protocol, router
from races.live import control_channel, get_pool
from races.management.commands.runlive import Command as RunliveCommand
from races.models import Run

pytestmark = pytest.mark.django_db(transaction=True)
OWNER = "elsewhere.77.beef"


def running(race, racer, owner=OWNER) -> Run:
    return Run.objects.create(race=race, racer=racer, state="running", owner=owner,
                              lease_expires_at=timezone.now() + timedelta(minutes=1))


class FakePool:
    """Stands for a runlive process's pool: applies (clamped like livesim) and remembers."""

    def __init__(self):
        self.applied: list[float] = []

    def apply_speed(self, run_id, value):
        self.applied.append(min(4.0, max(0.1, float(value))))
        return self.applied[-1]


async def serve_one_speed_command(pool: FakePool) -> dict:
    """What runlive's control loop does with one `live.speed` on its channel."""
    layer = get_channel_layer(RUNNERS)
    message = await layer.receive(control_channel(OWNER))
    await RunliveCommand.apply_speed(layer, pool, message)
    return message


async def test_the_owner_applies_the_speed_and_the_ack_carries_its_value(live_race, bob):
    run = await database_sync_to_async(running)(live_race, bob)
    pool = FakePool()
    runner = asyncio.create_task(serve_one_speed_command(pool))
    assert await router.set_speed(live_race.pk, bob, 99) == 4.0
    message = await runner
    assert message["type"] == "live.speed" and message["run_id"] == run.pk
    assert pool.applied == [4.0]


async def test_no_answer_from_the_owner_is_an_error_not_an_ack(live_race, bob, monkeypatch):
    await database_sync_to_async(running)(live_race, bob)
    monkeypatch.setattr(router, "SPEED_REPLY_S", 0.2)
    with pytest.raises(router.CommandRefused, match="did not answer"):
        await router.set_speed(live_race.pk, bob, 1.2)


async def test_only_the_racer_on_track_changes_the_speed(live_race, bob, mallory):
    await database_sync_to_async(running)(live_race, bob)
    with pytest.raises(router.CommandRefused, match="only the racer on track"):
        await router.set_speed(live_race.pk, mallory, 1.2)


async def test_no_run_on_track_no_speed(live_race, bob):
    with pytest.raises(router.CommandRefused, match="no run is live"):
        await router.set_speed(live_race.pk, bob, 1.2)


async def test_a_runner_that_cannot_be_reached_is_an_error(live_race, bob, monkeypatch):
    await database_sync_to_async(running)(live_race, bob)

    class Away:
        async def new_channel(self):
            return "reply!x"

        async def send(self, channel, message):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(router, "get_channel_layer", lambda alias: Away())
    with pytest.raises(router.CommandRefused, match="cannot be reached"):
        await router.set_speed(live_race.pk, bob, 1.2)


async def test_a_run_of_this_process_is_applied_here(live_race, bob):
    """Embedded mode: the pool of this process owns the run; nothing goes over the layer."""
    from races.live import ActiveRun

    run = await database_sync_to_async(running)(live_race, bob, owner=get_pool().owner)
    get_pool().active[run.pk] = ActiveRun(run.pk, str(live_race.pk), bob.pk)
    try:
        assert await router.set_speed(live_race.pk, bob, 0.01) == 0.1
        assert get_pool().active[run.pk].multiplier.value == 0.1
    finally:
        del get_pool().active[run.pk]


def test_stopping_a_launch_no_runner_claimed_ends_it(live_race, bob):
    from races import record

    run = record.begin_run(live_race, bob.pk, model_name="reference")
    router.stop(run)
    run.refresh_from_db()
    assert run.state == "aborted" and run.failure == "stopped by the organizer"


def test_stop_goes_to_the_owner(live_race, bob, monkeypatch):
    run = running(live_race, bob)
    sent = []
    monkeypatch.setattr(protocol, "send_to_channel", lambda channel, message: sent.append((channel, message)))
    router.stop(run)
    assert sent == [(control_channel(OWNER), protocol.stop_command(run.pk))]
