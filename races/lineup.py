"""COMING UP: the queue of a race with turns, read from the tables (no announcements; its one
write is `send_to_back`, the in-person queue going round).

One queue for both kinds of race with turns:
- LIVE: the racers who entered a model (their entries), first entered first while entries are
  open (replacing the model keeps the racer's place); once closed, in the organizer's `queue_order`, newcomers last;
- in person (a physical track): the race's active participants (nothing to enter), in the
  organizer's `queue_order`, newcomers last in the order they joined. The queue goes round all
  day: each recorded turn sends its racer to the back (`send_to_back`, from `record.end_run`),
  so its first row is always who is next, for the timekeeper's chooser, COMING UP, the
  race page and the organizer's editor alike.
Racers the organizer took out of the queue (✕) stay in the race but not in the queue.

Used by the live control panel (which edits it: `live_control.save_queue`), the garage (a new
entry), the record (a run that ended), the timekeeper's desk (its racer chooser and COMING UP):
each announces `queue.changed` with `queue(race)`.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.utils import timezone

from .garage_models import Entry
from .models import Participant, Race, racer_alias, shifted
from .run_models import Run


def entries_for(race: Race):
    """The race's entries in the queue: active participants the organizer has not taken out,
    first entered first (the LIVE queue order while entries are open).

    A racer's place is their entry row's, made when they first entered: entering again only
    changes the row's model (and `entered_at`, which says when that model was entered), so a
    racer who swaps models keeps their place instead of going to the end."""
    return (
        Entry.objects.filter(race=race, participant__removed_at__isnull=True, dropped_at__isnull=True)
        .select_related("racer_model", "participant__user__racer", "user")
        .order_by("pk")
    )


def participants_for(race: Race):
    """An in-person race's racers in the queue: active participants not taken out, first joined first."""
    return (Participant.objects.filter(race=race, removed_at__isnull=True, dropped_at__isnull=True)
            .select_related("user__racer").order_by("joined_at", "pk"))


def dropped_from(race: Race) -> list[dict]:
    """The in-person racers the organizer took out of the queue (who can be put back)."""
    if not race.is_in_person:
        return []
    rows = (Participant.objects.filter(race=race, removed_at__isnull=True, dropped_at__isnull=False)
            .select_related("user__racer").order_by("dropped_at", "pk"))
    return [{"user_id": p.user_id, "alias": racer_alias(p.user)} for p in rows]


def _racers(race: Race) -> tuple[dict[int, dict], bool]:
    """{user id: what the row shows of them} in their own order, and whether the organizer's
    order applies (always in person; in a LIVE race once entries are closed)."""
    if race.is_in_person:
        return ({p.user_id: {"user": p.user, "model": "", "status": Entry.Status.OK, "failure": ""}
                 for p in participants_for(race)}, True)
    return ({e.user_id: {"user": e.user, "model": e.racer_model.name, "status": e.status, "failure": e.failure}
             for e in entries_for(race)}, not race.entries_open)


def behind(order: list[int], racer_id: int) -> list[int]:
    """The queue after `racer_id`'s turn: they go to its back (a racer not in it stays out)."""
    return [uid for uid in order if uid != racer_id] + ([racer_id] if racer_id in order else [])


def send_to_back(race: Race, racer_id: int) -> None:
    """An in-person turn ended (`record.end_run`): its racer goes to the back of the queue. In the
    caller's transaction, not announced: the run's end announces the queue right after."""
    race.queue_order = behind([row["user_id"] for row in queue(race)], racer_id)
    race.save(update_fields=["queue_order", "updated_at"])


def first_slot(race: Race, now: datetime | None = None) -> datetime:
    """When the queue's first racer goes. A LIVE race's racers race once, to a schedule from
    the start. An in-person race goes round its queue all day: once it has started (and until
    it closes) its slots are estimates from now, to the minute, never times already past."""
    if race.is_in_person:
        now = (now or timezone.now()).replace(second=0, microsecond=0)
        if race.start_at < now and (race.closes_at is None or now < race.closes_at):
            return now
    return race.start_at


def queue(race: Race, now: datetime | None = None) -> list[dict]:
    """The racers in racing order with their slot times, each racer's last run and turns so far."""
    racers, ordered = _racers(race)
    order = [uid for uid in race.queue_order if uid in racers] if ordered else []
    order += [uid for uid in racers if uid not in order]
    runs = list(Run.objects.filter(race=race).order_by("created_at").values_list("racer_id", "state"))
    last_runs = dict(runs)  # oldest first, so each racer's latest run wins
    turns = Counter(racer_id for racer_id, _ in runs)
    slot = timedelta(minutes=race.time_per_racer or 3)
    start = first_slot(race, now)
    rows = []
    for i, uid in enumerate(order):
        racer = racers[uid]
        rows.append({
            "user_id": uid,
            "alias": racer_alias(racer["user"]),
            "model": racer["model"],
            "slot_at": shifted(start, i * slot).isoformat(),
            "status": racer["status"],
            "failure": racer["failure"],
            "last_run": last_runs.get(uid),
            "turns": turns[uid],
        })
    return rows
