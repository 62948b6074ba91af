"""The overlays an OBS browser source shows, their URLs with the race's overlay key, and which
of them each scene carries when `obs_control` sets OBS up."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.urls import reverse

from races.models import Race

KINDS = {
    "leaderboard": "Leaderboard",
    "lower-third": "Lower third (racer on track)",
    "map": "Track map",
    "coming-up": "COMING UP",
    "race-info": "Race info",
    "podium": "Winner / podium",
    "season": "Season standings",
}
# moment -> the overlays its scene shows (broadcast.automation's moments)
SCENE_OVERLAYS = {
    "countdown": ("map", "lower-third", "leaderboard"),
    "ended": ("leaderboard",),
    "winner": ("podium",),
    "idle": ("race-info", "coming-up"),
}
HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{6})$")
DEFAULT_CHROMA = "00ff00"
TOP_RANGE = (1, 50)


class BadOverlayOption(ValueError):
    """An overlay's query option that cannot be used; the text says which and why."""


def options(query) -> dict:
    """The overlay's display options from its query string: chroma background and its colour,
    and the leaderboard's top N."""
    chroma = query.get("chroma") in ("1", "true", "yes")
    raw_colour = query.get("color", DEFAULT_CHROMA)
    match = HEX_COLOUR.match(raw_colour)
    if not match:
        raise BadOverlayOption(f"color must be a hex colour like 00ff00, not {raw_colour[:20]!r}")
    raw_top = query.get("top", "10")
    try:
        top = int(raw_top)
    except ValueError:
        raise BadOverlayOption(f"top must be a whole number, not {raw_top[:20]!r}") from None
    if not TOP_RANGE[0] <= top <= TOP_RANGE[1]:
        raise BadOverlayOption(f"top must be between {TOP_RANGE[0]} and {TOP_RANGE[1]}, not {top}")
    return {"chroma": chroma, "color": "#" + match.group(1).lower(), "top": top}


def overlay_url(race: Race, kind: str, base: str = "", **query) -> str:
    """The overlay's URL with the race's key (an absolute one when given the site's `base`)."""
    path = reverse("broadcast_overlay", kwargs={"race_id": race.pk, "kind": kind})
    return base.rstrip("/") + path + "?" + urlencode({"key": race.overlay_token, **query})
