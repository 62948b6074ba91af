"""The timekeeper page on two tablets (two browser contexts): both mirror the server's desk, a
reload picks up exactly where the race is, and the turn's laps reach the leaderboard on End."""

from __future__ import annotations

import pytest

from tests.scenes import make_user
from tests.timing.conftest import make_in_person_race

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def track_day(alice, bob, charlie, tracks):
    from races.models import Participant
    from timing.models import RaceStaff

    race = make_in_person_race(alice, tracks, min_lap_time=1)
    Participant.objects.create(race=race, user=bob)
    Participant.objects.create(race=race, user=charlie)
    dave = make_user("dave", "DaveTheTimekeeper", "GB")
    RaceStaff.objects.create(race=race, user=dave, role="timekeeper")
    return race


def test_two_tablets_mirror_the_desk_and_laps_reach_the_leaderboard(track_day, bob, charlie, new_page):
    from leaderboard.board import race_leaderboard
    from races.run_models import Lap

    url = f"/races/{track_day.pk}/timekeeper/"
    tablet = new_page("dave")
    tablet.set_viewport_size({"width": 800, "height": 1100})
    tablet.goto(url)
    laptop = new_page("alice")
    laptop.goto(url)
    for page in (tablet, laptop):
        page.wait_for_selector("#link:has-text('Live')")

    tablet.select_option("#racer", str(bob.pk))
    tablet.fill("#car", "Car 3")
    tablet.click("button[data-action=start]")
    laptop.wait_for_selector("#racer-name:has-text('BobTheRacer')")
    assert laptop.text_content("#car-name") == "Car 3"

    laptop.keyboard.press("l")  # the car crosses the line: the lap begins
    tablet.wait_for_selector("#progress:has-text('Lap in progress')")
    tablet.wait_for_timeout(1200)
    laptop.keyboard.press("l")  # and again: lap 1
    tablet.wait_for_selector("#laps tbody tr[data-lap='1']")
    tablet.click("button[data-action=reset]")
    laptop.wait_for_selector("#progress:has-text('resets this lap: 1')")

    tablet.reload()  # a crashed tablet comes back to the same race
    tablet.wait_for_selector("#laps tbody tr[data-lap='1']")
    assert "resets this lap: 1" in tablet.text_content("#progress")

    laptop.click("#laps button[data-toggle='1']")  # the organizer marks lap 1 invalid...
    tablet.wait_for_selector("#laps tr.invalid[data-lap='1']")
    tablet.click("#laps button[data-toggle='1']")  # ...the timekeeper puts it back
    laptop.wait_for_selector("#laps tr[data-lap='1']:not(.invalid)")
    assert not Lap.objects.exists()

    tablet.keyboard.press("e")  # End & submit
    laptop.wait_for_selector("#turn", state="hidden")
    tablet.wait_for_selector("#pick:not([hidden])")
    # The chooser offers the next racer who has not had a turn, not Bob who just raced.
    for page in (tablet, laptop):
        page.wait_for_function(f"() => document.querySelector('#racer').value === '{charlie.pk}'")
    board = race_leaderboard(track_day)
    assert board[0]["racer"] == "BobTheRacer" and Lap.objects.count() == 1


def test_a_racer_cannot_open_the_timekeeper_page_and_a_stranger_gets_404(track_day, new_page, mallory):
    racer = new_page("bob")
    assert racer.goto(f"/races/{track_day.pk}/timekeeper/").status == 403
    stranger = new_page("mallory")
    assert stranger.goto(f"/races/{track_day.pk}/timekeeper/").status == 404
