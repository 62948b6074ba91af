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


def test_the_overlays_start_with_the_sector_count_of_the_races_timing(client, track_day, bob, charlie, live_race):
    """Sectors are the timing's (its sector gates plus one), as the race's last timed lap has them;
    a simulator's three; three too before anything was timed."""
    from races import record

    assert config_of(client, track_day)["sectors"] == 3
    for racer, sectors in ((bob, [4_000, 5_200]), (charlie, [])):  # one sector gate, then none
        run = record.begin_run(track_day, racer.pk, source="timer")
        record.claim_run(run.pk, "test")
        record.start_run(run.pk, "test", duration_s=120)
        record.record_lap(run, number=1, time_ms=9_200, sector_times_ms=sectors)
        record.end_run(run.pk, "finished")
        assert config_of(client, track_day)["sectors"] == max(1, len(sectors))
    assert config_of(client, live_race)["sectors"] == 3
