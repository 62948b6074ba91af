"""Builders shared by the race tests: valid form and API input, races, and the option bounds."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from django.utils import timezone

from races.forms import CUSTOMIZATION_DEFAULTS
from races.models import Race

WALL_CLOCK = "%Y-%m-%dT%H:%M"  # what a datetime-local input sends
DROP = object()  # leave a key out of the input


def soon(days: float = 1, hours: float = 0):
    """A whole minute in the future (UTC)."""
    return (timezone.now() + timedelta(days=days, hours=hours)).replace(second=0, microsecond=0)


def form_data(track, /, **overrides) -> dict:
    """POST data of the race form: a valid Classic time trial unless overridden.

    True becomes a checked box ("on"), False an unchecked one (left out), DROP leaves a key out.
    """
    start = soon()
    data = {
        **CUSTOMIZATION_DEFAULTS,
        "flavour": "community", "format": "classic", "race_type": "tt",
        "name": "Spring Cup", "description": "",
        "start_at": start.strftime(WALL_CLOCK),
        "end_at": (start + timedelta(days=7)).strftime(WALL_CLOCK),
        "time_zone": "UTC", "track": track.pk,
    }
    data.update(overrides)
    out = {}
    for key, value in data.items():
        if value is DROP or value is False:
            continue
        out[key] = "on" if value is True else ("" if value is None else str(value))
    return out


def api_payload(track, /, **overrides) -> dict:
    """JSON body of POST /api/races/: a valid Classic time trial unless overridden."""
    start = soon()
    data = {
        "name": "Spring Cup", "flavour": "community", "format": "classic", "race_type": "tt",
        "start_at": start.isoformat(), "end_at": (start + timedelta(days=7)).isoformat(),
        "time_zone": "UTC", "track": track.slug,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not DROP}


def make_race(organizer, track, **fields) -> Race:
    """A race that passes every rule (full_clean), saved."""
    start = fields.pop("start_at", timezone.now() - timedelta(hours=1))
    defaults = {"name": "Race", "start_at": start, "end_at": start + timedelta(days=7)}
    if fields.get("format") == "live":
        defaults["end_at"] = None
        defaults["time_per_racer"] = 3
    race = Race(organizer=organizer, track=track, **{**defaults, **fields})
    race.full_clean()
    race.save()
    return race


def path_of(response) -> str:
    """The path a redirect points to (without the query)."""
    return urlparse(response["Location"]).path


# -- option contexts and bounds, shared by the form and API tests ---------------------------
# Each context makes a race where the option applies and every other required option is set.
OA_RANDOM = {"race_type": "oa", "collision_penalty": 3, "object_count": 3, "random_objects": True}
H2B = {"race_type": "h2b", "collision_penalty": 3, "bot_count": 3, "bot_speed": 1}
H2B_LANES = {**H2B, "lane_change": True, "lane_change_min": 2, "lane_change_max": 4}
LIVE = {"format": "live", "time_per_racer": 3, "end_at": DROP}
IN_PERSON = {"format": "in_person", "time_per_racer": 5, "end_at": DROP}
IN_PERSON_AVERAGE = {**IN_PERSON, "ranking_method": "average_lap"}

# (context, field, accepted values at the bounds, rejected values just outside)
BOUNDS = [
    ({}, "off_track_penalty", [1, 5], [0.9, 5.1]),
    ({}, "max_resets", [0, 100], [-1, 101]),
    ({"trials": 10}, "min_laps", [1, 2, 3, 5, 10], [0, 4, 11]),
    ({"min_laps": 1}, "trials", [1, 20], [0, 21]),
    (OA_RANDOM, "collision_penalty", [1, 5], [0.9, 5.1]),
    (H2B, "collision_penalty", [1, 5], [0.9, 5.1]),
    (OA_RANDOM, "object_count", [1, 6], [0, 7]),
    (H2B, "bot_count", [1, 6], [0, 7]),
    (H2B, "bot_speed", [0.2, 6], [0.1, 6.1]),
    ({**H2B_LANES, "lane_change_max": 8}, "lane_change_min", [1, 8], [0.9, 8.1]),
    ({**H2B_LANES, "lane_change_min": 1}, "lane_change_max", [1, 8], [0.9, 8.1]),
    (LIVE, "time_per_racer", [1, 30], [0, 31]),
    (IN_PERSON_AVERAGE, "average_of", [2, 7], [1, 8]),
    (IN_PERSON, "min_lap_time", [1, 30], [0.9, 30.1]),
]


def bound_cases(accepted: bool):
    """pytest parameters (context, field, value) for every accepted or rejected bound."""
    import pytest

    cases = []
    for context, field, inside, outside in BOUNDS:
        for value in inside if accepted else outside:
            tag = "-".join(str(v) for k, v in context.items() if k in ("race_type", "format"))
            cases.append(pytest.param(context, field, value, id=f"{tag or 'tt'}-{field}={value}"))
    return cases


def png_bytes(width: int = 8, height: int = 8, noise: bool = False) -> bytes:
    """A real PNG; with noise it does not compress (about 3 bytes a pixel)."""
    import io
    import os

    from PIL import Image

    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image_upload(name: str = "racing.png", content: bytes | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type="image/png")
