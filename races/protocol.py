"""The one message protocol between browsers, servers and runners, declared in one place.

Every message is a small JSON object with a `type` and its version `v`. `MESSAGES` declares each
one: who sends it to whom, its version and its fields; the builders below are the only way to
make one, so a message on the wire always matches its declaration.

Server → browsers of a race (events, on the race's channel-layer group; every server process's
fan-out, races/fanout.py, writes them to its websockets unchanged, one JSON encoding per event;
`race.state` gets each browser's own `me`):

- `race.state`          full snapshot for a (re)connecting browser: race, run, queue,
                        leaderboard (the top rows), leaderboard_total (racers ranked), me
                        {user_id, is_organizer, last_run (the viewer's latest ended run: id,
                        state, racer, failure, has_trace), board (the viewer's own "your rank"
                        card, leaderboard/board.py `my_card`, or null; only in the snapshot a
                        socket gets on connect)}
- `run.state`           a run's state changed: run (`Run.as_event()`: id, state, racer_id, racer,
                        started_at, ends_at, duration_s; count during the countdown; failure and
                        has_trace once ended; its replay is at /races/<race>/runs/<id>/trace/)
- `run.frame`           one simulator step (15 Hz): run_id, ts (epoch s when the runner sent it,
                        for latency figures), frame (`livesim.realtime.FRAME_FIELDS`)
- `run.camera`          what the racer's model sees, for the LIVE view's Car camera panel (models
                        with a camera sensor only; `live.CAMERA_FPS` a second, not 15): run_id,
                        step (of the frame it goes with), sensor (the camera's name in the
                        model's metadata; the left one of a stereo pair), width, height, image
                        (a `data:image/jpeg;base64,…` URL of the grey frame the network was fed,
                        160×120). The fan-out writes it only to the browsers that asked with
                        `camera.watch` (a visible race page): overlays and hidden tabs get none
- `run.lap`             a lap was committed: run_id, lap (`Lap.as_event()`: `run_models.LAP_FIELDS`)
- `queue.changed`       the LIVE queue changed: queue [...]
- `leaderboard.changed` the race's leaderboard changed: leaderboard [the top rows], and optionally
                        total (racers ranked) and changed (the row of the racer whose
                        standing changed, with their rank; leaderboard/board.py `row`)
- `submission.state`    a Classic submission changed: submission (`evaluation.submission_event`:
                        id, racer_id, racer, model, state queued|evaluating|done|failed, place
                        (in the evaluation queue, while queued), trial and trials, progress (% of
                        the trial's lap), failure, results (per trial, once done); its results
                        page is /races/<race>/submissions/<id>/)
- `submission.queue`    the evaluation queue moved: places {run id: place} of the race's queued
                        submissions
- `car.telemetry`       a physical car reported battery, temperature, ...
- `timer.crossing`      a lap timer saw a car cross a gate (in-person races, `timing/`): crossing
                        {gate (0 the line, 1.. sector gates), sensor, device_us, timer (its
                        name)}; sent whether or not a turn is running, for overlays
- `timekeeper.state`    the timekeeper's desk changed (`timing.desk.view()`): desk {version,
                        turn (`timing.turn.Turn.view()` or null), timers [{id, name, connected,
                        message, at}], queue (absent: unchanged), now_ms}; also on the race's
                        timekeeper group, which the timekeeper pages listen to (there, with
                        `timer.crossing`, as the JSON texts of one `timekeeper.frames` message:
                        timing/desk.py encodes them once for every page)
- `race.access`         an organizer action may have ended someone's access (link reset, racer
                        removed, race closed, edited or deleted): reason. Each server process
                        re-checks its viewers of the race and closes those who lost access with
                        4404 (races/fanout.py); never forwarded to browsers

Server → one browser (replies on its own socket): `speed.ack` (value: the multiplier the runner
applied), `error` (message: what was wrong).

Close code 4404 (the websocket twin of a 404): unknown race or no access, whether the access
ended while the socket was open (`race.access`) or the socket is refused on connect (accepted,
then closed before anything is sent: a refused handshake reads only as 1006 in a browser, as a
server that is away would). Pages never reconnect after it; any other close, they try again.

Browser → server: `speed.set` (value: the multiplier asked for; the racer on track only);
`camera.watch` (on: true while the page shows the Car camera panel, false when hidden; any
viewer; no answer, and `run.camera` events follow while on).

Server → runners (commands, on the runners' layer: Redis lists in scaled mode, where a command
waits for a runner): `live.launch` (run_id; to any runner), `live.stop` (run_id; to the owner),
`live.speed` (run_id, value, reply_to; to the owner, which answers `live.speed.applied` (value)
or `error` (message) on `reply_to`).

Server → a race's `obs_control` process (broadcast/, on the race's OBS group `obs_group`, never
to browsers): `obs.command` (action: start_stream, stop_stream, refresh_sources, reload (the
Broadcast settings changed), scene (with `scene`: the producer puts a scene on air)).

A browser that misses messages loses nothing: on reconnect it gets a new `race.state`.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from config.layers import RUNNERS

VERSION = 1  # of the protocol as a whole; each message carries its own in `v`


@dataclass(frozen=True)
class Message:
    direction: str  # "event", "reply", "browser" or "command"
    fields: tuple[str, ...]
    version: int = VERSION


MESSAGES: dict[str, Message] = {
    "race.state": Message("event", ("race", "run", "queue", "leaderboard", "me")),
    "run.state": Message("event", ("run",)),
    "run.frame": Message("event", ("run_id", "ts", "frame")),
    "run.lap": Message("event", ("run_id", "lap")),
    "run.camera": Message("event", ("run_id", "step", "sensor", "width", "height", "image")),
    "queue.changed": Message("event", ("queue",)),
    "leaderboard.changed": Message("event", ("leaderboard",)),
    "submission.state": Message("event", ("submission",)),
    "submission.queue": Message("event", ("places",)),
    "car.telemetry": Message("event", ()),
    "race.access": Message("event", ("reason",)),
    "timer.crossing": Message("event", ("crossing",)),
    "timekeeper.state": Message("event", ("desk",)),
    "speed.ack": Message("reply", ("value",)),
    "error": Message("reply", ("message",)),
    "speed.set": Message("browser", ("value",)),
    "camera.watch": Message("browser", ("on",)),
    "live.launch": Message("command", ("run_id",)),
    "live.stop": Message("command", ("run_id",)),
    "live.speed": Message("command", ("run_id", "value", "reply_to")),
    "live.speed.applied": Message("reply", ("value",)),
    "obs.command": Message("command", ("action",)),
}
TYPES = frozenset(t for t, m in MESSAGES.items() if m.direction == "event")


class ProtocolError(ValueError):
    """A message that does not follow the protocol; the text says what is wrong."""


def message(type_: str, **payload: Any) -> dict:
    """Build a declared message; its declared fields are required."""
    spec = MESSAGES.get(type_)
    if spec is None:
        raise ValueError(f"unknown message type {type_!r}")
    missing = [f for f in spec.fields if f not in payload]
    if missing:
        raise ValueError(f"{type_} needs {', '.join(missing)}")
    return {"type": type_, "v": spec.version, **payload}


def event(type_: str, **payload: Any) -> dict:
    if type_ not in TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    return message(type_, **payload)


# -- builders -----------------------------------------------------------------------------------

def run_state(run: dict) -> dict:
    return message("run.state", run=run)


def run_frame(run_id: int, ts: float, frame: dict) -> dict:
    return message("run.frame", run_id=run_id, ts=ts, frame=frame)


def run_camera(run_id: int, step: int, sensor: str, width: int, height: int, image: str) -> dict:
    return message("run.camera", run_id=run_id, step=step, sensor=sensor, width=width,
                   height=height, image=image)


def run_lap(run_id: int, lap: dict) -> dict:
    return message("run.lap", run_id=run_id, lap=lap)


def queue_changed(queue: list[dict]) -> dict:
    return message("queue.changed", queue=queue)


def leaderboard_changed(leaderboard: list[dict], total: int | None = None,
                        changed: dict | None = None) -> dict:
    extra = {} if total is None else {"total": total, "changed": changed}
    return message("leaderboard.changed", leaderboard=leaderboard, **extra)


def timer_crossing(crossing: dict) -> dict:
    return message("timer.crossing", crossing=crossing)


def timekeeper_state(desk: dict) -> dict:
    return message("timekeeper.state", desk=desk)


def submission_state(submission: dict) -> dict:
    return message("submission.state", submission=submission)


def submission_queue(places: dict[int, int]) -> dict:
    # JSON object keys are strings: say so here rather than let each encoder decide
    return message("submission.queue", places={str(k): v for k, v in places.items()})


def race_access(reason: str) -> dict:
    return message("race.access", reason=reason)


def speed_ack(value: float) -> dict:
    return message("speed.ack", value=value)


def error(text: str) -> dict:
    return message("error", message=text)


def launch_command(run_id: int) -> dict:
    return message("live.launch", run_id=run_id)


def stop_command(run_id: int) -> dict:
    return message("live.stop", run_id=run_id)


def speed_command(run_id: int, value: float, reply_to: str) -> dict:
    return message("live.speed", run_id=run_id, value=value, reply_to=reply_to)


def speed_applied(value: float) -> dict:
    return message("live.speed.applied", value=value)


OBS_ACTIONS = ("start_stream", "stop_stream", "refresh_sources", "reload", "scene")


def obs_command(action: str, **payload: Any) -> dict:
    if action not in OBS_ACTIONS:
        raise ValueError(f"unknown OBS action {action!r}: one of {', '.join(OBS_ACTIONS)}")
    return message("obs.command", action=action, **payload)


# -- what browsers send -------------------------------------------------------------------------

def speed_value(value: Any) -> float:
    """The multiplier of a `speed.set`: a finite number (the runner clamps it to its range)."""
    if isinstance(value, bool):
        raise ProtocolError("the speed multiplier must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProtocolError("the speed multiplier must be a number") from None
    if not math.isfinite(number):
        raise ProtocolError("the speed multiplier must be a finite number")
    return number


JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean",
              type(None): "null"}


def parse_browser_message(content: Any) -> tuple[str, dict]:
    """The type and payload of a message from a browser (decoded JSON); ProtocolError names
    what is wrong."""
    if not isinstance(content, dict):
        raise ProtocolError(f"message must be a JSON object, not {JSON_KINDS.get(type(content), 'that')}")
    type_ = content.get("type")
    spec = MESSAGES.get(type_) if isinstance(type_, str) else None
    if spec is None or spec.direction != "browser":
        known = ", ".join(t for t, m in MESSAGES.items() if m.direction == "browser")
        raise ProtocolError(f"unknown message type {type_!r}"[:80] + f": one of {known}")
    missing = [f for f in spec.fields if f not in content]
    if missing:
        raise ProtocolError(f"{type_} needs {', '.join(missing)}")
    if type_ == "speed.set":
        return type_, {"value": speed_value(content["value"])}
    if type_ == "camera.watch":
        if not isinstance(content["on"], bool):
            raise ProtocolError("camera.watch needs on: true or false")
        return type_, {"on": content["on"]}
    return type_, {f: content[f] for f in spec.fields}


# -- sending ------------------------------------------------------------------------------------

def race_group(race_id) -> str:
    return f"race.{race_id}"


def obs_group(race_id) -> str:
    """The group of a race's obs_control process (producer commands; browsers never join it)."""
    return f"obs.{race_id}"


def send_obs_command(race_id, command: dict) -> None:
    """Send a producer's command to the race's obs_control process (from synchronous code)."""
    layer = get_channel_layer()
    if layer is not None:
        _run(layer.group_send(obs_group(race_id), command))


async def _await(coroutine):
    return await coroutine


def _run(coroutine) -> None:
    """Run a layer call from synchronous code: to completion, or as a task when this thread
    already runs an event loop (where async_to_sync may not be used)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(_await)(coroutine)
    else:
        loop.create_task(coroutine)


def send(race_id, message: dict) -> None:
    """Send an event to everyone watching the race (from synchronous code)."""
    layer = get_channel_layer()
    if layer is not None:
        _run(layer.group_send(race_group(race_id), message))


async def asend(race_id, message: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(race_group(race_id), message)


def send_to_channel(channel: str, message: dict) -> None:
    """Send work to one named channel of the runners' layer (scaled mode: the launch channel,
    a runlive process's control channel), where it waits until a runner takes it."""
    layer = get_channel_layer(RUNNERS)
    if layer is not None:
        _run(layer.send(channel, message))
