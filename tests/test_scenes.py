"""The shared scenes of tests/scenes.py are what their docstrings promise, in plain `db` tests
and in transactional ones (where runner threads and server processes read them)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from races import live_control


def test_live_race_is_alices_with_bob_entered(live_race, alice, bob):
    assert (live_race.organizer, live_race.format, live_race.track.slug) == (alice, "live", "oval")
    assert live_race.time_per_racer == 1 and live_race.entries_open and live_race.sim_state == "off"
    assert [(row["user_id"], row["model"]) for row in live_control.queue(live_race)] == [(bob.pk, "Steady")]


def test_charlie_enters_after_bob(live_race, bob, charlie, charlie_entered):
    assert charlie_entered.user == charlie
    assert [(row["user_id"], row["model"]) for row in live_control.queue(live_race)] == [
        (bob.pk, "Steady"), (charlie.pk, "Brisk")]


def test_live_race_ready_is_at_go_with_entries_closed(live_race_ready, bob):
    assert live_race_ready.sim_state == "go" and not live_race_ready.entries_open
    assert live_race_ready.queue_order == [bob.pk]


def test_each_client_is_logged_in_as_its_user(as_alice, as_bob, as_charlie, as_mallory, alice, bob, charlie, mallory):
    for client, user in ((as_alice, alice), (as_bob, bob), (as_charlie, charlie), (as_mallory, mallory)):
        assert client.session["_auth_user_id"] == str(user.pk)


def test_the_api_clients_act_as_their_users(api_bob, api_mallory, live_race):
    assert api_bob.get(f"/api/races/{live_race.pk}/").status_code == 200
    assert api_mallory.get(f"/api/races/{live_race.pk}/").status_code == 404


def test_a_db_test_runs_in_a_transaction_rolled_back_after_it(live_race):
    assert connection.in_atomic_block


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_gets_the_scene_committed(live_race, bob):
    """Another connection (a runner thread's) sees the race and bob's entry."""
    from races.models import Race

    seen = {}

    def look():
        try:
            race = Race.objects.get(pk=live_race.pk)
            seen["entered"] = [row["user_id"] for row in live_control.queue(race)]
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(10)
    assert seen == {"entered": [bob.pk]}
    assert not connection.in_atomic_block
