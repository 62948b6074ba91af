"""In a real browser against a real daphne: the overlays follow the race events of a Classic race
and of an in-person race, as they follow a LIVE run (test_overlays.py), without a reload.

- Classic: a racer enters a model, the server evaluates it on its job thread, the result's laps
  are recorded through the one record path, and the leaderboard overlay shows the result.
- In person: the timekeeper starts a racer (timekeeper API), the lap timer reports crossings
  (timer API, with its token, as `readtimer` sends them): the lower third shows the racer, the
  lap and its sectors' colours, the track map paints the sectors; ending the turn records the
  laps and the leaderboard overlay shows them."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from tests.browser.test_overlays import open_overlay

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
NO_RELOAD = "performance.timeOrigin"


def call(server_url: str, path: str, body: dict, authorization: str) -> dict:
    request = urllib.request.Request(server_url + path, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": authorization})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def purple_pixels(page) -> int:
    """How many pixels of the track map canvas are the session-best purple (#a020f0)."""
    return page.evaluate("""() => {
        const c = document.querySelector('[data-part=map] canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] === 0xa0 && d[i + 1] === 0x20 && d[i + 2] === 0xf0) n++;
        return n;
    }""")


def test_a_classic_result_reaches_the_leaderboard_overlay(chromium, server_url, new_page, race, joined, bob):
    from races.garage import reference_model
    from races.models import Race

    Race.objects.filter(pk=race.pk).update(trials=1, min_laps=1)  # one trial: a quick evaluation
    reference_model(bob, "Steady", temperament="cautious")
    board = open_overlay(chromium, server_url, race, "leaderboard")
    board.locator(".lb-empty").wait_for()
    loaded_at = board.evaluate(NO_RELOAD)

    racer = new_page("bob")
    racer.goto(f"/races/{race.pk}/")
    racer.select_option("#entry-model", label="Steady")
    racer.click("#enter-button")
    board.locator(".lb-row.newest", has_text="BobTheRacer").wait_for(timeout=120_000)
    assert board.evaluate(NO_RELOAD) == loaded_at
    row = board.locator(".lb-row", has_text="BobTheRacer")
    assert row.locator(".time").inner_text().strip() not in ("", "--:--.---")


@pytest.fixture
def track_day(alice, bob, charlie, tracks):
    from races.models import Participant
    from tests.timing.conftest import make_in_person_race

    race = make_in_person_race(alice, tracks, name="Overlay Track Day")
    for user in (bob, charlie):
        Participant.objects.create(race=race, user=user)
    return race


def test_timer_laps_move_the_in_person_overlays(chromium, server_url, track_day, alice, bob):
    from rest_framework.authtoken.models import Token

    from timing.models import TimerToken

    _, timer = TimerToken.issue(track_day, "finish line")
    organizer = f"Token {Token.objects.get_or_create(user=alice)[0].key}"
    race_id = track_day.pk
    lower = open_overlay(chromium, server_url, track_day, "lower-third")
    board = open_overlay(chromium, server_url, track_day, "leaderboard")
    track = open_overlay(chromium, server_url, track_day, "map")
    loaded = {page: page.evaluate(NO_RELOAD) for page in (lower, board, track)}
    assert "idle" in lower.locator("[data-part=lower-third]").get_attribute("class")

    # the timekeeper starts Bob's turn: the lower third names him
    call(server_url, f"/api/races/{race_id}/timekeeper/", {"action": "start", "racer_id": bob.pk, "car": "Car 3"}, organizer)
    lower.locator(".lt-alias", has_text="BobTheRacer").wait_for(timeout=10_000)
    assert "idle" not in lower.locator("[data-part=lower-third]").get_attribute("class")

    # the lap timer: the line (the lap begins), two sector gates, the line again (lap 1: 9.2 s)
    seen = time.time() * 1000 - 9_200
    crossings = [(1, 0, 0), (2, 1, 3_000), (3, 2, 6_500), (4, 0, 9_200)]
    call(server_url, f"/api/races/{race_id}/timer/crossings/", {"session": "overlay-test", "crossings": [
        {"seq": seq, "gate": gate, "sensor": str(17 + gate), "device_us": (50_000 + ms) * 1000, "seen_ms": seen + ms}
        for seq, gate, ms in crossings]}, f"Bearer {timer}")
    lower.locator(".lt-last", has_text="00:09.200").wait_for(timeout=10_000)
    assert lower.locator(".lt-best").inner_text() == "00:09.200"
    assert lower.locator(".lt-sectors .sector.purple").count() == 3  # the session's first lap: all bests
    lower.wait_for_function("document.querySelector('.lt-current').textContent.startsWith('00:0')")
    track.wait_for_function("window.overlay.state.turn && window.overlay.state.turn.laps.length === 1")
    track.wait_for_timeout(300)  # the map redraws on its next animation frame
    assert purple_pixels(track) > 100
    assert board.locator(".lb-empty").count() == 1  # the turn is not on record yet

    # a second, slower lap: its sectors are no longer all the session's best
    call(server_url, f"/api/races/{race_id}/timer/crossings/", {"session": "overlay-test", "crossings": [
        {"seq": 5, "gate": 1, "sensor": "18", "device_us": (50_000 + 12_300) * 1000, "seen_ms": seen + 12_300},
        {"seq": 6, "gate": 2, "sensor": "19", "device_us": (50_000 + 16_000) * 1000, "seen_ms": seen + 16_000},
        {"seq": 7, "gate": 0, "sensor": "17", "device_us": (50_000 + 19_400) * 1000, "seen_ms": seen + 19_400}]},
        f"Bearer {timer}")
    lower.locator(".lt-last", has_text="00:10.200").wait_for(timeout=10_000)
    assert lower.locator(".lt-best").inner_text() == "00:09.200"
    assert lower.locator(".lt-sectors .sector.purple").count() == 0

    # End: the turn is recorded and the leaderboard overlay shows its best lap
    call(server_url, f"/api/races/{race_id}/timekeeper/", {"action": "end"}, organizer)
    board.locator(".lb-row.newest", has_text="BobTheRacer").wait_for(timeout=10_000)
    assert "9.200" in board.locator(".lb-row", has_text="BobTheRacer").locator(".time").inner_text()
    lower.wait_for_function("document.querySelector('[data-part=lower-third]').classList.contains('idle')")
    for page, at in loaded.items():
        assert page.evaluate(NO_RELOAD) == at  # every change came over the socket
        page.context.close()
