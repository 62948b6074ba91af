"""Who may see and control a race.

A race is visible to its organizer, its active participants and whoever holds its current
invitation link; everyone else gets 404 so nothing about the race leaks. Organizer-only actions
answer 403 to people who can see the race but not control it.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from .models import Participant, Race

SESSION_LINKS = "race_links"  # session key: {race id: invitation token}
# The one answer for a race that is missing, malformed or private: any difference in wording
# would tell a stranger that a private race exists.
RACE_NOT_FOUND = "No such race."


def race_not_found() -> Http404:
    """The 404 for every race nobody may see, whatever the reason."""
    return Http404(RACE_NOT_FOUND)


def is_organizer(user, race: Race) -> bool:
    return user.is_authenticated and race.organizer_id == user.pk


def active_participant(user, race: Race) -> Participant | None:
    if not user.is_authenticated:
        return None
    return race.participants.active().filter(user=user).first()


def was_removed(user, race: Race) -> bool:
    return user.is_authenticated and race.participants.filter(user=user, removed_at__isnull=False).exists()


def holds_link(request, race: Race) -> bool:
    token = request.session.get(SESSION_LINKS, {}).get(str(race.pk))
    return bool(token) and race.link_is_valid(token) and not was_removed(request.user, race)


def remember_link(request, race: Race) -> None:
    links = dict(request.session.get(SESSION_LINKS, {}))
    links[str(race.pk)] = race.invite_token
    request.session[SESSION_LINKS] = links


def can_view(request, race: Race) -> bool:
    user = request.user
    return is_organizer(user, race) or active_participant(user, race) is not None or holds_link(request, race)


def load_race(race_id) -> Race:
    """The race with this id, without an access check; `race_not_found()` if there is none."""
    try:
        race = Race.objects.select_related("track", "organizer").filter(pk=race_id).first()
    except ValidationError:  # a malformed id is just an unknown race
        race = None
    if race is None:
        raise race_not_found()
    return race


def visible_race(request, race_id) -> Race:
    """The race if `request` may see it, else the same 404 as for a race that does not exist."""
    race = load_race(race_id)
    if not can_view(request, race):
        raise race_not_found()
    return race


def race_view(role: str = "viewer"):
    """Decorator: load the race named by `race_id`, check access, pass it as `race`.

    role="viewer": organizer, participant or link holder; else 404.
    role="organizer": as above, then 403 unless the user organizes the race.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, race_id, *args, **kwargs):
            race = visible_race(request, race_id)
            if role == "organizer" and not is_organizer(request.user, race):
                raise PermissionDenied("Only the race organizer can do this.")
            return view(request, race, *args, **kwargs)

        return wrapper

    return decorator
