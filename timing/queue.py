"""COMING UP on a physical track: the race's racers in racing order, read from the tables.

An in-person race has no model entries: its racers are its active participants, in the
organizer's `queue_order` (the LIVE queue's field), newcomers last in the order they joined.
"""

from __future__ import annotations

from races.models import Race, racer_alias
from races.run_models import Run


def queue(race: Race) -> list[dict]:
    people = {p.user_id: p for p in race.participants.active().select_related("user__racer").order_by("joined_at", "pk")}
    order = [uid for uid in race.queue_order if uid in people]
    order += [uid for uid in people if uid not in order]
    last_runs = dict(Run.objects.filter(race=race).order_by("created_at").values_list("racer_id", "state"))
    turns = dict.fromkeys(people, 0)
    for racer_id in Run.objects.filter(race=race, racer_id__in=people).values_list("racer_id", flat=True):
        turns[racer_id] += 1
    return [{"user_id": uid, "alias": racer_alias(people[uid].user), "last_run": last_runs.get(uid),
             "turns": turns[uid]} for uid in order]
