"""Runner commands (launch, stop, speed), routed to the process that runs the run.

One path in embedded and scaled mode alike: the router finds the run's owner in the database,
checks the permission there once, and hands the command over: to this process's pool when the
run is here (embedded mode), else over the runners' channel layer (scaled mode: a launch to any
`runlive` process, stop and speed to the owner's control channel). The runner only applies.

A speed change is acknowledged with the value the runner applied: in scaled mode the owner
answers on a reply channel, and no answer within `SPEED_REPLY_S` is an error, never an ack.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from config.layers import RUNNERS

from . import protocol, record
from .live import LAUNCH_CHANNEL, control_channel, get_pool
from .run_models import Run

log = logging.getLogger(__name__)
UNREACHABLE = "The live runners cannot be reached (is Redis running?): nothing was sent. Try again."
SPEED_REPLY_S = 2.0  # a runner answers in milliseconds; this long means it is gone or stalled


class CommandRefused(Exception):
    """A command that is not allowed or could not be delivered; the text says why."""


def launch(run: Run) -> None:
    """Hand a run begun in `countdown` to a runner: this process's pool in embedded mode, any
    `runlive` process in scaled mode (the launch waits on a Redis list for one to take it)."""
    if settings.LIVE_RUNNER == "embedded":
        get_pool().launch(run.pk)
        return
    try:
        protocol.send_to_channel(LAUNCH_CHANNEL, protocol.launch_command(run.pk))
    except Exception as exc:  # Redis is away: say so, and do not leave a countdown nobody runs
        log.exception("could not hand run %s to the live runners", run.pk)
        record.end_run(run.pk, Run.State.FAILED, "the live runners could not be reached")
        raise CommandRefused(UNREACHABLE) from exc


def stop(run: Run) -> None:
    """Stop a run wherever it runs; a launch no runner has claimed yet just ends."""
    if get_pool().stop(run.pk):
        return
    if not run.owner:
        record.end_run(run.pk, Run.State.ABORTED, "stopped by the organizer")
        return
    try:
        protocol.send_to_channel(control_channel(run.owner), protocol.stop_command(run.pk))
    except Exception as exc:
        log.exception("could not tell the live runner of run %s to stop", run.pk)
        raise CommandRefused(UNREACHABLE) from exc


@database_sync_to_async
def _live_run(race_pk) -> Run | None:
    return Run.objects.filter(race_id=race_pk, state=Run.State.RUNNING).first()


async def set_speed(race_pk, user, value: float) -> float:
    """Apply the racer's speed multiplier to their run on track; returns the value applied.

    `race_pk` is the race's primary key as loaded from the database (one canonical id), `value`
    a finite number (`protocol.speed_value`); the runner clamps it to the slider's range."""
    if user is None or not user.is_authenticated:
        raise CommandRefused("log in to change the speed")
    run = await _live_run(race_pk)
    if run is None:
        raise CommandRefused("no run is live in this race")
    if run.racer_id != user.pk:
        raise CommandRefused("only the racer on track can change the speed")
    pool = get_pool()
    if run.pk in pool.active:
        try:
            return pool.apply_speed(run.pk, value)
        except LookupError:  # it ended a moment ago
            raise CommandRefused("no run is live in this race") from None
    if not run.owner:
        raise CommandRefused("the run has not started yet")
    return await _ask_owner(run, value)


async def _ask_owner(run: Run, value: float) -> float:
    layer = get_channel_layer(RUNNERS)
    try:
        reply_to = await layer.new_channel()
        await layer.send(control_channel(run.owner), protocol.speed_command(run.pk, value, reply_to))
        reply = await asyncio.wait_for(layer.receive(reply_to), SPEED_REPLY_S)
    except TimeoutError:
        raise CommandRefused("the live runner did not answer: speed not changed") from None
    except Exception as exc:
        log.exception("could not pass a speed change to the live runner of run %s", run.pk)
        raise CommandRefused("the live runner cannot be reached: speed not changed") from exc
    if reply.get("type") != "live.speed.applied":
        raise CommandRefused(str(reply.get("message") or "the live runner refused the speed change"))
    return float(reply["value"])
