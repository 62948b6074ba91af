"""Who may see and control a race.

A race is visible to its organizer, its active participants and whoever holds its current
invitation link; everyone else gets 404 so nothing about the race leaks. Organizer-only actions
answer 403 to people who can see the race but not control it.

Two more ways in, both read-only: a LIVE or in-person race whose broadcast is *Public* may be
watched by anyone, without an account (its page, live view or on-track line, leaderboard,
COMING UP and replays); and the
race's secret overlay key (`Race.overlay_token`, passed as `?key=` by an OBS browser source)
opens its overlays and their websocket. The key opens nothing else, and a reset of the key ends
every overlay that used the old one (`announce_change`). Being public opens no overlay: public
viewers watch the race's own pages, and an overlay URL with a wrong or old key is a 404 for
every race, public or not (so a reset key stops working everywhere).

Other apps may name more people who see a race (`register_viewers`): the timing app names the
race's staff (timekeepers, commentators), who need an account but not a place in the race. The
rule stays this module's, so pages, boards and websockets agree; an app that grants such a place
calls `announce_change` when it takes it away, as for a removed racer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from . import protocol
from .models import Participant, Race

log = logging.getLogger(__name__)
SESSION_LINKS = "race_links"  # session key: {race id: invitation token}
# The race-group event of an organizer action that may end someone's access (see `announce_change`).
ACCESS_CHANGED = "race.access"

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


@dataclass(frozen=True)
class Visitor:
    """Who holds a race websocket: the user's id (None: not logged in) and the invitation token
    the session held for the race when the socket connected (None: none)."""

    user_id: int | None
    link: str | None
    overlay_key: str | None = None  # the overlay key an OBS browser source came with

    @classmethod
    def of(cls, user, session, race_id, overlay_key: str | None = None) -> Visitor:
        """Reads the session (a database query for a lazy session: call from sync code)."""
        link = (session or {}).get(SESSION_LINKS, {}).get(str(race_id))
        return cls(user.pk if user is not None and user.is_authenticated else None, link or None,
                   overlay_key or None)


# (race, user ids) -> those of the ids the app lets see the race; one query at most, none for no ids.
ViewerSource = Callable[[Race, set[int]], set[int]]
_viewer_sources: list[ViewerSource] = []


def register_viewers(source: ViewerSource) -> None:
    """Let `source` name more people who may see a race (an app's AppConfig.ready(); races
    imports no app that grants places). Asked only about logged-in visitors who are neither the
    organizer nor active racers, and not at all when a public race lets everyone in.
    Registering the same function twice has no effect (ready() may run again in tests)."""
    if source not in _viewer_sources:
        _viewer_sources.append(source)


def _extra_viewers(race: Race, ids: set[int]) -> set[int]:
    found: set[int] = set()
    for source in _viewer_sources:
        if ids - found:
            found |= source(race, ids - found)
    return found


def _may_view(race: Race, visitors: Iterable[Visitor], *, public_opens: bool = True) -> set[Visitor]:
    """The rule, for any number of visitors in a few queries (one, plus one per registered
    source of viewers when someone is not yet let in): no one who came with an overlay key that
    is not the race's (a wrong or reset one); then everyone for a public race (unless
    `public_opens` is False: overlay pages); else the organizer, the active participants, the
    people a registered source names (a race's staff), holders of the current link who were not
    removed from the race, and holders of the current overlay key."""
    visitors = {v for v in visitors if v.overlay_key is None or race.overlay_key_is_valid(v.overlay_key)}
    if race.is_public and public_opens:
        return visitors
    ids = {v.user_id for v in visitors if v.user_id is not None and v.user_id != race.organizer_id}
    rows = race.participants.filter(user_id__in=ids).values_list("user_id", "removed_at") if ids else []
    active = {user_id for user_id, removed_at in rows if removed_at is None}
    active |= _extra_viewers(race, ids - active) if ids - active else set()  # staff: as racers
    removed = {user_id for user_id, removed_at in rows if removed_at is not None}
    link_valid = {link: race.link_is_valid(link) for link in {v.link for v in visitors if v.link}}
    return {
        v for v in visitors
        if (v.user_id is not None and (v.user_id == race.organizer_id or v.user_id in active))
        or (v.link is not None and link_valid[v.link] and v.user_id not in removed)
        or (v.overlay_key is not None and race.overlay_key_is_valid(v.overlay_key))
    }


def can_view(request, race: Race, overlay_key: str | None = None, *, public_opens: bool = True) -> bool:
    """Whether the request's user (or the link its session holds, or the overlay key an
    overlay page was opened with) may see the race."""
    visitor = Visitor.of(request.user, request.session, race.pk, overlay_key)
    return visitor in _may_view(race, [visitor], public_opens=public_opens)


def who_may_view(race_id, visitors: Iterable[Visitor]) -> set[Visitor]:
    """The visitors who may still view the race (the rule of `can_view`, one check for all of a
    race's open websockets); none if the race is gone."""
    race = Race.objects.filter(pk=race_id).first()
    return set() if race is None else _may_view(race, visitors)


def load_race(race_id) -> Race:
    """The race with this id, without an access check; `race_not_found()` if there is none."""
    try:
        race = Race.objects.select_related("track", "organizer").filter(pk=race_id).first()
    except ValidationError:  # a malformed id is just an unknown race
        race = None
    if race is None:
        raise race_not_found()
    return race


def visible_race(request, race_id, overlay_key: str | None = None, *, public_opens: bool = True) -> Race:
    """The race if `request` may see it, else the same 404 as for a race that does not exist."""
    race = load_race(race_id)
    if not can_view(request, race, overlay_key, public_opens=public_opens):
        raise race_not_found()
    return race


def race_view(role: str = "viewer"):
    """Decorator: load the race named by `race_id`, check access, pass it as `race`.

    role="viewer": organizer, participant or link holder, anyone for a public race; else 404.
    role="overlay": the holder of the race's overlay key (`?key=`), or without a key the
        organizer, a participant or a link holder; else 404 (a wrong key, or a public race's
        stranger without the key: public viewers use the race's own pages).
    role="organizer": as "viewer", then 403 unless the user organizes the race.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, race_id, *args, **kwargs):
            key = request.GET.get("key") if role == "overlay" else None
            race = visible_race(request, race_id, key, public_opens=role != "overlay")
            if role == "organizer" and not is_organizer(request.user, race):
                raise PermissionDenied("Only the race organizer can do this.")
            return view(request, race, *args, **kwargs)

        return wrapper

    return decorator


# -- open websockets ---------------------------------------------------------------------------
# A websocket keeps streaming a race after its access check on connect; when an organizer action
# may have ended someone's access, every server process re-checks its viewers of the race.

def announce_change(race_id, reason: str) -> None:
    """Tell every server process that access to the race may have ended for some of its viewers
    (link reset, racer removed, race closed or deleted): each re-checks its viewers of the race
    and closes the websockets of those who lost it. Sent once the current transaction commits,
    so the re-check reads the new state; call it after the change (the race's id, not the race,
    since a deleted race has none)."""
    transaction.on_commit(lambda: _send_change(race_id, reason))


def _send_change(race_id, reason: str) -> None:
    # The change is saved: a channel layer that is away must not turn it into an error page.
    try:
        protocol.send(race_id, protocol.race_access(reason))
    except Exception as exc:
        log.warning("race %s: could not announce the access change (%s: %s); open websockets of "
                    "people who lost access keep streaming until they reconnect",
                    race_id, type(exc).__name__, exc)
