"""The cast and the recurring scenes of the tests (exposed to every test by tests/conftest.py).

The cast, and what each may do:

- **alice** (alias AliceRaces) organizes: `race` and `live_race` are hers. She sees every page of
  them, edits, closes and deletes them, and runs the LIVE control panel.
- **bob** (BobTheRacer, FR) races: he has joined `race` (`joined`) and `live_race`
  (`live_joined`), where he entered a model (reference driver "Steady"). He sees the race pages
  and the live view and changes his own car's speed; the organizer's pages and actions refuse him
  (403 on the control panel).
- **charlie** (CharlieC, JP) has an account and nothing more, unless a scene gives him a part:
  in `link_holder` he opened the invitation link of `race` without joining; in
  `charlie_entered` he joined `live_race` and entered "Brisk", after bob.
- **mallory** (Mallory, US) is a stranger to all of alice's races: every page, API call and
  websocket of them answers her 404 (4404 on the websocket), never 403, so she learns nothing.
- **the anonymous visitor** is pytest-django's `client`: logged out.

Scenes:

- `race`: alice's open Classic time trial (an hour in, a week to go); `joined`: bob's place in
  it; `removed`: bob joined and alice removed him; `link_holder`: charlie's client holding the link.
- `live_race`: alice's LIVE race "Live Cup" on the built-in oval, starting now, turns of
  1 minute, the simulator not launched; bob joined and entered "Steady" (steady temperament).
- `live_race_ready`: `live_race` with entries closed (the queue built) and the simulator at Go:
  the organizer can launch bob.
- Clients: `as_alice`, `as_bob`, `as_charlie`, `as_mallory` (Django test clients logged in) and
  `api_alice` ... `api_mallory` (DRF API clients authenticated as each).

Every fixture here asks for `db`, and still works in a test marked
`django_db(transaction=True)` or asking for `transactional_db`: pytest-django opens one database
per test, transactional if the marker or any fixture of the test asks for it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone


def make_user(username: str, alias: str | None = None, country: str = "DE"):
    """A user whose password is "pw-<username>", with a racer profile if given an alias."""
    from django.contrib.auth import get_user_model

    from races.models import RacerProfile

    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw-" + username)
    if alias:
        RacerProfile.objects.create(user=user, alias=alias, country=country)
    return user


def make_live_race(organizer, tracks, name: str = "Live Cup"):
    """A LIVE race of `organizer` on the built-in oval, starting now, with 1-minute turns."""
    from races.models import Race

    now = timezone.now()
    return Race.objects.create(organizer=organizer, name=name, format="live",
                               track=tracks.get(slug="oval"), start_at=now,
                               end_at=now + timedelta(hours=4), time_per_racer=1)


def join_and_enter(race, user, model_name: str, temperament: str):
    """`user` joins `race` and enters a reference-driver model; returns the Participant."""
    from races.garage import enter_race, reference_model
    from races.models import Participant

    participant = Participant.objects.create(race=race, user=user)
    enter_race(race, user, reference_model(user, model_name, temperament=temperament))
    return participant


# -- the cast ------------------------------------------------------------------------------

@pytest.fixture
def alice(db):
    return make_user("alice", "AliceRaces")


@pytest.fixture
def bob(db):
    return make_user("bob", "BobTheRacer", "FR")


@pytest.fixture
def charlie(db):
    return make_user("charlie", "CharlieC", "JP")


@pytest.fixture
def mallory(db):
    return make_user("mallory", "Mallory", "US")


# -- alice's Classic race ------------------------------------------------------------------

@pytest.fixture
def race(alice, tracks):
    """alice's open Classic time trial (bob joins it through `joined`)."""
    from races.models import Race

    now = timezone.now()
    return Race.objects.create(
        organizer=alice, name="Alice Cup", track=tracks.filter(closed=True).first(),
        start_at=now - timedelta(hours=1), end_at=now + timedelta(days=7),
    )


@pytest.fixture
def joined(race, bob):
    """bob's Participant row in alice's Classic race."""
    from races.models import Participant

    return Participant.objects.create(race=race, user=bob)


@pytest.fixture
def removed(joined):
    """bob joined alice's race and alice removed him."""
    joined.removed_at = timezone.now()
    joined.save(update_fields=["removed_at"])
    return joined


@pytest.fixture
def link_holder(race, charlie):
    """charlie's client: he opened alice's invitation link while logged in but has not joined."""
    client = _client(charlie)
    response = client.get(f"/join/{race.invite_token}/")
    assert response.status_code == 200
    return client


# -- alice's LIVE race ---------------------------------------------------------------------

@pytest.fixture
def live_race(alice, bob, tracks):
    """alice's LIVE race "Live Cup" on the oval, starting now, 1-minute turns, simulator off;
    bob joined and entered "Steady"."""
    race = make_live_race(alice, tracks)
    join_and_enter(race, bob, "Steady", "steady")
    return race


@pytest.fixture
def live_joined(live_race, bob):
    """bob's Participant row in alice's LIVE race."""
    return live_race.participants.get(user=bob)


@pytest.fixture
def charlie_entered(live_race, charlie):
    """charlie joined alice's LIVE race after bob and entered "Brisk"; his Participant row."""
    return join_and_enter(live_race, charlie, "Brisk", "brisk")


@pytest.fixture
def live_race_ready(live_race):
    """alice's LIVE race with entries closed (bob queued) and the simulator at Go."""
    from races import live_control

    live_control.set_entries_open(live_race, False)
    live_control.launch_simulator(live_race, step_s=0)
    live_race.refresh_from_db()
    return live_race


# -- clients -------------------------------------------------------------------------------

def _client(user):
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _api(user):
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def as_alice(alice):
    return _client(alice)


@pytest.fixture
def as_bob(bob):
    return _client(bob)


@pytest.fixture
def as_charlie(charlie):
    return _client(charlie)


@pytest.fixture
def as_mallory(mallory):
    return _client(mallory)


@pytest.fixture
def api_alice(alice):
    return _api(alice)


@pytest.fixture
def api_bob(bob):
    return _api(bob)


@pytest.fixture
def api_charlie(charlie):
    return _api(charlie)


@pytest.fixture
def api_mallory(mallory):
    return _api(mallory)
