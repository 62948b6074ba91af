"""The invitation link, its suggested e-mail text and QR code."""

from __future__ import annotations

import segno
from django.conf import settings
from django.urls import reverse

from .models import Race

CLOSED_MESSAGE = "The race is closed: its invitation link no longer works."


def is_shareable(race: Race) -> bool:
    """A closed race's link no longer lets anyone join, so it is not handed out either."""
    return race.status != Race.Status.CLOSED


def invitation_url(request, race: Race) -> str:
    path = reverse("join", args=[race.invite_token])
    if settings.SITE_URL:
        return settings.SITE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


def suggested_email(race: Race, url: str) -> str:
    kind = "LIVE race" if race.is_live else "race"
    kind_name = race.get_race_type_display().lower()
    when = race.local_time(race.start_at).strftime("%-d %B %Y, %H:%M")
    return (
        f"Welcome to {race.name}, a DeepRacer {kind}!\n\n"
        f"You're invited to {race.name}, {_article(kind_name)} {kind_name} race on "
        f"{when} ({race.time_zone}) on the {race.track.name} track. "
        "The winner of this race earns <YOUR EVENT PRIZES>.\n\n"
        f"Join the race here: {url}\n"
    )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=4, dark="#111", light="#fff")
