"""python manage.py obs_control --race RACE_ID --obs ws://HOST:4455 [--password …] [--site URL]

Drives OBS Studio from a race: listens to the race's events (the same channel-layer group the
live view's fan-out reads, so it needs REDIS_URL like every other server process) and to the
producer's commands from the Broadcast page, switches scenes, records each racer's turn, keeps
the overlays' browser sources pointed at this server, and reports its connection state on the
Broadcast page. It reconnects by itself when OBS restarts. Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import time

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from broadcast.automation import Director
from broadcast.models import BroadcastSettings
from broadcast.obs import BrowserSource, ObsDriver, parse_obs_url
from broadcast.overlays import SCENE_OVERLAYS, overlay_url
from broadcast.runtime import events_cross_processes
from races import access, protocol
from races.models import racer_alias
from races.run_models import Run

log = logging.getLogger("broadcast.obs_control")
TICK_S = 0.5  # how often the idle timer is looked at
RENEW_S = 3600.0  # group memberships are renewed well before the layers drop them


def browser_sources(race, settings: BroadcastSettings, site: str) -> tuple[BrowserSource, ...]:
    scenes = settings.scenes()
    return tuple(
        BrowserSource(scenes[moment], f"{scenes[moment]}: {kind}", overlay_url(race, kind, site))
        for moment, kinds in SCENE_OVERLAYS.items() for kind in kinds if scenes.get(moment)
    )


def race_now(race) -> dict:
    """What the automation starts from: the run on track and the declared winner, read from the
    race tables (the shape of `race.state`'s race.winner and run)."""
    race.refresh_from_db()
    run = Run.objects.filter(race=race, state__in=Run.ACTIVE_STATES).select_related("racer__racer").first()
    return {"race": {"winner": {"alias": racer_alias(race.winner)} if race.winner_id else None},
            "run": run.as_event(racer_alias(run.racer)) if run else None}


def report_state(race_id):
    def report(state: str, detail: str) -> None:
        # a stopped obs_control's last word on the stream would be stale by its next start
        stale = {"obs_stream_detail": "", "obs_record_detail": ""} if state == "offline" else {}
        BroadcastSettings.objects.filter(race_id=race_id).update(
            obs_state=state, obs_detail=detail[:300], obs_seen_at=timezone.now(), **stale)
        log.info("OBS %s: %s", state, detail)
    return report


def report_status(race_id):
    last: dict = {}

    def report(status: dict) -> None:
        # checked every second while idle: written when it changed, and once a minute as a heartbeat
        now = time.monotonic()
        if status == last.get("status") and now - last.get("at", 0) < 60:
            return
        last.update(status=status, at=now)
        BroadcastSettings.objects.filter(race_id=race_id).update(
            obs_scene=status["scene"][:100], obs_streaming=status["streaming"],
            obs_recording=status["recording"], obs_seen_at=timezone.now())
    return report


def report_record(race_id):
    def report(detail: str) -> None:
        BroadcastSettings.objects.filter(race_id=race_id).update(
            obs_record_detail=detail[:300], obs_seen_at=timezone.now())
    return report


def report_stream(race_id):
    def report(detail: str) -> None:
        BroadcastSettings.objects.filter(race_id=race_id).update(
            obs_stream_detail=detail[:300], obs_seen_at=timezone.now())
    return report


class Command(BaseCommand):
    help = "Drive OBS Studio (obs-websocket v5) from a race's events."

    def add_arguments(self, parser):
        parser.add_argument("--race", required=True, help="the race's id")
        parser.add_argument("--obs", default="ws://127.0.0.1:4455", help="obs-websocket URL, ws://HOST:PORT")
        parser.add_argument("--password", default="", help="obs-websocket password")
        parser.add_argument("--site", default="http://127.0.0.1:8000",
                            help="this server's address as OBS reaches it (for the overlays' browser sources)")
        parser.add_argument("--for-seconds", type=float, default=None, help=argparse.SUPPRESS)  # tests

    def handle(self, *args, race, obs, password, site, for_seconds, **options):
        try:
            parse_obs_url(obs)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            race_obj = access.load_race(race)
        except Exception:
            raise CommandError(f"No race with id {race!r}.") from None
        if not events_cross_processes():
            raise CommandError("obs_control hears the race through the channel layer of the server "
                               "processes: set REDIS_URL (as for the server) and start it again.")
        settings = BroadcastSettings.of(race_obj)
        driver = ObsDriver(
            obs, password, scenes=tuple(s for s in settings.scenes().values() if s),
            sources=browser_sources(race_obj, settings, site), text_scene=settings.race_scene,
            on_state=report_state(race_obj.pk), on_status=report_status(race_obj.pk),
            on_stream=report_stream(race_obj.pk), on_record=report_record(race_obj.pk))
        director = Director(race_obj.name, settings.scenes(), settings.idle_after_s,
                            settings.record_turns, settings.automation_paused)
        self.site = site
        self.stdout.write(f"obs_control: race {race_obj.name} ({race_obj.pk}) -> OBS {obs}")
        driver.start()
        try:
            asyncio.run(self.listen(race_obj, driver, director, for_seconds))
        finally:
            driver.stop()

    async def listen(self, race, driver: ObsDriver, director: Director, for_seconds: float | None) -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        groups = (protocol.race_group(race.pk), protocol.obs_group(race.pk))
        for group in groups:
            await layer.group_add(group, channel)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # subscribed first, then the snapshot: nothing between them is lost
        snapshot = await database_sync_to_async(race_now)(race)
        for action in director.start(snapshot):
            driver.submit(action)
        ends = None if for_seconds is None else time.monotonic() + for_seconds
        renewed = time.monotonic()
        receive = asyncio.ensure_future(layer.receive(channel))
        try:
            while not stop.is_set() and (ends is None or time.monotonic() < ends):
                done, _ = await asyncio.wait({receive}, timeout=TICK_S)
                now = time.monotonic()
                if receive in done:
                    message = receive.result()
                    receive = asyncio.ensure_future(layer.receive(channel))
                    await self.handle_message(race, message, driver, director, now)
                for action in director.tick(now):
                    driver.submit(action)
                if now - renewed > RENEW_S:
                    renewed = now
                    for group in groups:
                        await layer.group_add(group, channel)
        finally:
            receive.cancel()
            for group in groups:
                await layer.group_discard(group, channel)

    async def handle_message(self, race, message: dict, driver: ObsDriver, director: Director,
                             now: float) -> None:
        if message.get("type") != "obs.command":
            if message.get("type") in ("run.frame", "run.camera"):  # frequent, never a scene change
                return
            for action in director.on_event(message, now):
                driver.submit(action)
            return
        action = message.get("action")
        if action == "reload":
            await database_sync_to_async(race.refresh_from_db)()  # a reset overlay key among others
            settings = await database_sync_to_async(BroadcastSettings.of)(race)
            director.scenes = settings.scenes()
            director.idle_after_s = settings.idle_after_s
            director.record_turns = settings.record_turns
            director.paused = settings.automation_paused
            # scenes may have new names: OBS is set up again (missing scenes, sources, URLs)
            driver.scenes = tuple(name for name in settings.scenes().values() if name)
            driver.text_scene = settings.race_scene
            driver.sources = await database_sync_to_async(browser_sources)(race, settings, self.site)
            driver.submit(("setup", None))
            log.info("settings reloaded: automation %s", "paused" if director.paused else "on")
        elif action == "scene" and message.get("scene"):
            driver.submit(("scene", str(message["scene"])[:100]))
        elif action in ("start_stream", "stop_stream", "refresh_sources"):
            driver.submit((action, None))

