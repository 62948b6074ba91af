"""Scenes of trackside timing: alice's in-person race "Track Day" (bob and charlie joined),
dave her timekeeper, a lap timer's token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.scenes import _api, make_user


def make_in_person_race(organizer, tracks, name: str = "Track Day", **options):
    from races.models import Race

    now = timezone.now()
    return Race.objects.create(organizer=organizer, name=name, format="in_person",
                               track=tracks.get(slug="oval"), start_at=now,
                               end_at=now + timedelta(hours=4), time_per_racer=2, **options)


@pytest.fixture
def in_person_race(alice, bob, charlie, tracks):
    from races.models import Participant

    race = make_in_person_race(alice, tracks)
    Participant.objects.create(race=race, user=bob)
    Participant.objects.create(race=race, user=charlie)
    return race


@pytest.fixture
def dave(db):
    return make_user("dave", "DaveTheTimekeeper", "GB")


@pytest.fixture
def timekeeper(in_person_race, dave):
    from timing.models import RaceStaff

    return RaceStaff.objects.create(race=in_person_race, user=dave, role="timekeeper")


@pytest.fixture
def api_dave(dave):
    return _api(dave)


@pytest.fixture
def timer_token(in_person_race):
    from timing.models import TimerToken

    _, token = TimerToken.issue(in_person_race, "finish line")
    return token


@pytest.fixture
def api_timer(timer_token):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {timer_token}")
    return client
