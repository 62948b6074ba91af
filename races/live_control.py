"""The organizer's LIVE control panel: simulator, model entries, queue, launches, results.

Every function here takes a race whose organizer the caller has already checked, changes the
database, and tells everyone watching (`race.state`, `queue.changed`, `leaderboard.changed`).
Refusals raise `LiveActionError` with a message for the organizer.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from leaderboard.board import EVENT_ROWS, my_card, race_leaderboard, ranked

from . import lineup, protocol, record, router
from .garage_models import Entry
from .lineup import queue
from .models import Participant, Race, racer_alias, shifted
from .run_models import Run, RunTrace
from .signals import queue_changed

log = logging.getLogger(__name__)
SIMULATOR_OPENS_BEFORE_START = timedelta(hours=1)
SIM_STEP_S = 1.0  # Ready → Set → Go, one second each
REMINDERS_S = (120, 30)  # warn the next racers 2 min and 30 s before the current run ends


class LiveActionError(Exception):
    pass


def publish(race_id, message: dict) -> None:
    protocol.send(race_id, message)


# -- what everyone sees -----------------------------------------------------------------------

def active_run(race: Race) -> Run | None:
    """The run in countdown or on track, as recorded (a read: runs whose runner died are
    recovered by the runners' housekeeping, `record.recover_expired_runs`)."""
    return Run.objects.filter(race=race, state__in=Run.ACTIVE_STATES).select_related("racer__racer").first()


def snapshot(race: Race, viewer=None) -> dict:
    """The full `race.state` a browser renders from."""
    race.refresh_from_db()
    run = active_run(race)
    track = race.track
    winner = None
    if race.winner_id:
        winner = {"alias": racer_alias(race.winner)}
    return protocol.event(
        "race.state",
        race={"id": str(race.pk), "name": race.name, "format": race.format,
              "race_type": race.race_type, "status": race.status,
              "time_per_racer": race.time_per_racer, "sim_state": race.sim_state,
              "entries_open": race.entries_open, "winner": winner,
              "reminders_s": list(REMINDERS_S),
              "track": {"slug": track.slug, "name": track.name, "geometry": race.track_geometry()}},
        run=None if run is None else run.as_event(racer_alias(run.racer)),
        queue=queue(race),
        leaderboard=race_leaderboard(race, EVENT_ROWS),  # the top: a board may hold thousands
        leaderboard_total=ranked(race).count(),
        me=None if viewer is None else {
            "user_id": getattr(viewer, "pk", None),
            "is_organizer": getattr(viewer, "pk", None) == race.organizer_id,
            "last_run": last_ended_run(race, viewer),
            # A page that opens just after the viewer's own result missed its
            # `leaderboard.changed`: their row and card come with the snapshot instead.
            "board": my_card(race, viewer),
        },
    )


def last_ended_run(race: Race, user) -> dict | None:
    """The user's latest ended run in the race (for its flag and replay after a reload)."""
    if not getattr(user, "is_authenticated", False):
        return None
    run = (Run.objects.filter(race=race, racer=user, source=Run.Source.SIM)
           .exclude(state__in=[*Run.ACTIVE_STATES, Run.State.QUEUED])
           .select_related("racer__racer").order_by("-created_at").first())
    if run is None:
        return None
    return run.as_event(racer_alias(run.racer), has_trace=RunTrace.objects.filter(run=run).exists())


def _announce(race: Race) -> None:
    # Each browser adds its own `me`; the shared snapshot carries none.
    publish(race.pk, snapshot(race))


# -- simulator ----------------------------------------------------------------------------------

def simulator_opens_at(race: Race):
    return shifted(race.start_at, -SIMULATOR_OPENS_BEFORE_START)


def launch_simulator(race: Race, *, step_s: float = SIM_STEP_S) -> None:
    now = timezone.now()
    if now < simulator_opens_at(race):
        raise LiveActionError(
            f"The simulator can be launched from 1 hour before the start "
            f"({simulator_opens_at(race):%Y-%m-%d %H:%M} UTC).")
    if race.status == Race.Status.CLOSED:
        raise LiveActionError("The race is closed.")
    if race.sim_state != "off":
        raise LiveActionError("The simulator is already launched.")
    Race.objects.filter(pk=race.pk).update(sim_state="ready")
    _announce(race)

    def ready_set_go():
        for state in ("set", "go"):
            time.sleep(step_s)
            if Race.objects.filter(pk=race.pk, sim_state__in=("ready", "set")).update(sim_state=state):
                _announce(race)

    if step_s:
        threading.Thread(target=ready_set_go, daemon=True, name=f"sim-{race.pk}").start()
    else:
        ready_set_go()


def reset_simulator(race: Race) -> None:
    run = active_run(race)
    if run is not None:
        stop_run(race)
    Race.objects.filter(pk=race.pk).update(sim_state="off")
    _announce(race)


# -- entries and queue --------------------------------------------------------------------------

def set_entries_open(race: Race, is_open: bool) -> None:
    if is_open == race.entries_open:
        return
    if is_open and active_run(race) is not None:
        raise LiveActionError("A racer is on track: reopen entries after the run.")
    with transaction.atomic():
        # Locked, so no entry slips in between building the queue and closing entries.
        race = Race.objects.select_for_update().get(pk=race.pk)
        if not is_open:
            # The queue keeps the organizer's order for racers already in it; newcomers go
            # last in the order they entered.
            race.queue_order = [row["user_id"] for row in queue(race)]
        race.entries_open = is_open
        race.save(update_fields=["entries_open", "queue_order", "updated_at"])
    publish(race.pk, protocol.queue_changed(queue(race)))
    _announce(race)


def save_queue(race: Race, user_ids: list, *, shown: list | None = None) -> None:
    """Reorder the queue, and take racers out of it (the ids left out) or, in person, put back
    racers taken out before (ids of `lineup.dropped_from`). LIVE: only once entries are closed.

    `shown`: the racers the editor showed. Someone who joined the queue meanwhile (in person,
    racers join at any time) is not in it: they stay, at the end, rather than be taken out."""
    if race.is_live and race.entries_open:
        raise LiveActionError("Close model entries before editing the queue.")
    if not race.has_turns:
        raise LiveActionError("Only LIVE and in-person races have a queue.")
    current = {row["user_id"] for row in queue(race)}
    returning = {row["user_id"] for row in lineup.dropped_from(race)}
    try:
        ids = [int(uid) for uid in user_ids]
    except (TypeError, ValueError):
        raise LiveActionError("The queue must be a list of racer ids.") from None
    if len(set(ids)) != len(ids):
        raise LiveActionError("A racer appears twice in the queue.")
    unknown = set(ids) - current - returning
    if unknown:
        raise LiveActionError("Some racers are not in the queue.")
    if shown is not None:
        seen = {int(uid) for uid in shown if str(uid).strip().lstrip("-").isdigit()}
        ids += [row["user_id"] for row in queue(race) if row["user_id"] not in seen and row["user_id"] not in ids]
    dropped = current - set(ids)
    with transaction.atomic():
        # Out of the queue, not out of the race: a LIVE racer's submission and an in-person
        # racer's laps stay on record.
        racers = Participant.objects if race.is_in_person else Entry.objects
        if dropped:
            racers.filter(race=race, user_id__in=dropped).update(dropped_at=timezone.now())
        if race.is_in_person and returning & set(ids):
            racers.filter(race=race, user_id__in=returning & set(ids)).update(dropped_at=None)
        race.queue_order = ids
        race.save(update_fields=["queue_order", "updated_at"])
    announce_queue(race)


def announce_queue(race: Race) -> None:
    """`queue.changed` to the race's pages, then `queue_changed` to the apps (the timekeeper's
    desk); call it once the change is saved. Races with turns only (Classic has no queue)."""
    if not race.has_turns:
        return
    try:
        publish(race.pk, protocol.queue_changed(queue(race)))
    except Exception as exc:  # saved already: a layer that is away costs the event, not the action
        log.warning("could not announce the queue of race %s (%s: %s)", race.pk, type(exc).__name__, exc)
    queue_changed.send_robust(sender=Race, race_id=race.pk)


# -- runs ---------------------------------------------------------------------------------------

def launch_racer(race: Race, user_id: int) -> Run:
    """Start the countdown for a racer's turn (also how a failed run is relaunched)."""
    if race.sim_state != "go":
        raise LiveActionError("Launch the simulator first.")
    if race.entries_open:
        raise LiveActionError("Close model entries before launching racers.")
    entry = (Entry.objects.filter(race=race, user_id=user_id, participant__removed_at__isnull=True,
                                  dropped_at__isnull=True)
             .select_related("racer_model").first())
    if entry is None or user_id not in race.queue_order:
        raise LiveActionError("This racer is not in the queue.")
    try:
        entry.racer_model.create_policy()
    except Exception as exc:  # the model cannot drive: show the racer red in the queue
        entry.mark_failed(f"the model cannot be loaded: {exc}")
        publish(race.pk, protocol.queue_changed(queue(race)))
        raise LiveActionError(f"{entry.racer_model.name} cannot race: {exc}") from exc
    try:
        run = record.begin_run(race, user_id, racer_model=entry.racer_model,
                               model_name=entry.racer_model.name, seed=secrets.randbelow(2**31))
    except record.RaceBusy as exc:
        raise LiveActionError(str(exc)) from None
    transaction.on_commit(lambda: _hand_over(run))
    return run


def _hand_over(run: Run) -> None:
    try:
        router.launch(run)
    except router.CommandRefused as exc:
        raise LiveActionError(str(exc)) from exc


def stop_run(race: Race) -> None:
    run = active_run(race)
    if run is None:
        raise LiveActionError("No racer is on track.")
    try:
        router.stop(run)
    except router.CommandRefused as exc:
        raise LiveActionError(str(exc)) from exc


# -- results ------------------------------------------------------------------------------------

def clear_leaderboard(race: Race) -> None:
    race.leaderboard_cleared_at = timezone.now()
    race.winner = None
    race.save(update_fields=["leaderboard_cleared_at", "winner", "updated_at"])
    publish(race.pk, protocol.leaderboard_changed(race_leaderboard(race)))
    _announce(race)


def declare_winner(race: Race) -> str:
    board = race_leaderboard(race)
    if not board:
        raise LiveActionError("Nobody has completed a lap yet.")
    alias = board[0]["racer"]
    race.winner_id = board[0]["user_id"]
    race.save(update_fields=["winner", "updated_at"])
    _announce(race)
    return alias
