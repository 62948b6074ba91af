"""Who may work a race's timekeeping: the organizer, and the staff the organizer invited.

The one view rule stays races.access's: someone who may not see the race gets its 404, whatever
they ask. Staff see the race they work, everywhere (a timekeeper or commentator need not be a
racer): `staff_among` is registered with races.access as a source of viewers (apps.py), and
removing staff announces the change so their open race websockets close. Someone who may see the
race but lacks the role gets 403 with the role named.

Commentator is one grant, RaceStaff(role="commentator"), whether the organizer gives it on the
Trackside setup or on the Broadcast page (`set_commentators`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet

from races import access
from races.models import Race

from .groups import timekeeper_group
from .models import RaceStaff

log = logging.getLogger(__name__)
# The timekeeper group's event after staff were removed: each timekeeper socket re-checks its role.
STAFF_CHANGED = "timekeeper.access"

TIMEKEEPER, COMMENTATOR = RaceStaff.Role.TIMEKEEPER, RaceStaff.Role.COMMENTATOR
# What each role may do: the timekeeper's buttons need a timekeeper; reading the desk, either.
CONTROL = (TIMEKEEPER,)
READ = (TIMEKEEPER, COMMENTATOR)


def roles_of(user, race: Race) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(RaceStaff.objects.filter(race=race, user=user).values_list("role", flat=True))


def staff_among(race: Race, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` on the race's staff, in any role (races.access's source of viewers)."""
    return set(RaceStaff.objects.filter(race=race, user_id__in=user_ids).values_list("user_id", flat=True))


def is_commentator(user, race: Race) -> bool:
    return COMMENTATOR in roles_of(user, race)


def commentators(race: Race) -> QuerySet:
    """The race's commentators (users), as both the Trackside and the Broadcast page show them."""
    ids = RaceStaff.objects.filter(race=race, role=COMMENTATOR).values("user_id")
    return get_user_model().objects.filter(pk__in=ids)


@transaction.atomic
def set_commentators(race: Race, user_ids: Iterable[int]) -> None:
    """Make exactly these users the race's commentators (the Broadcast page's ticks)."""
    wanted = set(user_ids)
    current = set(RaceStaff.objects.filter(race=race, role=COMMENTATOR).values_list("user_id", flat=True))
    RaceStaff.objects.bulk_create([RaceStaff(race=race, user_id=uid, role=COMMENTATOR) for uid in wanted - current],
                                  ignore_conflicts=True)
    remove_staff(race, RaceStaff.objects.filter(race=race, role=COMMENTATOR, user_id__in=current - wanted))


def remove_staff(race: Race, rows: QuerySet) -> int:
    """Delete these staff rows of the race; who lost their last role loses the race (their open
    race websockets close), as a removed racer does. Returns how many rows went."""
    deleted, _ = rows.filter(race=race).delete()
    if deleted:
        access.announce_change(race.pk, "staff removed")
        race_id = race.pk
        transaction.on_commit(lambda: _recheck_timekeeper_sockets(race_id))
    return deleted


def _recheck_timekeeper_sockets(race_id) -> None:
    # The timekeeper pages' socket is not on the race's group (announce_change does not reach it).
    try:
        async_to_sync(get_channel_layer().group_send)(timekeeper_group(race_id), {"type": STAFF_CHANGED})
    except Exception as exc:  # the removal is saved; an open desk closes when it reconnects
        log.warning("race %s: could not tell the timekeeper sockets that staff were removed (%s: %s)",
                    race_id, type(exc).__name__, exc)


def may(user, race: Race, roles) -> bool:
    """The organizer may do everything; staff what their roles allow."""
    return access.is_organizer(user, race) or bool(roles_of(user, race) & set(roles))


def staffed_race(request, race_id, roles=READ) -> Race:
    """The race if the request's user may act in one of `roles` (404 if they may not even see
    it, 403 if they see it without the role)."""
    race = access.load_race(race_id)
    if may(request.user, race, roles):
        return race
    if not access.can_view(request, race):
        raise access.race_not_found()
    raise PermissionDenied(f"Only the organizer or a race {' or '.join(roles)} can do this.")

