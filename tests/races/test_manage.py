"""Manage races: the organizer's own races, with search and a status filter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from .helpers import make_race


@pytest.fixture
def lifecycle(alice, race, student_track, pro_track):
    """alice's races in every state: open (`race`), opening soon, ended, closed early."""
    now = timezone.now()
    later = make_race(alice, pro_track, name="Later Cup", start_at=now + timedelta(days=3))
    ended = make_race(alice, student_track, name="Old Cup", start_at=now - timedelta(days=10))
    early = make_race(alice, student_track, name="Short Cup", start_at=now - timedelta(hours=2))
    early.close()
    return {"open": race, "opening_soon": later, "ended": ended, "closed_early": early}


def names(response) -> set[str]:
    return {r.name for r in response.context["races"]}


def test_it_works(as_alice, race, joined, charlie):
    from races.models import Participant

    Participant.objects.create(race=race, user=charlie, removed_at=timezone.now())
    response = as_alice.get("/races/manage/")
    assert response.status_code == 200
    (row,) = response.context["races"]
    assert row == race and row.racer_count == 1  # the removed racer does not count
    assert f"/races/{race.pk}/invitation/" in response.content.decode()


def test_it_requires_login(client):
    response = client.get("/races/manage/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_lists_only_races_the_user_organizes(as_bob, race, joined):
    assert names(as_bob.get("/races/manage/")) == set()


def test_it_searches_by_name_and_track(as_alice, lifecycle, pro_track):
    assert names(as_alice.get("/races/manage/?q=later")) == {"Later Cup"}
    assert names(as_alice.get("/races/manage/", {"q": pro_track.name[:5]})) >= {"Later Cup"}
    assert names(as_alice.get("/races/manage/?q=nothing-like-this")) == set()


@pytest.mark.parametrize(("status", "expected"), [
    ("opening_soon", {"Later Cup"}),
    ("open", {"Alice Cup"}),
    ("closed", {"Old Cup", "Short Cup"}),
    ("", {"Alice Cup", "Later Cup", "Old Cup", "Short Cup"}),
    ("bogus", {"Alice Cup", "Later Cup", "Old Cup", "Short Cup"}),
])
def test_it_filters_by_status(as_alice, lifecycle, status, expected):
    response = as_alice.get("/races/manage/", {"status": status})
    assert names(response) == expected
    for race in response.context["races"]:
        if status in ("opening_soon", "open", "closed"):
            assert race.status == status


def test_it_agrees_with_the_status_shown(lifecycle):
    assert lifecycle["ended"].status == "closed"
    assert lifecycle["closed_early"].status == "closed"
    assert lifecycle["opening_soon"].status == "opening_soon"
