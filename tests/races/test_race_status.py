"""A race's status (opening soon / open / closed) and its badge: a run on track is the race's
real state, so a LIVE race racing before its scheduled start is open, on every page and the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from races.models import Race

from .helpers import make_race

OPEN_BADGE = '<span class="badge open">Open</span>'
SOON_BADGE = '<span class="badge opening_soon">Opening soon</span>'


@pytest.fixture
def early_live(alice, student_track, bob):
    """alice's LIVE race starting in 30 minutes; bob has joined it."""
    race = make_race(alice, student_track, name="Early Bird GP", format="live",
                     start_at=timezone.now() + timedelta(minutes=30))
    race.participants.create(user=bob)
    return race


def launch(race, racer, state: str = "running"):
    """A run on track, as the LIVE control panel makes it (no import of the run model)."""
    return race.runs.create(racer=racer, state=state, started_at=timezone.now())


# -- the rule ------------------------------------------------------------------------------

def test_a_race_before_its_start_is_opening_soon(early_live):
    assert early_live.status == Race.Status.OPENING_SOON
    assert early_live.status_label == "Opening soon"


@pytest.mark.parametrize("state", ["countdown", "running"])
def test_a_race_with_a_run_on_track_before_its_start_is_open(early_live, bob, state):
    launch(early_live, bob, state)
    assert early_live.status == Race.Status.OPEN
    assert early_live.status_label == "Open"


@pytest.mark.parametrize("state", ["queued", "finished", "failed", "aborted"])
def test_a_run_off_track_leaves_the_race_opening_soon(early_live, bob, state):
    launch(early_live, bob, state)
    assert early_live.status == Race.Status.OPENING_SOON


def test_a_closed_race_stays_closed_with_a_run_on_track(early_live, bob):
    launch(early_live, bob)
    early_live.close()
    assert early_live.status == Race.Status.CLOSED


def test_the_status_follows_the_run_after_a_refresh(early_live, bob):
    listed = Race.objects.with_run_on_track().get(pk=early_live.pk)
    assert listed.status == Race.Status.OPENING_SOON
    launch(early_live, bob)
    listed.refresh_from_db()
    assert listed.status == Race.Status.OPEN


# -- every page and the API ------------------------------------------------------------------

def test_the_race_page_shows_open(as_alice, as_bob, early_live, bob):
    launch(early_live, bob)
    for client in (as_alice, as_bob):
        body = client.get(f"/races/{early_live.pk}/").content.decode()
        assert '<span class="badge open" id="race-status">Open</span>' in body


def test_the_race_lists_show_open(as_alice, as_bob, early_live, bob):
    assert SOON_BADGE in as_alice.get("/").content.decode()
    launch(early_live, bob)
    for client, url in ((as_alice, "/"), (as_bob, "/"), (as_alice, "/races/manage/")):
        body = client.get(url).content.decode()
        assert OPEN_BADGE in body and SOON_BADGE not in body, url


def test_the_status_filter_of_the_manage_page_agrees_with_the_badge(as_alice, early_live, bob):
    def listed(status):
        return [r.name for r in as_alice.get(f"/races/manage/?status={status}").context["races"]]

    assert listed("opening_soon") == ["Early Bird GP"] and listed("open") == []
    launch(early_live, bob)
    assert listed("open") == ["Early Bird GP"] and listed("opening_soon") == []
    assert listed("closed") == []


def test_the_api_says_open(api_alice, api_bob, early_live, bob):
    launch(early_live, bob)
    for client in (api_alice, api_bob):
        assert client.get(f"/api/races/{early_live.pk}/").json()["status"] == "open"
        assert [r["status"] for r in client.get("/api/races/").json()["results"]] == ["open"]


# -- no query per listed race ----------------------------------------------------------------

def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/", "/races/manage/", "/api/races/"])
def test_a_list_costs_the_same_queries_for_one_race_or_many(alice, as_alice, api_alice, early_live, bob, url):
    client = api_alice if url.startswith("/api/") else as_alice
    launch(early_live, bob)
    one = queries(client, url)
    for i in range(4):  # opening soon: each asks whether a run is on track
        make_race(alice, early_live.track, name=f"Later {i}", start_at=timezone.now() + timedelta(days=i + 1))
    assert queries(client, url) == one


def test_an_unsaved_race_asks_for_no_runs(alice, student_track, django_assert_num_queries):
    soon = timezone.now() + timedelta(hours=1)
    race = Race(organizer=alice, track=student_track, name="Draft", start_at=soon, end_at=soon + timedelta(days=1))
    with django_assert_num_queries(0):
        assert race.status == Race.Status.OPENING_SOON
