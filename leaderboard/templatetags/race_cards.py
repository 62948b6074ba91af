"""Race cards like the console's: countdown to the start or time left, your rank, Enter race /
Race again / Leaderboard, add to calendar. `{% race_card race %}` in any list of races."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from leaderboard import board
from races.models import Participant, Race

register = template.Library()

# Entering a Classic race is the `classic` work's page; its URL name is `races:enter` (race_id).
# Until it exists the button opens the race page at its entry panel (`#classic-entry`).
ENTER_URL_NAME = "races:enter"


def enter_url(race: Race) -> str:
    try:
        return reverse(ENTER_URL_NAME, kwargs={"race_id": race.pk})
    except NoReverseMatch:
        return reverse("race_detail", args=[race.pk]) + "#classic-entry"


def prefetch_cards(races, user) -> dict:
    """What every card of a list needs about the viewer, in two queries for the whole list
    (a card per race asking on its own made a list's cost grow with its length): the viewer's
    standings by race id and the ids of the races they take part in."""
    if not getattr(user, "is_authenticated", False):
        return {"standings": {}, "joined": set()}
    ids = [race.pk for race in races]
    standings = {s.race_id: s for s in board.Standing.objects.filter(race_id__in=ids, racer_id=user.pk,
                                                                           removed=False)}
    joined = set(Participant.objects.active().filter(race_id__in=ids, user=user).values_list("race_id", flat=True))
    return {"standings": standings, "joined": joined}


@register.inclusion_tag("leaderboard/_race_card.html", takes_context=True)
def race_card(context, race: Race) -> dict:
    """`cards` in the context (prefetch_cards of the list) saves each card its own queries."""
    user = context["user"]
    now = timezone.now()
    status = race.status_at(now)
    cards = context.get("cards")
    if cards is not None:
        standing = cards["standings"].get(race.pk)
        joined = race.pk in cards["joined"]
    else:
        standing = board.standing_of(race, user)
        joined = user.is_authenticated and race.participants.active().filter(user=user).exists()
    # Only a Classic race is entered from its card: LIVE racers enter a model on the race page,
    # in-person racers submit nothing (the timekeeper times their turns on the track).
    racing = (user.is_authenticated and not race.has_turns and status == Race.Status.OPEN and joined)
    return {
        "race": race, "user": user, "status": status, "now": now,
        "rank": board.rank_of(standing) if standing else None,
        "ranked_total": board.ranked(race).count() if standing else None,
        "standing": standing,
        "enter_url": enter_url(race) if racing else None,
        "race_again": bool(standing and standing.submissions),
    }
