"""The lap timers' API: per-timer tokens the organizer makes and revokes; crossings in order, once."""

from __future__ import annotations

import pytest

from races.run_models import Run
from timing import desk

URL = "/api/races/{}/timer/crossings/"


@pytest.fixture
def clock(monkeypatch):
    now = {"ms": 5_000_000.0}
    monkeypatch.setattr(desk, "now_ms", lambda: now["ms"])
    return now


def crossing(seq, device_ms, gate=0, sensor="17"):
    return {"seq": seq, "gate": gate, "sensor": sensor, "device_us": int(device_ms * 1000)}


def send(client, race, *items, session="s1"):
    return client.post(URL.format(race.pk), {"session": session, "crossings": list(items)}, format="json")


def test_without_a_token_or_with_a_wrong_one_the_timer_is_refused(in_person_race, client):
    from rest_framework.test import APIClient

    assert APIClient().post(URL.format(in_person_race.pk), {}, format="json").status_code == 401
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer drt_nope")
    assert wrong.post(URL.format(in_person_race.pk), {}, format="json").status_code == 401


def test_a_revoked_token_stops_working(in_person_race, api_alice, api_timer):
    from timing.models import TimerToken

    token = TimerToken.objects.get()
    assert send(api_timer, in_person_race, crossing(1, 0)).status_code == 200
    r = api_alice.post(f"/api/races/{in_person_race.pk}/timers/{token.pk}/revoke/")
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert send(api_timer, in_person_race, crossing(2, 0)).status_code == 401


def test_a_token_of_one_race_is_404_on_another(in_person_race, api_timer, alice, tracks):
    from tests.timing.conftest import make_in_person_race

    other = make_in_person_race(alice, tracks, name="Other")
    assert send(api_timer, other, crossing(1, 0)).status_code == 404


def test_the_organizer_makes_a_token_and_sees_it_once(in_person_race, api_alice, api_bob):
    made = api_alice.post(f"/api/races/{in_person_race.pk}/timers/", {"name": "Pi"}, format="json").json()
    assert made["token"].startswith("drt_")
    listed = api_alice.get(f"/api/races/{in_person_race.pk}/timers/").json()
    assert listed[0]["name"] == "Pi" and listed[0]["token"] is None
    assert api_bob.post(f"/api/races/{in_person_race.pk}/timers/", {"name": "x"}, format="json").status_code == 403


def test_crossings_make_laps_from_device_time_and_a_batch_sent_twice_counts_once(
        in_person_race, api_timer, api_alice, bob, clock):
    api_alice.post(f"/api/races/{in_person_race.pk}/timekeeper/", {"action": "start", "racer_id": bob.pk}, format="json")
    batch = [crossing(1, 100_000), crossing(2, 110_250), crossing(3, 119_000)]
    assert send(api_timer, in_person_race, *batch).json() == {"last_seq": 3}
    assert send(api_timer, in_person_race, *batch).json() == {"last_seq": 3}  # the retry
    state = api_alice.get(f"/api/races/{in_person_race.pk}/timekeeper/").json()
    assert [lap["time_ms"] for lap in state["turn"]["laps"]] == [10_250, 8_750]
    api_alice.post(f"/api/races/{in_person_race.pk}/timekeeper/", {"action": "end"}, format="json")
    assert Run.objects.get().source == "timer"


def test_a_crossing_under_the_minimum_lap_time_is_not_a_lap(in_person_race, api_timer, api_alice, bob, clock):
    api_alice.post(f"/api/races/{in_person_race.pk}/timekeeper/", {"action": "start", "racer_id": bob.pk}, format="json")
    send(api_timer, in_person_race, crossing(1, 0), crossing(2, 2_500), crossing(3, 9_000))
    state = api_alice.get(f"/api/races/{in_person_race.pk}/timekeeper/").json()
    assert [lap["time_ms"] for lap in state["turn"]["laps"]] == [9_000]


def test_malformed_crossings_are_refused_naming_the_field(in_person_race, api_timer):
    r = send(api_timer, in_person_race, {"seq": 1, "gate": 0, "sensor": "no spaces", "device_us": 1})
    assert r.status_code == 400 and "sensor" in str(r.json()["crossings"])


def test_the_timer_status_shows_on_the_desk(in_person_race, api_timer, api_alice):
    r = api_timer.post(f"/api/races/{in_person_race.pk}/timer/status/",
                       {"connected": False, "message": "serial port gone: cable pulled?"}, format="json")
    assert r.status_code == 200
    timers = api_alice.get(f"/api/races/{in_person_race.pk}/timekeeper/").json()["timers"]
    assert timers[0]["connected"] is False and "cable" in timers[0]["message"]


def test_sector_gates_give_each_lap_its_sector_times(in_person_race, api_timer, api_alice, bob, clock):
    api_alice.post(f"/api/races/{in_person_race.pk}/timekeeper/", {"action": "start", "racer_id": bob.pk}, format="json")
    send(api_timer, in_person_race, crossing(1, 0), crossing(2, 3_100, gate=1, sensor="22"),
         crossing(3, 6_900, gate=2, sensor="23"), crossing(4, 11_000))
    lap = api_alice.get(f"/api/races/{in_person_race.pk}/timekeeper/").json()["turn"]["laps"][0]
    assert lap["time_ms"] == 11_000 and lap["sector_times_ms"] == [3_100, 3_800, 4_100]


def test_a_reader_that_stops_heartbeating_is_not_connected_within_a_few_seconds(
        in_person_race, api_timer, api_alice, clock):
    """The reader posts its status every second; when it dies (killed, Pi unplugged) nothing
    more arrives, and the desk must stop saying `connected` on its own."""
    api_timer.post(f"/api/races/{in_person_race.pk}/timer/status/",
                   {"connected": True, "message": "serial port /dev/ttyUSB0 open"}, format="json")

    def timer():
        return api_alice.get(f"/api/races/{in_person_race.pk}/timekeeper/").json()["timers"][0]

    assert timer()["connected"] is True
    clock["ms"] += desk.STALE_S * 1000 - 500  # a heartbeat late, not yet stale
    assert timer()["connected"] is True
    clock["ms"] += 1_000
    said = timer()
    assert said["connected"] is False and said["silent"] is True and "no word from the reader" in said["message"]
    api_timer.post(f"/api/races/{in_person_race.pk}/timer/status/",  # the reader is back
                   {"connected": True, "message": "serial port /dev/ttyUSB0 open"}, format="json")
    assert timer()["connected"] is True
