"""Who may work a race's timekeeping: the organizer, and the staff the organizer invited.

The one view rule stays races.access's: someone who may not see the race gets its 404, whatever
they ask. Staff see the race they work (a timekeeper need not be a racer). Someone who may see
the race but lacks the role gets 403 with the role named.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from races import access
from races.models import Race

from .models import RaceStaff

TIMEKEEPER, COMMENTATOR = RaceStaff.Role.TIMEKEEPER, RaceStaff.Role.COMMENTATOR
# What each role may do: the timekeeper's buttons need a timekeeper; reading the desk, either.
CONTROL = (TIMEKEEPER,)
READ = (TIMEKEEPER, COMMENTATOR)


def roles_of(user, race: Race) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(RaceStaff.objects.filter(race=race, user=user).values_list("role", flat=True))


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


def viewable_race(request, race_id) -> Race:
    """The race for anyone who may see it, staff included."""
    race = access.load_race(race_id)
    if access.can_view(request, race) or roles_of(request.user, race):
        return race
    raise access.race_not_found()
