"""The organizer's LIVE control panel actions (web and rules)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from races import live_control
from races.garage import enter_race, reference_model
from races.live_control import LiveActionError
from races.models import Participant, Run
from races.record import record_lap
from tests.events import RaceEvents


@pytest.fixture
def live(live_race, charlie_entered):
    """alice's LIVE race with two racers entered: bob ("Steady"), then charlie ("Brisk")."""
    return live_race


def go(race):
    live_control.launch_simulator(race, step_s=0)
    race.refresh_from_db()
    assert race.sim_state == "go"


def close_entries(race):
    live_control.set_entries_open(race, False)
    race.refresh_from_db()


def test_the_simulator_opens_one_hour_before_the_start(live):
    live.start_at = timezone.now() + timedelta(hours=2)
    live.end_at = live.start_at + timedelta(hours=4)
    live.save()
    with pytest.raises(LiveActionError, match="1 hour before the start"):
        live_control.launch_simulator(live, step_s=0)
    live.start_at = timezone.now() + timedelta(minutes=59)
    live.save()
    go(live)
    with pytest.raises(LiveActionError, match="already launched"):
        live_control.launch_simulator(live, step_s=0)


def test_closing_entries_builds_the_queue_in_entry_order(live, bob, charlie):
    close_entries(live)
    assert live.queue_order == [bob.pk, charlie.pk]
    rows = live_control.queue(live)
    assert [r["alias"] for r in rows] == ["BobTheRacer", "CharlieC"]
    assert rows[1]["slot_at"] == (live.start_at + timedelta(minutes=1)).isoformat()  # one turn later


def test_the_queue_can_be_reordered_and_trimmed(live, bob, charlie):
    with pytest.raises(LiveActionError, match="Close model entries"):
        live_control.save_queue(live, [charlie.pk, bob.pk])
    close_entries(live)
    live_control.save_queue(live, [charlie.pk, bob.pk])
    live.refresh_from_db()
    assert [r["user_id"] for r in live_control.queue(live)] == [charlie.pk, bob.pk]
    for bad, message in (([bob.pk, bob.pk], "twice"), ([999], "not in the queue"), (["x"], "list of racer ids")):
        with pytest.raises(LiveActionError, match=message):
            live_control.save_queue(live, bad)
    live_control.save_queue(live, [bob.pk])
    live.refresh_from_db()
    assert [r["user_id"] for r in live_control.queue(live)] == [bob.pk]


def test_launching_needs_the_simulator_and_closed_entries(live, bob):
    with pytest.raises(LiveActionError, match="Launch the simulator"):
        live_control.launch_racer(live, bob.pk)
    go(live)
    with pytest.raises(LiveActionError, match="Close model entries"):
        live_control.launch_racer(live, bob.pk)
    close_entries(live)
    run = live_control.launch_racer(live, bob.pk)
    assert run.state == "countdown" and run.model_name == "Steady" and run.racer_model_id


def test_one_racer_at_a_time(live, bob, charlie):
    go(live)
    close_entries(live)
    live_control.launch_racer(live, bob.pk)
    with pytest.raises(LiveActionError, match="Another racer is on track"):
        live_control.launch_racer(live, charlie.pk)
    assert Run.objects.filter(race=live).count() == 1


def test_a_model_that_cannot_load_turns_red(live, bob):
    go(live)
    close_entries(live)
    model = bob.racer_models.get()
    model.params = {"temperament": "reckless"}
    model.save()
    with pytest.raises(LiveActionError, match="cannot race"):
        live_control.launch_racer(live, bob.pk)
    row = live_control.queue(live)[0]
    assert row["status"] == "failed" and "reckless" in row["failure"]


def test_clear_leaderboard_and_declare_winner(live, bob, charlie):
    with pytest.raises(LiveActionError, match="Nobody has completed a lap"):
        live_control.declare_winner(live)
    record_lap(Run.objects.create(race=live, racer=bob, state="finished"), number=1, time_ms=15000)
    live_control.clear_leaderboard(live)
    with pytest.raises(LiveActionError):
        live_control.declare_winner(live)
    record_lap(Run.objects.create(race=live, racer=charlie, state="finished"), number=1, time_ms=16000)
    assert live_control.declare_winner(live) == "CharlieC"
    live.refresh_from_db()
    assert live.winner == charlie
    assert live_control.snapshot(live)["race"]["winner"] == {"alias": "CharlieC"}


def test_the_panel_is_for_the_organizer_only(as_bob, as_mallory, live):
    url = f"/races/{live.pk}/live/simulator/launch/"
    assert as_bob.post(url).status_code == 403
    assert as_mallory.post(url).status_code == 404
    live.refresh_from_db()
    assert live.sim_state == "off"


def test_it_answers_json_with_the_reason(as_alice, live, bob):
    response = as_alice.post(f"/races/{live.pk}/live/launch/{bob.pk}/", HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and response.json() == {"error": "Launch the simulator first."}
    response = as_alice.post(f"/races/{live.pk}/live/entries/", {"open": "0"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    live.refresh_from_db()
    assert not live.entries_open


def test_the_race_page_shows_the_panel_to_the_organizer(as_alice, as_bob, live):
    page = as_alice.get(f"/races/{live.pk}/").content.decode()
    assert 'id="control-panel"' in page and "BobTheRacer" in page and "Launch simulator" in page
    page = as_bob.get(f"/races/{live.pk}/").content.decode()
    assert 'id="control-panel"' not in page and 'id="live"' in page


def test_classic_races_have_no_panel(as_alice, race):
    assert as_alice.post(f"/races/{race.pk}/live/simulator/launch/").status_code == 404


def test_it_requires_a_post(as_alice, live):
    assert as_alice.get(f"/races/{live.pk}/live/stop/").status_code == 405


def test_stop_without_a_run(live):
    with pytest.raises(LiveActionError, match="No racer is on track"):
        live_control.stop_run(live)


def test_strangers_do_not_learn_about_runs(as_mallory, live):
    assert as_mallory.post(f"/races/{live.pk}/live/declare-winner/").status_code == 404


def test_entering_and_run_ends_update_coming_up(live, bob, django_capture_on_commit_callbacks):
    with RaceEvents(live.pk) as events:
        with django_capture_on_commit_callbacks(execute=True):
            enter_race(live, bob, reference_model(bob, "Other", temperament="cautious"))
        message = events.next()
        assert message["type"] == "queue.changed"
        assert [row["model"] for row in message["queue"] if row["user_id"] == bob.pk] == ["Other"]


def test_the_snapshot_gives_each_racer_their_last_ended_run(live, bob, charlie, alice):
    from races.record import save_trace

    older = Run.objects.create(race=live, racer=bob, state="finished")
    last = Run.objects.create(race=live, racer=bob, state="aborted", failure="stopped")
    save_trace(last.pk, [{"step": 1, "x": 0.0, "y": 0.0}])
    mine = live_control.snapshot(live, bob)["me"]["last_run"]
    assert mine["id"] == last.pk != older.pk
    assert mine["state"] == "aborted" and mine["racer"] == "BobTheRacer" and mine["has_trace"]
    assert live_control.snapshot(live, charlie)["me"]["last_run"] is None  # never raced
    assert live_control.snapshot(live, alice)["me"]["last_run"] is None
    Run.objects.create(race=live, racer=bob, state="countdown")
    assert live_control.snapshot(live, bob)["me"]["last_run"]["id"] == last.pk  # not the active one


def unreachable(channel, message):
    raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")


def test_stopping_a_run_whose_runner_cannot_be_reached_says_so(live, bob, monkeypatch):
    from races import protocol

    run = Run.objects.create(race=live, racer=bob, state="running", owner="track-laptop.4242.ab")
    monkeypatch.setattr(protocol, "send_to_channel", unreachable)
    with pytest.raises(LiveActionError, match="cannot be reached"):
        live_control.stop_run(live)
    run.refresh_from_db()
    assert run.state == "running"  # nothing pretended: the organizer can try again


def test_taking_a_racer_out_of_the_queue_keeps_their_submission(as_alice, live, bob, charlie):
    go(live)
    close_entries(live)
    live_control.save_queue(live, [charlie.pk])
    assert [row["user_id"] for row in live_control.queue(live)] == [charlie.pk]
    bob_entry = Participant.objects.get(race=live, user=bob)
    assert bob_entry.submission_status.startswith("Entered: Steady")
    assert "No model submitted" not in as_alice.get(f"/races/{live.pk}/racers/").content.decode()
    csv = as_alice.get(f"/races/{live.pk}/racers.csv").content.decode()
    assert "No model submitted" not in csv and "Entered: Steady" in csv
    with pytest.raises(LiveActionError, match="not in the queue"):
        live_control.launch_racer(live, bob.pk)


def test_entering_again_puts_a_racer_back_in_the_queue(live, bob, charlie):
    close_entries(live)
    live_control.save_queue(live, [charlie.pk])
    live_control.set_entries_open(live, True)
    enter_race(live, bob, reference_model(bob, "Steady", temperament="steady"))
    assert {row["user_id"] for row in live_control.queue(live)} == {bob.pk, charlie.pk}
