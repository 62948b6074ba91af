"""`python manage.py runlive`: a live-runner process for scaled mode.

Takes launches from the runners' channel layer (any number of these processes share the work:
each launch is claimed by exactly one of them, `record.claim_run`), runs them on livesim's
real-time runner, and obeys the stop and speed commands for the runs it owns on its own control
channel (`races/router.py` sends them; a speed change is answered with the value applied).
While it runs, it renews its runs' leases and recovers runs whose runner died. Needs REDIS_URL
and, on the web servers, LIVE_RUNNER=external.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.layers import RUNNERS
from races import protocol
from races.live import LAUNCH_CHANNEL, OWNER, Publisher, control_channel, get_pool

log = logging.getLogger(__name__)
RETRY_MAX_S = 5.0


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
        pool = get_pool()
        pool.housekeeping_pass()  # recover what a dead runner left before taking new work
        self.stdout.write(f"live runner {OWNER}: waiting for launches")
        asyncio.run(self.serve())

    async def serve(self) -> None:
        layer = get_channel_layer(RUNNERS)  # launches and control; events go out on the default
        pool = get_pool()
        pool.publish = Publisher(asyncio.get_running_loop())
        pool.start_housekeeping()
        await asyncio.gather(self.take_launches(layer, pool), self.obey(layer, pool))

    async def take_launches(self, layer, pool) -> None:
        while True:
            message = await receive(layer, LAUNCH_CHANNEL)
            try:
                run_id = int(message["run_id"])
            except (KeyError, TypeError, ValueError):
                log.warning("ignored a malformed launch: %r", message)
                continue
            if await database_sync_to_async(pool.launch)(run_id) is not None:
                self.stdout.write(f"launched run {run_id}")

    async def obey(self, layer, pool) -> None:
        while True:
            message = await receive(layer, control_channel(OWNER))
            try:
                if message.get("type") == "live.stop":
                    pool.stop(int(message["run_id"]))
                elif message.get("type") == "live.speed":
                    await self.apply_speed(layer, pool, message)
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("refused %s: %s", message.get("type"), exc)

    @staticmethod
    async def apply_speed(layer, pool, message: dict) -> None:
        try:
            reply = protocol.speed_applied(pool.apply_speed(int(message["run_id"]), message["value"]))
        except LookupError:
            reply = protocol.error("the run is not running any more")
        await layer.send(message["reply_to"], reply)
