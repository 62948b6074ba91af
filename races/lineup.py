"""COMING UP: a LIVE race's queue of racers, read from the tables (no writes, no announcements).

Used by the live control panel, the garage (a new entry) and the record (a run that ended): each
announces `queue.changed` with `queue(race)`.
"""

from __future__ import annotations

from datetime import timedelta

from .garage_models import Entry
from .models import Race, racer_alias, shifted
from .run_models import Run


def entries_for(race: Race):
    """The race's entries in the queue: active participants the organizer has not taken out,
    first entered first (the LIVE queue order while entries are open)."""
    return (
        Entry.objects.filter(race=race, participant__removed_at__isnull=True, dropped_at__isnull=True)
        .select_related("racer_model", "participant__user__racer", "user")
        .order_by("entered_at", "pk")
    )


def queue(race: Race) -> list[dict]:
    """The racers in racing order with their slot times and each racer's last run."""
    entries = {e.user_id: e for e in entries_for(race)}
    order = [uid for uid in race.queue_order if uid in entries] if not race.entries_open else []
    order += [uid for uid in entries if uid not in order]
    # Ordered oldest first, so each racer's latest run wins.
    last_runs = dict(Run.objects.filter(race=race).order_by("created_at").values_list("racer_id", "state"))
    slot = timedelta(minutes=race.time_per_racer or 3)
    rows = []
    for i, uid in enumerate(order):
        entry = entries[uid]
        rows.append({
            "user_id": uid,
            "alias": racer_alias(entry.user),
            "model": entry.racer_model.name,
            "slot_at": shifted(race.start_at, i * slot).isoformat(),
            "status": entry.status,
            "failure": entry.failure,
            "last_run": last_runs.get(uid),
        })
    return rows
