"""POST /api/races/{id}/timekeeper/: the server holds the race state; every action checks the role."""

from __future__ import annotations

import pytest

from races.run_models import Lap, Run
from timing import desk

URL = "/api/races/{}/timekeeper/"


@pytest.fixture
def clock(monkeypatch):
    """The server's clock, moved by the test."""
    now = {"ms": 1_000_000.0}
    monkeypatch.setattr(desk, "now_ms", lambda: now["ms"])
    return now


def post(client, race, **data):
    return client.post(URL.format(race.pk), data, format="json")


def test_a_stranger_gets_404_a_racer_403_and_a_commentator_cannot_press_buttons(
        in_person_race, api_mallory, api_bob, charlie, timekeeper):
    from tests.scenes import _api
    from timing.models import RaceStaff

    assert post(api_mallory, in_person_race, action="pause").status_code == 404
    assert api_mallory.get(URL.format(in_person_race.pk)).status_code == 404
    assert post(api_bob, in_person_race, action="pause").status_code == 403
    RaceStaff.objects.create(race=in_person_race, user=charlie, role="commentator")
    api_charlie = _api(charlie)
    assert api_charlie.get(URL.format(in_person_race.pk)).status_code == 200
    answer = post(api_charlie, in_person_race, action="start", racer_id=1)
    assert answer.status_code == 403 and "timekeeper" in answer.json()["detail"]


def test_a_timekeeper_who_is_not_a_racer_runs_a_turn_by_hand_and_the_laps_reach_the_leaderboard(
        in_person_race, api_dave, timekeeper, bob, clock):
    r = post(api_dave, in_person_race, action="start", racer_id=bob.pk, car="Car 3")
    assert r.status_code == 200, r.content
    assert r.json()["turn"]["racer"] == "BobTheRacer" and r.json()["turn"]["car"] == "Car 3"
    for at in (1_002_000, 1_012_500, 1_022_000):
        clock["ms"] = at
        assert post(api_dave, in_person_race, action="capture_lap").status_code == 200
    clock["ms"] = 1_023_000
    post(api_dave, in_person_race, action="reset")
    state = post(api_dave, in_person_race, action="toggle_valid", lap=1).json()
    assert [lap["time_ms"] for lap in state["turn"]["laps"]] == [10_500, 9_500]
    assert [lap["valid"] for lap in state["turn"]["laps"]] == [False, True]
    assert not Lap.objects.exists()  # nothing is on record before the turn ends
    ended = post(api_dave, in_person_race, action="end").json()
    assert ended["turn"] is None
    run = Run.objects.get()
    assert run.source == "manual" and run.state == "finished" and run.model_name == "Car 3"
    assert list(run.laps.values_list("number", "time_ms", "valid")) == [(1, 10_500, False), (2, 9_500, True)]
    runs = api_dave.get(f"/api/races/{in_person_race.pk}/runs/").json()
    assert runs[0]["laps"][1]["time_ms"] == 9_500
    from leaderboard.board import race_leaderboard

    assert race_leaderboard(in_person_race)[0]["time_ms"] == 9_500


def test_a_racer_goes_to_the_back_of_the_queue_after_each_turn(
        in_person_race, api_dave, timekeeper, bob, charlie, clock):
    def turn(racer):
        post(api_dave, in_person_race, action="start", racer_id=racer.pk)
        post(api_dave, in_person_race, action="capture_lap")
        return post(api_dave, in_person_race, action="end").json()

    def queue(state):
        return [row["user_id"] for row in state["queue"]]

    assert api_dave.get(URL.format(in_person_race.pk)).json()["next_racer_id"] == bob.pk
    state = turn(bob)
    assert queue(state) == [charlie.pk, bob.pk] and state["next_racer_id"] == charlie.pk
    state = turn(charlie)  # everyone had a turn: round again
    assert queue(state) == [bob.pk, charlie.pk] and state["next_racer_id"] == bob.pk
    in_person_race.refresh_from_db()
    assert in_person_race.queue_order == [bob.pk, charlie.pk]  # the organizer's editor shows it too


def test_a_racer_taken_out_of_turn_goes_to_the_back_the_others_keep_their_places(
        in_person_race, api_dave, timekeeper, bob, charlie, clock):
    from races.models import Participant
    from tests.scenes import make_user

    erin = make_user("erin", "ErinE", "FR")
    Participant.objects.create(race=in_person_race, user=erin)
    post(api_dave, in_person_race, action="start", racer_id=charlie.pk)
    state = post(api_dave, in_person_race, action="end").json()
    assert [row["user_id"] for row in state["queue"]] == [bob.pk, erin.pk, charlie.pk]


def test_a_discarded_turn_keeps_the_racer_in_their_place(in_person_race, api_dave, timekeeper, bob, charlie, clock):
    post(api_dave, in_person_race, action="start", racer_id=bob.pk)
    state = post(api_dave, in_person_race, action="discard").json()
    assert [row["user_id"] for row in state["queue"]] == [bob.pk, charlie.pk]
    assert state["next_racer_id"] == bob.pk and not Run.objects.exists()


def test_a_second_tablet_reads_exactly_the_state_the_first_left(in_person_race, api_dave, api_alice, timekeeper, bob, clock):
    post(api_dave, in_person_race, action="start", racer_id=bob.pk)
    clock["ms"] += 5000
    post(api_dave, in_person_race, action="capture_lap")
    post(api_dave, in_person_race, action="reset")
    clock["ms"] += 1000
    mirror = api_alice.get(URL.format(in_person_race.pk)).json()
    assert mirror["turn"]["resets"] == 1 and mirror["turn"]["lap_in_progress"]
    assert mirror["turn"]["remaining_ms"] == 120_000 - 1_000  # the clock started with the first lap


def test_actions_out_of_turn_are_refused_with_the_reason_and_change_nothing(in_person_race, api_dave, timekeeper, bob, mallory):
    r = post(api_dave, in_person_race, action="pause")
    assert r.status_code == 400 and "start a turn first" in r.json()["action"][0]
    r = post(api_dave, in_person_race, action="start", racer_id=mallory.pk)
    assert r.status_code == 400 and "queue" in r.json()["action"][0]
    r = post(api_dave, in_person_race, action="fly")
    assert r.status_code == 400
    post(api_dave, in_person_race, action="start", racer_id=bob.pk)
    r = post(api_dave, in_person_race, action="start", racer_id=bob.pk)
    assert r.status_code == 400 and "on track" in r.json()["action"][0]


def test_dnf_then_end_records_a_failed_run_with_its_finished_laps(in_person_race, api_dave, timekeeper, bob, clock):
    post(api_dave, in_person_race, action="start", racer_id=bob.pk)
    clock["ms"] += 1000
    post(api_dave, in_person_race, action="capture_lap")
    clock["ms"] += 8000
    post(api_dave, in_person_race, action="capture_lap")
    post(api_dave, in_person_race, action="dnf")
    post(api_dave, in_person_race, action="end")
    run = Run.objects.get()
    assert run.state == "failed" and "DNF" in run.failure and run.laps.count() == 1


def test_discard_records_nothing(in_person_race, api_dave, timekeeper, bob, clock):
    post(api_dave, in_person_race, action="start", racer_id=bob.pk)
    clock["ms"] += 1000
    post(api_dave, in_person_race, action="capture_lap")
    clock["ms"] += 8000
    post(api_dave, in_person_race, action="capture_lap")
    assert post(api_dave, in_person_race, action="discard").json()["turn"] is None
    assert not Run.objects.exists()


def test_the_timekeeper_api_is_in_the_openapi_schema(api_alice):
    paths = api_alice.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert "post" in paths["/api/races/{race_id}/timekeeper/"]
    assert "get" in paths["/api/races/{race_id}/runs/"]
    assert "post" in paths["/api/races/{race_id}/timer/crossings/"]
