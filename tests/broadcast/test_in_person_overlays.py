"""An in-person race's overlays start from the timekeeper's desk: one opened mid-turn shows the
racer on the track at once (its config carries the desk), and its COMING UP is the race's queue."""

from __future__ import annotations

import json
import re

import pytest

from races.models import Participant
from tests.timing.conftest import make_in_person_race
from timing import desk


@pytest.fixture
def track_day(alice, bob, charlie, tracks):
    race = make_in_person_race(alice, tracks)
    for user in (bob, charlie):
        Participant.objects.create(race=race, user=user)
    return race


def config_of(client, race, kind="lower-third") -> dict:
    page = client.get(f"/races/{race.pk}/overlays/{kind}/?key={race.overlay_token}")
    assert page.status_code == 200
    found = re.search(r'<script[^>]*id="overlay-config"[^>]*>(.*?)</script>', page.content.decode(), re.S)
    return json.loads(found.group(1))


def test_an_overlay_opened_mid_turn_starts_from_the_desk(client, track_day, bob):
    assert config_of(client, track_day)["desk"] is None  # the desk was never used
    desk.act(track_day, "start", racer_id=bob.pk, car="Car 3")
    config = config_of(client, track_day)
    assert config["in_person"] is True
    assert config["desk"]["turn"]["racer"] == "BobTheRacer" and config["desk"]["turn"]["laps"] == []
    assert config["desk"]["version"] >= 1


def test_a_live_races_overlay_has_no_desk(client, live_race):
    config = config_of(client, live_race)
    assert config["in_person"] is False and config["desk"] is None
