"""The timekeeper's desk: the race state of an in-person race, held by the server.

Every timekeeper button (`act`) and every lap timer crossing (`crossings`) locks the race's
`Desk` row, applies itself to the turn in progress (`timing.turn.Turn`, pure), saves it and, once
the transaction holds, announces the new desk (`timekeeper.state`) to every open timekeeper page
and overlay. A reload or a second tablet reads the same row: nothing lives in a browser.

A turn's laps are committed when the timekeeper ends the turn (`end`): the run is begun, its laps
recorded and the run ended (its racer goes to the back of the queue) through `races/record.py`
(source `timer` if a lap timer reported during the turn, else `manual`), in the same
transaction, so the leaderboard gets the whole turn or nothing. Until then the timekeeper can
still mark laps invalid or merge a false finish. `discard` drops the turn without a record (the
racer keeps their place).

Crossings carry the reader's session and a sequence number: a batch the reader sends again
(it never heard the answer) is recognised and not counted twice; order is the reader's.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from races import protocol, record
from races.lineup import queue
from races.models import Race, racer_alias
from races.run_models import Run

from .groups import timekeeper_group
from .models import Desk, TimerToken
from .turn import Rules, Turn, TurnError

log = logging.getLogger(__name__)
ACTIONS = ("start", "pause", "resume", "capture_lap", "reset", "unreset", "dnf",
           "undo_false_finish", "toggle_valid", "end", "discard")
OWNER = "timekeeper"
STALE_S = 3.0  # a timer that said nothing for this long is shown as silent
# The timekeeper group's one message type: {"texts": [the JSON of each event, in order]} (server
# side only: pages get the texts, each a `timekeeper.state` or `timer.crossing`).
FRAMES = "timekeeper.frames"


class DeskError(ValueError):
    """An action that cannot be done now; the message is for the timekeeper."""


def now_ms() -> float:
    return time.time() * 1000


def rules_of(race: Race) -> Rules:
    return Rules(time_ms=int((race.time_per_racer or 3) * 60_000),
                 min_lap_ms=int(float(race.min_lap_time) * 1000), max_resets=race.max_resets)


def _locked(race: Race) -> Desk:
    """The race's desk, locked until the transaction ends, its version bumped.

    The lock is taken by writing first (an UPDATE), not by SELECT … FOR UPDATE: on PostgreSQL
    both lock the row, but SQLite (the one-laptop setup) ignores FOR UPDATE, and a transaction
    that read before it writes fails at once with "database is locked" when another writer got
    in between, where one that writes first waits its turn."""
    if not Desk.objects.filter(race=race).update(version=F("version") + 1):
        Desk.objects.get_or_create(race=race)
        Desk.objects.filter(race=race).update(version=F("version") + 1)
    return Desk.objects.get(race=race)


def _turn(desk: Desk) -> Turn | None:
    return Turn.from_dict(desk.turn) if desk.turn else None


# -- what every timekeeper page shows -----------------------------------------------------------

def view(race: Race, desk: Desk | None = None, now: float | None = None, *, with_queue: bool = True) -> dict:
    """The desk as pages show it. Without the queue (`with_queue=False`, for the frequent
    changes that cannot move it: crossings, a timer's status) pages keep the queue they have."""
    desk = desk or Desk.objects.filter(race=race).first() or Desk(race=race)
    now = now_ms() if now is None else now
    turn = _turn(desk)
    lineup = queue(race) if with_queue else None
    turn_view = None if turn is None else turn.view(now)
    timers = []
    for pk, name in TimerToken.objects.active().filter(race=race).order_by("pk").values_list("pk", "name"):
        timers.append({"id": pk, "name": name, **reader_state(desk.readers.get(str(pk), {}), now)})
    state = {"version": desk.version, "turn": turn_view, "timers": timers,
             "now_ms": round(now), "stale_s": STALE_S}
    if lineup is not None:
        state["queue"] = lineup
        state["next_racer_id"] = next_racer(lineup)
    return state


def next_racer(lineup: list[dict]) -> int | None:
    """Whom the racer chooser offers: the first in the queue (each recorded turn sends its racer
    to the back: `record.end_run`)."""
    return lineup[0]["user_id"] if lineup else None


def reader_state(said: dict, now: float) -> dict:
    """A timer as pages and the API show it. The reader's word holds only while it keeps
    talking: it posts its status every second (reader.HEARTBEAT_S), so a reader silent for
    STALE_S (killed, its Pi unplugged, its network gone) is not connected, whatever it last said."""
    at = said.get("at_ms")
    connected, message = said.get("connected"), said.get("message", "never connected")
    silent = bool(connected) and (at is None or now - at > STALE_S * 1000)
    if silent:
        connected = False
        message = f"no word from the reader for {max(0, now - (at or now)) / 1000:.0f} s (last: {message})"
    return {"connected": connected, "silent": silent, "message": message, "at_ms": at}


def publish(race_id, messages: list[dict]) -> None:
    """To the timekeeper group (timekeeper pages) first, then the race's group (overlays, race
    pages), in one hop to the layer's event loop. Events are at most once: a page that misses
    one gets the whole desk when it reconnects.

    The timekeeper group gets them as one `timekeeper.frames` message: their JSON texts, encoded
    once here for every timekeeper page (the consumer writes them as they are, in order). The
    race's group gets the events themselves (its hub encodes each once per server process)."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    frames = {"type": FRAMES, "texts": [json.dumps(message) for message in messages]}

    async def send_all():
        for group, batch in ((timekeeper_group(race_id), [frames]), (protocol.race_group(race_id), messages)):
            for message in batch:
                try:
                    await layer.group_send(group, message)
                except Exception as exc:
                    log.warning("could not announce %s for race %s (%s: %s)", message.get("type"),
                                race_id, type(exc).__name__, exc)

    try:
        async_to_sync(send_all)()
    except Exception as exc:  # the record holds; a lost event costs a page a reconnect at worst
        log.warning("could not announce to race %s (%s: %s)", race_id, type(exc).__name__, exc)


def _announce_after_commit(race: Race, desk: Desk, now: float, extra: Iterable[dict] = (),
                           with_queue: bool = True) -> dict:
    state = view(race, desk, now, with_queue=with_queue)
    messages = [*extra, protocol.timekeeper_state(state)]
    transaction.on_commit(lambda: publish(race.pk, messages))
    return state


def on_queue_changed(sender, *, race_id, **kwargs) -> None:
    """`queue_changed` receiver: the desk with the new queue, to every timekeeper page."""
    race = Race.objects.filter(pk=race_id).first()
    if race is not None and race.is_in_person:
        publish(race.pk, [protocol.timekeeper_state(view(race))])


# -- the timekeeper's buttons -------------------------------------------------------------------

def act(race: Race, action: str, *, racer_id: int | None = None, car: str = "",
        lap: int | None = None) -> dict:
    if action not in ACTIONS:
        raise DeskError(f"Unknown action {action!r}: use one of {', '.join(ACTIONS)}.")
    if not race.is_in_person:
        raise DeskError("Only in-person races have a timekeeper.")
    now = now_ms()
    with transaction.atomic():
        desk = _locked(race)
        turn = _turn(desk)
        try:
            turn = _apply(race, turn, action, now, racer_id=racer_id, car=car, lap=lap)
        except TurnError as exc:
            raise DeskError(str(exc)) from None
        desk.turn = turn.as_dict() if turn is not None else None
        desk.save(update_fields=["turn", "updated_at"])
        return _announce_after_commit(race, desk, now)


def _apply(race: Race, turn: Turn | None, action: str, now: float, *, racer_id, car, lap) -> Turn | None:
    if action == "start":
        if turn is not None:
            raise DeskError("A racer is on track: end or discard their turn first.")
        racer = next((row for row in queue(race) if row["user_id"] == racer_id), None)
        if racer is None:
            raise DeskError("Choose a racer from the queue.")
        return Turn.begin(racer_id, rules_of(race), now, car=car or "", racer=racer["alias"])
    if turn is None:
        raise DeskError("No racer is on track: start a turn first.")
    if action == "pause":
        turn.pause(now)
    elif action == "resume":
        turn.resume(now)
    elif action == "capture_lap":
        turn.capture_lap(now)
    elif action in ("reset", "unreset"):
        turn.tick(now)
        turn.reset(+1 if action == "reset" else -1)
    elif action == "dnf":
        turn.mark_dnf(now)
    elif action == "undo_false_finish":
        turn.undo_false_finish(now)
    elif action == "toggle_valid":
        turn.toggle_valid(lap)
    elif action == "end":
        commit_turn(race, turn, now)
        return None
    elif action == "discard":
        return None
    return turn


def commit_turn(race: Race, turn: Turn, now: float) -> Run:
    """Record the turn: a run with its laps, through the one record path (in the caller's
    transaction: the whole turn or nothing)."""
    turn.tick(now)
    source = Run.Source.TIMER if turn.sensor_seen else Run.Source.MANUAL
    try:
        run = record.begin_run(race, turn.racer_id, source=source, model_name=turn.car)
    except record.RaceBusy as exc:
        raise DeskError(str(exc)) from None
    record.claim_run(run.pk, OWNER)
    used_s = (turn.rules.time_ms - turn.remaining_ms(now)) / 1000
    run = record.start_run(run.pk, OWNER, duration_s=max(used_s, 0.001))
    for lap in turn.laps:
        record.record_lap(run, number=lap["number"], time_ms=lap["time_ms"],
                          reset_count=lap["reset_count"], valid=lap["valid"],
                          invalid_reason=lap["invalid_reason"][:200],
                          sector_times_ms=lap["sector_times_ms"], start_time=lap["start_time"],
                          end_time=lap["end_time"])
    state = Run.State.FAILED if turn.dnf else Run.State.FINISHED
    record.end_run(run.pk, state, "did not finish (DNF)" if turn.dnf else "")
    race.refresh_from_db(fields=["queue_order"])  # the end sent the racer back: the desk shows it
    return run


# -- lap timers ---------------------------------------------------------------------------------

def crossings(token: TimerToken, session: str, items: list[dict]) -> dict:
    """A timer's crossings, in its order; those already counted (same session, seq not above the
    last one) are skipped. Returns the last sequence number counted."""
    race = token.race
    now = now_ms()
    with transaction.atomic():
        desk = _locked(race)
        key = str(token.pk)
        said = dict(desk.readers.get(key, {}))
        last = said.get("seq", 0) if said.get("session") == session else 0
        turn = _turn(desk)
        events = []
        for item in sorted(items, key=lambda c: c["seq"]):
            if item["seq"] <= last:
                continue
            last = item["seq"]
            seen = item.get("seen_ms")
            if turn is not None and race.is_in_person:
                # A crossing delivered late (stored while the server was away) is judged by when
                # it was seen, so the racer's time is not spent by the outage.
                at = min(now, seen) if seen is not None else now
                turn.crossing(item["gate"], item["device_us"] / 1000, seen, at)
            events.append(protocol.timer_crossing({"gate": item["gate"], "sensor": item["sensor"],
                                                   "device_us": item["device_us"], "timer": token.name}))
        said.update(session=session, seq=last, connected=True, message="connected", at_ms=round(now))
        desk.readers = {**desk.readers, key: said}
        if turn is not None:
            desk.turn = turn.as_dict()
        desk.save(update_fields=["turn", "readers", "updated_at"])
        # (the token's last_seen_at moves with the reader's heartbeat: one write less per lap)
        _announce_after_commit(race, desk, now, events, with_queue=False)
    return {"last_seq": last}


def timer_status(token: TimerToken, connected: bool, message: str) -> dict:
    """What the reader says about its device (a pulled cable, a lost socket, back again), and its
    heartbeat (every second). Announced every time: pages show a timer that fell silent (its
    reader or its network died) from the age of its last word."""
    race = token.race
    now = now_ms()
    with transaction.atomic():
        desk = _locked(race)
        key = str(token.pk)
        said = dict(desk.readers.get(key, {}))
        said.update(connected=connected, message=message[:200], at_ms=round(now))
        desk.readers = {**desk.readers, key: said}
        desk.save(update_fields=["readers", "updated_at"])
        TimerToken.objects.filter(pk=token.pk).update(last_seen_at=timezone.now())
        _announce_after_commit(race, desk, now, with_queue=False)
    return {"connected": connected}


def runs(race: Race) -> list[dict]:
    """The race's runs with their laps (newest first)."""
    out = []
    for run in (Run.objects.filter(race=race).select_related("racer__racer").prefetch_related("laps")
                .order_by("-created_at")):
        event = run.as_event(racer_alias(run.racer), source=run.source, car=run.model_name)
        event["laps"] = [lap.as_event() for lap in run.laps.all()]
        out.append(event)
    return out
