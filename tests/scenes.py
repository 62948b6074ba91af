"""The cast and the recurring scenes of the tests (exposed to every test by tests/conftest.py).

The cast, and what each may do (tests/races/test_access.py checks it URL by URL):

- **alice** (alias AliceRaces) organizes: `race` and `live_race` are hers. Every page, action
  and API call of them answers her, and she runs the LIVE control panel.
- **bob** (BobTheRacer, FR) races: he has joined `race` (`joined`) and `live_race`
  (`live_joined`), where he entered a model, the reference driver "Steady". He sees the race
  page and the live view and sets the speed of his own car while it is on track; the
  organizer's actions answer him 403. Once removed (`removed`) he gets 404 like a stranger.
- **charlie** (CharlieC, JP) has an account and nothing more unless a scene gives him a part:
  in `link_holder` he opened the invitation link of `race` without joining (he may view it like
  a racer); in `charlie_entered` he joined `live_race` after bob and entered "Brisk".
- **mallory** (Mallory, US) is a stranger to all of alice's races: every page, action, API call
  and websocket of them answers her 404 (4404 on the websocket), never 403: she learns nothing.
- **the anonymous visitor** is pytest-django's `client`: 404 on every race URL, like mallory.

Scenes:

- `race`: alice's open Classic time trial (an hour in, a week to go); `joined`: bob's place in
  it; `removed`: bob joined and alice removed him; `link_holder`: charlie's client, holding
  the invitation link.
- `live_race`: alice's LIVE race "Live Cup" on the built-in oval, starting now, 1-minute turns,
  the simulator not launched, entries open; bob joined and entered "Steady" (steady temperament).
  `live_joined` is bob's place in it; `charlie_entered` adds charlie as a second racer.
- `live_race_ready`: `live_race` with entries closed (the queue built: bob) and the simulator at
  Go: the organizer can launch bob.
- Clients: `as_alice`, `as_bob`, `as_charlie`, `as_mallory` (Django test clients, logged in) and
  `api_alice`, `api_bob`, `api_charlie`, `api_mallory` (DRF clients authenticated as each).
- Builders for variants of a scene: `make_user`, `make_live_race`, `join_and_enter`.

Every fixture here asks for `db`, and still works in a test marked
`django_db(transaction=True)` or asking for `transactional_db` (live runner threads, websocket
consumers and server subprocesses need committed rows): pytest-django opens one database per
test, transactional if the test's marker or any of its fixtures asks for it.
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
