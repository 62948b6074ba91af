"""`python manage.py runlive`: a live-runner process for scaled mode.

Takes launches from the channel layer (any number of these processes share the work: each
launch goes to one of them), runs them on livesim's real-time runner, and obeys stop and speed
messages for the runs it owns on its own control channel. Needs REDIS_URL and, on the web
servers, LIVE_RUNNER=external.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.layers import RUNNERS
from races.live import (
    LAUNCH_CHANNEL,
    OWNER,
    Publisher,
    SpeedRejected,
    control_channel,
    get_pool,
    recover_interrupted_runs,
)
from races.racing import Run

log = logging.getLogger(__name__)
RETRY_MAX_S = 5.0


@database_sync_to_async
def claim(run_id: int) -> Run | None:
    """Take a launched run unless another process already has it."""
    if not Run.objects.filter(pk=run_id, state=Run.State.COUNTDOWN, owner="").update(owner=OWNER):
        return None
    return Run.objects.get(pk=run_id)


async def receive(layer, channel: str) -> dict:
    """The next message on a channel; while Redis is away (a restart, a network blip) keep
    trying instead of exiting: the runs this process drives go on meanwhile."""
    delay = 0.5
    while True:
        try:
            return await layer.receive(channel)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("channel layer unreachable (%s: %s); retrying in %.1f s",
                        type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)


class Command(BaseCommand):
    help = "Run LIVE races handed over by the web servers (scaled mode)."

    def handle(self, *args, **options):
        if not settings.REDIS_URL:
            raise CommandError("runlive needs REDIS_URL: it takes its work from the Redis channel layer.")
        recovered = recover_interrupted_runs()
        self.stdout.write(f"live runner {OWNER}: recovered {recovered} interrupted run(s); waiting for launches")
        asyncio.run(self.serve())

    async def serve(self) -> None:
        layer = get_channel_layer(RUNNERS)  # launches and control; events go out on the default
        pool = get_pool()
        pool.publish = Publisher(asyncio.get_running_loop())
        await asyncio.gather(self.take_launches(layer, pool), self.obey(layer, pool))

    async def take_launches(self, layer, pool) -> None:
        while True:
            message = await receive(layer, LAUNCH_CHANNEL)
            run = await claim(int(message.get("run_id", 0)))
            if run is not None:
                await database_sync_to_async(pool.launch)(run)
                self.stdout.write(f"launched run {run.pk}")

    async def obey(self, layer, pool) -> None:
        while True:
            message = await receive(layer, control_channel(OWNER))
            try:
                if message.get("type") == "live.stop":
                    await database_sync_to_async(pool.stop)(int(message["run_id"]))
                elif message.get("type") == "live.speed":
                    pool.set_speed(message["race_id"], int(message["user_id"]), message["value"])
            except (SpeedRejected, KeyError, ValueError) as exc:
                log.warning("refused %s: %s", message.get("type"), exc)
