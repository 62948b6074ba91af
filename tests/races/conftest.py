"""Fixtures of the race tests: logged-in clients, tracks of each set, uploads kept in tmp."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded racing images go to a throw-away directory, never ./var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = ""
    # Users are made in every test: the default hasher's ~0.25 s per password would dominate.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def _builtin_tracks(django_db_setup, django_db_blocker):
    """Sync the built-in tracks once per session (it takes ~0.5 s): tests roll back to it."""
    from races.tracks import sync_builtin_tracks

    with django_db_blocker.unblock():
        sync_builtin_tracks()


@pytest.fixture
def tracks(db, _builtin_tracks):
    """The catalog of built-in tracks (overrides the root fixture, which syncs every time)."""
    from races.models import Track
    from races.tracks import sync_builtin_tracks

    if not Track.objects.filter(source=Track.Source.BUILTIN).exists():  # a flushing test ran
        sync_builtin_tracks()
    return Track.objects.all()


@pytest.fixture
def student_track(tracks):
    """A closed circuit of the student track set."""
    return tracks.filter(student=True, closed=True).first()


@pytest.fixture
def pro_track(tracks):
    """A closed circuit outside the student track set."""
    return tracks.filter(student=False, closed=True).first()


def _client(user):
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _api(user):
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


@pytest.fixture
def link_holder(race, charlie):
    """charlie opened alice's invitation link while logged in but has not joined."""
    client = _client(charlie)
    response = client.get(f"/join/{race.invite_token}/")
    assert response.status_code == 200
    return client


@pytest.fixture
def removed(joined):
    """bob joined alice's race and alice removed him."""
    from django.utils import timezone

    joined.removed_at = timezone.now()
    joined.save(update_fields=["removed_at"])
    return joined
