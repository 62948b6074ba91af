"""Fixtures of the race tests: tracks of each set, uploads kept in tmp (the cast, the scenes and
logged-in clients are in tests/scenes.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded racing images go to a throw-away directory, never ./var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = ""
    return settings.MEDIA_ROOT


@pytest.fixture
def student_track(tracks):
    """A closed circuit in the student track set. The set is the console's Easy catalog tracks
    (the `catalog` fixture, ~2 s to sync); tests that need a short student track put an easy
    built-in one in the set, as an admin may flag any track."""
    from races.models import Track

    track = tracks.filter(closed=True, difficulty=Track.Difficulty.EASY).order_by("-popularity").first()
    Track.objects.filter(pk=track.pk).update(student=True)
    track.refresh_from_db()
    return track


@pytest.fixture
def pro_track(tracks):
    """A closed circuit outside the student track set."""
    from races.models import Track

    return tracks.filter(closed=True, difficulty__gte=Track.Difficulty.HARD).order_by("-popularity").first()


@pytest.fixture(scope="session")
def _catalog_tracks(django_db_setup, django_db_blocker):
    """The real DeepRacer catalog synced once per session (62 tracks, ~2 s): tests roll back to it."""
    from races.tracks import sync_tracks

    with django_db_blocker.unblock():
        sync_tracks()


@pytest.fixture
def catalog(db, _catalog_tracks):
    """The whole catalog: the DeepRacer console's tracks and the built-in demo tracks."""
    from races.models import Track
    from races.tracks import sync_tracks

    if not Track.objects.filter(source=Track.Source.CATALOG).exists():  # a flushing test ran
        sync_tracks()
    return Track.objects.all()
