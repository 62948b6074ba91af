"""An in-person race on the broadcast pages, in a real browser against a real daphne, driven
through the timekeeper and timer APIs as a track's tablet and `readtimer` drive them:

- COMING UP: racers who already had a turn are still in the queue (in person everyone races
  turn after turn, as the race page's COMING UP shows): the overlay shows them, never "Nobody
  queued" while the queue has racers, next first as the timekeeper's chooser goes round;
- sectors: a timer with one sector gate times two sectors; the lower third shows two bars and
  the map colours the whole track in two sectors (not three with the last left blank);
- the commentator's view, opened by a commentator invited on the Trackside setup who has no place
  in the (private) race, follows the turn on the track over the race's websocket (status, time
  left, laps, per-lap bars) and keeps its laps once the turn is recorded through the one record
  path (`run.lap`)."""

from __future__ import annotations

import time

import pytest

from tests.browser.test_overlay_events import call, purple_pixels
from tests.browser.test_overlays import open_overlay

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def track_day(alice, bob, charlie, tracks):
    from races.models import Participant
    from tests.timing.conftest import make_in_person_race

    race = make_in_person_race(alice, tracks, name="Broadcast Track Day")
    for user in (bob, charlie):
        Participant.objects.create(race=race, user=user)
    return race


@pytest.fixture
def organizer(alice) -> str:
    from rest_framework.authtoken.models import Token

    return f"Token {Token.objects.get_or_create(user=alice)[0].key}"


@pytest.fixture
def timer(track_day) -> str:
    from timing.models import TimerToken

    return f"Bearer {TimerToken.issue(track_day, 'finish line')[1]}"


def one_gate_lap(server_url, race, timer, seq=1):
    """The line, the one sector gate, the line again: a 9.2 s lap of two sectors (4.0 + 5.2 s)."""
    seen = time.time() * 1000 - 9_200
    call(server_url, f"/api/races/{race.pk}/timer/crossings/", {"session": "one-gate", "crossings": [
        {"seq": seq + i, "gate": gate, "sensor": str(17 + gate), "device_us": (50_000 + ms) * 1000, "seen_ms": seen + ms}
        for i, (gate, ms) in enumerate([(0, 0), (1, 4_000), (0, 9_200)])]}, timer)


def test_coming_up_shows_racers_who_already_had_a_turn(chromium, server_url, track_day, organizer, bob, charlie):
    def turn(racer):  # recorded: the racer's last run is `finished`
        for action in ("start", "end"):
            call(server_url, f"/api/races/{track_day.pk}/timekeeper/", {"action": action, "racer_id": racer.pk}, organizer)

    turn(bob)
    page = open_overlay(chromium, server_url, track_day, "coming-up")
    aliases = page.locator("[data-part=coming-up] .cu-rows li .alias")
    # Charlie has not had a turn: he is next (the timekeeper's chooser offers him), then Bob again
    assert aliases.all_inner_texts() == ["CharlieC", "BobTheRacer"]
    turn(charlie)  # everyone has had a turn: the queue goes round again, in its order
    page.wait_for_function("document.querySelector('.cu-rows .alias').textContent === 'BobTheRacer'")
    assert aliases.all_inner_texts() == ["BobTheRacer", "CharlieC"]
    # the racer on the track is not "coming up"; the others stay
    call(server_url, f"/api/races/{track_day.pk}/timekeeper/", {"action": "start", "racer_id": bob.pk}, organizer)
    page.wait_for_function("document.querySelectorAll('.cu-rows li').length === 1")
    assert aliases.all_inner_texts() == ["CharlieC"]
    page.context.close()


def test_one_sector_gate_two_sectors_on_the_map_and_the_lower_third(chromium, server_url, track_day, organizer, timer, bob):
    lower = open_overlay(chromium, server_url, track_day, "lower-third")
    track = open_overlay(chromium, server_url, track_day, "map")
    call(server_url, f"/api/races/{track_day.pk}/timekeeper/", {"action": "start", "racer_id": bob.pk}, organizer)
    one_gate_lap(server_url, track_day, timer)
    lower.locator(".lt-last", has_text="00:09.200").wait_for(timeout=10_000)
    assert lower.locator(".lt-sectors .sector").count() == 2
    assert lower.locator(".lt-sectors .sector.purple").count() == 2  # the session's first lap: all bests
    track.wait_for_function("window.overlay.state.turn && window.overlay.state.turn.laps.length === 1")
    track.wait_for_function("window.overlay.mapSectors && window.overlay.mapSectors.length === 2", timeout=5_000)
    assert track.evaluate("window.overlay.mapSectors") == ["purple", "purple"]  # the whole track coloured
    painted = purple_pixels(track)
    assert painted > 100
    # a page opened now starts from the race's last timed laps: two sectors before any new lap
    call(server_url, f"/api/races/{track_day.pk}/timekeeper/", {"action": "end"}, organizer)
    later = open_overlay(chromium, server_url, track_day, "map")
    assert later.evaluate("window.overlay.state.sectors") == 2
    later.wait_for_function("window.overlay.mapSectors && window.overlay.mapSectors.length === 2", timeout=5_000)
    for page in (lower, track, later):
        page.context.close()


def test_the_commentators_view_follows_an_in_person_turn(new_page, server_url, track_day, organizer, timer, bob):
    from tests.scenes import make_user
    from timing.models import RaceStaff

    RaceStaff.objects.create(race=track_day, user=make_user("dave", "DaveOnTheMic", "GB"), role="commentator")
    page = new_page("dave")
    page.goto(f"/races/{track_day.pk}/commentator/")
    page.wait_for_function("window.overlay && window.overlay.state.connected && window.overlay.state.race")
    assert page.locator(".cm-status").inner_text() == "Nobody on track"

    call(server_url, f"/api/races/{track_day.pk}/timekeeper/", {"action": "start", "racer_id": bob.pk}, organizer)
    page.locator(".cm-status", has_text="BobTheRacer: waiting").wait_for()
    one_gate_lap(server_url, track_day, timer)
    page.locator(".cm-status", has_text="BobTheRacer: running").wait_for()
    page.locator(".cm-fastest", has_text="00:09.200 (lap 1)").wait_for()
    assert page.locator(".cm-bars .bar").count() == 1
    assert page.locator(".cm-bars .bar.purple").count() == 1
    left = page.locator(".cm-left").inner_text()
    assert left.startswith("01:") or left == "02:00"  # a 2-minute turn, counting down

    # ended: the turn is recorded through the one record path; the view shows its run and laps
    call(server_url, f"/api/races/{track_day.pk}/timekeeper/", {"action": "end"}, organizer)
    page.locator(".cm-status", has_text="BobTheRacer: finished").wait_for()
    page.wait_for_function("document.querySelectorAll('.cm-bars .bar').length === 1")  # its run.lap
    assert page.locator(".cm-fastest").inner_text() == "00:09.200 (lap 1)"
    assert page.locator(".cm-left").inner_text() == "--:--"
