"""Race cards like the console's: countdown to the start or time left, your rank, Enter race /
Race again / Leaderboard, add to calendar. `{% race_card race %}` in any list of races."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from leaderboard import board
from races.models import Race

register = template.Library()

# Entering a Classic race is the `classic` work's page; its URL name is `races:enter` (race_id).
# Until it exists the button opens the race page at its entry panel (`#classic-entry`).
ENTER_URL_NAME = "races:enter"


def enter_url(race: Race) -> str:
    try:
        return reverse(ENTER_URL_NAME, kwargs={"race_id": race.pk})
    except NoReverseMatch:
        return reverse("race_detail", args=[race.pk]) + "#classic-entry"


@register.inclusion_tag("leaderboard/_race_card.html", takes_context=True)
def race_card(context, race: Race) -> dict:
    user = context["user"]
    now = timezone.now()
    status = race.status_at(now)
    standing = board.standing_of(race, user)
    racing = (user.is_authenticated and not race.is_live and status == Race.Status.OPEN
              and race.participants.active().filter(user=user).exists())
    return {
        "race": race, "user": user, "status": status, "now": now,
        "rank": board.rank_of(standing) if standing else None,
        "ranked_total": board.ranked(race).count() if standing else None,
        "standing": standing,
        "enter_url": enter_url(race) if racing else None,
        "race_again": bool(standing and standing.submissions),
    }
