"""Who may see and control a race.

A race is visible to its organizer, its active participants and whoever holds its current
invitation link; everyone else gets 404 so nothing about the race leaks. Organizer-only actions
answer 403 to people who can see the race but not control it.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Participant, Race

SESSION_LINKS = "race_links"  # session key: {race id: invitation token}


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
    try:
        return get_object_or_404(Race.objects.select_related("track", "organizer"), pk=race_id)
    except ValidationError as exc:  # a malformed id is just an unknown race
        raise Http404 from exc


def race_view(role: str = "viewer"):
    """Decorator: load the race named by `race_id`, check access, pass it as `race`.

    role="viewer": organizer, participant or link holder; else 404.
    role="organizer": as above, then 403 unless the user organizes the race.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, race_id, *args, **kwargs):
            race = load_race(race_id)
            if not can_view(request, race):
                raise Http404("No such race.")
            if role == "organizer" and not is_organizer(request.user, race):
                raise PermissionDenied("Only the race organizer can do this.")
            return view(request, race, *args, **kwargs)

        return wrapper

    return decorator
